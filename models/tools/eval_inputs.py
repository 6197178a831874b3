"""Evaluation inputs for the default model, built from the one real photo we have.

Used by `export_default.py`. Everything here is deterministic: a list of input
*recipes* is drawn from a seeded NumPy generator, and each recipe is turned into
an image tensor and a metadata vector by fixed code.

The source photo is `tests/data/phone_skin_moles.jpg` (1528x1360 phone photo of
hairy skin with several small moles, see `tests/data/ATTRIBUTION.md`). No other
real skin image exists on the build machines (site-packages were searched for
.jpg/.png; none shows skin), so every input is a crop of this photo:

* a crop centre: one of five marked spots (four small moles and a scratch-like
  mark, located by hand on the upright image and refined to the darkness-weighted
  centroid) or one of four patches of plain skin;
* a square crop side in pixels of the upright image (48..640), jittered around
  the centre; the box is shifted, never shrunk, to stay inside the image;
* resize of the crop to 254x254 with `tf.image.resize(method="bilinear",
  antialias=True)` on float32 0..255 values (the recipe the Rust end-to-end test
  reproduces);
* an optional photometric/geometric transform applied after resizing: flips,
  90-degree rotations, brightness and contrast changes (clipped to 0..255);
* a patient (age / sex / HAM10000 localisation, each possibly missing) encoded
  with `encode_metadata`, which reproduces sklesion 0.2.2's own preprocessing.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np

# --------------------------------------------------------------------------------------
# Metadata encoding (sklesion 0.2.2)
# --------------------------------------------------------------------------------------
# sklesion/model.py::SkinLesionClassifier.preprocess builds the 10-value vector as
#   oh_map["sex"][sex] (3) + oh_map["loc"][location] (5) + [age / age_max] + [age_missing]
# with, from sklesion/model_props.pkl,
#   sex: female [1,0,0], male [0,1,0], unknown [0,0,1]
#   loc: arm, head-or-neck, leg-or-genital, trunk, unknown (one-hot in that order)
#   age_max = 90.0, age_mean = 51.90180032733224 (used when age is missing, before
#   dividing by age_max), age_missing = 1 when age is missing else 0.
# export_default.py re-reads model_props.pkl and asserts these constants.
SEX_INDEX = {"female": 0, "male": 1}
SEX_MISSING_INDEX = 2
LOC_GROUP_INDEX = {"arm": 3, "head-or-neck": 4, "leg-or-genital": 5, "trunk": 6, "unknown": 7}
AGE_INDEX = 8
AGE_DIVIDE_BY = 90.0
AGE_MEAN = 51.90180032733224
AGE_MISSING_FLAG_INDEX = 9
META_LENGTH = 10

# sklesion takes the five group names above as `location`, not HAM10000's own
# `localization` values, and ships no mapping between them (its training code is not
# in the package). This grouping of the 15 HAM10000 values is ours, read from the
# group names: "acral" (palms/soles) cannot be placed on arm or leg, so it is unknown.
HAM_LOCALIZATION_TO_GROUP = {
    "abdomen": "trunk",
    "acral": "unknown",
    "back": "trunk",
    "chest": "trunk",
    "ear": "head-or-neck",
    "face": "head-or-neck",
    "foot": "leg-or-genital",
    "genital": "leg-or-genital",
    "hand": "arm",
    "lower extremity": "leg-or-genital",
    "neck": "head-or-neck",
    "scalp": "head-or-neck",
    "trunk": "trunk",
    "upper extremity": "arm",
    "unknown": "unknown",
}


def site_group(localization: Optional[str]) -> str:
    """sklesion's location group for a HAM10000 localisation (None -> "unknown")."""
    if localization is None:
        return "unknown"
    return HAM_LOCALIZATION_TO_GROUP.get(localization, "unknown")


def encode_metadata(age: Optional[float], sex: Optional[str], localization: Optional[str]) -> np.ndarray:
    """The 10-value float32 metadata vector sklesion's model expects."""
    v = np.zeros(META_LENGTH, dtype=np.float32)
    v[SEX_INDEX.get(sex, SEX_MISSING_INDEX) if sex is not None else SEX_MISSING_INDEX] = 1.0
    v[LOC_GROUP_INDEX[site_group(localization)]] = 1.0
    if age is None:
        v[AGE_INDEX] = AGE_MEAN / AGE_DIVIDE_BY
        v[AGE_MISSING_FLAG_INDEX] = 1.0
    else:
        v[AGE_INDEX] = float(age) / AGE_DIVIDE_BY
    return v


# --------------------------------------------------------------------------------------
# Image recipes
# --------------------------------------------------------------------------------------
IMAGE_SIZE = 254

# (name, x, y) in pixels of the upright (EXIF-transposed) photo, 1528 wide x 1360 high.
CENTRES = [
    ("mole_a_upper_left", 111, 206),
    ("mole_b_faint", 627, 372),
    ("mole_c_dark", 615, 694),
    ("mark_d_scratch", 915, 1140),
    ("mole_e_small", 1035, 1050),
    ("skin_1", 300, 1000),
    ("skin_2", 1300, 300),
    ("skin_3", 1250, 850),
    ("skin_4", 380, 520),
]

