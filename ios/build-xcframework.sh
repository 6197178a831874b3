#!/usr/bin/env bash
# Builds ios/LesionScanFFI.xcframework: the Rust static library (lesionscan-ffi) for iOS
# devices (aarch64-apple-ios) and simulators (aarch64-apple-ios-sim and x86_64-apple-ios,
# joined with lipo), with the generated C header and module map. Together with the committed
# Swift (Sources/LesionScan/) and the runtime from fetch-runtime.sh, ios/ is then a Swift
# package (Package.swift).
#
#   ios/build-xcframework.sh            release build
#   ios/build-xcframework.sh --debug    debug build
#
# Needs macOS with Xcode (xcodebuild, lipo) and the Rust targets:
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
#
# It stops, naming what is missing, before building anything that could not link: the iOS
# inference runtime (TensorFlowLiteC, obtained by ios/fetch-runtime.sh) comes first.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

log() { printf 'build-xcframework: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

profile=release
case "${1:-}" in
    "") ;;
    --debug) profile=debug ;;
    *) die "unknown argument $1 (option: --debug)" ;;
esac

[[ "$(uname -s)" == Darwin ]] || die "an XCFramework is built on macOS with Xcode; this is $(uname -s)"
for tool in xcodebuild lipo cargo rustup; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done

# 1. The inference runtime. Without it the static library's TfLite* references cannot be
#    resolved when an app links, so nothing is built until it is there.
fetch="$here/fetch-runtime.sh"
[[ -f "$fetch" ]] || die "the iOS inference runtime is missing: ios/fetch-runtime.sh (which obtains the pinned TensorFlowLiteC.xcframework) is not in this checkout. Update the checkout; no library was built."
if ! core=$(bash "$fetch" "$here/.runtime"); then
    die "ios/fetch-runtime.sh could not provide TensorFlowLiteC.xcframework (see its message above); no library was built"
fi
core=$(printf '%s\n' "$core" | tail -n 1)
runtime_dir=$(dirname "$core")
for framework in TensorFlowLiteC TensorFlowLiteCMetal; do
    [[ -d "$runtime_dir/$framework.xcframework" ]] ||
        die "the iOS inference runtime is incomplete: $runtime_dir/$framework.xcframework is missing; no library was built"
done
log "runtime: $runtime_dir"

# 2. The Rust targets.
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
installed=$(rustup target list --installed)
for target in "${targets[@]}"; do
    grep -qx "$target" <<<"$installed" || die "Rust target $target is missing: rustup target add ${targets[*]}"
done

# 3. The committed Swift and C header must be what this library exports.
"$root/scripts/generate-bindings" --check ||
    die "the committed bindings are stale: run scripts/generate-bindings and commit them"

# 4. Static libraries.
cargo_profile=()
[[ "$profile" == release ]] && cargo_profile=(--release)
export IPHONEOS_DEPLOYMENT_TARGET=15.0
for target in "${targets[@]}"; do
    log "building liblesionscan_ffi.a for $target ($profile)"
    (cd "$root" && cargo build "${cargo_profile[@]}" -p lesionscan-ffi --target "$target")
done
target_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
work="$target_dir/xcframework"
rm -rf "$work"
mkdir -p "$work/headers" "$work/simulator"
lipo -create \
    "$target_dir/aarch64-apple-ios-sim/$profile/liblesionscan_ffi.a" \
    "$target_dir/x86_64-apple-ios/$profile/liblesionscan_ffi.a" \
    -output "$work/simulator/liblesionscan_ffi.a"
cp "$here/Headers/LesionScanFFI.h" "$here/Headers/module.modulemap" "$work/headers/"

# 5. The XCFramework.
out="$here/LesionScanFFI.xcframework"
rm -rf "$out"
xcodebuild -create-xcframework \
    -library "$target_dir/aarch64-apple-ios/$profile/liblesionscan_ffi.a" -headers "$work/headers" \
    -library "$work/simulator/liblesionscan_ffi.a" -headers "$work/headers" \
    -output "$out" >/dev/null
log "done: $out (and the runtime in $runtime_dir); add the ios/ folder as a local Swift package"
