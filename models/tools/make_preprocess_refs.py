#!/usr/bin/env python3
"""Writes the reference data that tests/image_pipeline.rs compares the Rust image
pipeline against.

Run from the repository root:  python3 models/tools/make_preprocess_refs.py
Needs: tensorflow==2.21.0, pillow==13.0.0 (its wheels bundle libjpeg-turbo 3.2.0), numpy.

Writes
  tests/data/preprocess/skin_crop_300x260.png  300x260 crop of tests/data/phone_skin_moles.jpg
                                               (decoded by TensorFlow), lossless PNG
  tests/data/preprocess/tiny_40x30.png         40x30 synthetic picture for the upscale case
  tests/data/preprocess/*.f32                  TensorFlow outputs, float32 little-endian,
                                               HWC (rows, columns, R G B), 0..255 scale
  tests/data/preprocess/manifest.json          how each .f32 was made
  tests/data/jpeg/*.jpg                        480x360 crops of the phone photo re-encoded by
                                               Pillow: baseline and progressive, 4:2:0, 4:2:2
                                               (with restart markers), 4:4:4, grey, CMYK, and an
                                               odd-sized progressive one
  tests/data/jpeg/manifest.json                for each of them and for the phone photo: SHA-256
                                               of the RGB pixels decoded by Pillow in full and at
                                               1/2, 1/4, 1/8 scale (`draft`), and whether
                                               TensorFlow's decode_jpeg gives the same pixels with
                                               dct_method INTEGER_ACCURATE and with its default
  tests/data/jpeg/ham10000_pillow_sha256.tsv   per HAM10000 picture in ../shared/data/ham10000-224
                                               (when present): the first 16 hex digits of the
                                               SHA-256 of its RGB pixels decoded by Pillow; the
                                               pictures themselves are not copied
  tests/data/orientation/upright.png           64x48 synthetic upright picture
  tests/data/orientation/o{1..8}.{jpg,png,tif,webp}
                                               the upright picture stored so that EXIF
                                               orientation n makes it upright again

EXIF orientation: TensorFlow's decoders ignore it. tests/data/phone_skin_moles.jpg carries
orientation 1 (checked below), so its TF-decoded pixels are already upright and no
transform is applied; the script stops if that ever changes.
"""

import hashlib
import io
import json
import os
import sys

import numpy as np
from PIL import Image, features
import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data")
OUT = os.path.join(DATA, "preprocess")
ORIENT = os.path.join(DATA, "orientation")
PHOTO = os.path.join(DATA, "phone_skin_moles.jpg")

manifest = {
    "generator": "models/tools/make_preprocess_refs.py",
    "tensorflow": tf.__version__,
    "layout": "float32 little-endian, HWC, RGB, 0..255 (not rounded)",
    "references": [],
}


def save_ref(name, tensor, **how):
    arr = np.asarray(tensor, dtype="<f4")
    assert arr.ndim == 3 and arr.shape[2] == 3, arr.shape
    arr.tofile(os.path.join(OUT, name))
    manifest["references"].append(
        dict(file=name, height=int(arr.shape[0]), width=int(arr.shape[1]), **how)
    )


def tf_resize(img, height, width, antialias):
    """tf.image.resize(method="bilinear") on an HWC uint8 or float tensor."""
    return tf.image.resize(img, [height, width], method="bilinear", antialias=antialias).numpy()


