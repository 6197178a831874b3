#!/usr/bin/env python3
"""Makes tests/data/isic/: predictions, ground truth and the official ISIC 2018 Task 3
scorer's output on them, so that Rust tests can check `lesionscan eval` against the
scorer without Python.

Two sets:

* synthetic_*: 90 made-up pictures over the 7 classes with the awkward cases the scorer
  handles in particular ways: probabilities rounded to 2 decimals (many tied scores),
  rows whose two highest probabilities tie (ISIC counts them "undecided"), values of
  exactly 0.5 (not positive: the scorer's threshold is "> 0.5"), rows with score_weight
  0, and ISIC_0035068 (which the scorer always weighs 0).
* ham_*: the default model's own predictions on 210 HAM10000 pictures (30 per class)
  from ../shared/data/ham10000-224, made by `lesionscan eval --predictions` from an
  ISIC-format ground truth. With --check, the script also compares every number the CLI
  printed (`eval --json`) with the scorer's on the CLI's own CSV. Skipped, with a
  message, when the shared folder or the binary is missing.

Requirements (pinned; the versions these fixtures were made with):
    isic-challenge-scoring==5.6.0  scikit-learn==1.9.1  pandas==2.3.3  numpy==2.4.6
(the scorer calls DataFrame.applymap, which pandas 3 removed: use pandas 2.x)

Usage (from the repository root):
    cargo build --features cli --bin lesionscan
    python -m venv /tmp/isicvenv && /tmp/isicvenv/bin/pip install isic-challenge-scoring==5.6.0 \\
        pandas==2.3.3 scikit-learn==1.9.1 numpy==2.4.6
    /tmp/isicvenv/bin/python models/tools/make_isic_fixture.py [--check]
"""

import argparse
import csv
import json
import math
import pathlib
import subprocess
import sys

import numpy as np
from isic_challenge_scoring.classification import ClassificationMetric, ClassificationScore

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "isic"
COLUMNS = ["MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"]
METRICS = ["sensitivity", "specificity", "auc", "auc_sens_80", "ap"]


