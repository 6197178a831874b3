#!/usr/bin/env python3
"""Train a HAM10000 skin-lesion classifier and export it as a full-integer int8 .tflite with
a LesionScan model card.

This is the training recipe of the original student study (four Keras models compared on
HAM10000; MobileNet won), made reproducible and corrected where it leaked:

  * architectures  --arch mobilenet (default) | resnet50 | vgg16 | cnn, all with the same
                   head: global average pooling, Dropout(--dropout), Dense(7, softmax).
                   mobilenet = keras.applications.MobileNet (v1), width --alpha;
                   resnet50 / vgg16 = keras.applications.ResNet50 / VGG16;
                   cnn = a plain baseline CNN (4 x [Conv3x3-BN-ReLU x2, MaxPool], 32..256
                   filters); the study's own CNN layer list is not recorded, so this is a
                   stand-in of the same kind, not a copy.
  * initialisation from scratch, unless --weights names a Keras "no top" ImageNet weights
                   file that YOU downloaded (e.g. mobilenet_1_0_224_tf_no_top.h5 for
                   --alpha 1.0; resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5;
                   vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5). Nothing is ever
                   downloaded by this script.
  * input          --input-size (default 224) square RGB. JPEGs are decoded by libjpeg-turbo
                   with the accurate integer IDCT (tf.io.decode_jpeg(dct_method=
                   "INTEGER_ACCURATE"), the same pixels as Pillow and LesionScan) and resized
                   with tf.image.resize(bilinear, antialias=True), stretched (no crop), which
                   is what the Rust library does for a card with resize
                   "bilinear-antialias" (every card this script writes says so; "bilinear"
                   would filter only reductions of 2x and more), crop "none"; rounded to
                   uint8. The decoded, resized pictures are cached once per
                   input size as .npy under --cache-dir (default /tmp/lesionscan-train/cache,
                   never in the repository), keyed by the image files' bytes.
  * normalisation  the study's rescale=1/255, done OUTSIDE the model: the model takes
                   pixel/255 in 0..1, and the card says mean [0,0,0], std [255,255,255] so the
                   app does the division. The model has no Rescaling layer.
  * augmentation   as the study's ImageDataGenerator: rotation up to 180 degrees, width and
                   height shift 0.1, zoom 0.1 (each axis 0.9..1.1), horizontal and vertical
                   flips, fill mode "nearest"; training images only, as Keras layers in front
                   of the model inside the training graph (on the GPU where there is one; not
                   in the exported model). Batches come from numpy, so any Keras backend trains.
  * split          by lesion_id, so no lesion has images on both sides (the study split by
                   image, and HAM10000 has several images of many lesions, which leaks).
                   Deterministic and stratified by dx over LESIONS: for each class the
                   lesions are shuffled with --seed; round(--test-fraction x lesions) go to
                   TEST and round(--val-fraction x lesions) to VALIDATION, each with all its
                   images (at least 1 each when the class has 3 or more lesions). Asserted
                   disjoint; counts printed. The split depends only on the CSV and --seed,
                   so every architecture sees the same three parts. The test part is used
                   for nothing but the final report: epochs, weights and every choice are
                   made on validation.
  * class weights  inverse frequency on the training split ("balanced", as sklearn:
                   n_train / (n_classes_present x n_class)), applied as per-sample weights.
  * sampling       --max-per-class N (default 0: off): each epoch, a class with more than N
                   training images contributes a fresh seeded sample of N of them, so nevi
                   (72 % of HAM10000) do not take most of a small CPU budget; the class weights
                   are then computed over these per-epoch counts. Over the epochs every image
                   is still seen.
  * distillation   --teacher CSV (image_id, then a probability per class; written once by
                   models/tools/teacher_probs.py): the loss per training image becomes
                   alpha x CE(true label, student) + (1 - alpha) x T^2 x KL(teacher_T ||
                   student_T), where x_T = softmax(log(x) / T) is the distribution softened
                   at temperature T (--temperature, default 4) and alpha is
                   --distill-alpha (default 0.5), both weighted by the true class's weight.
                   The student's softened distribution is computed from its probabilities
                   (softmax(log p / T) = softmax(z / T) for logits z), so the exported model
                   is unchanged. Teacher probabilities are looked up by image_id, computed
                   on the unaugmented picture, and reused for its augmented copies.
  * training       Adam (--lr; default 1e-3 from scratch, 1e-4 with --weights), --epochs,
                   ReduceLROnPlateau(val_loss, x0.5, patience 3). After every epoch the
                   validation split is predicted (Keras moving BatchNorm averages) for the
                   validation loss (plain cross-entropy with the true labels, unweighted),
                   accuracy and balanced accuracy. --keep best (default) keeps the weights
                   of the epoch with the best --monitor (default val_balanced_accuracy; or
                   val_loss); --keep last the last epoch's. --time-budget-min stops training
                   after the first epoch that ends past the budget (wall clock, training
                   only), keeping the best weights so far.
  * BatchNorm      --bn-momentum (default 0.9, Keras' is 0.99) for the moving averages, so
                   that the per-epoch validation (inference mode) follows the weights in a
                   short run. After training, BN moving mean/variance are re-estimated as the plain
                   average over --bn-recalibration-images unaugmented training pictures
                   (0: keep Keras' moving averages), and kept only when validation balanced
                   accuracy does not drop (unaugmented, naturally distributed pictures can
                   have other statistics than sampled, augmented batches); Keras metrics
                   before and after are
                   reported (on validation).
  * export         full-integer int8 (int8 input and output), calibrated on
                   --calibration-images training images (no augmentation).
  * evaluation     on the validation and the test split, from the int8 model (LiteRT,
                   ai_edge_litert) and from Keras: accuracy, balanced accuracy (mean recall
                   over the classes present), per-class recall, melanoma sensitivity (recall
                   of mel at top-1), macro AUC (one class against the rest, the mean over
                   classes; ties count half), confusion matrix. Latency: the int8 model in
                   LiteRT with 1 and 2 threads, median of --latency-runs invocations after 5
                   warm-ups, on this machine.

  * two machines   --fit-only trains and stops after writing keras.weights.h5 (and a float16
                   copy, keras.weights.f16.npz), history.json and fit.json (epochs, time, the
                   machine, Keras metrics). With --pictures (a pack from pack_pictures.py) it
                   needs no TensorFlow: KERAS_BACKEND=jax or torch trains on a GPU machine
                   (study_gpu.py runs the study there). --from-fit DIR then exports here:
                   the same split and model arguments (checked against fit.json), the
                   weights loaded instead of trained, everything below as usual on the exact
                   pixels.

Writes into --out:
  <id>.tflite    the int8 model          <id>.json    its model card (src/model/card.rs)
  history.json   per-epoch logs          report.json  split, weights, metrics, table row
  curves.png     loss and balanced accuracy per epoch

and prints one row of the comparison table that models/README.md collects.

HAM10000 layout: --csv HAM10000_metadata.csv (lesion_id,image_id,dx,...) and one or more
--images directories holding <image_id>.jpg. With the shared 224x224 copies:

    nice -n 10 python3 models/tools/train.py \\
        --csv ../shared/data/ham10000-224/HAM10000_metadata.csv \\
        --images ../shared/data/ham10000-224/images \\
        --arch mobilenet --alpha 0.5 --input-size 128 --epochs 40 --time-budget-min 12 \\
        --out /tmp/lesionscan-train/mobilenet

(models/README.md, "Training on the shared HAM10000 images", has the command of each run.)

Exact versions used for the committed results: Python 3.11, tensorflow-cpu 2.21.0 (Keras
3.15.1), numpy 2.4.6, ai-edge-litert 2.1.4, matplotlib 3.11.2 (only for curves.png; skipped
with a note when missing). The GPU runs (--fit-only): Python 3.12.3, Keras 3.15.1 (with namex
0.1.0 and optree 0.20.0) on the lent machine's JAX (0.11.2 by its package list; the runs did
not print it), Pillow for the pack. Seeds are fixed (--seed, default 42: split, weights,
shuffling, augmentation); TensorFlow's CPU kernels with 2 threads are not bit-deterministic,
so reruns give close, not identical, numbers.

Not a medical device: the models it makes support a clinician's judgement, they are not a
diagnosis.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import hashlib
import io
import json
import os
import platform
import statistics
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
MALIGNANT = {"akiec", "bcc", "mel"}
CLASS_INFO = {
    "akiec": (
        "Actinic keratoses and intraepithelial carcinoma (Bowen's disease)",
        "Rough, scaly patches of sun-damaged skin that can turn into squamous cell carcinoma, "
        "including its early in-skin form called Bowen's disease.",
    ),
    "bcc": (
        "Basal cell carcinoma",
        "The most common skin cancer, usually a slow-growing shiny or pearly bump or a sore "
        "that does not heal, which rarely spreads elsewhere.",
    ),
    "bkl": (
        "Benign keratosis-like lesions",
        "Harmless growths such as seborrhoeic keratoses, sun spots (solar lentigines) and "
        "lichen-planus-like keratoses.",
    ),
    "df": (
        "Dermatofibroma",
        "A small, firm, harmless bump in the skin, often brownish, that dimples inwards when pinched.",
    ),
    "mel": (
        "Melanoma",
        "A dangerous cancer of the pigment cells that can spread if not removed early, often a "
        "mole that changes in size, shape or colour.",
    ),
    "nv": (
        "Melanocytic nevi",
        "Common moles: harmless clusters of pigment cells, usually small, round and evenly coloured.",
    ),
    "vasc": (
        "Vascular lesions",
        "Growths made of blood vessels, such as cherry angiomas, angiokeratomas and pyogenic "
        "granulomas, usually red or purple.",
    ),
}
ARCH_NAMES = {"mobilenet": "MobileNet v1", "resnet50": "ResNet50", "vgg16": "VGG16", "cnn": "CNN"}
TABLE_HEADER = (
    "| architecture | parameters | epochs (kept) | training time | balanced accuracy | accuracy "
    "| melanoma sensitivity | macro AUC | int8 size | latency 1 thread | latency 2 threads |"
)
TABLE_RULE = "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
LATENCY_WARMUP = 5
DCT_METHOD = "INTEGER_ACCURATE"


# ---- arguments ---------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Train a HAM10000 classifier (split by lesion_id) and export int8 .tflite + model card.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--csv", required=True, help="HAM10000_metadata.csv")
    p.add_argument("--images", nargs="+", metavar="DIR", default=[],
                   help="folders holding <image_id>.jpg (needed unless --fit-only with --pictures)")
    p.add_argument("--pictures", default=None, metavar="TAR_OR_NPZ",
                   help="train on these pictures instead of decoding --images with TensorFlow: a .tar of "
                        "<image_id>.jpg/.png already at --input-size (made by pack_pictures.py), or a .npz "
                        "with image_id and pixels; for a machine without TensorFlow (with --fit-only)")
    p.add_argument("--fit-only", action="store_true",
                   help="train, then write keras.weights.h5, history.json and fit.json and stop (no "
                        "TensorFlow needed with --pictures; any KERAS_BACKEND)")
    p.add_argument("--from-fit", default=None, metavar="DIR",
                   help="do not train: take the weights and history a --fit-only run wrote into DIR (same "
                        "split and model arguments) and export, evaluate and time them here")
    p.add_argument("--arch", choices=sorted(ARCH_NAMES), default="mobilenet")
    p.add_argument("--alpha", type=float, default=1.0, help="MobileNet width multiplier")
    p.add_argument("--input-size", type=int, default=224, help="square input side in pixels")
    p.add_argument("--weights", default=None,
                   help="Keras no-top ImageNet weights file you downloaded (default: from scratch)")
    p.add_argument("--epochs", type=int, default=30, help="most epochs (--time-budget-min may stop earlier)")
    p.add_argument("--time-budget-min", type=float, default=0.0,
                   help="stop after the first epoch that ends past this many minutes of training (0: none)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 1e-3, 1e-4 with --weights)")
    p.add_argument("--dropout", type=float, default=0.2, help="dropout before the Dense(7) head")
    p.add_argument("--cnn-width", type=int, default=32,
                   help="--arch cnn: filters of the first block (doubled in each of the four blocks)")
    p.add_argument("--bn-momentum", type=float, default=0.9,
                   help="momentum of every BatchNormalization layer's moving averages (Keras' default 0.99 "
                        "lags far behind the weights in a run of a few hundred steps)")
    p.add_argument("--max-per-class", type=int, default=0,
                   help="per epoch, a class with more training images than this contributes a fresh random "
                        "sample of about this many (0: all images every epoch); class weights follow the "
                        "sampled counts")
    p.add_argument("--keep", choices=["best", "last"], default="best",
                   help="weights to export: the epoch with the best --monitor, or the last epoch")
    p.add_argument("--monitor", choices=["val_balanced_accuracy", "val_loss"], default="val_balanced_accuracy",
                   help="what --keep best maximises (balanced accuracy) or minimises (loss) on validation")
    p.add_argument("--bn-recalibration-images", type=int, default=1000,
                   help="training images (unaugmented) over which BatchNorm statistics are re-estimated "
                        "after training; 0 keeps Keras' moving averages")
    p.add_argument("--val-fraction", type=float, default=0.15, help="fraction of each class's LESIONS in validation")
    p.add_argument("--test-fraction", type=float, default=0.2,
                   help="fraction of each class's LESIONS in the held-out test part (0: none)")
    p.add_argument("--teacher", default=None,
                   help="CSV of teacher probabilities (image_id + one column per class), for distillation")
    p.add_argument("--temperature", type=float, default=4.0, help="distillation temperature T")
    p.add_argument("--distill-alpha", type=float, default=0.5,
                   help="weight of the true-label loss; 1 - alpha goes to the teacher term")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--write-split", action="store_true",
                   help="write train_ids.txt, validation_ids.txt and test_ids.txt into --out and stop "
                        "(for teacher_probs.py --ids)")
    p.add_argument("--out", required=True, help="output folder (created)")
    p.add_argument("--cache-dir", default="/tmp/lesionscan-train/cache",
                   help="decoded, resized pictures are cached here as .npy (keep it out of the repository)")
    p.add_argument("--id", default=None, help="model id (default from arch, alpha, size and teacher)")
    p.add_argument("--version", default="0.1.0", help="model version for the card (semver)")
    p.add_argument("--calibration-images", type=int, default=300,
                   help="training images for int8 calibration")
    p.add_argument("--latency-runs", type=int, default=50, help="timed invocations per thread count")
    p.add_argument("--threads", type=int, default=2, help="TensorFlow / tf.data threads")
    p.add_argument("--dataset-name", default="HAM10000",
                   help="what the card's provenance says the data was (e.g. 'synthetic smoke-test data')")
    args = p.parse_args(argv)
    if not 0.0 < args.val_fraction < 1.0 or not 0.0 <= args.test_fraction < 1.0 \
            or args.val_fraction + args.test_fraction >= 1.0:
        p.error("--val-fraction and --test-fraction must be in [0, 1) with val > 0 and a sum below 1")
    if args.input_size < 32:
        p.error("--input-size must be at least 32")
    if args.arch != "mobilenet" and args.alpha != 1.0:
        p.error("--alpha applies to --arch mobilenet only")
    if args.arch != "cnn" and args.cnn_width != 32:
        p.error("--cnn-width applies to --arch cnn only")
    if args.max_per_class < 0 or args.cnn_width < 1 or not 0.0 <= args.bn_momentum < 1.0:
        p.error("--max-per-class >= 0, --cnn-width >= 1 and 0 <= --bn-momentum < 1")
    if args.arch == "cnn" and args.weights:
        p.error("--weights (ImageNet) does not apply to --arch cnn")
    if args.weights and not os.path.isfile(args.weights):
        p.error(f"--weights {args.weights}: no such file (this script never downloads weights)")
    if args.teacher and not os.path.isfile(args.teacher):
        p.error(f"--teacher {args.teacher}: no such file (write it with models/tools/teacher_probs.py)")
    if not 0.0 <= args.distill_alpha <= 1.0 or args.temperature <= 0:
        p.error("--distill-alpha must be in [0, 1] and --temperature positive")
    if args.epochs < 1 or args.batch_size < 1 or args.calibration_images < 1 or args.threads < 1 \
            or args.latency_runs < 1 or args.time_budget_min < 0:
        p.error("--epochs, --batch-size, --calibration-images, --latency-runs and --threads must be positive")
    if args.fit_only and args.from_fit:
        p.error("--fit-only and --from-fit exclude each other")
    if args.pictures and not os.path.isfile(args.pictures):
        p.error(f"--pictures {args.pictures}: no such file")
    if not args.images and not (args.fit_only and args.pictures):
        p.error("--images is needed (only --fit-only with --pictures does without)")
    if args.from_fit and not (os.path.isfile(os.path.join(args.from_fit, "fit.json")) and any(
            os.path.isfile(os.path.join(args.from_fit, f)) for f in ("keras.weights.h5", "keras.weights.f16.npz"))):
        p.error(f"--from-fit {args.from_fit}: needs fit.json and keras.weights.h5 or keras.weights.f16.npz "
                "(written by a --fit-only run)")
    if args.lr is None:
        args.lr = 1e-4 if args.weights else 1e-3
    if args.id is None:
        if args.arch == "mobilenet":
            args.id = f"ham10000_mobilenet_a{round(args.alpha * 100):03d}_{args.input_size}"
        elif args.arch == "cnn" and args.cnn_width != 32:
            args.id = f"ham10000_cnn{args.cnn_width}_{args.input_size}"
        else:
            args.id = f"ham10000_{args.arch}_{args.input_size}"
        args.id += "_distilled_int8" if args.teacher else "_int8"
    return args


# ---- data --------------------------------------------------------------------------------
def read_metadata(csv_path: str, image_dirs: list[str]) -> list[dict]:
    """Rows of the metadata CSV with 'path' and 'label' added; every image must exist
    (no image folders: 'path' is None, for pictures that come packed)."""
    files = {}
    for d in image_dirs:
        if not os.path.isdir(d):
            sys.exit(f"--images {d}: not a folder")
        for name in sorted(os.listdir(d)):
            stem, ext = os.path.splitext(name)
            if ext.lower() in (".jpg", ".jpeg"):
                files.setdefault(stem, os.path.join(d, name))
    with open(csv_path, newline="") as f:
        reader = csv.DictReader(f)
        need = {"lesion_id", "image_id", "dx"}
        if not need <= set(reader.fieldnames or []):
            sys.exit(f"{csv_path}: needs columns {sorted(need)}, has {reader.fieldnames}")
        rows = [dict(r) for r in reader]
    missing, unknown = [], set()
    for r in rows:
        r["dx"] = r["dx"].strip()
        r["image_id"] = r["image_id"].strip()
        if r["dx"] not in CLASSES:
            unknown.add(r["dx"])
            continue
        r["label"] = CLASSES.index(r["dx"])
        r["path"] = files.get(r["image_id"])
        if r["path"] is None:
            missing.append(r["image_id"])
    if unknown:
        sys.exit(f"{csv_path}: unknown dx values {sorted(unknown)} (expected {CLASSES})")
    if missing and image_dirs:
        sys.exit(f"{len(missing)} images of the CSV are in none of the --images folders, e.g. {missing[:5]}")
    if not rows:
        sys.exit(f"{csv_path}: no rows")
    return rows


def split_by_lesion(rows: list[dict], val_fraction: float, test_fraction: float, seed: int):
    """Deterministic lesion-level split stratified by dx: (train_rows, val_rows, test_rows)."""
    lesion_dx = {}
    for r in rows:
        prev = lesion_dx.setdefault(r["lesion_id"], r["dx"])
        if prev != r["dx"]:
            sys.exit(f"lesion {r['lesion_id']} has images labelled {prev} and {r['dx']}")
    rng = np.random.default_rng(seed)
    val_lesions, test_lesions = set(), set()
    for dx in CLASSES:
        lesions = sorted(lid for lid, d in lesion_dx.items() if d == dx)
        n = len(lesions)
        order = [lesions[i] for i in rng.permutation(n)]
        want_test = test_fraction > 0
        if n < (3 if want_test else 2):
            if n:
                print(f"warning: class {dx} has {n} lesion(s); they stay in training", file=sys.stderr)
            continue
        n_test = min(max(int(round(test_fraction * n)), 1), n - 2) if want_test else 0
        n_val = min(max(int(round(val_fraction * n)), 1), n - n_test - 1)
        test_lesions.update(order[:n_test])
        val_lesions.update(order[n_test:n_test + n_val])
    train = [r for r in rows if r["lesion_id"] not in val_lesions | test_lesions]
    val = [r for r in rows if r["lesion_id"] in val_lesions]
    test = [r for r in rows if r["lesion_id"] in test_lesions]
    sides = [{r["lesion_id"] for r in part} for part in (train, val, test)]
    for i in range(3):
        for j in range(i + 1, 3):
            both = sides[i] & sides[j]
            assert not both, f"lesions on two sides of the split: {sorted(both)[:5]}"
    assert len(train) + len(val) + len(test) == len(rows)
    return train, val, test


def split_counts(parts: dict) -> dict:
    out = {}
    for name, part in parts.items():
        out[name] = {
            dx: {
                "images": sum(1 for r in part if r["dx"] == dx),
                "lesions": len({r["lesion_id"] for r in part if r["dx"] == dx}),
            }
            for dx in CLASSES
        }
        out[name]["total"] = {"images": len(part), "lesions": len({r["lesion_id"] for r in part})}
    return out


def print_split(counts: dict) -> None:
    names = list(counts)
    print("split by lesion_id (no lesion on two sides), images / lesions:")
    print(f"  {'class':6s}" + "".join(f"{n:>16s}" for n in names))
    for dx in CLASSES + ["total"]:
        print(f"  {dx:6s}" + "".join(f"{counts[n][dx]['images']:>9d} / {counts[n][dx]['lesions']:<4d}"
                                     for n in names))


def epoch_counts(train, max_per_class: int) -> np.ndarray:
    """Expected training images per class in one epoch (all, or about max_per_class)."""
    counts = np.bincount([r["label"] for r in train], minlength=len(CLASSES)).astype(np.float64)
    return np.minimum(counts, max_per_class) if max_per_class else counts


def balanced_class_weights(train, max_per_class: int = 0) -> dict[int, float]:
    """sklearn's "balanced" weights, n / (classes x n_class), over the images an epoch sees."""
    counts = epoch_counts(train, max_per_class)
    present = int((counts > 0).sum())
    return {
        i: (float(counts.sum() / (present * counts[i])) if counts[i] else 1.0)
        for i in range(len(CLASSES))
    }


