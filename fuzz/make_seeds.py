#!/usr/bin/env python3
"""Write the starting inputs of the fuzz targets into fuzz/seeds/<target>/.

    /work/venv/bin/python fuzz/make_seeds.py     # needs pillow (any recent version)

Small inputs, so that each run is fast and mutations reach every decoder's branches:

  decode_image  16x12 and 40x30 pictures in every format the library reads (JPEG baseline,
                progressive, 4:4:4, grey, CMYK, with EXIF orientation 6; PNG RGB, grey,
                RGBA, 16-bit, palette; WebP lossy and lossless; BMP; TIFF), and a 300x200
                JPEG, big enough for DCT-scaled decoding of the 32x32 target.
  camera_frame  well-formed frames in each pixel format, in the layout checks.rs reads
                (16 header bytes, then the planes' bytes).
  model_card    the fixture cards (tests/data/*.json, tests/data/tiny/*.json) are copied.
  model_bytes   the tiny converter models (tests/data/tiny/*.tflite) are copied; the
                mobilenet fixtures are passed to the fuzzer from tests/data directly.
"""

import io
import os
import shutil
import struct

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def picture(width, height, mode="RGB"):
    img = Image.new("RGB", (width, height))
    img.putdata([((x * 13) % 256, (y * 29) % 256, ((x + y) * 7) % 256)
                 for y in range(height) for x in range(width)])
    return img.convert(mode) if mode != "RGB" else img


def encoded(img, fmt, **kwargs):
    out = io.BytesIO()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def exif_orientation(value):
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def write(target, name, data):
    folder = os.path.join(HERE, "seeds", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def images():
    small, wide = picture(16, 12), picture(40, 30)
    seeds = {
        "baseline.jpg": encoded(small, "JPEG", quality=80),
        "progressive.jpg": encoded(wide, "JPEG", quality=70, progressive=True),
        "444.jpg": encoded(small, "JPEG", quality=90, subsampling=0),
        "grey.jpg": encoded(picture(16, 12, "L"), "JPEG"),
        "cmyk.jpg": encoded(picture(16, 12, "CMYK"), "JPEG"),
        "exif6.jpg": encoded(small, "JPEG", exif=exif_orientation(6)),
        "large.jpg": encoded(picture(300, 200), "JPEG", quality=60),
        "rgb.png": encoded(small, "PNG"),
        "grey.png": encoded(picture(16, 12, "L"), "PNG"),
        "rgba.png": encoded(picture(16, 12, "RGBA"), "PNG"),
        "sixteen.png": encoded(picture(16, 12, "L").convert("I;16"), "PNG"),
        "palette.png": encoded(picture(16, 12, "P"), "PNG"),
        "lossy.webp": encoded(small, "WEBP", quality=50),
        "lossless.webp": encoded(small, "WEBP", lossless=True),
        "picture.bmp": encoded(small, "BMP"),
        "picture.tif": encoded(small, "TIFF"),
    }
    for name, data in seeds.items():
        write("decode_image", name, data)


def frames():
    # Header: format, width, height, rotation, plane count, two cut points (in 256ths of
    # the bytes after the header, then of what is left), three row strides (halved),
    # three pixel strides, target width, height, fit. 16x16 frames padded to 512 or 2048
    # bytes put the cuts exactly at the plane boundaries; planes may be longer than needed.
    def frame(name, fmt, planes, rows, pixels, cut1, cut2, total):
        head = bytes([fmt, 16, 16, 1, len(planes), cut1, cut2, *rows, *pixels, 24, 16, 1])
        data = b"".join(planes)
        write("camera_frame", name, head + data + bytes(total - len(data)))

    rgba = bytes((i * 3) % 256 for i in range(16 * 16 * 4))
    y_plane = bytes((i * 5) % 256 for i in range(16 * 16))
    vu = bytes((128 + i) % 256 for i in range(8 * 8 * 2))
    u, v = bytes([100]) * 64, bytes([150]) * 64
    frame("rgba", 0, [rgba], (32, 0, 0), (4, 0, 0), 128, 255, 2048)
    frame("bgra", 1, [rgba], (32, 0, 0), (4, 0, 0), 128, 255, 2048)
    frame("nv21", 2, [y_plane, vu], (8, 8, 0), (1, 2, 0), 128, 255, 512)
    frame("nv12", 3, [y_plane, vu], (8, 8, 0), (1, 2, 0), 128, 255, 512)
    frame("i420", 4, [y_plane, u, v], (8, 4, 4), (1, 1, 1), 128, 64, 512)
    frame("nv21_one_plane", 2, [y_plane + vu], (8, 0, 0), (1, 0, 0), 255, 255, 512)


def copies():
    for folder, ext, target in [("tests/data", ".json", "model_card"),
                                ("tests/data/tiny", ".json", "model_card"),
                                ("tests/data/tiny", ".tflite", "model_bytes")]:
        src = os.path.join(ROOT, folder)
        for name in sorted(os.listdir(src)):
            if name.endswith(ext) and "reference" not in name:
                prefix = "tiny_" if folder.endswith("tiny") else ""
                os.makedirs(os.path.join(HERE, "seeds", target), exist_ok=True)
                shutil.copy(os.path.join(src, name), os.path.join(HERE, "seeds", target, prefix + name))


if __name__ == "__main__":
    images()
    frames()
    copies()
    for target in sorted(os.listdir(os.path.join(HERE, "seeds"))):
        folder = os.path.join(HERE, "seeds", target)
        size = sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder))
        print(f"{target}: {len(os.listdir(folder))} seeds, {size} bytes")
