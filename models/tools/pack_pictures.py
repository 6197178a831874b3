#!/usr/bin/env python3
"""Pack the HAM10000 pictures, decoded and resized as train.py decodes them, into one .tar
for train.py --pictures on a machine without TensorFlow (the lent GPU machine).

Each picture is decoded with libjpeg-turbo's accurate integer IDCT and resized to --size
with TensorFlow's antialiased bilinear resize (train.py's cached_pictures, so exactly the
pixels train.py trains on here), then stored as <image_id>.png (lossless) or, when the
machine the pack travels to limits its size, as <image_id>.jpg at --quality (lossy: the
pictures trained on there then differ slightly from these; train.py's fit.json names the
pack, and --from-fit evaluates on the exact pixels again).

    python3 models/tools/pack_pictures.py \\
        --csv ../shared/data/ham10000-224/HAM10000_metadata.csv \\
        --images ../shared/data/ham10000-224/images --size 192 --quality 90 \\
        --out .study/ham10000_192_q90.tar.gz

The pack is derived from CC BY-NC images: keep it out of the repository.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--csv", required=True)
    p.add_argument("--images", required=True, nargs="+", metavar="DIR")
    p.add_argument("--size", type=int, required=True, help="square side, train.py's --input-size")
    p.add_argument("--quality", type=int, default=0, help="JPEG quality 1..100; 0 (default): lossless PNG")
    p.add_argument("--cache-dir", default="/tmp/lesionscan-train/cache")
    p.add_argument("--out", required=True, help=".tar (or .tar.gz) to write")
    args = p.parse_args(argv)
    if not 0 <= args.quality <= 100 or args.size < 32:
        p.error("--quality must be 0..100 and --size at least 32")
    from PIL import Image

    rows = train.read_metadata(args.csv, args.images)
    tf = train.import_tf(2)
    pictures = train.cached_pictures(tf, rows, args.size, args.cache_dir)
    t0 = time.perf_counter()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    total = 0
    # .tar.gz: the pictures themselves hardly shrink, but the tar headers (about 0.8 kB each) do.
    mode = "w:gz" if args.out.endswith((".tar.gz", ".tgz")) else "w"
    with tarfile.open(args.out + ".part", mode) as tar:
        for r, px in zip(rows, pictures):
            buf = io.BytesIO()
            if args.quality:
                Image.fromarray(px).save(buf, "JPEG", quality=args.quality)
                name = f"{r['image_id']}.jpg"
            else:
                Image.fromarray(px).save(buf, "PNG", optimize=True)
                name = f"{r['image_id']}.png"
            info = tarfile.TarInfo(name)
            info.size = buf.tell()
            info.mtime = 0
            buf.seek(0)
            tar.addfile(info, buf)
            total += info.size
    os.replace(args.out + ".part", args.out)
    kind = f"JPEG quality {args.quality}" if args.quality else "PNG"
    print(f"packed {len(rows)} pictures of {args.size}x{args.size} as {kind}: {total / 1e6:.1f} MB in "
          f"{time.perf_counter() - t0:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
