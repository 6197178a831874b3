"""Calibrate the quality gate: degrade real pictures, measure them WITH THE RUST CODE, tabulate.

Every measure in the tables is computed by the library itself (the example binary
`examples/quality_measures.rs`, which prepares each picture exactly as the default model's
card asks and calls `lesionscan::measure_quality` / `QualityMeasures::judge`), so the
thresholds are chosen on the implementation that ships.

Pictures (nothing is downloaded; nothing of the shared data is written into the repository):
* `ham`: a class-stratified sample of the HAM10000 224x224 dermoscopic copies in
  `../shared/data/ham10000-224/` (at most PER_CLASS per diagnosis, seeded). CC BY-NC 4.0,
  Tschandl et al. 2018 (see that folder's ATTRIBUTION.md).
* `phone`: crops of the repository's phone photo `tests/data/phone_skin_moles.jpg`
  (iPhone, 1528x1360; from the Apache-2.0 PyPI package dermapred 0.0.3) centred on its four
  visible moles, 160, 240 and 320 pixels a side.
* negatives: windows of plain (hairy) skin from the phone photo, skin-only corners of HAM
  pictures whose lesion is small, and uniform pictures.

Degradations, with strengths in fractions of the picture's shorter side `s` so that they mean
the same thing at every resolution (blur and exposure work in linear light, as in a camera):
Gaussian blur (sigma 0.1 %..1.6 % of s), motion blur (a line 1 %..4 % of s, random angle),
exposure scaled by 2^stops (-3..+2 stops, clipped), white specular highlights covering
0.5 %..10 % of the view, the lesion moved towards an edge (a window of half the picture with
the lesion's centroid 10 % of it from one side) or cut away (a window of 0.4 s starting just past
the lesion's centroid). Every copy is written losslessly (PNG), so that a clean copy has
exactly the real picture's pixels and a degraded one differs only by its degradation:
re-encoding these 224-pixel pictures as JPEG adds 8x8-block noise that the focus measure
reads as detail (measured on the HAM sample at quality 92: sharpness +0.10 on average,
+0.06 to +0.12 for 90 % of pictures), which made every copy look sharper than the real one.

HAM pictures are 224x224 and carry only 224 pixels of detail; the library never enlarges
the detail copy, so they are judged at 224. Phone-resolution behaviour is shown by the phone
crops and by a resolution study (`--study`): phone-photo crops 480..1360 pixels a side and a
12-megapixel-class enlargement (the 1360 crop scaled to 3024x3024, since a 12 MP camera at
arm's length sees the same skin in more pixels), blurred at each resolution, judged once on
the 448-pixel detail copy and once on the model-sized picture.

Usage (repository root):
    /work/venv/bin/python models/tools/quality_calibration.py [--per-class 43] [--study]
    /work/venv/bin/python models/tools/quality_calibration.py --holdout
Writes the tables between the markers in models/QUALITY.md (and the raw JSON lines to
target/quality_calibration/measures.jsonl), and two small references that
`tests/quality_calibration.rs` checks: `tests/data/quality/calibration_measures.csv` (the
measures of every picture behind the rates table, so that the table's rates can be
recomputed from the shipped thresholds without the shared data) and
`tests/data/quality/ham_clean_measures.csv` (the measures of the original HAM10000 files
of the sample, compared with the library's when ../shared/data is present). Builds and
runs `cargo run --release --example quality_measures`, which judges with the thresholds
of the default model's card.

Requirements (pinned, what the committed tables were made with): Python 3.11.7,
numpy==2.4.6, opencv-python-headless==5.0.0.93, pillow==13.0.0.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import pathlib
import random
import subprocess
import sys
from collections import defaultdict

import cv2
import numpy as np
from PIL import Image, ImageOps

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared" / "data"
HAM = SHARED / "ham10000-224"
PHONE = ROOT / "tests" / "data" / "phone_skin_moles.jpg"
WORK = ROOT / "target" / "quality_calibration"
DOC = ROOT / "models" / "QUALITY.md"
# Small derived references for tests/quality_calibration.rs (numbers only, no pixels).
REFS = ROOT / "tests" / "data" / "quality"
CARD_DIR = ROOT / "models"
SEED = 20261126

# Centres (x, y) of the four visible moles in the upright phone photo.
PHONE_MOLES = [(111, 206), (628, 372), (615, 694), (1035, 1050)]
PHONE_CROPS = [160, 240, 320]

# What each group must do. "pass": a good picture that must be usable; "flag": a picture the
# gate must refuse, with the issue(s) that count as the right one; anything else is a grey
# zone whose rates are reported but not targeted.
CLEAN_LIKE = {"clean", "gauss_0.1", "highlight_0.5"}
MUST_FLAG = {
    "gauss_0.4": {"blurry"},
    "gauss_0.8": {"blurry"},
    "gauss_1.6": {"blurry"},
    "motion_2": {"blurry"},
    "motion_4": {"blurry"},
    "exposure_-1.5": {"too_dark"},
    "exposure_-2": {"too_dark"},
    "exposure_-3": {"too_dark"},
    "exposure_+1.5": {"too_bright"},
    "exposure_+2": {"too_bright"},
    "highlight_5": {"glare"},
    "highlight_10": {"glare"},
    "edge": {"off_centre"},
    "cut": {"off_centre", "no_lesion"},
    "plain_skin": {"no_lesion"},
    "uniform": {"no_lesion"},
}
OWN_ISSUE = {
    **{k: v for k, v in MUST_FLAG.items()},
    "gauss_0.1": {"blurry"},
    "gauss_0.2": {"blurry"},
    "motion_1": {"blurry"},
    "exposure_-0.5": {"too_dark"},
    "exposure_-1": {"too_dark"},
    "exposure_+0.5": {"too_bright"},
    "exposure_+1": {"too_bright"},
    "highlight_0.5": {"glare"},
    "highlight_2": {"glare"},
}


# ---------------------------------------------------------------- picture operations


def to_linear(rgb8: np.ndarray) -> np.ndarray:
    c = rgb8.astype(np.float32) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def to_srgb(linear: np.ndarray) -> np.ndarray:
    c = np.clip(linear, 0.0, 1.0)
    s = np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055)
    return np.clip(np.round(s * 255.0), 0, 255).astype(np.uint8)


def gaussian(rgb8: np.ndarray, percent: float) -> np.ndarray:
    sigma = percent / 100.0 * min(rgb8.shape[:2])
    lin = cv2.GaussianBlur(to_linear(rgb8), (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    return to_srgb(lin)


def motion(rgb8: np.ndarray, percent: float, angle_deg: float) -> np.ndarray:
    length = percent / 100.0 * min(rgb8.shape[:2])
    half = int(math.ceil(length / 2)) + 1
    kernel = np.zeros((2 * half + 1, 2 * half + 1), np.float32)
    a = math.radians(angle_deg)
    steps = max(int(length * 8), 2)
    for t in np.linspace(-length / 2, length / 2, steps):
        x, y = half + t * math.cos(a), half + t * math.sin(a)
        x0, y0 = int(math.floor(x)), int(math.floor(y))
        fx, fy = x - x0, y - y0  # bilinear splat: an anti-aliased line
        for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)),
                          (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
            kernel[y0 + dy, x0 + dx] += w
    kernel /= kernel.sum()
    lin = cv2.filter2D(to_linear(rgb8), -1, kernel, borderType=cv2.BORDER_REFLECT)
    return to_srgb(lin)


def exposure(rgb8: np.ndarray, stops: float) -> np.ndarray:
    return to_srgb(to_linear(rgb8) * (2.0 ** stops))


def highlights(rgb8: np.ndarray, percent: float, rng: random.Random) -> np.ndarray:
    """White specular spots (1 to 4 ellipses, saturated cores, soft rims) covering about
    `percent` of the view, placed in its central 80 % (glare sits on the lesion as often as
    not)."""
    h, w = rgb8.shape[:2]
    spots = rng.randint(1, 4)
    area = percent / 100.0 * h * w / spots
    lin = to_linear(rgb8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(spots):
        aspect = rng.uniform(0.5, 2.0)
        rx = math.sqrt(area * aspect / math.pi)
        ry = area / (math.pi * rx)
        cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
        d = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
        # Core (d <= 1) saturates; the rim fades out to d = 1.6.
        strength = np.clip((1.6 - d) / 0.6, 0.0, 1.0)[..., None]
        lin = lin * (1 - strength) + 1.4 * strength
    return to_srgb(lin)


def window(rgb8: np.ndarray, x0: int, y0: int, side: int) -> np.ndarray:
    h, w = rgb8.shape[:2]
    x0 = max(0, min(w - side, x0))
    y0 = max(0, min(h - side, y0))
    return rgb8[y0:y0 + side, x0:x0 + side]


def towards_edge(rgb8: np.ndarray, centre: tuple[float, float], rng: random.Random):
    """A window of half the picture with the lesion's centroid 10 % of the window from one
    of its sides (a side chosen at random), moved inside the picture where needed."""
    h, w = rgb8.shape[:2]
    side = min(h, w) // 2
    cx, cy = centre
    options = [
        (int(cx - 0.1 * side), int(cy - side / 2)),  # lesion near the left edge
        (int(cx - 0.9 * side), int(cy - side / 2)),  # right edge
        (int(cx - side / 2), int(cy - 0.1 * side)),  # top edge
        (int(cx - side / 2), int(cy - 0.9 * side)),  # bottom edge
    ]
    x0, y0 = rng.choice(options)
    return window(rgb8, x0, y0, side)


def cut_away(rgb8: np.ndarray, centre: tuple[float, float]):
    """A window of 0.4 s that starts 10 % of its side past the lesion's centroid, on the
    side of the picture with the most room: most of the lesion is out of view."""
    h, w = rgb8.shape[:2]
    side = int(0.4 * min(h, w))
    cx, cy = centre
    room = {"right": w - cx, "left": cx, "down": h - cy, "up": cy}
    way = max(room, key=room.get)
    gap = int(0.1 * side)
    if way == "right":
        x0, y0 = int(cx) + gap, int(cy - side / 2)
    elif way == "left":
        x0, y0 = int(cx) - gap - side, int(cy - side / 2)
    elif way == "down":
        x0, y0 = int(cx - side / 2), int(cy) + gap
    else:
        x0, y0 = int(cx - side / 2), int(cy) - gap - side
    return window(rgb8, x0, y0, side)


# ---------------------------------------------------------------- running the Rust measures


def build_example() -> pathlib.Path:
    subprocess.run(["cargo", "build", "--release", "--example", "quality_measures"],
                   cwd=ROOT, check=True)
    return ROOT / "target" / "release" / "examples" / "quality_measures"


def measure(binary: pathlib.Path, paths: list[pathlib.Path], extra=()) -> dict[str, dict]:
    text = "\n".join(str(p) for p in paths)
    out = subprocess.run([str(binary), *extra], cwd=ROOT, input=text, capture_output=True,
                         text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        row = json.loads(line)
        if "error" in row:
            raise SystemExit(f"{row['file']}: {row['error']}")
        rows[row["file"]] = row
    return rows


def save(rgb8: np.ndarray, name: str) -> pathlib.Path:
    path = WORK / "pictures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb8).save(path, compress_level=1)
    return path


# ---------------------------------------------------------------- the picture set


def load_phone() -> np.ndarray:
    return np.asarray(ImageOps.exif_transpose(Image.open(PHONE)).convert("RGB"))


def ham_sample(per_class: int, holdout: bool) -> list[tuple[str, pathlib.Path]]:
    """The calibration sample (seeded), or with `holdout` a second sample of the same size
    drawn from the pictures the calibration sample left out (classes too small for both
    keep what is left)."""
    rows = list(csv.DictReader(open(HAM / "HAM10000_metadata.csv")))
    by_class = defaultdict(list)
    for r in rows:
        p = HAM / "images" / f"{r['image_id']}.jpg"
        if p.exists():
            by_class[r["dx"]].append((r["dx"], p))
    rng = random.Random(SEED)
    out = []
    for dx in sorted(by_class):
        items = sorted(by_class[dx], key=lambda t: t[1].name)
        chosen = rng.sample(items, min(per_class, len(items)))
        if holdout:
            rest = [t for t in items if t not in chosen]
            chosen = random.Random(SEED + 1).sample(rest, min(per_class, len(rest)))
        out += chosen
    return out


def plain_skin_windows(phone: np.ndarray, rng: random.Random, count: int):
    """Windows of the phone photo at least 90 px clear of every mole."""
    h, w = phone.shape[:2]
    found, tries = [], 0
    while len(found) < count and tries < 10000:
        tries += 1
        side = rng.choice([160, 240, 320, 480])
        x0, y0 = rng.randrange(0, w - side), rng.randrange(0, h - side)
        clear = all(not (x0 - 90 <= mx <= x0 + side + 90 and y0 - 90 <= my <= y0 + side + 90)
                    for mx, my in PHONE_MOLES)
        if clear:
            found.append(phone[y0:y0 + side, x0:x0 + side])
    return found


def degradations(rgb8, centre, rng):
    yield "clean", rgb8
    for p in (0.1, 0.2, 0.4, 0.8, 1.6):
        yield f"gauss_{p:g}", gaussian(rgb8, p)
    for p in (1, 2, 4):
        yield f"motion_{p:g}", motion(rgb8, p, rng.uniform(0, 180))
    for stops in (-3, -2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2):
        yield f"exposure_{stops:+g}", exposure(rgb8, stops)
    for p in (0.5, 2, 5, 10):
        yield f"highlight_{p:g}", highlights(rgb8, p, rng)
    if centre is not None:
        yield "edge", towards_edge(rgb8, centre, rng)
        yield "cut", cut_away(rgb8, centre)


# ---------------------------------------------------------------- tables


def pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f} %" if b else "–"


def quantiles(values):
    v = [x for x in values if x is not None]
    if not v:
        return "–"
    q = np.percentile(v, [5, 50, 95])
    return f"{q[0]:.3f} / {q[1]:.3f} / {q[2]:.3f}"


MEASURES = ["sharpness", "exposure", "clipped", "glare", "lesion_contrast", "lesion_coverage", "lesion_offset"]


def group_table(records) -> list[str]:
    groups = defaultdict(list)
    for r in records:
        groups[(r["source"], r["degradation"])].append(r)
    lines = [
        "| source | degradation | n | refused (usable: false) | own issue flagged | "
        + " | ".join(f"{m} p5 / p50 / p95" for m in MEASURES) + " |",
        "| --- | --- | ---: | ---: | ---: | " + " | ".join("---" for _ in MEASURES) + " |",
    ]
    for (source, deg), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], order(kv[0][1]))):
        n = len(rs)
        refused = sum(not r["quality"]["usable"] for r in rs)
        own = OWN_ISSUE.get(deg)
        own_text = pct(sum(bool(own & set(r["quality"]["issues"])) for r in rs), n) if own else "–"
        cells = [quantiles([r["measures"][m] for r in rs]) for m in MEASURES]
        lines.append(f"| {source} | {deg} | {n} | {pct(refused, n)} | {own_text} | "
                     + " | ".join(cells) + " |")
    return lines


def order(deg: str) -> tuple:
    kinds = ["clean", "gauss", "motion", "exposure", "highlight", "edge", "cut", "plain_skin",
             "skin_corner", "uniform"]
    kind, _, strength = deg.partition("_")
    k = kinds.index(kind) if kind in kinds else (kinds.index(deg) if deg in kinds else 99)
    try:
        s = float(strength)
    except ValueError:
        s = 0.0
    return (k, s)


def rates_table(records) -> list[str]:
    """False rejects on the pictures that must pass, false accepts on those that must be
    refused, per source and overall."""
    lines = ["| group | must | n | wrong | rate | detail |", "| --- | --- | ---: | ---: | ---: | --- |"]
    for source in sorted({r["source"] for r in records}) + ["all"]:
        rs = [r for r in records if source == "all" or r["source"] == source]
        good = [r for r in rs if r["degradation"] in CLEAN_LIKE]
        clean = [r for r in good if r["degradation"] == "clean"]
        for name, subset in (("clean", clean), ("clean-like (clean, blur σ 0.1 %, 0.5 % highlight)", good)):
            if subset:
                wrong = [r for r in subset if not r["quality"]["usable"]]
                why = defaultdict(int)
                for r in wrong:
                    for i in r["quality"]["issues"]:
                        why[i] += 1
                detail = ", ".join(f"{k} {v}" for k, v in sorted(why.items(), key=lambda kv: -kv[1]))
                lines.append(f"| {source}: {name} | pass (false-reject rate) | {len(subset)} | "
                             f"{len(wrong)} | {pct(len(wrong), len(subset))} | {detail} |")
        splits = []
        for deg in sorted(MUST_FLAG, key=order):
            splits.append((deg, deg, lambda r: True))
            if deg in ("edge", "cut"):
                splits.append((deg, f"{deg}, lesion < 5 % of the picture",
                               lambda r: (r["clean_coverage"] or 0) < 0.05))
                splits.append((deg, f"{deg}, lesion ≥ 5 %",
                               lambda r: (r["clean_coverage"] or 0) >= 0.05))
        for deg, label, keep in splits:
            subset = [r for r in rs if r["degradation"] == deg and keep(r)]
            if not subset:
                continue
            accepted = sum(r["quality"]["usable"] for r in subset)
            wrong_issue = sum(not (MUST_FLAG[deg] & set(r["quality"]["issues"]))
                              for r in subset if not r["quality"]["usable"])
            lines.append(f"| {source}: {label} | refuse (false-accept rate) | {len(subset)} | "
                         f"{accepted} | {pct(accepted, len(subset))} | refused without "
                         f"{'/'.join(sorted(MUST_FLAG[deg]))}: {wrong_issue} |")
    return lines


def sweep_table(records) -> list[str]:
    """For each threshold, the rate among clean pictures that it alone would refuse and the
    rate among its target degradations that it alone would let through."""
    def rate(rs, bad):
        return pct(sum(bad(r["measures"]) for r in rs), len(rs))

    clean = [r for r in records if r["degradation"] == "clean"]
    by = defaultdict(list)
    for r in records:
        by[r["degradation"]].append(r)
    lines = ["| threshold | value | clean refused by it | targets let through by it |",
             "| --- | ---: | ---: | --- |"]

    def sharp(m):
        return m["sharpness"]

    for t in (0.26, 0.28, 0.3, 0.31, 0.33, 0.36):
        targets = ", ".join(f"{d} {rate(by[d], lambda m: sharp(m) is None or sharp(m) >= t)}"
                            for d in ("gauss_0.2", "gauss_0.4", "gauss_0.8", "motion_1", "motion_2", "motion_4"))
        lines.append(f"| min_sharpness | {t} | {rate(clean, lambda m: sharp(m) is not None and sharp(m) < t)} | {targets} |")
    for t in (0.3, 0.35, 0.38, 0.4, 0.42, 0.45):
        targets = ", ".join(f"{d} {rate(by[d], lambda m: m['exposure'] >= t)}"
                            for d in ("exposure_-1", "exposure_-1.5", "exposure_-2", "exposure_-3"))
        lines.append(f"| min_exposure | {t} | {rate(clean, lambda m: m['exposure'] < t)} | {targets} |")
    for t in (0.8, 0.85, 0.9):
        targets = ", ".join(f"{d} {rate(by[d], lambda m: m['exposure'] <= t)}"
                            for d in ("exposure_+1", "exposure_+1.5", "exposure_+2"))
        lines.append(f"| max_exposure | {t} | {rate(clean, lambda m: m['exposure'] > t)} | {targets} |")
    for t in (0.2, 0.3, 0.35, 0.4, 0.5):
        targets = ", ".join(f"{d} {rate(by[d], lambda m: m['clipped'] <= t)}"
                            for d in ("exposure_+1", "exposure_+1.5", "exposure_+2"))
        lines.append(f"| max_clipped (alone) | {t} | {rate(clean, lambda m: m['clipped'] > t)} | {targets} |")
    for t in (0.01, 0.02, 0.03, 0.05):
        targets = ", ".join(f"{d} {rate(by[d], lambda m: m['glare'] <= t)}"
                            for d in ("highlight_2", "highlight_5", "highlight_10"))
        lines.append(f"| max_glare | {t} | {rate(clean, lambda m: m['glare'] > t)} | {targets} |")
    for t in (0.16, 0.18, 0.2, 0.21, 0.22, 0.24):
        targets = ", ".join(f"{d} {rate(by[d], lambda m: m['lesion_contrast'] >= t and m['lesion_coverage'] is not None)}"
                            for d in ("plain_skin", "uniform"))
        lines.append(f"| min_lesion_contrast | {t} | {rate(clean, lambda m: m['lesion_contrast'] < t)} | {targets} |")
    for t in (0.5, 0.55, 0.6, 0.65, 0.7):
        targets = ", ".join(f"{d} {rate(by[d], lambda m: m['lesion_offset'] is not None and m['lesion_offset'] <= t)}"
                            for d in ("edge", "cut"))
        lines.append(f"| max_lesion_offset | {t} | {rate(clean, lambda m: m['lesion_offset'] is not None and m['lesion_offset'] > t)} | {targets} (counting no lesion as caught) |")
    for t in (0.005, 0.01, 0.02, 0.03):
        lines.append(f"| min_lesion_coverage | {t} | {rate(clean, lambda m: m['lesion_coverage'] is not None and m['lesion_coverage'] < t)} | – |")
    return lines


def study(binary) -> list[str]:
    """Sharpness at the detail copy versus at the model's size, on phone-resolution views."""
    phone = load_phone()
    views = []
    for side in (480, 640, 960, 1360):
        for (mx, my) in PHONE_MOLES[1:3]:
            views.append((f"phone {side}", window(phone, mx - side // 2, my - side // 2, side)))
    big = cv2.resize(window(phone, 84, 0, 1360), (3024, 3024), interpolation=cv2.INTER_CUBIC)
    views.append(("12 MP-class 3024 (1360 crop enlarged)", big))
    paths = defaultdict(list)
    for i, (name, rgb8) in enumerate(views):
        for p in (0.0, 0.1, 0.2, 0.4, 0.8):
            img = rgb8 if p == 0 else gaussian(rgb8, p)
            paths[(name, p)].append(save(img, f"study_{i}_{p:g}"))
    flat = [p for ps in paths.values() for p in ps]
    detail = measure(binary, flat)
    model = measure(binary, flat, ["--model-size-sharpness"])
    lines = ["| view | measured on | clean | blur σ 0.1 % | 0.2 % | 0.4 % | 0.8 % |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name in dict.fromkeys(n for n, _ in views):
        for label, rows in (("detail copy", detail), ("model size (254)", model)):
            cells = []
            for p in (0.0, 0.1, 0.2, 0.4, 0.8):
                vals = [rows[str(x)]["measures"]["sharpness"] for x in paths[(name, p)]]
                cells.append("/".join(f"{v:.2f}" for v in vals))
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    return lines


def card_thresholds() -> dict[str, float]:
    """The default model's card 'quality' section (all eight thresholds are required, so
    that the references are written against the thresholds that ship)."""
    stem = (CARD_DIR / "DEFAULT_MODEL").read_text().strip()
    card = json.loads((CARD_DIR / f"{stem}.json").read_text())
    quality = card.get("quality")
    names = ["min_sharpness", "min_exposure", "max_exposure", "max_clipped", "max_glare",
             "min_lesion_contrast", "min_lesion_coverage", "max_lesion_offset"]
    if not quality or any(n not in quality for n in names):
        raise SystemExit(f"models/{stem}.json needs a complete 'quality' section: {names}")
    return quality


def compact(value, thresholds: dict[str, float]) -> str:
    """A measure written with 4 decimals, or in full where rounding would put it on the
    other side of (or onto) any threshold, so that judging the written value gives the
    same answer as judging the measured one."""
    if value is None:
        return ""
    short = f"{value:.4f}"
    for t in thresholds.values():
        if (value < t) != (float(short) < t) or (value > t) != (float(short) > t):
            return repr(value)
    return short


def write_references(records, ham_originals, thresholds) -> None:
    """The two CSV references described in the module documentation."""
    REFS.mkdir(parents=True, exist_ok=True)
    keep = CLEAN_LIKE | set(MUST_FLAG)
    with open(REFS / "calibration_measures.csv", "w") as f:
        f.write("source,degradation,clean_coverage," + ",".join(MEASURES) + ",usable\n")
        for r in records:
            if r["degradation"] not in keep:
                continue
            cells = [compact(r["clean_coverage"], {"split": 0.05})]
            cells += [compact(r["measures"][m], thresholds) for m in MEASURES]
            f.write(f"{r['source']},{r['degradation']}," + ",".join(cells)
                    + f",{int(r['quality']['usable'])}\n")
    with open(REFS / "ham_clean_measures.csv", "w") as f:
        f.write("image_id,dx," + ",".join(MEASURES) + ",issues\n")
        for image_id, dx, row in ham_originals:
            m = row["measures"]
            cells = ["" if m[k] is None else repr(m[k]) for k in MEASURES]
            f.write(f"{image_id},{dx}," + ",".join(cells) + ","
                    + " ".join(row["quality"]["issues"]) + "\n")


def write_section(marker: str, lines: list[str]) -> None:
    text = DOC.read_text()
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"models/QUALITY.md lacks the markers {start} … {end}")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    DOC.write_text(head + start + "\n" + "\n".join(lines) + "\n" + end + tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-class", type=int, default=43)
    parser.add_argument("--study", action="store_true", help="also run the resolution study")
    parser.add_argument("--holdout", action="store_true",
                        help="measure a second, disjoint HAM sample with the shipped thresholds "
                             "and write only its rates (section 'holdout')")
    args = parser.parse_args()
    if not HAM.is_dir():
        raise SystemExit("../shared/data/ham10000-224 not found: the calibration needs it")
    thresholds = card_thresholds()
    binary = build_example()
    rng = random.Random(SEED)
    phone = load_phone()

    # Clean sources first, measured once to know where each lesion is.
    sources = []  # (source, name, rgb8)
    sample = ham_sample(args.per_class, args.holdout)
    for dx, path in sample:
        sources.append(("ham", f"ham_{dx}_{path.stem}", np.asarray(Image.open(path).convert("RGB"))))
    for (mx, my) in PHONE_MOLES:
        for side in PHONE_CROPS:
            sources.append(("phone", f"phone_{mx}_{my}_{side}", window(phone, mx - side // 2, my - side // 2, side)))
    clean_paths = [save(rgb8, f"{name}_clean") for _, name, rgb8 in sources]
    clean = measure(binary, clean_paths)

    jobs = []  # (source, degradation, path)
    for (source, name, rgb8), cp in zip(sources, clean_paths):
        centre_frac = clean[str(cp)]["measures"]["lesion_centre"]
        h, w = rgb8.shape[:2]
        centre = None if centre_frac is None else (centre_frac[0] * w, centre_frac[1] * h)
        coverage = clean[str(cp)]["measures"]["lesion_coverage"]
        for deg, img in degradations(rgb8, centre, rng):
            path = cp if deg == "clean" else save(img, f"{name}_{deg}")
            jobs.append((source, deg, path, coverage))

    # Negatives: plain skin and uniform pictures.
    for i, skin in enumerate(plain_skin_windows(phone, rng, 40)):
        jobs.append(("phone", "plain_skin", save(skin, f"phone_skin_{i}"), None))
    for (_, name, rgb8), cp in zip(sources, clean_paths):
        m = clean[str(cp)]["measures"]
        if not name.startswith("ham") or m["lesion_coverage"] is None or m["lesion_coverage"] > 0.06:
            continue
        cx, cy = m["lesion_centre"][0] * 224, m["lesion_centre"][1] * 224
        # The 84-pixel corner window farthest from the lesion.
        corner = max(((0, 0), (140, 0), (0, 140), (140, 140)),
                     key=lambda c: (c[0] + 42 - cx) ** 2 + (c[1] + 42 - cy) ** 2)
        jobs.append(("ham", "skin_corner", save(window(rgb8, corner[0], corner[1], 84), f"{name}_skin"), None))
    for i, colour in enumerate([(128, 128, 128), (0, 0, 0), (255, 255, 255), (224, 172, 150), (90, 60, 50)]):
        jobs.append(("synthetic", "uniform", save(np.full((300, 300, 3), colour, np.uint8), f"uniform_{i}"), None))

    rows = measure(binary, [p for _, _, p, _ in jobs])
    records = []
    for source, deg, path, coverage in jobs:
        row = rows[str(path)]
        records.append({"source": source, "degradation": deg, "file": str(path.relative_to(ROOT)),
                        "clean_coverage": coverage, "measures": row["measures"],
                        "quality": row["quality"]})
    WORK.mkdir(parents=True, exist_ok=True)
    with open(WORK / ("holdout.jsonl" if args.holdout else "measures.jsonl"), "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    if args.holdout:
        write_section("holdout", rates_table([r for r in records if r["source"] == "ham"]))
        print(f"{len(records)} pictures measured; hold-out rates written to {DOC.relative_to(ROOT)}")
        return

    originals = measure(binary, [p for _, p in sample])
    write_references(records, [(p.stem, dx, originals[str(p)]) for dx, p in sample], thresholds)
    write_section("rates", rates_table(records))
    write_section("sweep", sweep_table(records))
    write_section("groups", group_table(records))
    if args.study:
        write_section("study", study(binary))
    print(f"{len(records)} pictures measured; tables written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