def read_teacher(path: str, rows: list[dict]) -> np.ndarray:
    """Teacher probabilities for rows (N x 7, LesionScan's class order), by image_id."""
    with open(path, newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or reader.fieldnames[0] != "image_id" or \
            sorted(reader.fieldnames[1:]) != sorted(CLASSES):
        sys.exit(f"--teacher {path}: header must be image_id and the classes {CLASSES}")
    table = {r["image_id"]: [float(r[c]) for c in CLASSES] for r in reader}
    missing = [r["image_id"] for r in rows if r["image_id"] not in table]
    if missing:
        sys.exit(f"--teacher {path}: no probabilities for {len(missing)} training images, e.g. {missing[:3]}")
    probs = np.array([table[r["image_id"]] for r in rows], dtype=np.float32)
    if not np.all(np.isfinite(probs)) or np.abs(probs.sum(1) - 1).max() > 1e-3:
        sys.exit(f"--teacher {path}: rows must be finite probabilities summing to 1")
    return probs


# ---- TensorFlow ----------------------------------------------------------------------------
def import_tf(threads: int):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    return tf


def cached_pictures(tf, rows: list[dict], size: int, cache_dir: str) -> np.ndarray:
    """N x size x size x 3 uint8 for rows (decoded, resized, rounded), cached as .npy."""
    h = hashlib.sha256(f"decode_jpeg {DCT_METHOD}; resize {size} bilinear antialias; round".encode())
    for r in rows:
        with open(r["path"], "rb") as f:
            h.update(r["image_id"].encode() + hashlib.sha256(f.read()).digest())
    path = os.path.join(cache_dir, f"pictures_{size}_{len(rows)}_{h.hexdigest()[:20]}.npy")
    if os.path.isfile(path):
        print(f"pictures from the cache {path}")
        return np.load(path)
    t0 = time.perf_counter()
    out = np.empty((len(rows), size, size, 3), dtype=np.uint8)
    for i, r in enumerate(rows):
        img = tf.io.decode_jpeg(tf.io.read_file(r["path"]), channels=3, dct_method=DCT_METHOD)
        img = tf.image.resize(img[None], (size, size), method="bilinear", antialias=True)[0]
        out[i] = tf.cast(tf.clip_by_value(tf.round(img), 0, 255), tf.uint8).numpy()
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.part.npy"
    np.save(tmp, out)
    os.replace(tmp, path)
    print(f"decoded and resized {len(rows)} pictures in {time.perf_counter() - t0:.0f} s; cached in {path}")
    return out


def packed_pictures(rows: list[dict], path: str, size: int) -> np.ndarray:
    """N x size x size x 3 uint8 for rows, from a .npz (image_id, pixels) or a .tar of
    <image_id>.jpg/.png pictures already at size x size (decoded by Pillow)."""
    want = {r["image_id"] for r in rows}
    found = {}
    if path.endswith(".npz"):
        with np.load(path) as z:
            ids, pixels = [str(i) for i in z["image_id"]], z["pixels"]
            for i, image_id in enumerate(ids):
                if image_id in want:
                    found[image_id] = pixels[i]
    else:
        import tarfile

        from PIL import Image

        with tarfile.open(path) as tar:
            for member in tar:
                stem, ext = os.path.splitext(os.path.basename(member.name))
                if member.isfile() and stem in want and ext.lower() in (".jpg", ".jpeg", ".png"):
                    with Image.open(io.BytesIO(tar.extractfile(member).read())) as im:
                        found[stem] = np.asarray(im.convert("RGB"))
    missing = sorted(want - set(found))
    if missing:
        sys.exit(f"--pictures {path}: no picture for {len(missing)} rows of the CSV, e.g. {missing[:3]}")
    out = np.stack([found[r["image_id"]] for r in rows])
    if out.shape[1:] != (size, size, 3) or out.dtype != np.uint8:
        sys.exit(f"--pictures {path}: pictures are {out.shape[1:]} {out.dtype}, --input-size wants "
                 f"({size}, {size}, 3) uint8")
    print(f"{len(out)} pictures from {path}")
    return out


def augmentation(keras, seed: int):
    """The study's ImageDataGenerator settings as Keras layers (any backend; training only)."""
    layers = keras.layers
    return keras.Sequential(
        [
            layers.RandomRotation(0.5, fill_mode="nearest", seed=seed + 1),  # +-0.5 turn = 180 deg
            layers.RandomTranslation(0.1, 0.1, fill_mode="nearest", seed=seed + 2),
            layers.RandomZoom((-0.1, 0.1), (-0.1, 0.1), fill_mode="nearest", seed=seed + 3),
            layers.RandomFlip("horizontal_and_vertical", seed=seed + 4),
        ],
        name="study_augmentation",
    )


def epoch_order(y: np.ndarray, max_per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Training indices for one epoch, shuffled: every image, or a fresh sample of
    max_per_class images of each class that has more (the same count every epoch)."""
    if not max_per_class:
        return rng.permutation(len(y))
    keep = []
    for c in range(len(CLASSES)):
        idx = np.flatnonzero(y == c)
        keep.append(idx if len(idx) <= max_per_class else rng.choice(idx, max_per_class, replace=False))
    picked = np.concatenate(keep)
    return picked[rng.permutation(len(picked))]


def train_batches(keras, x_u8, y, targets, weights, args):
    """Batches of (pixel/255, target, sample weight) for model.fit, reshuffled (and
    resampled) with a seeded generator every epoch; plain numpy, so any Keras backend."""

    class TrainBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng(args.seed + 5)
            self.order = epoch_order(y, args.max_per_class, self.rng)

        def __len__(self):
            return -(-len(self.order) // args.batch_size)

        def __getitem__(self, i):
            pick = np.sort(self.order[i * args.batch_size:(i + 1) * args.batch_size])
            return x_u8[pick].astype(np.float32) / 255.0, targets[pick], weights[pick]

        def on_epoch_end(self):
            self.order = epoch_order(y, args.max_per_class, self.rng)

    return TrainBatches()


def distillation_loss(temperature: float, alpha: float):
    """Loss on y_true = [one-hot label | teacher probabilities] (N x 14), y_pred = probabilities."""
    from keras import ops

    k = len(CLASSES)
    eps = 1e-7

    def loss(y_true, y_pred):
        onehot, teacher = y_true[:, :k], y_true[:, k:]
        p = ops.clip(y_pred, eps, 1.0)
        ce = -ops.sum(onehot * ops.log(p), axis=-1)
        student_t = ops.log_softmax(ops.log(p) / temperature, axis=-1)
        teacher_t = ops.softmax(ops.log(ops.clip(teacher, eps, 1.0)) / temperature, axis=-1)
        kl = ops.sum(teacher_t * (ops.log(ops.clip(teacher_t, eps, 1.0)) - student_t), axis=-1)
        return alpha * ce + (1.0 - alpha) * temperature**2 * kl

    return loss


def build_model(keras, args):
    shape = (args.input_size, args.input_size, 3)
    weights = args.weights or None
    apps = keras.applications
    if args.arch == "mobilenet":
        base = apps.MobileNet(input_shape=shape, alpha=args.alpha, include_top=False,
                              weights=weights, pooling="avg")
    elif args.arch == "resnet50":
        base = apps.ResNet50(input_shape=shape, include_top=False, weights=weights, pooling="avg")
    elif args.arch == "vgg16":
        base = apps.VGG16(input_shape=shape, include_top=False, weights=weights, pooling="avg")
    else:
        base = None
    image = keras.Input(shape, name="image")
    if base is not None:
        x = base(image)
    else:
        x = image
        for filters in (args.cnn_width * 2**k for k in range(4)):
            for _ in range(2):
                x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
                x = keras.layers.BatchNormalization()(x)
                x = keras.layers.ReLU()(x)
            x = keras.layers.MaxPooling2D()(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(args.dropout)(x)
    out = keras.layers.Dense(len(CLASSES), activation="softmax", name="predictions")(x)
    return keras.Model(image, out, name=f"ham10000_{args.arch}")


def fit(keras, model, keras_predict, x_train, y_train, teacher, class_weight, x_val, y_val, x_bn, args) -> dict:
    """Trains model on the training part (augmented, weighted, optionally distilled), keeps the
    best (or last) epoch's weights, re-estimates BatchNorm statistics on x_bn, and returns what
    the export step and the card need (fit.json): epochs, kept epoch, time, machine."""
    weights = np.array([class_weight[int(y)] for y in y_train], dtype=np.float32)
    if teacher is not None:
        targets = np.concatenate([np.eye(len(CLASSES), dtype=np.float32)[y_train], teacher], axis=1)
        loss = distillation_loss(args.temperature, args.distill_alpha)
    else:
        targets = y_train
        loss = "sparse_categorical_crossentropy"
    # The augmentation runs inside the training graph (on the GPU where there is one); the
    # model that is saved and exported is `model` alone.
    image = keras.Input(model.input_shape[1:], name="image")
    trainer = keras.Model(image, model(augmentation(keras, args.seed)(image, training=True)))
    trainer.compile(optimizer=keras.optimizers.Adam(args.lr), loss=loss)

    class EpochEnd(keras.callbacks.Callback):
        """Validation metrics per epoch, the best weights, and the time budget."""

        def __init__(self):
            super().__init__()
            self.log, self.best, self.epoch, self.weights = [], None, None, None
            self.t0 = time.perf_counter()
            self.stopped_by_budget = False

        def on_epoch_end(self, epoch, logs=None):
            logs = logs if logs is not None else {}
            m = metrics(y_val, keras_predict(x_val))
            logs["val_loss"] = m["loss"]  # seen by ReduceLROnPlateau, which runs after this
            elapsed = time.perf_counter() - self.t0
            entry = {"epoch": epoch + 1, "loss": float(logs.get("loss", np.nan)), "val_loss": m["loss"],
                     "val_accuracy": m["accuracy"], "val_balanced_accuracy": m["balanced_accuracy"],
                     "val_melanoma_sensitivity": m["melanoma_sensitivity"], "val_macro_auc": m["macro_auc"],
                     "lr": float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
                     "seconds": round(elapsed, 1)}
            self.log.append(entry)
            score = m["balanced_accuracy"] if args.monitor == "val_balanced_accuracy" else -m["loss"]
            if self.best is None or score > self.best:
                self.best, self.epoch, self.weights = score, epoch + 1, model.get_weights()
            print(f"  epoch {epoch + 1}: loss {entry['loss']:.4f}, val loss {m['loss']:.4f}, "
                  f"val balanced accuracy {pct(m['balanced_accuracy'])}, val accuracy {pct(m['accuracy'])}, "
                  f"{duration(elapsed)} so far", flush=True)
            if args.time_budget_min and elapsed >= 60.0 * args.time_budget_min:
                self.stopped_by_budget = True
                self.model.stop_training = True

    end = EpochEnd()
    trainer.fit(
        train_batches(keras, x_train, y_train, targets, weights, args),
        epochs=args.epochs,
        callbacks=[end, keras.callbacks.ReduceLROnPlateau("val_loss", factor=0.5, patience=3, verbose=1)],
        verbose=2,
    )
    train_seconds = time.perf_counter() - end.t0
    epochs_run = len(end.log)
    why = f"time budget {args.time_budget_min:g} min" if end.stopped_by_budget else f"{args.epochs} epochs"
    if args.keep == "best" and end.weights is not None:
        model.set_weights(end.weights)
        kept = end.epoch
        print(f"training took {duration(train_seconds)}, {epochs_run} epochs ({why}); kept epoch {kept} "
              f"(best {args.monitor})")
    else:
        kept = epochs_run
        print(f"training took {duration(train_seconds)}, {epochs_run} epochs ({why}); kept the last epoch")

    m_keras_moving = None
    bn_kept = "Keras moving averages"
    if len(x_bn):
        m_keras_moving = metrics(y_val, keras_predict(x_val))
        print_metrics("validation, float Keras, BatchNorm moving averages", m_keras_moving)
        moving = model.get_weights()
        n_layers = recalibrate_batchnorm(model, x_bn, args.batch_size)
        m_recal = metrics(y_val, keras_predict(x_val))
        print(f"BatchNorm statistics of {n_layers} layers re-estimated on {len(x_bn)} training images: "
              f"validation balanced accuracy {pct(m_keras_moving['balanced_accuracy'])} -> "
              f"{pct(m_recal['balanced_accuracy'])}")
        if m_recal["balanced_accuracy"] < m_keras_moving["balanced_accuracy"]:
            model.set_weights(moving)
            print("  lower on validation: the moving averages are kept")
        else:
            bn_kept = f"statistics re-estimated on {len(x_bn)} unaugmented training images after training"
    return {
        "args": {k: v for k, v in vars(args).items()},
        "epochs": end.log,
        "kept_epoch": kept,
        "stopped_by_time_budget": end.stopped_by_budget,
        "training_seconds": round(train_seconds, 1),
        "batchnorm_kept": bn_kept,
        "metrics_keras_validation_before_bn_recalibration": m_keras_moving,
        "machine": training_machine(keras),
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
    }


# The arguments that must be the same for --from-fit as for the --fit-only run it takes.
FIT_IDENTITY = ("arch", "alpha", "input_size", "cnn_width", "dropout", "seed", "val_fraction",
                "test_fraction", "teacher", "temperature", "distill_alpha", "bn_recalibration_images")


def read_fit(folder: str, args, split_digest: str) -> dict:
    """fit.json of a --fit-only run, checked against this run's split and model arguments."""
    with open(os.path.join(folder, "fit.json")) as f:
        fitted = json.load(f)
    theirs = fitted.get("args", {})
    ours = vars(args)
    differ = [f"{k} {theirs.get(k)!r} vs {ours.get(k)!r}" for k in FIT_IDENTITY
              if k != "teacher" and k in ours and theirs.get(k) != ours.get(k)]
    if bool(theirs.get("teacher")) != bool(args.teacher):
        differ.append(f"teacher {theirs.get('teacher')!r} vs {args.teacher!r}")
    if fitted.get("split_sha256") != split_digest:
        differ.append("split (other image_ids in train/validation/test)")
    if differ:
        sys.exit(f"--from-fit {folder}: trained with other arguments than given here: {'; '.join(differ)}")
    for k in ("epochs", "lr", "batch_size", "time_budget_min", "max_per_class", "bn_momentum", "keep", "monitor"):
        setattr(args, k, theirs.get(k, getattr(args, k)))  # the card describes the training that happened
    return fitted


def training_machine(keras) -> str:
    """Where training ran, in words: the GPU's name where the backend reports one."""
    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            dev = jax.devices()[0]
            if dev.platform == "gpu":
                return f"{dev.device_kind} GPU"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return f"{torch.cuda.get_device_name(0)} GPU"
        elif backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                return "a GPU (TensorFlow)"
    except Exception as e:  # a description only: never fail training over it
        print(f"note: could not name the device ({e})")
    return f"{platform.machine()} CPU, {os.cpu_count()} cores"


def batchnorm_layers(layer) -> list:
    """Every BatchNormalization layer of a model, nested models included."""
    import keras

    if isinstance(layer, keras.layers.BatchNormalization):
        return [layer]
    out = []
    for sub in getattr(layer, "layers", []):
        out.extend(batchnorm_layers(sub))
    return out


def recalibrate_batchnorm(model, images_u8: np.ndarray, batch: int) -> int:
    """Replaces BN moving mean/variance by their average over batches of these pictures.

    Keras keeps exponential moving averages (momentum 0.99), which lag behind the weights
    when training has few steps (small data, few epochs): the model is then right with
    batch statistics and wrong in inference mode. Running the training pictures once,
    eagerly, with momentum k/(k+1) for batch k gives the plain mean over batches.
    """
    bns = batchnorm_layers(model)
    if not bns or len(images_u8) == 0:
        return 0
    saved = [bn.momentum for bn in bns]
    try:
        for k, i in enumerate(range(0, len(images_u8), batch)):
            for bn in bns:
                bn.momentum = k / (k + 1)
            model(images_u8[i:i + batch].astype(np.float32) / 255.0, training=True)
    finally:
        for bn, m in zip(bns, saved):
            bn.momentum = m
    return len(bns)


def convert_int8(tf, model, representative_images: np.ndarray) -> bytes:
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]

    def representative():
        for img in representative_images:
            yield [img[None].astype(np.float32)]

    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    log = io.StringIO()
    with contextlib.redirect_stdout(log), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        return converter.convert()


class Int8Model:
    """An int8 .tflite run through LiteRT (ai_edge_litert), float in (0..1), probabilities out."""

    def __init__(self, model_bytes: bytes, threads: int):
        from ai_edge_litert.interpreter import Interpreter

        self.it = Interpreter(model_content=model_bytes, num_threads=threads)
        self.it.allocate_tensors()
        self.inp = self.it.get_input_details()[0]
        self.out = self.it.get_output_details()[0]
        assert self.inp["dtype"] == np.int8 and self.out["dtype"] == np.int8, (self.inp, self.out)

    def quantise(self, x: np.ndarray) -> np.ndarray:
        scale, zp = self.inp["quantization"]
        return np.clip(np.round(x / scale + zp), -128, 127).astype(np.int8)[None]

    def predict_one(self, x: np.ndarray) -> np.ndarray:
        self.it.set_tensor(self.inp["index"], self.quantise(x))
        self.it.invoke()
        scale, zp = self.out["quantization"]
        return (self.it.get_tensor(self.out["index"])[0].astype(np.float32) - zp) * scale

    def predict(self, x_u8: np.ndarray) -> np.ndarray:
        return np.stack([self.predict_one(x.astype(np.float32) / 255.0) for x in x_u8])

    def latency_ms(self, x: np.ndarray, runs: int) -> float:
        self.it.set_tensor(self.inp["index"], self.quantise(x))
        for _ in range(LATENCY_WARMUP):
            self.it.invoke()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            self.it.invoke()
            times.append((time.perf_counter() - t0) * 1000.0)
        return statistics.median(times)


# ---- metrics -------------------------------------------------------------------------------
def auc_one_vs_rest(positive: np.ndarray, score: np.ndarray):
    """Area under the ROC curve (Mann-Whitney; tied scores count half); None without both sides."""
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(score, kind="mergesort")
    sorted_scores = score[order]
    ranks = np.empty(len(score), dtype=np.float64)
    i = 0
    while i < len(score):
        j = i
        while j + 1 < len(score) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0  # average rank of the tie group, from 1
        i = j + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def cross_entropy(y_true: np.ndarray, probs: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y_true)), y_true], 1e-7, 1.0))))


