#!/usr/bin/env bash
# Fetches the inference runtime LesionScan's iOS build links: Google's TensorFlowLiteC 2.17.0,
# the binary behind the TensorFlowLiteC CocoaPod (TensorFlowLiteC.xcframework for the C API,
# TensorFlowLiteCMetal.xcframework for the Metal GPU delegate). See ios/README.md, "Inference
# runtime", for why this version and no older one.
#
#   ios/fetch-runtime.sh [DEST]
#
# DEST defaults to ios/.runtime (git-ignored). On success the script prints ONE line on stdout:
# the path of TensorFlowLiteC.xcframework; TensorFlowLiteCMetal.xcframework is in the same
# folder. Everything else goes to stderr. Idempotent: a second run checks the stamp and
# returns at once.
#
# Offline or behind a proxy: set LESIONSCAN_TFLITE_C_ARCHIVE to a copy of the archive; it must
# have the pinned sha256. Any other archive (an older TensorFlowLiteC, a rebuilt one) is
# refused, because runtimes before 2.17 cannot run the default model (FULLY_CONNECTED
# version 12) and some older ones silently miscompute per-channel int8 dense layers.
#
# Needs curl, tar and shasum (or sha256sum). Runs on macOS (where the frameworks are used) and
# on Linux (for checking the download).
set -euo pipefail

version=2.17.0
url="https://dl.google.com/tflite-release/ios/prod/tensorflow/lite/release/ios/release/32/20240729-115310/TensorFlowLiteC/2.17.0/0c10b3543e01f547/TensorFlowLiteC-2.17.0.tar.gz"
sha256=9667b476015f136e5b332ce040e12822c4ac6d5c58947882ddc809cdff0fb99e

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest=${1:-"$here/.runtime"}
stamp="$dest/.version"

log() { printf 'fetch-runtime: %s\n' "$*" >&2; }

sha256_of() {
    if command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    elif command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        log "neither shasum nor sha256sum is installed"
        exit 1
    fi
}

core="$dest/TensorFlowLiteC.xcframework"
metal="$dest/TensorFlowLiteCMetal.xcframework"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$version $sha256" && -d "$core" && -d "$metal" ]]; then
    log "TensorFlowLiteC $version already in $dest"
    echo "$core"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
archive="$tmp/TensorFlowLiteC-$version.tar.gz"
if [[ -n "${LESIONSCAN_TFLITE_C_ARCHIVE:-}" ]]; then
    log "using $LESIONSCAN_TFLITE_C_ARCHIVE"
    cp "$LESIONSCAN_TFLITE_C_ARCHIVE" "$archive"
else
    log "downloading TensorFlowLiteC $version from dl.google.com"
    curl --fail --location --silent --show-error --retry 3 -o "$archive" "$url"
fi

actual=$(sha256_of "$archive")
if [[ "$actual" != "$sha256" ]]; then
    log "refusing the archive: sha256 $actual is not TensorFlowLiteC $version's ($sha256)."
    log "LesionScan needs exactly this runtime: older ones cannot run the default model (see ios/README.md)."
    exit 1
fi

tar -xzf "$archive" -C "$tmp"
found_core=$(find "$tmp" -type d -name TensorFlowLiteC.xcframework -prune | head -n 1)
found_metal=$(find "$tmp" -type d -name TensorFlowLiteCMetal.xcframework -prune | head -n 1)
if [[ -z "$found_core" || -z "$found_metal" ]]; then
    log "the archive does not hold TensorFlowLiteC.xcframework and TensorFlowLiteCMetal.xcframework"
    exit 1
fi
# The C API's own header must be there: the engine's declarations follow it (src/engine/tflite_c/ffi.rs).
if ! find "$found_core" -path '*/Headers/*' -name 'c_api.h' | grep -q .; then
    log "TensorFlowLiteC.xcframework has no c_api.h"
    exit 1
fi

mkdir -p "$dest"
rm -rf "$core" "$metal"
mv "$found_core" "$core"
mv "$found_metal" "$metal"
echo "$version $sha256" > "$stamp"
log "TensorFlowLiteC $version (C API and Metal delegate) in $dest"
echo "$core"
