#!/usr/bin/env python3
"""Copy a train.py model and its card into models/, beside the default model.

The card gets, unchanged otherwise:
  * the default model's "quality" section (the picture-quality thresholds calibrated in
    models/QUALITY.md judge the photo, not the model, so every LesionScan model card
    carries the same ones);
  * provenance "shipped": which run it came from and why it was chosen (--why), and
    "distillation_teacher" (--teacher) when given.

The model file is copied byte for byte; the card's sha256 is checked against it.

    python3 models/tools/ship_student.py --run /tmp/lesionscan-train/runs/mobilenet_distilled \\
        --why "best validation balanced accuracy of the MobileNet runs"

Needs only the Python standard library (3.11).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--run", required=True, help="a train.py --out folder")
    p.add_argument("--why", required=True, help="why this run is the one shipped")
    p.add_argument("--teacher", default=None, help="what the distillation teacher was (for the card)")
    args = p.parse_args(argv)
    cards = [c for c in glob.glob(os.path.join(args.run, "*.json")) if os.path.basename(c) not in
             ("history.json", "report.json", "fit.json")]
    if len(cards) != 1:
        sys.exit(f"{args.run}: expected one model card, found {cards}")
    with open(cards[0]) as f:
        card = json.load(f)
    model = os.path.join(args.run, card["file"])
    with open(model, "rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != card["sha256"]:
        sys.exit(f"{model}: sha256 differs from its card")
    with open(os.path.join(ROOT, "models", "DEFAULT_MODEL")) as f:
        default = f.read().strip()
    with open(os.path.join(ROOT, "models", default + ".json")) as f:
        default_card = json.load(f)
    if "quality" in default_card:
        card["quality"] = default_card["quality"]
    if args.teacher:
        card["provenance"]["distillation_teacher"] = args.teacher
    card["provenance"]["shipped"] = {"from_run": os.path.basename(os.path.normpath(args.run)), "why": args.why}
    order = ["id", "version", "file", "sha256", "input", "output", "classes", "quality", "provenance"]
    card = {k: card[k] for k in order if k in card} | {k: v for k, v in card.items() if k not in order}
    shutil.copyfile(model, os.path.join(ROOT, "models", card["file"]))
    with open(os.path.join(ROOT, "models", card["id"] + ".json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"models/{card['file']} ({len(data):,} bytes) and models/{card['id']}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