def metrics(y_true: np.ndarray, probs: np.ndarray) -> dict:
    pred = probs.argmax(axis=1)
    k = len(CLASSES)
    cm = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, pred):
        cm[t, p] += 1
    support = cm.sum(axis=1)
    recall = {CLASSES[i]: (float(cm[i, i] / support[i]) if support[i] else None) for i in range(k)}
    present = [r for r in recall.values() if r is not None]
    auc = {CLASSES[i]: auc_one_vs_rest(y_true == i, probs[:, i]) for i in range(k)}
    aucs = [a for a in auc.values() if a is not None]
    return {
        "n": int(len(y_true)),
        "accuracy": float((pred == y_true).mean()) if len(y_true) else None,
        "balanced_accuracy": float(np.mean(present)) if present else None,
        "melanoma_sensitivity": recall["mel"],
        "macro_auc": float(np.mean(aucs)) if aucs else None,
        "loss": cross_entropy(y_true, probs) if len(y_true) else None,
        "recall": recall,
        "auc": auc,
        "support": {CLASSES[i]: int(support[i]) for i in range(k)},
        "classes_present": [CLASSES[i] for i in range(k) if support[i]],
        "confusion_matrix": {"rows_true_cols_pred": CLASSES, "counts": cm.tolist()},
    }


def pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def arch_label(args) -> str:
    name = ARCH_NAMES[args.arch]
    if args.arch == "mobilenet":
        name += f" alpha {args.alpha:g}"
    if args.arch == "cnn":
        name += f" width {args.cnn_width}"
    init = "ImageNet init" if args.weights else "scratch"
    label = f"{name}, {args.input_size} px, {init}"
    if args.teacher:
        label += f", distilled (T {args.temperature:g}, alpha {args.distill_alpha:g})"
    return label


def print_metrics(title: str, m: dict) -> None:
    auc = "n/a" if m["macro_auc"] is None else f"{m['macro_auc']:.3f}"
    print(f"{title}: balanced accuracy {pct(m['balanced_accuracy'])}, accuracy {pct(m['accuracy'])}, "
          f"melanoma sensitivity {pct(m['melanoma_sensitivity'])}, macro AUC {auc} (n={m['n']})")
    print("  recall: " + ", ".join(f"{c} {pct(r)}" for c, r in m["recall"].items()))
    print("  confusion (rows true, cols predicted; " + " ".join(CLASSES) + "):")
    for c, row in zip(CLASSES, m["confusion_matrix"]["counts"]):
        print(f"    {c:6s}" + "".join(f"{v:6d}" for v in row))


def save_curves(path: str, epochs_log: list[dict], kept: int, title: str) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: no curves.png"
    ep = [e["epoch"] for e in epochs_log]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2), dpi=80)
    a.plot(ep, [e["loss"] for e in epochs_log], "o-", ms=3, label="training objective (augmented, weighted)")
    a.plot(ep, [e["val_loss"] for e in epochs_log], "o-", ms=3, label="validation cross-entropy")
    a.set_xlabel("epoch")
    a.set_ylabel("loss")
    a.legend(fontsize=7)
    b.plot(ep, [e["val_balanced_accuracy"] for e in epochs_log], "o-", ms=3, label="validation balanced accuracy")
    b.plot(ep, [e["val_accuracy"] for e in epochs_log], "o-", ms=3, label="validation accuracy")
    b.axvline(kept, color="grey", ls=":", lw=1, label=f"kept epoch {kept}")
    b.set_xlabel("epoch")
    b.set_ylim(0, 1)
    b.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# ---- main ------------------------------------------------------------------------------------
