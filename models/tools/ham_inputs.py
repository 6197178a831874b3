"""Real dermoscopic inputs for the default model: the shared HAM10000 224x224 copies.

Used by `export_default.py`. The folder `../shared/data/ham10000-224/` (relative to the
repository root) holds 5,984 HAM10000 training images, one per lesion, and the dataset's
metadata rows for them (see its ATTRIBUTION.md: CC BY-NC 4.0, never copied into the
repository). sklesion's model was trained on HAM10000, so these pictures measure how
faithfully a converted model reproduces the Keras model on the kind of picture it was made
for; they make no accuracy claim.

Everything here is deterministic:

* `split` draws a calibration set and an evaluation set **by lesion_id** (no lesion on
  both sides) from a seeded NumPy generator, class by class: the calibration set takes
  `round(share * n_class)` lesions of each class (a sample in the dataset's own class
  proportions), and the evaluation set takes up to `per_class_cap` of each class's
  remaining lesions. The cap keeps the rare classes (df 60, vasc 80 images in all) well
  represented, so that balanced accuracy (the mean of per-class recalls) moves by at most
  a fraction of a percent per changed prediction, without spending hours on nevi.
* `load_image` decodes the JPEG bytes with `tf.io.decode_jpeg(channels=3,
  dct_method="INTEGER_ACCURATE")`: libjpeg-turbo's own default decoding (accurate integer
  IDCT, fancy chroma upsampling), bit-identical to Pillow's and to LesionScan's decoder.
  TensorFlow's default `dct_method` is the fast integer IDCT, which differs by up to a few
  grey levels; sklesion's `predict_P` uses that default, its training code is not
  published. Then `tf.image.resize` to 254x254, bilinear. LesionScan passes
  `antialias=True`; for these 224 -> 254 enlargements it equals sklesion's
  `antialias=False` (asserted on the first images by export_default.py).
* the metadata vector comes from the image's own row (age, sex, localization) through
  `eval_inputs.encode_metadata`, the encoder checked against sklesion's.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
import os
from typing import Optional

import numpy as np

import eval_inputs as ei

CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
DCT_METHOD = "INTEGER_ACCURATE"


@dataclasses.dataclass(frozen=True)
class HamImage:
    """One row of HAM10000_metadata.csv."""

    image_id: str
    lesion_id: str
    dx: str
    age: Optional[float]
    sex: Optional[str]
    localization: Optional[str]

    @property
    def label(self) -> int:
        return CLASSES.index(self.dx)

    def metadata(self) -> np.ndarray:
        return ei.encode_metadata(self.age, self.sex, self.localization)

    def as_json(self) -> dict:
        return {
            "image_id": self.image_id,
            "lesion_id": self.lesion_id,
            "dx": self.dx,
            "patient": {"age": self.age, "sex": self.sex, "site": self.localization},
        }


def read_rows(folder: str) -> list:
    """Every row of the folder's metadata CSV whose image file exists, in image_id order."""
    rows = []
    with open(os.path.join(folder, "HAM10000_metadata.csv"), newline="") as f:
        for r in csv.DictReader(f):
            age = float(r["age"]) if r["age"].strip() else None
            if age is not None and math.isnan(age):
                age = None
            # HAM10000 writes "unknown" for a missing sex or site; the encoder maps both
            # the absent value and "unknown" to the model's "unknown" slot.
            sex = r["sex"] if r["sex"] in ("female", "male") else None
            loc = r["localization"] or None
            rows.append(HamImage(r["image_id"], r["lesion_id"], r["dx"], age, sex, loc))
    rows.sort(key=lambda r: r.image_id)
    missing = [r.image_id for r in rows if not os.path.exists(image_path(folder, r))]
    if missing:
        raise SystemExit(f"{len(missing)} images listed in the CSV are missing, e.g. {missing[:3]}")
    assert all(r.dx in CLASSES for r in rows)
    return rows


def image_path(folder: str, row: HamImage) -> str:
    return os.path.join(folder, "images", row.image_id + ".jpg")


def split(rows: list, seed: int, calibration_share: float, per_class_cap: int) -> tuple:
    """(calibration, evaluation): disjoint by lesion_id, see the module docstring."""
    rng = np.random.default_rng(seed)
    by_lesion = {}
    for r in rows:
        by_lesion.setdefault(r.lesion_id, []).append(r)
    calibration, evaluation = [], []
    for dx in CLASSES:
        # A lesion's class is its first image's (HAM10000 gives every image of a lesion
        # the same dx); lesions are shuffled, then cut.
        lesions = sorted(lid for lid, imgs in by_lesion.items() if imgs[0].dx == dx)
        order = rng.permutation(len(lesions))
        lesions = [lesions[i] for i in order]
        n_cal = int(round(calibration_share * len(lesions)))
        cal, rest = lesions[:n_cal], lesions[n_cal:]
        ev = rest[:per_class_cap]
        calibration += [img for lid in cal for img in by_lesion[lid]]
        evaluation += [img for lid in ev for img in by_lesion[lid]]
    cal_lesions = {r.lesion_id for r in calibration}
    assert not cal_lesions & {r.lesion_id for r in evaluation}, "a lesion on both sides"
    calibration.sort(key=lambda r: r.image_id)
    evaluation.sort(key=lambda r: r.image_id)
    return calibration, evaluation


def load_image(folder: str, row: HamImage, antialias: bool = True) -> np.ndarray:
    """254x254x3 float32 0..255, decoded and resized as described in the module docstring."""
    import tensorflow as tf

    data = tf.io.read_file(image_path(folder, row))
    rgb = tf.cast(tf.io.decode_jpeg(data, channels=3, dct_method=DCT_METHOD), tf.float32)
    out = tf.image.resize(rgb[None], [ei.IMAGE_SIZE, ei.IMAGE_SIZE], method="bilinear", antialias=antialias)
    return out.numpy()[0].astype(np.float32)


def load_many(folder: str, rows: list) -> tuple:
    """(images N x 254 x 254 x 3, metadata N x 10, labels N) for rows."""
    X = np.stack([load_image(folder, r) for r in rows])
    M = np.stack([r.metadata() for r in rows])
    y = np.array([r.label for r in rows], dtype=np.int64)
    return X, M, y


def fingerprint(folder: str, rows: list) -> str:
    """SHA-256 over the listed image files' bytes and their metadata rows (a cache key)."""
    h = hashlib.sha256(f"decode_jpeg {DCT_METHOD}, resize 254 bilinear".encode())
    for r in rows:
        h.update(repr(dataclasses.astuple(r)).encode())
        with open(image_path(folder, r), "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def class_counts(rows: list) -> dict:
    return {dx: sum(r.dx == dx for r in rows) for dx in CLASSES}