def write_truth(path, rows, weights=None):
    """rows: (image, class column); weights: image -> score_weight."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        header = ["image"] + COLUMNS
        if weights is not None:
            header += ["score_weight", "validation_weight"]
        w.writerow(header)
        for image, label in rows:
            row = [image] + ["1.0" if c == label else "0.0" for c in COLUMNS]
            if weights is not None:
                row += [repr(float(weights.get(image, 1.0))), "1.0"]
            w.writerow(row)


def synthetic():
    rng = np.random.default_rng(20180703)
    labels = [c for c in COLUMNS for _ in range(4)]  # every class at least 4 times
    labels += list(rng.choice(COLUMNS, size=90 - len(labels), p=[0.15, 0.4, 0.1, 0.1, 0.15, 0.05, 0.05]))
    rng.shuffle(labels)
    images = [f"ISIC_{9000000 + i:07d}" for i in range(len(labels))]
    images[17] = "ISIC_0035068"  # the scorer's built-in exclusion
    predictions = []
    for i, label in enumerate(labels):
        p = rng.dirichlet(np.ones(len(COLUMNS)) * 0.6)
        # Make the true class likelier than chance, so the curves are not trivial.
        p[COLUMNS.index(label)] += rng.uniform(0.0, 0.9)
        p = p / p.sum()
        p = np.round(p, 2)  # ties between pictures
        if i % 11 == 3:  # a tie for the top probability: "undecided"
            top = np.argsort(p)[-2:]
            p[top] = max(p[top])
        if i % 13 == 5:  # exactly at the threshold: not positive
            p[COLUMNS.index(label)] = 0.5
        predictions.append(np.clip(p, 0.0, 1.0))
    weights = {images[i]: 0.0 for i in (4, 40, 77)}
    # Sorted by image, as the official ground-truth files are: the scorer sorts the
    # probabilities by image but applies score_weight by position in the file, so the
    # weights of an unsorted file land on the wrong rows (LesionScan applies each weight
    # to its own row).
    rows = sorted(zip(images, labels, predictions))
    truth_path = OUT / "synthetic_truth.csv"
    pred_path = OUT / "synthetic_predictions.csv"
    write_truth(truth_path, [(image, label) for image, label, _ in rows], weights)
    with open(pred_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["image"] + COLUMNS)
        for image, _, p in rows:
            w.writerow([image] + [repr(float(v)) for v in p])
    return truth_path, pred_path


def score(truth_path, pred_path):
    s = ClassificationScore.from_file(truth_path, pred_path, ClassificationMetric.BALANCED_ACCURACY)
    per = s.per_category
    out = {
        "scorer": "isic-challenge-scoring 5.6.0 (ClassificationScore.from_file)",
        "per_category": {c: {m: float(per.loc[c, m]) for m in METRICS} for c in COLUMNS},
        "macro_average": {m: float(s.macro_average[m]) for m in METRICS},
        "balanced_accuracy": float(s.aggregate["balanced_accuracy"]),
        "rocs": {},
    }
    for c, roc in s.rocs.items():
        # More than 100 points would have been simplified (Ramer-Douglas-Peucker) by the
        # scorer: only unsimplified curves are kept, as they must equal ours point for point.
        if len(roc) <= 100:
            out["rocs"][c] = {"fpr": [float(v) for v in roc["fpr"]], "tpr": [float(v) for v in roc["tpr"]]}
    for c in COLUMNS:
        for m in METRICS:
            assert math.isfinite(out["per_category"][c][m]), (c, m)
    return out


def ham(check):
    data = ROOT.parent / "shared" / "data" / "ham10000-224"
    binary = ROOT / "target" / "debug" / "lesionscan"
    if not data.is_dir() or not binary.is_file():
        print(f"SKIPPED ham fixture: needs {data} and {binary}", file=sys.stderr)
        return None
    rows = list(csv.DictReader(open(data / "HAM10000_metadata.csv")))
    chosen = []
    for c in COLUMNS:
        of_class = sorted(r["image_id"] for r in rows if r["dx"].upper() == c)
        chosen += [(image, c) for image in of_class[:30]]
    chosen.sort()
    truth_path = OUT / "ham_truth.csv"
    pred_path = OUT / "ham_predictions.csv"
    write_truth(truth_path, chosen)
    run = subprocess.run(
        [str(binary), "eval", "--json", "--accelerator", "cpu", "--csv", str(truth_path),
         "--images", str(data / "images"), "--predictions", str(pred_path)],
        check=True, capture_output=True, text=True,
    )
    cli = json.loads(run.stdout)
    scored = score(truth_path, pred_path)
    if check:
        worst = 0.0
        by_code = {c["code"].upper(): c for c in cli["isic"]["classes"]}
        for c in COLUMNS:
            for m in METRICS:
                worst = max(worst, abs(by_code[c][m] - scored["per_category"][c][m]))
        for m in METRICS:
            worst = max(worst, abs(cli["isic"]["macro_average"][m] - scored["macro_average"][m]))
        worst = max(worst, abs(cli["isic"]["balanced_accuracy"] - scored["balanced_accuracy"]))
        print(f"lesionscan eval --json vs the official scorer on its --predictions: max |diff| = {worst:.3g}")
        assert worst < 1e-9, worst
    return scored


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="also compare the CLI's own numbers")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    truth, pred = synthetic()
    result = score(truth, pred)
    (OUT / "synthetic_scorer.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {OUT / 'synthetic_scorer.json'} ({len(result['rocs'])} curves kept)")
    result = ham(args.check)
    if result is not None:
        (OUT / "ham_scorer.json").write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {OUT / 'ham_scorer.json'}")


if __name__ == "__main__":
    main()