def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    rows = read_metadata(args.csv, args.images)
    train, val, test = split_by_lesion(rows, args.val_fraction, args.test_fraction, args.seed)
    parts = {"train": train, "validation": val}
    if test:
        parts["test"] = test
    counts = split_counts(parts)
    if args.write_split:
        for name, rs in parts.items():
            with open(os.path.join(args.out, f"{name}_ids.txt"), "w") as f:
                f.write("".join(r["image_id"] + "\n" for r in sorted(rs, key=lambda r: r["image_id"])))
        print_split(counts)
        print(f"wrote the split's image_ids into {args.out}")
        return 0
    print(f"{len(rows)} images of {len({r['lesion_id'] for r in rows})} lesions from {args.csv}")
    print_split(counts)
    if not val:
        sys.exit("the validation split is empty (each class needs at least 2 lesions)")
    class_weight = balanced_class_weights(train, args.max_per_class)
    if args.max_per_class:
        print("images per epoch: " + ", ".join(
            f"{c} {int(n)}" for c, n in zip(CLASSES, epoch_counts(train, args.max_per_class))))
    print("class weights (balanced, training split): "
          + ", ".join(f"{CLASSES[i]} {w:.3f}" for i, w in class_weight.items()))
    teacher = read_teacher(args.teacher, train) if args.teacher else None
    if teacher is not None:
        y_tr = np.array([r["label"] for r in train])
        print(f"teacher {args.teacher}: on the training split (it has seen most of them) accuracy "
              f"{(teacher.argmax(1) == y_tr).mean():.4f}; T {args.temperature:g}, alpha {args.distill_alpha:g}")

    # TensorFlow decodes the JPEGs (unless --pictures brings them decoded) and converts
    # to int8 (unless --fit-only); training itself runs on whichever Keras backend
    # KERAS_BACKEND names, so --fit-only runs where there is no TensorFlow (a GPU machine).
    tf = import_tf(args.threads) if not (args.fit_only and args.pictures) else None
    import keras

    index = {id(r): i for i, r in enumerate(rows)}
    if args.pictures and args.from_fit is None:
        pictures = packed_pictures(rows, args.pictures, args.input_size)
    else:
        pictures = cached_pictures(tf, rows, args.input_size, args.cache_dir)

    def part(rs):
        idx = np.array([index[id(r)] for r in rs], dtype=np.int64)
        return pictures[idx], np.array([r["label"] for r in rs], dtype=np.int32)

    x_train, y_train = part(train)
    x_val, y_val = part(val)
    x_test, y_test = part(test) if test else (None, None)

    keras.utils.set_random_seed(args.seed)
    model = build_model(keras, args)
    for bn in batchnorm_layers(model):
        bn.momentum = args.bn_momentum
    params = int(model.count_params())
    print(f"model: {arch_label(args)}, {params:,} parameters, weights: {args.weights or 'from scratch'}, "
          f"Keras {keras.__version__} on {keras.backend.backend()}")
    bs = args.batch_size

    def keras_predict(x_u8):
        return np.concatenate([
            np.asarray(model.predict_on_batch(x_u8[i:i + bs].astype(np.float32) / 255.0))
            for i in range(0, len(x_u8), bs)
        ])

    # Seeded samples of training pictures (no augmentation), in random order: one for
    # re-estimating BatchNorm statistics, one for int8 calibration.
    rng = np.random.default_rng(args.seed + 100)
    n_bn = min(args.bn_recalibration_images, len(train))
    n_cal = min(args.calibration_images, len(train))
    bn_pick = rng.permutation(len(train))[:n_bn]
    cal_pick = rng.permutation(len(train))[:n_cal]

    split_digest = hashlib.sha256("".join(
        f"{name}:{r['image_id']}\n" for name, rs in parts.items() for r in rs).encode()).hexdigest()
    if args.from_fit:
        fitted = read_fit(args.from_fit, args, split_digest)
        class_weight = balanced_class_weights(train, args.max_per_class)  # as the training run had them
        h5 = os.path.join(args.from_fit, "keras.weights.h5")
        if os.path.isfile(h5):
            model.load_weights(h5)
        else:
            with np.load(os.path.join(args.from_fit, "keras.weights.f16.npz")) as z:
                model.set_weights([z[f"arr_{i}"].astype(np.float32) for i in range(len(z.files))])
            fitted["weights_carried_as"] = "float16 (keras.weights.f16.npz): each weight rounded to float16"
            print("weights from keras.weights.f16.npz (rounded to float16 for carrying)")
        print(f"weights of {args.from_fit} (trained on {fitted['machine']}, Keras {fitted['keras']} "
              f"on {fitted['backend']}), not trained here")
    else:
        fitted = fit(keras, model, keras_predict, x_train, y_train, teacher, class_weight,
                     x_val, y_val, x_train[bn_pick], args)
        fitted["split_sha256"] = split_digest
        model.save_weights(os.path.join(args.out, "keras.weights.h5"))
        # The same weights in float16 (half the bytes), for carrying big models off a machine
        # whose outputs are size-limited; --from-fit takes them when there is no .h5.
        np.savez(os.path.join(args.out, "keras.weights.f16.npz"),
                 *[w.astype(np.float16) for w in model.get_weights()])
        fitted["keras_metrics_on_fit_pictures"] = {"validation": metrics(y_val, keras_predict(x_val))}
        if test:
            fitted["keras_metrics_on_fit_pictures"]["test"] = metrics(y_test, keras_predict(x_test))
        fitted["pictures"] = (f"{os.path.basename(args.pictures)} (--pictures)" if args.pictures
                              else "decoded and resized by TensorFlow (accurate IDCT, bilinear antialias)")
        with open(os.path.join(args.out, "fit.json"), "w") as f:
            json.dump(fitted, f, indent=2)
            f.write("\n")
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump({"epochs": fitted["epochs"], "kept_epoch": fitted["kept_epoch"], "monitor": args.monitor,
                   "stopped_by_time_budget": fitted["stopped_by_time_budget"]}, f, indent=2)
    if args.fit_only:
        for name, m in fitted["keras_metrics_on_fit_pictures"].items():
            print_metrics(f"{name}, float Keras", m)
        print(f"--fit-only: wrote keras.weights.h5, history.json and fit.json into {args.out}; "
              f"export with --from-fit {args.out}")
        return 0
    train_seconds, epochs_run, kept = fitted["training_seconds"], len(fitted["epochs"]), fitted["kept_epoch"]
    bn_kept, m_keras_moving = fitted["batchnorm_kept"], fitted["metrics_keras_validation_before_bn_recalibration"]
    keras_val = keras_predict(x_val)
    keras_test = keras_predict(x_test) if test else None
    calib = x_train[cal_pick].astype(np.float32) / 255.0
    t1 = time.perf_counter()
    tflite = convert_int8(tf, model, calib)
    print(f"int8 conversion: {len(tflite) / 1e6:.2f} MB, {time.perf_counter() - t1:.0f} s, "
          f"calibrated on {n_cal} training images")
    tfl = Int8Model(tflite, 2)
    int8_val = tfl.predict(x_val)
    int8_test = tfl.predict(x_test) if test else None
    results = {
        "validation": {"keras": metrics(y_val, keras_val), "int8": metrics(y_val, int8_val),
                       "int8_keras_top1_agreement": float((int8_val.argmax(1) == keras_val.argmax(1)).mean())},
    }
    if test:
        results["test"] = {"keras": metrics(y_test, keras_test), "int8": metrics(y_test, int8_test),
                           "int8_keras_top1_agreement": float((int8_test.argmax(1) == keras_test.argmax(1)).mean())}
    latency = {t: Int8Model(tflite, t).latency_ms(x_val[0].astype(np.float32) / 255.0, args.latency_runs)
               for t in (1, 2)}
    for split_name, r in results.items():
        print_metrics(f"{split_name}, float Keras", r["keras"])
        print_metrics(f"{split_name}, int8 LiteRT", r["int8"])
        print(f"{split_name}: int8 vs Keras top-1 agreement {pct(r['int8_keras_top1_agreement'])}")
    print(f"int8 latency here (LiteRT, median of {args.latency_runs}): {latency[1]:.2f} ms with 1 thread, "
          f"{latency[2]:.2f} ms with 2")
    headline_split = "test" if test else "validation"
    head = results[headline_split]["int8"]
    curves = save_curves(os.path.join(args.out, "curves.png"), fitted["epochs"], kept,
                         f"{arch_label(args)}: per epoch (validation split)")
    print(f"curves: {curves}")

    # ---- files ----
    tflite_name = f"{args.id}.tflite"
    with open(os.path.join(args.out, tflite_name), "wb") as f:
        f.write(tflite)
    sha = hashlib.sha256(tflite).hexdigest()
    in_q, out_q = tfl.inp["quantization"], tfl.out["quantization"]
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    round4 = lambda v: None if v is None else round(v, 4)  # noqa: E731
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs shared with other jobs"

    def summary(m):
        return {"balanced_accuracy": round4(m["balanced_accuracy"]), "accuracy": round4(m["accuracy"]),
                "melanoma_sensitivity": round4(m["melanoma_sensitivity"]), "macro_auc": round4(m["macro_auc"]),
                "recall": {c: round4(v) for c, v in m["recall"].items()}, "images": m["n"]}

    n_images = {k: counts[k]["total"]["images"] for k in counts}
    card = {
        "id": args.id,
        "version": args.version,
        "file": tflite_name,
        "sha256": sha,
        "input": {
            "width": args.input_size,
            "height": args.input_size,
            "color": "rgb",
            "layout": "nhwc",
            "dtype": "int8",
            "mean": [0.0, 0.0, 0.0],
            "std": [255.0, 255.0, 255.0],
            "resize": "bilinear-antialias",  # tf.image.resize(antialias=True) at every scale
            "crop": "none",
        },
        "output": {"kind": "probabilities"},
        "classes": [
            {"code": c, "name": CLASS_INFO[c][0], "malignant": c in MALIGNANT, "description": CLASS_INFO[c][1]}
            for c in CLASSES
        ],
        "provenance": {
            "note": "NOT A MEDICAL DEVICE: supports a clinician's judgement, not a diagnosis.",
            "trained_on": f"{args.dataset_name}: " + ", ".join(
                f"{counts[k]['total']['images']} {k} images ({counts[k]['total']['lesions']} lesions)" for k in counts),
            "made_by": "models/tools/train.py",
            "arch": arch_label(args),
            "architecture": f"keras {args.arch} backbone, global average pooling, Dropout({args.dropout}), "
                            f"Dense(7, softmax); {params:,} parameters",
            "initialisation": f"ImageNet weights from {os.path.basename(args.weights)}" if args.weights
                              else "from scratch (random)",
            "preprocessing": "JPEG decoded with libjpeg-turbo's accurate integer IDCT; bilinear antialiased resize "
                             f"to {args.input_size}x{args.input_size}, stretched (no crop); pixel/255 outside the "
                             "model (card mean 0, std 255); no Rescaling layer in the model",
            "augmentation": "rotation up to 180 deg, width/height shift 0.1, zoom 0.9-1.1, horizontal and "
                            "vertical flips, fill nearest (training only)",
            "split": f"by lesion_id (no lesion in two parts), stratified by dx over lesions; validation "
                     f"{args.val_fraction} and test {args.test_fraction} of each class's lesions; seed {args.seed}. "
                     "The test part was used for no choice.",
            "class_weights": "balanced (inverse frequency on the training split), as per-sample weights",
            "sampling": (f"per epoch, a fresh random sample of {args.max_per_class} images of each class "
                         f"with more; class weights over the sampled counts" if args.max_per_class
                         else "every training image every epoch"),
            "batchnorm_momentum": args.bn_momentum,
            "distillation": (f"from {os.path.basename(args.teacher)}: loss = {args.distill_alpha:g} x CE(label) + "
                             f"{1 - args.distill_alpha:g} x T^2 x KL(teacher_T || student_T), T {args.temperature:g}"
                             if args.teacher else "none"),
            "epochs_run": epochs_run,
            "epoch_limit": args.epochs,
            "time_budget_min": args.time_budget_min or None,
            "kept_epoch": kept,
            "kept_by": f"best {args.monitor}" if args.keep == "best" else "last epoch",
            "training_seconds": round(train_seconds),
            "trained_on_machine": f"{fitted['machine']}; Keras {fitted['keras']} on {fitted['backend']}",
            "training_pictures": fitted["pictures"],
            "batchnorm": bn_kept,
            "optimizer": f"Adam lr {args.lr:g}, batch {args.batch_size}, ReduceLROnPlateau(val_loss)",
            "quantisation": f"full-integer int8 input and output, calibrated on {n_cal} training images; "
                            f"input scale {in_q[0]:.6g} zero point {in_q[1]}",
            "metrics": {
                "how": f"int8 model in LiteRT (ai_edge_litert) on the {headline_split} part "
                       f"({n_images.get(headline_split)} images, one per lesion here), pictures prepared as in "
                       "'preprocessing'; balanced accuracy = mean per-class recall at top-1; melanoma "
                       "sensitivity = recall of mel at top-1; macro AUC = mean one-vs-rest ROC AUC",
                "int8_test": summary(results["test"]["int8"]) if test else None,
                "int8_validation": summary(results["validation"]["int8"]),
                "keras_test": summary(results["test"]["keras"]) if test else None,
            },
            "latency_ms": {"threads_1": round(latency[1], 2), "threads_2": round(latency[2], 2),
                           "how": f"LiteRT 2.1.4 Python interpreter, median of {args.latency_runs} invocations "
                                  f"after {LATENCY_WARMUP} warm-ups, {machine}"},
            "training_data_attribution": "HAM10000: Tschandl P., Rosendahl C., Kittler H., Scientific Data 5, 180161 "
                                         "(2018), doi:10.1038/sdata.2018.161, CC BY-NC 4.0",
            "date": today,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "seed": args.seed,
        },
    }
    with open(os.path.join(args.out, f"{args.id}.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")

    auc = "n/a" if head["macro_auc"] is None else f"{head['macro_auc']:.3f}"
    row = (
        f"| {arch_label(args)} | {params:,} | {epochs_run} ({kept}) | {duration(train_seconds)} "
        f"| {pct(head['balanced_accuracy'])} | {pct(head['accuracy'])} | {pct(head['melanoma_sensitivity'])} "
        f"| {auc} | {len(tflite) / 1e6:.2f} MB | {latency[1]:.1f} ms | {latency[2]:.1f} ms |"
    )
    report = {
        "id": args.id,
        "args": {k: v for k, v in vars(args).items()},
        "dataset": args.dataset_name,
        "split": counts,
        "test_image_ids": sorted(r["image_id"] for r in test),
        "class_weights": {CLASSES[i]: w for i, w in class_weight.items()},
        "parameters": params,
        "training_seconds": round(train_seconds, 1),
        "epochs_run": epochs_run,
        "stopped_by_time_budget": fitted["stopped_by_time_budget"],
        "kept_epoch": kept,
        "batchnorm_recalibration_images": n_bn,
        "batchnorm_kept": bn_kept,
        "metrics_keras_validation_before_bn_recalibration": m_keras_moving,
        "fit": {k: v for k, v in fitted.items() if k != "epochs"},
        "results": results,
        "int8_bytes": len(tflite),
        "int8_sha256": sha,
        "int8_input_quantization": {"scale": float(in_q[0]), "zero_point": int(in_q[1])},
        "int8_output_quantization": {"scale": float(out_q[0]), "zero_point": int(out_q[1])},
        "latency_ms": {"threads_1": round(latency[1], 3), "threads_2": round(latency[2], 3),
                       "runs": args.latency_runs, "runtime": "ai_edge_litert", "machine": machine},
        "table_split": headline_split,
        "table_header": TABLE_HEADER,
        "table_row": row,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "date": today,
    }
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")

    print(f"wrote {os.path.join(args.out, tflite_name)}, {args.id}.json, history.json, report.json")
    print(f"table row ({headline_split} part, int8 model):")
    print(TABLE_HEADER)
    print(TABLE_RULE)
    print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
