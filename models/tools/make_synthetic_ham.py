#!/usr/bin/env python3
"""Make a tiny SYNTHETIC dataset in the HAM10000 layout, for smoke-testing train.py.

The pictures are coloured blobs on skin-like backgrounds. They are not lesions and mean
nothing clinically; they only let the training recipe run end to end in minutes, with no
download. Each class has its own blob hue and shape, so a model can learn them:

    akiec  pink-red, rough irregular patch        bcc   pearly pink, ring (raised rim)
    bkl    light brown, rounded square            df    tan, small round dot
    mel    dark brown/black, star-like, blotchy   nv    mid brown, smooth ellipse
    vasc   red-purple, several small blobs

Blob position, size, rotation, skin tone, lighting and noise vary per image, and every
image of one lesion is a slightly different view of the same blob (as in HAM10000, where
a lesion can have several dermatoscopic images), so a split by image would leak.

Layout written under --out (as in the Kaggle release of HAM10000):

    HAM10000_metadata.csv          lesion_id,image_id,dx,dx_type,age,sex,localization
    HAM10000_images_part_1/<image_id>.jpg   about half of the images
    HAM10000_images_part_2/<image_id>.jpg   the rest

Usage (numpy and Pillow only; a few seconds):

    python3 models/tools/make_synthetic_ham.py --out /tmp/synth_ham --per-class 4

--per-class is the number of IMAGES per class; lesions get 1 to 3 images each, so most
classes have fewer lesions than images. The same --seed gives the same files.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]

# Per class: blob colour (RGB), shape, and how HAM10000 usually confirmed the diagnosis.
STYLE = {
    "akiec": ((205, 85, 90), "irregular", "histo"),
    "bcc": ((235, 180, 190), "ring", "histo"),
    "bkl": ((175, 130, 90), "square", "histo"),
    "df": ((190, 150, 110), "dot", "histo"),
    "mel": ((45, 30, 25), "star", "histo"),
    "nv": ((120, 75, 45), "ellipse", "follow_up"),
    "vasc": ((150, 30, 80), "cluster", "consensus"),
}

LOCALIZATIONS = [
    "abdomen", "back", "chest", "face", "foot", "hand", "lower extremity", "neck",
    "scalp", "trunk", "upper extremity", "unknown",
]

WIDTH, HEIGHT = 600, 450  # HAM10000 image size


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="output directory (created)")
    p.add_argument("--per-class", type=int, default=4, help="images per class (default 4)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--size", type=int, nargs=2, default=[WIDTH, HEIGHT], metavar=("W", "H"),
                   help="image size in pixels (default 600 450, as HAM10000)")
    args = p.parse_args(argv)
    if args.per_class < 2:
        p.error("--per-class must be at least 2 (a class needs a lesion on each side of the split)")
    return args


def skin_background(rng, w, h):
    """A smooth skin-tone field with a lighting gradient, a dark dermatoscope vignette and noise."""
    base = np.array([rng.uniform(200, 240), rng.uniform(150, 190), rng.uniform(120, 160)])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    grad = ((xx / w - 0.5) * math.cos(angle) + (yy / h - 0.5) * math.sin(angle)) * rng.uniform(10, 35)
    r = np.hypot(xx / w - 0.5, (yy / h - 0.5) * h / w) / 0.5
    vignette = np.clip(1.0 - 0.6 * np.clip(r - 0.8, 0, None) / 0.4, 0.3, 1.0)
    img = (base[None, None, :] + grad[..., None]) * vignette[..., None]
    img += rng.normal(0, 4, size=img.shape)
    return img


def blob_mask(rng, shape, w, h, cx, cy, size, rot):
    """Greyscale mask (PIL 'L') of one blob of the given shape."""
    mask = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(mask)

    def poly(radii):
        n = len(radii)
        return [
            (cx + r * math.cos(rot + 2 * math.pi * i / n), cy + r * math.sin(rot + 2 * math.pi * i / n))
            for i, r in enumerate(radii)
        ]

    if shape == "ellipse":
        a, b = size, size * 0.65
        pts = []
        for i in range(72):
            t = 2 * math.pi * i / 72
            x, y = a * math.cos(t), b * math.sin(t)
            pts.append((cx + x * math.cos(rot) - y * math.sin(rot), cy + x * math.sin(rot) + y * math.cos(rot)))
        d.polygon(pts, fill=255)
    elif shape == "dot":
        s = size * 0.55
        d.ellipse([cx - s, cy - s, cx + s, cy + s], fill=255)
    elif shape == "ring":
        d.ellipse([cx - size, cy - size, cx + size, cy + size], fill=255)
        s = size * 0.55
        d.ellipse([cx - s, cy - s, cx + s, cy + s], fill=110)
    elif shape == "square":
        s = size * 0.85
        d.rounded_rectangle([cx - s, cy - s, cx + s, cy + s], radius=s * 0.3, fill=255)
        mask = mask.rotate(math.degrees(rot), center=(cx, cy))
    elif shape == "star":
        d.polygon(poly([size * (1.15 if i % 2 == 0 else 0.55) * rng.uniform(0.85, 1.15) for i in range(14)]),
                  fill=255)
    elif shape == "irregular":
        d.polygon(poly([size * rng.uniform(0.6, 1.2) for _ in range(24)]), fill=255)
    elif shape == "cluster":
        for _ in range(int(rng.integers(4, 8))):
            s = size * rng.uniform(0.2, 0.4)
            ox, oy = rng.uniform(-size, size, size=2)
            d.ellipse([cx + ox - s, cy + oy - s, cx + ox + s, cy + oy + s], fill=255)
    else:
        raise ValueError(shape)
    return mask


def lesion_params(rng, w, h):
    """What stays the same across the images of one lesion."""
    return {
        "cx": rng.uniform(0.35, 0.65) * w,
        "cy": rng.uniform(0.35, 0.65) * h,
        "size": rng.uniform(0.14, 0.24) * min(w, h),
        "rot": rng.uniform(0, 2 * math.pi),
        "blob_seed": int(rng.integers(0, 2**31)),
    }


def render(rng, dx, lesion, w, h):
    colour, shape, _ = STYLE[dx]
    img = skin_background(rng, w, h)
    # Another view of the same lesion: moved, rescaled and turned a little.
    cx = lesion["cx"] + rng.uniform(-0.05, 0.05) * w
    cy = lesion["cy"] + rng.uniform(-0.05, 0.05) * h
    size = lesion["size"] * rng.uniform(0.9, 1.1)
    rot = lesion["rot"] + rng.uniform(-0.3, 0.3)
    mask = blob_mask(np.random.default_rng(lesion["blob_seed"]), shape, w, h, cx, cy, size, rot)
    mask = mask.filter(ImageFilter.GaussianBlur(radius=max(1.0, size * 0.06)))
    alpha = np.asarray(mask, dtype=np.float32)[..., None] / 255.0
    col = np.array(colour, dtype=np.float32) * rng.uniform(0.9, 1.1)
    texture = rng.normal(0, 10 if dx in ("mel", "akiec") else 4, size=(h, w, 1))
    blob = col[None, None, :] + texture
    img = img * (1 - 0.92 * alpha) + blob * 0.92 * alpha
    img *= rng.uniform(0.85, 1.1)  # exposure
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def main(argv=None):
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    w, h = args.size
    parts = [os.path.join(args.out, "HAM10000_images_part_1"), os.path.join(args.out, "HAM10000_images_part_2")]
    for d in parts:
        os.makedirs(d, exist_ok=True)

    rows = []
    image_no, lesion_no = 24306, 0  # ISIC ids in HAM10000 start at ISIC_0024306
    for dx in CLASSES:
        remaining = args.per_class
        while remaining > 0:
            # 1 to 3 images per lesion; always leave room for a second lesion in each class.
            first = remaining == args.per_class
            cap = min(3, remaining - 1) if first else min(3, remaining)
            n_img = int(rng.integers(1, cap + 1))
            remaining -= n_img
            lesion_id = f"HAM_{lesion_no:07d}"
            lesion_no += 1
            lesion = lesion_params(rng, w, h)
            age = int(rng.choice(np.arange(5, 90, 5))) if rng.random() > 0.02 else ""
            sex = str(rng.choice(["male", "female", "unknown"], p=[0.53, 0.45, 0.02]))
            loc = str(rng.choice(LOCALIZATIONS))
            dx_type = STYLE[dx][2]
            for _ in range(n_img):
                image_id = f"ISIC_{image_no:07d}"
                image_no += 1
                folder = parts[int(rng.integers(0, 2))]
                render(rng, dx, lesion, w, h).save(os.path.join(folder, image_id + ".jpg"), quality=90)
                rows.append([lesion_id, image_id, dx, dx_type, age, sex, loc])

    # HAM10000's CSV is not ordered by class; shuffle rows like the real file.
    order = rng.permutation(len(rows))
    csv_path = os.path.join(args.out, "HAM10000_metadata.csv")
    with open(csv_path, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["lesion_id", "image_id", "dx", "dx_type", "age", "sex", "localization"])
        for i in order:
            wr.writerow(rows[i])

    lesions = {}
    for r in rows:
        lesions.setdefault(r[2], set()).add(r[0])
    print(f"wrote {len(rows)} images of {lesion_no} lesions to {args.out} (SYNTHETIC, not clinical data)")
    for dx in CLASSES:
        n = sum(1 for r in rows if r[2] == dx)
        print(f"  {dx:5s} {n:3d} images, {len(lesions[dx]):3d} lesions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
