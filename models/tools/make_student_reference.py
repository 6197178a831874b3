#!/usr/bin/env python3
"""TensorFlow's reference outputs for a train.py model (int8, one image input), for the Rust
end-to-end test (tests/mobilenet_model.rs).

Every number comes from TensorFlow and Pillow, never from LesionScan:

  * pixels: the JPEG decoded by Pillow (libjpeg-turbo, accurate integer IDCT: the pixels of
    LesionScan's DecodeMode::Exact), EXIF orientation applied, RGB;
  * cases "roi_*": square crops of tests/data/phone_skin_moles.jpg around three moles, whose
    side is the model's input size, so no resampling happens on either side and the int8
    input tensor is the same; the crop box is stored in pixels of the upright photo;
  * case "photo": the whole photo, stretched to the input size by
    tf.image.resize(bilinear, antialias=True);
  * cases "ham_*": two pictures of the shared HAM10000 folder (test part of train.py's split,
    the first mel and the first nv by image_id), resized 224 -> input size the same way;
    the Rust test skips them when ../shared/data is absent;
  * then x / 255 (the card's std 255, mean 0), quantised with the input tensor's scale and
    zero point (round half to even, as numpy; clipped to int8), run by TensorFlow's
    tf.lite.Interpreter (num_threads=1), the int8 output dequantised.

Stored per case: the input tensor's sum and three of its values (to locate a pipeline
mismatch), the raw int8 output, the probabilities and the top-1 class.

    python3 models/tools/make_student_reference.py \\
        --model models/ham10000_mobilenet_a050_128_distilled_int8.tflite \\
        --out tests/data/ham10000_mobilenet_reference.json

Pinned: tensorflow-cpu 2.21.0, numpy 2.4.6, Pillow 13.0.0, Python 3.11.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PHOTO = "tests/data/phone_skin_moles.jpg"
HAM = "../shared/data/ham10000-224"
# Centres (x, y) of moles in the upright photo, as in eval_inputs.CENTRES.
MOLES = [("roi_mole_a", 111, 206), ("roi_mole_c", 615, 694), ("roi_mole_e", 1035, 1050)]
CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


def upright(path: str) -> Image.Image:
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--card", default=None, help="default: the model path with .json")
    p.add_argument("--test-ids", default=None,
                   help="train.py's test_ids.txt (write it with train.py --write-split); default: none, "
                        "then the HAM cases are taken from all images")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    os.chdir(ROOT)
    import tensorflow as tf

    card_path = args.card or os.path.splitext(args.model)[0] + ".json"
    with open(card_path) as f:
        card = json.load(f)
    with open(args.model, "rb") as f:
        model_bytes = f.read()
    sha = hashlib.sha256(model_bytes).hexdigest()
    assert card["sha256"] == sha, "the card does not pin this model"
    inp_spec = card["input"]
    # The reference resizes with tf.image.resize(antialias=True) at every scale, which is
    # what a "bilinear-antialias" card asks of LesionScan (train.py writes it).
    assert inp_spec["resize"] == "bilinear-antialias", inp_spec["resize"]
    size = int(inp_spec["width"])
    assert inp_spec["height"] == size and inp_spec["dtype"] == "int8" and inp_spec["crop"] == "none"
    mean, std = np.array(inp_spec["mean"], np.float32), np.array(inp_spec["std"], np.float32)
    assert [c["code"] for c in card["classes"]] == CLASSES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        it = tf.lite.Interpreter(model_content=model_bytes, num_threads=1)
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    in_scale, in_zp = inp["quantization"]
    out_scale, out_zp = out["quantization"]

    def run(pixels_u8: np.ndarray) -> dict:
        x = tf.image.resize(pixels_u8.astype(np.float32)[None], (size, size), method="bilinear",
                            antialias=True).numpy()[0]
        x = (x - mean) / std
        q = np.clip(np.round(x / in_scale + in_zp), -128, 127).astype(np.int8)
        it.set_tensor(inp["index"], q[None])
        it.invoke()
        raw = it.get_tensor(out["index"])[0]
        probs = (raw.astype(np.float64) - out_zp) * out_scale
        order = np.argsort(-probs, kind="stable")
        return {
            "input_tensor_sum": int(q.astype(np.int64).sum()),
            "input_tensor_samples": {"0,0": q[0, 0].tolist(), "mid": q[size // 2, size // 2].tolist(),
                                     "last": q[-1, -1].tolist()},
            "raw_int8_output": raw.tolist(),
            "tflite_probabilities": [round(float(v), 8) for v in probs],
            "top1": CLASSES[int(order[0])],
            "top1_margin": round(float(probs[order[0]] - probs[order[1]]), 6),
        }

    photo = upright(PHOTO)
    cases = []
    half = size // 2
    for name, cx, cy in MOLES:
        box = [cx - half, cy - half, cx - half + size, cy - half + size]
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= photo.width and box[3] <= photo.height
        crop = np.asarray(photo.crop(tuple(box)))
        cases.append({"id": name, "kind": "roi", "image": PHOTO, "crop_box_ltrb": box,
                      "photo_size": [photo.width, photo.height], **run(crop)})
    cases.append({"id": "photo", "kind": "whole", "image": PHOTO, **run(np.asarray(photo))})
    if os.path.isdir(HAM):
        import csv

        with open(os.path.join(HAM, "HAM10000_metadata.csv"), newline="") as f:
            rows = sorted(csv.DictReader(f), key=lambda r: r["image_id"])
        if args.test_ids:
            with open(args.test_ids) as f:
                test = {line.strip() for line in f if line.strip()}
            rows = [r for r in rows if r["image_id"] in test]
        for dx in ("mel", "nv"):
            r = next(r for r in rows if r["dx"] == dx)
            path = f"{HAM}/images/{r['image_id']}.jpg"
            cases.append({"id": f"ham_{dx}", "kind": "shared", "image": path, "dx": dx,
                          **run(np.asarray(upright(path)))})
    else:
        print(f"{HAM} not found: no HAM10000 cases", file=sys.stderr)

    reference = {
        "model": os.path.relpath(args.model, ROOT),
        "card": os.path.relpath(card_path, ROOT),
        "model_sha256": sha,
        "recipe": "Pillow decode + EXIF transpose, RGB; tf.image.resize(bilinear, antialias=True) to the input "
                  "size (identity for the roi cases); (x - mean) / std from the card; quantised with the input "
                  "scale/zero point (numpy round half to even, clip); tf.lite.Interpreter(num_threads=1); output "
                  "dequantised. Made by models/tools/make_student_reference.py.",
        "tensorflow": tf.__version__,
        "input_quantization": {"scale": float(in_scale), "zero_point": int(in_zp)},
        "output_quantization": {"scale": float(out_scale), "zero_point": int(out_zp)},
        "cases": cases,
    }
    with open(args.out, "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    for c in cases:
        print(c["id"], c["top1"], c["top1_margin"], c["tflite_probabilities"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