TRANSFORMS = [
    "none",
    "hflip",
    "vflip",
    "rot90",
    "rot180",
    "rot270",
    "bright0.75",
    "bright1.25",
    "contrast0.8",
    "contrast1.25",
    "hflip+bright1.15",
    "rot90+contrast1.1",
]

SIDES = [48, 64, 96, 128, 160, 192, 256, 320, 400, 512, 640]

HAM_LOCALIZATIONS = sorted(HAM_LOCALIZATION_TO_GROUP)


@dataclasses.dataclass(frozen=True)
class InputRecipe:
    """How one evaluation input is made."""

    id: str
    centre: str
    box: tuple  # (left, top, right, bottom) in pixels of the upright photo
    transform: str
    age: Optional[float]
    sex: Optional[str]
    localization: Optional[str]

    def metadata(self) -> np.ndarray:
        return encode_metadata(self.age, self.sex, self.localization)

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "centre": self.centre,
            "crop_box_ltrb": list(self.box),
            "transform": self.transform,
            "patient": {"age": self.age, "sex": self.sex, "site": self.localization},
            "metadata": [float(x) for x in self.metadata()],
        }


def square_box(cx: int, cy: int, side: int, width: int, height: int) -> tuple:
    """A side x side box centred on (cx, cy), shifted (not shrunk) to fit the image."""
    side = min(side, width, height)
    left = int(round(cx - side / 2))
    top = int(round(cy - side / 2))
    left = max(0, min(left, width - side))
    top = max(0, min(top, height - side))
    return (left, top, left + side, top + side)


def _random_patient(rng: np.random.Generator):
    age = None if rng.random() < 0.25 else float(rng.integers(1, 18) * 5)
    sex = [None, "female", "male", "unknown"][int(rng.choice(4, p=[0.15, 0.4, 0.4, 0.05]))]
    site = None if rng.random() < 0.15 else HAM_LOCALIZATIONS[int(rng.integers(len(HAM_LOCALIZATIONS)))]
    return age, sex, site


def make_recipes(seed: int, count: int, width: int, height: int, prefix: str, plain_first: bool) -> list:
    """`count` recipes drawn from `seed`.

    With `plain_first`, the first len(CENTRES) recipes are every centre at side 160,
    untransformed (these are the candidates for the Rust reference inputs).
    """
    rng = np.random.default_rng(seed)
    recipes = []
    for i in range(count):
        if plain_first and i < len(CENTRES):
            name, cx, cy = CENTRES[i]
            side, transform = 160, "none"
        else:
            name, cx, cy = CENTRES[i % len(CENTRES)]
            side = SIDES[int(rng.integers(len(SIDES)))]
            jitter = int(round(side * 0.15))
            cx += int(rng.integers(-jitter, jitter + 1))
            cy += int(rng.integers(-jitter, jitter + 1))
            transform = TRANSFORMS[int(rng.integers(len(TRANSFORMS)))]
        age, sex, site = _random_patient(rng)
        recipes.append(
            InputRecipe(
                id=f"{prefix}{i:03d}",
                centre=name,
                box=square_box(cx, cy, side, width, height),
                transform=transform,
                age=age,
                sex=sex,
                localization=site,
            )
        )
    return recipes


def load_upright(path: str):
    """The photo as an RGB PIL image with its EXIF orientation applied."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def resize_crop(upright, box) -> np.ndarray:
    """Crop `box` and resize to 254x254 float32 0..255 (bilinear, antialias=True)."""
    import tensorflow as tf

    crop = np.asarray(upright.crop(tuple(box)), dtype=np.float32)
    out = tf.image.resize(crop[None], [IMAGE_SIZE, IMAGE_SIZE], method="bilinear", antialias=True)
    return out.numpy()[0].astype(np.float32)


def apply_transform(x: np.ndarray, transform: str) -> np.ndarray:
    """Apply a '+'-joined sequence of transforms to an HxWx3 float 0..255 array."""
    for step in transform.split("+"):
        if step == "none":
            pass
        elif step == "hflip":
            x = x[:, ::-1]
        elif step == "vflip":
            x = x[::-1]
        elif step.startswith("rot"):
            x = np.rot90(x, k=int(step[3:]) // 90, axes=(0, 1))
        elif step.startswith("bright"):
            x = np.clip(x * float(step[6:]), 0.0, 255.0)
        elif step.startswith("contrast"):
            f = float(step[8:])
            mean = x.mean(axis=(0, 1), keepdims=True)
            x = np.clip((x - mean) * f + mean, 0.0, 255.0)
        else:
            raise ValueError(f"unknown transform step {step!r}")
    return np.ascontiguousarray(x, dtype=np.float32)


def build_image(upright, recipe: InputRecipe) -> np.ndarray:
    """The 254x254x3 float32 image tensor (no batch axis) for a recipe."""
    return apply_transform(resize_crop(upright, recipe.box), recipe.transform)


def _self_check() -> None:
    assert math.isclose(encode_metadata(None, None, None)[AGE_INDEX], AGE_MEAN / 90.0, rel_tol=1e-6)
    assert list(encode_metadata(30, "male", "back")) == [0, 1, 0, 0, 0, 0, 1, 0, np.float32(30 / 90), 0]


_self_check()