def center_crop(img, tw, th):
    """The crate's documented rule: cw = min(W, round(H*tw/th)), ch = min(H, round(W*th/tw)),
    halves rounded up, at least 1, offset (W-cw)//2, (H-ch)//2."""
    h, w = int(img.shape[0]), int(img.shape[1])
    cw = max(1, min(w, (2 * h * tw + th) // (2 * th)))
    ch = max(1, min(h, (2 * w * th + tw) // (2 * tw)))
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    return img[y0 : y0 + ch, x0 : x0 + cw, :], (x0, y0, cw, ch)


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(ORIENT, exist_ok=True)

    with Image.open(PHOTO) as im:
        orientation = im.getexif().get(0x0112, 1)
    if orientation != 1:
        sys.exit(f"{PHOTO} has EXIF orientation {orientation}; extend the script to apply it")

    # (a) The phone photo, decoded by TensorFlow (libjpeg-turbo), large downscale:
    # both axes shrink by more than 2x, so the crate uses the antialiased path.
    # tf.io.decode_jpeg defaults to dct_method="" = INTEGER_FAST (libjpeg's JDCT_IFAST),
    # which differs from the accurate integer IDCT (what PIL, libjpeg-turbo's default and
    # the crate's zune-jpeg decoder approximate) by up to 7 grey levels per pixel, mean 0.9.
    # The stretch reference uses TF's default, the centre-crop one the accurate IDCT, so
    # the tests measure both.
    raw = tf.io.read_file(PHOTO)
    photo_fast = tf.io.decode_jpeg(raw, channels=3)
    photo = tf.io.decode_jpeg(raw, channels=3, dct_method="INTEGER_ACCURATE")
    ph, pw = int(photo.shape[0]), int(photo.shape[1])
    save_ref(
        "photo_stretch_224x224.f32",
        tf_resize(photo_fast, 224, 224, antialias=True),
        source="phone_skin_moles.jpg", decoder="tf.io.decode_jpeg (default dct_method: INTEGER_FAST)", exif_orientation=orientation,
        fit="stretch", op="tf.image.resize(bilinear, antialias=True)",
    )
    cropped, box = center_crop(photo.numpy(), 128, 128)
    save_ref(
        "photo_center_crop_128x128.f32",
        tf_resize(cropped, 128, 128, antialias=True),
        source="phone_skin_moles.jpg", decoder="tf.io.decode_jpeg(dct_method=INTEGER_ACCURATE)", exif_orientation=orientation,
        fit="center_crop", crop_xywh=list(box), op="tf.image.resize(bilinear, antialias=True)",
    )

    # (b) A 300x260 crop of the TF-decoded photo as lossless PNG, so that resampling is
    # compared without any JPEG decoder difference.
    x0, y0 = (pw - 300) // 2 + 100, (ph - 260) // 2
    crop = photo.numpy()[y0 : y0 + 260, x0 : x0 + 300, :]
    Image.fromarray(crop).save(os.path.join(OUT, "skin_crop_300x260.png"), optimize=True)
    src = dict(source="preprocess/skin_crop_300x260.png", fit="stretch")
    # Both scales below 2: plain bilinear (half-pixel centres).
    save_ref("crop_bilinear_224x224.f32", tf_resize(crop, 224, 224, False),
             op="tf.image.resize(bilinear, antialias=False)", **src)
    save_ref("crop_bilinear_160x200.f32", tf_resize(crop, 200, 160, False),
             op="tf.image.resize(bilinear, antialias=False)", **src)
    # Both scales at or above 2: antialiased.
    save_ref("crop_antialias_128x128.f32", tf_resize(crop, 128, 128, True),
             op="tf.image.resize(bilinear, antialias=True)", **src)
    # Mixed: width 300 -> 100 (scale 3, antialiased), height 260 -> 150 (1.73, bilinear).
    # One axis at a time; resizing an axis to its own length is the identity in both ops.
    step = tf_resize(crop, 260, 100, True)
    save_ref("crop_mixed_100x150.f32", tf_resize(step, 150, 100, False),
             op="width: resize(antialias=True) to 100, then height: resize(antialias=False) to 150",
             **src)
    # ROI and rotation: rotate 90 degrees clockwise, take the ROI x=0.1 y=0.2 w=0.6 h=0.5
    # of the rotated picture rounded outwards, resize to 96x80 (scales 1.63 and 1.88).
    rotated = np.rot90(crop, k=-1)  # clockwise
    rh, rw = rotated.shape[:2]
    rx0, rx1 = int(np.floor(0.1 * rw)), int(np.ceil(0.7 * rw - 1e-6))
    ry0, ry1 = int(np.floor(0.2 * rh)), int(np.ceil(0.7 * rh - 1e-6))
    save_ref("crop_rot90_roi_96x80.f32", tf_resize(np.ascontiguousarray(rotated[ry0:ry1, rx0:rx1]), 80, 96, False),
             source="preprocess/skin_crop_300x260.png", fit="stretch", rotation=90,
             roi=[0.1, 0.2, 0.6, 0.5], roi_pixels_xyxy=[rx0, ry0, rx1, ry1],
             op="np.rot90(k=-1), slice, tf.image.resize(bilinear, antialias=False)")

    # Upscale on both axes from a small synthetic picture.
    yy, xx = np.mgrid[0:30, 0:40]
    tiny = np.stack([xx * 6, yy * 8, (xx * yy) % 256], axis=-1).astype(np.uint8)
    tiny[10:20, 15:25] = [250, 30, 60]
    Image.fromarray(tiny).save(os.path.join(OUT, "tiny_40x30.png"))
    save_ref("tiny_upscale_64x48.f32", tf_resize(tiny, 48, 64, False),
             source="preprocess/tiny_40x30.png", fit="stretch",
             op="tf.image.resize(bilinear, antialias=False)")

    write_orientation_fixtures()
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    write_jpeg_references()


JPEG_DIR = os.path.join(DATA, "jpeg")
HAM = os.path.join(ROOT, "..", "shared", "data", "ham10000-224", "images")


def sha256_rgb(pixels):
    """SHA-256 of HWC uint8 RGB pixels, row-major: what tests/image_pipeline.rs hashes."""
    arr = np.ascontiguousarray(np.asarray(pixels, dtype=np.uint8))
    assert arr.ndim == 3 and arr.shape[2] == 3, arr.shape
    return hashlib.sha256(arr.tobytes()).hexdigest()


def pillow_rgb(data, numerator=8):
    """Pillow's decode, at numerator/8 of the size via draft() (libjpeg's DCT scaling)."""
    with Image.open(io.BytesIO(data)) as im:
        w, h = im.size
        if numerator != 8:
            # draft() picks the largest 1/d with size // requested >= d; ask for size // d.
            d = 8 // numerator
            im.draft(im.mode, (w // d, h // d))
            want = (-(-w * numerator // 8), -(-h * numerator // 8))
            assert im.size == want, (im.size, want)
        return np.asarray(im.convert("RGB"))


def tf_rgb(data, dct_method, ratio=1):
    kwargs = {} if dct_method is None else {"dct_method": dct_method}
    return tf.io.decode_jpeg(data, channels=3, ratio=ratio, **kwargs).numpy()


def write_jpeg_references():
    os.makedirs(JPEG_DIR, exist_ok=True)
    with Image.open(PHOTO) as im:
        photo = im.convert("RGB")
    # A mole-rich part of the photo, and an odd-sized one that ends inside a block.
    crop = photo.crop((520, 400, 1000, 760))
    odd = photo.crop((300, 900, 633, 1151))
    variants = [
        ("crop_baseline_420.jpg", crop, dict(quality=90, subsampling="4:2:0")),
        ("crop_progressive_420.jpg", crop, dict(quality=90, subsampling="4:2:0", progressive=True)),
        ("crop_baseline_444.jpg", crop, dict(quality=90, subsampling="4:4:4")),
        ("crop_progressive_444.jpg", crop, dict(quality=90, subsampling="4:4:4", progressive=True)),
        ("crop_baseline_422_restarts.jpg", crop, dict(quality=85, subsampling="4:2:2", restart_marker_rows=1)),
        ("crop_grey.jpg", crop.convert("L"), dict(quality=90)),
        ("crop_cmyk.jpg", crop.convert("CMYK"), dict(quality=90)),
        ("odd_333x251_progressive_420.jpg", odd, dict(quality=80, subsampling="4:2:0", progressive=True)),
    ]
    refs = {
        "generator": "models/tools/make_preprocess_refs.py",
        "pillow": Image.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "tensorflow": tf.__version__,
        "hash": "SHA-256 of the decoded RGB pixels, HWC uint8, row-major",
        "files": [],
    }
    for name, picture, options in variants:
        path = os.path.join(JPEG_DIR, name)
        picture.save(path, "JPEG", **options)
        refs["files"].append(describe_jpeg(f"jpeg/{name}", path))
    refs["files"].append(describe_jpeg("phone_skin_moles.jpg", PHOTO))
    with open(os.path.join(JPEG_DIR, "manifest.json"), "w") as f:
        json.dump(refs, f, indent=1)
        f.write("\n")
    write_ham_hashes()


def describe_jpeg(rel, path):
    with open(path, "rb") as f:
        data = f.read()
    with Image.open(io.BytesIO(data)) as im:
        info = dict(size=list(im.size), mode=im.mode, progressive=bool(im.info.get("progressive")))
    full = pillow_rgb(data)
    entry = dict(file=rel, **info, pillow_sha256=sha256_rgb(full))
    for n in (4, 2, 1):
        entry[f"pillow_draft_{n}_8_sha256"] = sha256_rgb(pillow_rgb(data, n))
    if info["mode"] != "CMYK":  # tf.io.decode_jpeg does not convert CMYK to RGB
        accurate = tf_rgb(data, "INTEGER_ACCURATE")
        default = tf_rgb(data, None)
        entry["tf_integer_accurate_equals_pillow"] = bool(np.array_equal(accurate, full))
        entry["tf_default_equals_pillow"] = bool(np.array_equal(default, full))
        entry["tf_default_max_abs_diff"] = int(np.abs(default.astype(int) - full.astype(int)).max())
        for n in (4, 2, 1):
            ratio = 8 // n
            scaled = tf_rgb(data, "INTEGER_ACCURATE", ratio=ratio)
            entry[f"tf_ratio_{ratio}_accurate_equals_pillow_draft"] = bool(
                np.array_equal(scaled, pillow_rgb(data, n))
            )
    return entry


def write_ham_hashes():
    if not os.path.isdir(HAM):
        print(f"SKIPPED: {HAM} not found; tests/data/jpeg/ham10000_pillow_sha256.tsv not rewritten")
        return
    names = sorted(n for n in os.listdir(HAM) if n.endswith(".jpg"))
    rows = []
    same_accurate = same_default = 0
    for name in names:
        with open(os.path.join(HAM, name), "rb") as f:
            data = f.read()
        pil = pillow_rgb(data)
        same_accurate += np.array_equal(tf_rgb(data, "INTEGER_ACCURATE"), pil)
        same_default += np.array_equal(tf_rgb(data, None), pil)
        rows.append(f"{name[:-4]}\t{sha256_rgb(pil)[:16]}\n")
    with open(os.path.join(JPEG_DIR, "ham10000_pillow_sha256.tsv"), "w") as f:
        f.write("# image_id\tsha256_16 (first 16 hex digits of the SHA-256 of the RGB pixels Pillow decodes)\n")
        f.writelines(rows)
    summary = dict(
        images=len(names),
        tf_integer_accurate_equals_pillow=int(same_accurate),
        tf_default_equals_pillow=int(same_default),
    )
    with open(os.path.join(JPEG_DIR, "ham10000_summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    print("HAM10000:", summary)


# EXIF orientation n: the transform that, applied to the stored picture, shows it upright
# (PIL's ImageOps.exif_transpose uses the same table). We store the inverse transform of
# the upright picture.
TO_UPRIGHT = {
    1: [],
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],  # PIL rotates counter-clockwise: this is 90 clockwise
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}
INVERSE = {
    Image.Transpose.FLIP_LEFT_RIGHT: Image.Transpose.FLIP_LEFT_RIGHT,
    Image.Transpose.FLIP_TOP_BOTTOM: Image.Transpose.FLIP_TOP_BOTTOM,
    Image.Transpose.ROTATE_180: Image.Transpose.ROTATE_180,
    Image.Transpose.TRANSPOSE: Image.Transpose.TRANSPOSE,
    Image.Transpose.TRANSVERSE: Image.Transpose.TRANSVERSE,
    Image.Transpose.ROTATE_90: Image.Transpose.ROTATE_270,
    Image.Transpose.ROTATE_270: Image.Transpose.ROTATE_90,
}


def write_orientation_fixtures():
    # 8x8 blocks of one colour each (so JPEG at quality 100 without chroma subsampling is
    # nearly lossless), no symmetry, so every wrong transform shows.
    w, h = 64, 48
    by, bx = np.mgrid[0 : h // 8, 0 : w // 8]
    blocks = np.stack([bx * 30 + 10, by * 40 + 20, (bx * 7 + by * 53) % 200 + 30], axis=-1)
    upright = np.kron(blocks, np.ones((8, 8, 1))).astype(np.uint8)
    upright[0:8, 0:8] = [255, 255, 255]  # a white top-left corner
    up = Image.fromarray(upright)
    up.save(os.path.join(ORIENT, "upright.png"))
    for n in range(1, 9):
        stored = up
        for t in reversed(TO_UPRIGHT[n]):
            stored = stored.transpose(INVERSE[t])
        # Check: PIL's exif_transpose must give the upright picture back.
        exif = Image.Exif()
        exif[0x0112] = n
        check = io.BytesIO()
        stored.save(check, "PNG", exif=exif.tobytes())
        from PIL import ImageOps
        back = ImageOps.exif_transpose(Image.open(io.BytesIO(check.getvalue())))
        assert np.array_equal(np.asarray(back), upright), n
        base = os.path.join(ORIENT, f"o{n}")
        stored.save(base + ".jpg", "JPEG", quality=100, subsampling=0, exif=exif.tobytes())
        stored.save(base + ".png", "PNG", exif=exif.tobytes())
        stored.save(base + ".webp", "WEBP", lossless=True, exif=exif.tobytes())
        stored.save(base + ".tif", "TIFF", tiffinfo={0x0112: n})


if __name__ == "__main__":
    main()
