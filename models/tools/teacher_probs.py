#!/usr/bin/env python3
"""The teacher's probabilities for every HAM10000 image, computed once, for distillation.

`train.py --teacher FILE` reads the CSV this script writes (image_id, then one probability
per class in LesionScan's order akiec, bcc, bkl, df, mel, nv, vasc).

The teacher is sklesion 0.2.2's Xception (image + patient metadata), the source of the
default model. Give it as a .tflite with --model:

  * the shipped default, models/ham10000-xception-mixed-int8-16-float16.tflite (the
    default of --model): about 0.25 s per picture here with 2 threads;
  * or the float32 conversion of the same Keras model, which export_default.py writes into
    its cache (models/.cache/export/model-float32-*.bin): it equals Keras float (the
    model engineer measured a largest difference of 0.0000) and runs in about 0.1 s.
    The shipped mixed model differs from it by at most 0.015 per class probability on
    the fidelity sets of models/README.md.

Each picture goes in exactly as LesionScan and export_default.py feed the default model:
the JPEG decoded by libjpeg-turbo with the accurate integer IDCT
(`tf.io.decode_jpeg(dct_method="INTEGER_ACCURATE")`, bit-identical to Pillow's decode),
`tf.image.resize` to 254x254 bilinear with antialiasing, float 0..255 (normalisation is
inside the model), and the 10-value metadata vector of the image's own CSV row (age, sex,
localization) from eval_inputs.encode_metadata. HAM10000 writes "unknown" for a missing
sex or site; both are the model's "unknown" slot.

--check-keras NPY --check-ids FILE compares the result with Keras probabilities cached
elsewhere for a subset (one image_id per line in the NPY's row order) and prints the
largest difference, so the teacher file can be tied to Keras float.

The teacher was trained on HAM10000 and has seen most of these pictures: its accuracy on
them is optimistic, and it is no measure of the teacher.

    python3 models/tools/teacher_probs.py --data ../shared/data/ham10000-224 \\
        --model /path/to/model-float32.tflite --out /tmp/lesionscan-train/teacher_keras_float.csv

Pinned: tensorflow-cpu 2.21.0 (decode and resize only), ai-edge-litert 2.1.4, numpy 2.4.6,
Python 3.11. Not a medical device.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import eval_inputs  # noqa: E402

CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_MODEL = os.path.join(ROOT, "models", "ham10000-xception-mixed-int8-16-float16.tflite")


def read_rows(data: str) -> list[dict]:
    with open(os.path.join(data, "HAM10000_metadata.csv"), newline="") as f:
        rows = [dict(r) for r in csv.DictReader(f)]
    rows.sort(key=lambda r: r["image_id"])
    return rows


def metadata_of(row: dict) -> np.ndarray:
    age = row.get("age", "").strip()
    age = float(age) if age else None
    if age is not None and math.isnan(age):
        age = None
    sex = row.get("sex", "").strip()
    sex = sex if sex in ("female", "male") else None
    loc = row.get("localization", "").strip() or None
    return eval_inputs.encode_metadata(age, sex, loc)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "ham10000-224"))
    p.add_argument("--model", default=DEFAULT_MODEL, help="the teacher .tflite (image, metadata) -> 7 probabilities")
    p.add_argument("--out", required=True, help="CSV to write")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=0, help="first N images only (a quick check)")
    p.add_argument("--ids", default=None,
                   help="only these image_ids (one per line), e.g. a training split written by "
                        "train.py --write-split")
    p.add_argument("--check-keras", default=None, help="NPY of Keras probabilities for a subset")
    p.add_argument("--check-ids", default=None, help="image_ids of --check-keras rows, one per line")
    p.add_argument("--reuse-checked", action="store_true",
                   help="take the --check-keras rows as they are and run the model on the others only "
                        "(the first 40 of them are still run, to check the match)")
    args = p.parse_args(argv)

    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    tf.config.threading.set_intra_op_parallelism_threads(1)
    rows = read_rows(args.data)
    if args.ids:
        with open(args.ids) as f:
            wanted = {line.strip() for line in f if line.strip()}
        rows = [r for r in rows if r["image_id"] in wanted]
        assert len(rows) == len(wanted), f"{len(wanted) - len(rows)} of --ids are not in the CSV"
    if args.limit:
        rows = rows[: args.limit]
    with open(args.model, "rb") as f:
        model_sha = hashlib.sha256(f.read()).hexdigest()
    it = Interpreter(model_path=args.model, num_threads=args.threads)
    it.allocate_tensors()
    ins = it.get_input_details()
    image_in = next(d for d in ins if list(d["shape"]) == [1, 254, 254, 3])
    meta_in = next(d for d in ins if list(d["shape"]) == [1, 10])
    out = it.get_output_details()[0]
    assert list(out["shape"]) == [1, 7] and out["dtype"] == np.float32, out

    probs = np.zeros((len(rows), 7), dtype=np.float32)
    reused = {}
    if args.check_keras:
        ref = np.load(args.check_keras)
        with open(args.check_ids) as f:
            ids = [line.strip() for line in f if line.strip()]
        assert len(ids) == len(ref), (len(ids), ref.shape)
        reused = {k: ref[j] for j, k in enumerate(ids)}
    run_ids = {r["image_id"] for r in rows}
    if args.reuse_checked:
        run_ids -= set(sorted(reused)[40:])
    source = {}
    t0 = time.perf_counter()
    done = 0
    for i, r in enumerate(rows):
        if r["image_id"] not in run_ids:
            probs[i] = reused[r["image_id"]]
            source[r["image_id"]] = "keras-cache"
            continue
        source[r["image_id"]] = "model"
        data = tf.io.read_file(os.path.join(args.data, "images", r["image_id"] + ".jpg"))
        rgb = tf.cast(tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE"), tf.float32)
        x = tf.image.resize(rgb[None], [254, 254], method="bilinear", antialias=True).numpy()
        it.set_tensor(image_in["index"], x.astype(np.float32))
        it.set_tensor(meta_in["index"], metadata_of(r)[None])
        it.invoke()
        probs[i] = it.get_tensor(out["index"])[0]
        done += 1
        if done % 250 == 0:
            el = time.perf_counter() - t0
            print(f"{done}/{len(run_ids)} images run, {el:.0f} s, {el / done:.3f} s/image", flush=True)
    seconds = time.perf_counter() - t0

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        f.write(f"# teacher {os.path.basename(args.model)} sha256 {model_sha}; "
                f"decode INTEGER_ACCURATE, resize 254 bilinear antialias, metadata from the CSV row\n")
        w = csv.writer(f)
        w.writerow(["image_id"] + CLASSES)
        for r, pr in zip(rows, probs):
            w.writerow([r["image_id"]] + [f"{v:.7g}" for v in pr])
    y = np.array([CLASSES.index(r["dx"]) for r in rows])
    acc = float((probs.argmax(1) == y).mean())
    rec = [float((probs.argmax(1)[y == k] == k).mean()) for k in range(7) if (y == k).any()]
    print(f"wrote {args.out}: {len(rows)} images, {done} run in {seconds:.0f} s "
          f"({seconds / max(done, 1):.3f} s/image), {len(rows) - done} from the Keras cache; "
          f"teacher on them (optimistic, it trained on most): accuracy {acc:.4f}, balanced accuracy {np.mean(rec):.4f}")

    if reused:
        common = [(k, i) for i, r in enumerate(rows) if (k := r["image_id"]) in reused and source[k] == "model"]
        ref_c = np.stack([reused[k] for k, _ in common])
        got_c = probs[[i for _, i in common]]
        d = np.abs(ref_c - got_c)
        print(f"model against the Keras cache on {len(common)} images: largest |dp| {d.max():.6f}, "
              f"mean {d.mean():.2e}, top-1 agreement {np.mean(ref_c.argmax(1) == got_c.argmax(1)):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
