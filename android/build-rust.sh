#!/usr/bin/env bash
# Builds liblesionscan_ffi.so for Android into src/main/jniLibs/<abi>/ (with the NDK's
# libc++_shared.so beside it), ready for the Gradle build of this module.
#
#   android/build-rust.sh                  release build for arm64-v8a and x86_64
#   android/build-rust.sh --debug          debug build
#   android/build-rust.sh arm64-v8a        only the ABIs named
#
# Needs: the Android NDK (ANDROID_NDK_HOME, or Android Studio's default place), cargo-ndk
# (`cargo install cargo-ndk`), the Rust targets (`rustup target add aarch64-linux-android
# x86_64-linux-android`), curl and unzip.
#
# The LiteRT runtime: liblesionscan_ffi.so is linked against libLiteRt.so from Google's
# Maven artifact com.google.ai.edge.litert:litert:2.1.4 (the one litert-sys 0.2.1 is
# written for). This script downloads that AAR once, checks its SHA-256, and links against
# its jni/<abi>/libLiteRt.so. It does not copy libLiteRt.so into jniLibs: the app gets it
# (and the GPU accelerator) from the same Maven artifact, which build.gradle.kts declares.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

litert_version=2.1.4
# The SHA-256 litert-sys 0.2.1 pins for this AAR (its ANDROID_AAR_SHA256).
litert_sha256=29ce4fdc362306f3793b910d759d93867a5c2204bb890ac5f9410c62c3f7482a
litert_url="https://dl.google.com/android/maven2/com/google/ai/edge/litert/litert/$litert_version/litert-$litert_version.aar"
min_sdk=24

log() { printf 'build-rust: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

profile=release
abis=()
for arg in "$@"; do
    case "$arg" in
        --debug) profile=debug ;;
        arm64-v8a | x86_64) abis+=("$arg") ;;
        armeabi-v7a)
            die "armeabi-v7a is not supported: LiteRT 2.x ships libLiteRt.so for arm64-v8a and x86_64 only, and litert-sys 0.2.1 has no bindings for 32-bit ARM" ;;
        x86) die "x86 (32-bit) is not supported: LiteRT 2.x has no 32-bit x86 Android build" ;;
        *) die "unknown argument $arg (ABIs: arm64-v8a x86_64; option: --debug)" ;;
    esac
done
[[ ${#abis[@]} -gt 0 ]] || abis=(arm64-v8a x86_64)

command -v cargo-ndk >/dev/null || die "cargo-ndk is missing: cargo install cargo-ndk"
command -v curl >/dev/null || die "curl is missing"
command -v unzip >/dev/null || die "unzip is missing"

# The NDK, for libc++_shared.so (cargo-ndk finds it the same way).
ndk=${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}
if [[ -z "$ndk" ]]; then
    sdk=${ANDROID_HOME:-${ANDROID_SDK_ROOT:-$HOME/Android/Sdk}}
    [[ -d "$sdk/ndk" ]] || sdk="$HOME/Library/Android/sdk"
    ndk=$(ls -d "$sdk"/ndk/* 2>/dev/null | sort -V | tail -n 1 || true)
fi
[[ -n "$ndk" && -d "$ndk/toolchains/llvm/prebuilt" ]] ||
    die "Android NDK not found: set ANDROID_NDK_HOME (Android Studio: SDK Manager > SDK Tools > NDK)"
export ANDROID_NDK_HOME="$ndk"
sysroot=$(ls -d "$ndk"/toolchains/llvm/prebuilt/*/sysroot | head -n 1)

# The LiteRT AAR, downloaded once into target/ and checked.
cache="$root/target/litert-android/$litert_version"
aar="$cache/litert-$litert_version.aar"
if [[ ! -f "$cache/.verified" ]]; then
    mkdir -p "$cache"
    log "downloading com.google.ai.edge.litert:litert:$litert_version"
    curl --fail --location --silent --show-error -o "$aar.part" "$litert_url"
    got=$( (sha256sum "$aar.part" 2>/dev/null || shasum -a 256 "$aar.part") | cut -d' ' -f1)
    [[ "$got" == "$litert_sha256" ]] || { rm -f "$aar.part"; die "the LiteRT AAR's SHA-256 is $got, expected $litert_sha256"; }
    mv "$aar.part" "$aar"
    unzip -q -o "$aar" 'jni/*' -d "$cache"
    touch "$cache/.verified"
fi

out="$here/src/main/jniLibs"
cargo_profile=()
[[ "$profile" == release ]] && cargo_profile=(--release)
for abi in "${abis[@]}"; do
    case "$abi" in
        arm64-v8a) triple=aarch64-linux-android ;;
        x86_64) triple=x86_64-linux-android ;;
    esac
    runtime="$cache/jni/$abi"
    [[ -f "$runtime/libLiteRt.so" ]] || die "the LiteRT AAR has no jni/$abi/libLiteRt.so"
    log "building liblesionscan_ffi.so for $abi ($profile)"
    # LITERT_LIB_DIR wins over .cargo/config.toml's host folder: link against this ABI's runtime.
    (cd "$root" && LITERT_LIB_DIR="$runtime" cargo ndk --target "$abi" --platform "$min_sdk" \
        --output-dir "$out" build "${cargo_profile[@]}" -p lesionscan-ffi)
    # The C++ guard around LiteRT links the NDK's shared C++ runtime (the cc crate's
    # default on Android). Ship it unless the LiteRT AAR already brings one.
    if [[ -f "$runtime/libc++_shared.so" ]]; then
        log "libc++_shared.so comes with the LiteRT AAR for $abi"
        rm -f "$out/$abi/libc++_shared.so"
    else
        cp "$sysroot/usr/lib/$triple/libc++_shared.so" "$out/$abi/"
    fi
    # Only our own library and the C++ runtime belong here.
    find "$out/$abi" -name '*.so' ! -name 'liblesionscan_ffi.so' ! -name 'libc++_shared.so' -print -delete >&2
done
log "done: $(cd "$here" && find src/main/jniLibs -name '*.so' | sort | tr '\n' ' ')"
