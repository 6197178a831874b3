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
  * input          --input-size (default 224) square RGB. Pictures are resized with
                   tf.image.resize(bilinear, antialias=True), stretched (no crop), which is
                   what the Rust library does for a card with resize "bilinear", crop "none".
  * normalisation  the study's rescale=1/255, done OUTSIDE the model: the model takes
                   pixel/255 in 0..1, and the card says mean [0,0,0], std [255,255,255] so the
                   app does the division. The model has no Rescaling layer. (The same for
                   every architecture and for ImageNet initialisation, as in the study; Keras'
                   ImageNet weights were trained with other scalings, which fine-tuning absorbs.)
  * augmentation   as the study's ImageDataGenerator: rotation up to 180 degrees, width and
                   height shift 0.1, zoom 0.1 (each axis 0.9..1.1), horizontal and vertical
                   flips, fill mode "nearest"; training images only, in the input pipeline
                   (not in the exported model).
  * split          by lesion_id, so no lesion has images on both sides (the study split by
                   image, and HAM10000 has several images of many lesions, which leaks).
                   Deterministic and stratified by dx over LESIONS: for each class the lesions
                   are shuffled with --seed and round(--val-fraction x lesions) of them (at
                   least 1 and at most all but 1 when the class has 2 or more) go to
                   validation with all their images. Asserted disjoint; counts printed.
  * class weights  inverse frequency on the training split ("balanced", as sklearn:
                   n_train / (n_classes_present x n_class)), passed to Keras' fit.
  * training       Adam (--lr; default 1e-3 from scratch, 1e-4 with --weights), sparse
                   categorical cross-entropy, --epochs, ReduceLROnPlateau(val_loss, x0.5,
                   patience 3); the weights of the epoch with the lowest validation loss are
                   kept (--keep last: the last epoch's). There is no separate test split, so
                   with --keep best the validation metrics are slightly optimistic.
  * BatchNorm      after training, BN moving mean/variance are re-estimated as the plain
                   average over --bn-recalibration-images unaugmented training pictures
                   (0: keep Keras' moving averages). Keras' averages (momentum 0.99) lag the
                   weights when training has few steps, so a short run can be right with
                   batch statistics yet constant in inference mode; both Keras results
                   (before/after) are reported. (val_loss during training, and so --keep
                   best, still sees Keras' moving averages.)
  * export         full-integer int8 (int8 input and output), calibrated on
                   --calibration-images training images (no augmentation).
  * evaluation     on the validation split, from the int8 model (tf.lite.Interpreter) and
                   from the float Keras model: accuracy, balanced accuracy (mean recall over
                   the classes present in validation), per-class recall, melanoma
                   sensitivity (recall of mel), confusion matrix. Latency: median of 20
                   tf.lite.Interpreter invocations (num_threads=2) of the int8 model after 2
                   warm-ups, on this machine.

Writes into --out:
  <id>.tflite    the int8 model          <id>.json    its model card (src/model/card.rs)
  history.json   per-epoch Keras logs    report.json  split, weights, metrics, table row

and prints one row of the comparison table that models/README.md collects:
  | architecture | parameters | training time | accuracy | balanced accuracy |
  | melanoma sensitivity | int8 size | latency here |
(accuracy, balanced accuracy and melanoma sensitivity of the int8 model, validation split).

HAM10000 layout: --csv HAM10000_metadata.csv (lesion_id,image_id,dx,dx_type,age,sex,
localization) and one or more --images directories holding <image_id>.jpg (the Kaggle
release's HAM10000_images_part_1 and _part_2).

    python3 models/tools/train.py --csv HAM/HAM10000_metadata.csv \\
        --images HAM/HAM10000_images_part_1 HAM/HAM10000_images_part_2 \\
        --arch mobilenet --weights ~/keras/mobilenet_1_0_224_tf_no_top.h5 \\
        --epochs 30 --out /tmp/mnet

Needs tensorflow-cpu 2.21 (Keras 3) and numpy; tested with Python 3.11. Not a medical
device: the models it makes support a clinician's judgement, they are not a diagnosis.
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
    "| architecture | parameters | training time | accuracy | balanced accuracy "
    "| melanoma sensitivity | int8 size | latency here |"
)
TABLE_RULE = "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
LATENCY_RUNS, LATENCY_WARMUP, LATENCY_THREADS = 20, 2, 2


# ---- arguments ---------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Train a HAM10000 classifier (split by lesion_id) and export int8 .tflite + model card.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--csv", required=True, help="HAM10000_metadata.csv")
    p.add_argument("--images", required=True, nargs="+", metavar="DIR", help="folders holding <image_id>.jpg")
    p.add_argument("--arch", choices=sorted(ARCH_NAMES), default="mobilenet")
    p.add_argument("--alpha", type=float, default=1.0, help="MobileNet width multiplier")
    p.add_argument("--input-size", type=int, default=224, help="square input side in pixels")
    p.add_argument("--weights", default=None,
                   help="Keras no-top ImageNet weights file you downloaded (default: from scratch)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 1e-3, 1e-4 with --weights)")
    p.add_argument("--dropout", type=float, default=0.2, help="dropout before the Dense(7) head")
    p.add_argument("--keep", choices=["best", "last"], default="best",
                   help="weights to export: the epoch with the lowest val_loss, or the last epoch")
    p.add_argument("--bn-recalibration-images", type=int, default=1000,
                   help="training images (unaugmented) over which BatchNorm statistics are re-estimated "
                        "after training; 0 keeps Keras' moving averages")
    p.add_argument("--val-fraction", type=float, default=0.2, help="fraction of each class's LESIONS in validation")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", required=True, help="output folder (created)")
    p.add_argument("--id", default=None, help="model id (default from arch, alpha and size)")
    p.add_argument("--version", default="0.1.0", help="model version for the card (semver)")
    p.add_argument("--calibration-images", type=int, default=200,
                   help="training images for int8 calibration")
    p.add_argument("--threads", type=int, default=2, help="TensorFlow / tf.data / interpreter threads")
    p.add_argument("--dataset-name", default="HAM10000",
                   help="what the card's provenance says the data was (e.g. 'synthetic smoke-test data')")
    args = p.parse_args(argv)
    if not 0.0 < args.val_fraction < 1.0:
        p.error("--val-fraction must be between 0 and 1")
    if args.input_size < 32:
        p.error("--input-size must be at least 32")
    if args.arch != "mobilenet" and args.alpha != 1.0:
        p.error("--alpha applies to --arch mobilenet only")
    if args.arch == "cnn" and args.weights:
        p.error("--weights (ImageNet) does not apply to --arch cnn")
    if args.weights and not os.path.isfile(args.weights):
        p.error(f"--weights {args.weights}: no such file (this script never downloads weights)")
    if args.epochs < 1 or args.batch_size < 1 or args.calibration_images < 1 or args.threads < 1:
        p.error("--epochs, --batch-size, --calibration-images and --threads must be positive")
    if args.lr is None:
        args.lr = 1e-4 if args.weights else 1e-3
    if args.id is None:
        if args.arch == "mobilenet":
            args.id = f"ham10000_mobilenet_a{round(args.alpha * 100):03d}_{args.input_size}_int8"
        else:
            args.id = f"ham10000_{args.arch}_{args.input_size}_int8"
    return args


# ---- data --------------------------------------------------------------------------------
def read_metadata(csv_path: str, image_dirs: list[str]) -> list[dict]:
    """Rows of the metadata CSV with 'path' and 'label' added; every image must exist."""
    files = {}
    for d in image_dirs:
        if not os.path.isdir(d):
            sys.exit(f"--images {d}: not a folder")
        for name in os.listdir(d):
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
        if r["dx"] not in CLASSES:
            unknown.add(r["dx"])
            continue
        r["label"] = CLASSES.index(r["dx"])
        r["path"] = files.get(r["image_id"].strip())
        if r["path"] is None:
            missing.append(r["image_id"])
    if unknown:
        sys.exit(f"{csv_path}: unknown dx values {sorted(unknown)} (expected {CLASSES})")
    if missing:
        sys.exit(f"{len(missing)} images of the CSV are in none of the --images folders, e.g. {missing[:5]}")
    if not rows:
        sys.exit(f"{csv_path}: no rows")
    return rows


def split_by_lesion(rows: list[dict], val_fraction: float, seed: int):
    """Deterministic lesion-level split stratified by dx; returns (train_rows, val_rows)."""
    lesion_dx = {}
    for r in rows:
        prev = lesion_dx.setdefault(r["lesion_id"], r["dx"])
        if prev != r["dx"]:
            sys.exit(f"lesion {r['lesion_id']} has images labelled {prev} and {r['dx']}")
    rng = np.random.default_rng(seed)
    val_lesions = set()
    for dx in CLASSES:
        lesions = sorted(lid for lid, d in lesion_dx.items() if d == dx)
        n = len(lesions)
        if n < 2:
            if n == 1:
                print(f"warning: class {dx} has one lesion; it stays in training", file=sys.stderr)
            continue
        n_val = min(max(int(round(val_fraction * n)), 1), n - 1)
        order = rng.permutation(n)
        val_lesions.update(lesions[i] for i in order[:n_val])
    train = [r for r in rows if r["lesion_id"] not in val_lesions]
    val = [r for r in rows if r["lesion_id"] in val_lesions]
    both = {r["lesion_id"] for r in train} & {r["lesion_id"] for r in val}
    assert not both, f"lesions on both sides of the split: {sorted(both)[:5]}"
    return train, val


def split_counts(train, val) -> dict:
    out = {}
    for name, part in (("train", train), ("val", val)):
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
    print("split by lesion_id (no lesion on both sides):")
    print(f"  {'class':6s} {'train img':>9s} {'train les':>9s} {'val img':>8s} {'val les':>8s}")
    for dx in CLASSES + ["total"]:
        t, v = counts["train"][dx], counts["val"][dx]
        print(f"  {dx:6s} {t['images']:9d} {t['lesions']:9d} {v['images']:8d} {v['lesions']:8d}")


def balanced_class_weights(train) -> dict[int, float]:
    counts = np.bincount([r["label"] for r in train], minlength=len(CLASSES))
    present = int((counts > 0).sum())
    return {
        i: (float(len(train) / (present * counts[i])) if counts[i] else 1.0)
        for i in range(len(CLASSES))
    }


# ---- TensorFlow ----------------------------------------------------------------------------
def import_tf(threads: int):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    return tf


def make_datasets(tf, train, val, args):
    size = args.input_size
    opts = tf.data.Options()
    opts.threading.private_threadpool_size = args.threads
    opts.deterministic = True

    def load(path, label):
        img = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
        img = tf.image.resize(img, (size, size), method="bilinear", antialias=True)
        return tf.cast(tf.clip_by_value(tf.round(img), 0, 255), tf.uint8), label

    def source(rows):
        paths = [r["path"] for r in rows]
        labels = np.array([r["label"] for r in rows], dtype=np.int32)
        ds = tf.data.Dataset.from_tensor_slices((paths, labels)).with_options(opts)
        # Decoded, resized uint8 pictures are cached in memory (224 px: ~150 kB each).
        return ds.map(load, num_parallel_calls=args.threads).cache()

    def rescale(x, y):
        return tf.cast(x, tf.float32) / 255.0, y

    from keras import layers, Sequential

    s = args.seed
    augment = Sequential(
        [
            layers.RandomRotation(0.5, fill_mode="nearest", seed=s + 1),  # +-0.5 turn = 180 deg
            layers.RandomTranslation(0.1, 0.1, fill_mode="nearest", seed=s + 2),
            layers.RandomZoom((-0.1, 0.1), (-0.1, 0.1), fill_mode="nearest", seed=s + 3),
            layers.RandomFlip("horizontal_and_vertical", seed=s + 4),
        ],
        name="study_augmentation",
    )

    def aug(x, y):
        return augment(x, training=True), y

    train_src, val_src = source(train), source(val)
    train_ds = (
        train_src.shuffle(len(train), seed=s, reshuffle_each_iteration=True)
        .batch(args.batch_size)
        .map(rescale)
        .map(aug, num_parallel_calls=1)
        .prefetch(2)
    )
    val_ds = val_src.batch(args.batch_size).map(rescale).prefetch(2)
    # Unaugmented uint8 pictures, for calibration and evaluation.
    return train_ds, val_ds, train_src, val_src


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
        for filters in (32, 64, 128, 256):
            for _ in range(2):
                x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
                x = keras.layers.BatchNormalization()(x)
                x = keras.layers.ReLU()(x)
            x = keras.layers.MaxPooling2D()(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(args.dropout)(x)
    out = keras.layers.Dense(len(CLASSES), activation="softmax", name="predictions")(x)
    return keras.Model(image, out, name=f"ham10000_{args.arch}")


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


class TFLiteModel:
    """An int8 .tflite run through tf.lite.Interpreter, float in (0..1) and probabilities out."""

    def __init__(self, tf, model_bytes: bytes, threads: int):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.it = tf.lite.Interpreter(model_content=model_bytes, num_threads=threads)
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

    def latency_ms(self, x: np.ndarray) -> float:
        self.it.set_tensor(self.inp["index"], self.quantise(x))
        for _ in range(LATENCY_WARMUP):
            self.it.invoke()
        times = []
        for _ in range(LATENCY_RUNS):
            t0 = time.perf_counter()
            self.it.invoke()
            times.append((time.perf_counter() - t0) * 1000.0)
        return statistics.median(times)


# ---- metrics -------------------------------------------------------------------------------
def metrics(y_true: np.ndarray, probs: np.ndarray) -> dict:
    pred = probs.argmax(axis=1)
    k = len(CLASSES)
    cm = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, pred):
        cm[t, p] += 1
    support = cm.sum(axis=1)
    recall = {CLASSES[i]: (float(cm[i, i] / support[i]) if support[i] else None) for i in range(k)}
    present = [r for r in recall.values() if r is not None]
    return {
        "n": int(len(y_true)),
        "accuracy": float((pred == y_true).mean()) if len(y_true) else None,
        "balanced_accuracy": float(np.mean(present)) if present else None,
        "melanoma_sensitivity": recall["mel"],
        "recall": recall,
        "support": {CLASSES[i]: int(support[i]) for i in range(k)},
        "classes_in_validation": [CLASSES[i] for i in range(k) if support[i]],
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
    init = "ImageNet init" if args.weights else "scratch"
    return f"{name}, {args.input_size} px, {init}"


def print_metrics(title: str, m: dict) -> None:
    print(f"{title}: accuracy {pct(m['accuracy'])}, balanced accuracy {pct(m['balanced_accuracy'])}, "
          f"melanoma sensitivity {pct(m['melanoma_sensitivity'])} (n={m['n']})")
    print("  recall: " + ", ".join(f"{c} {pct(r)}" for c, r in m["recall"].items()))
    print("  confusion (rows true, cols predicted; " + " ".join(CLASSES) + "):")
    for c, row in zip(CLASSES, m["confusion_matrix"]["counts"]):
        print(f"    {c:6s}" + "".join(f"{v:6d}" for v in row))


# ---- main ------------------------------------------------------------------------------------
def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    rows = read_metadata(args.csv, args.images)
    train, val = split_by_lesion(rows, args.val_fraction, args.seed)
    counts = split_counts(train, val)
    print(f"{len(rows)} images of {len({r['lesion_id'] for r in rows})} lesions from {args.csv}")
    print_split(counts)
    if not val:
        sys.exit("the validation split is empty (each class needs at least 2 lesions)")
    class_weight = balanced_class_weights(train)
    print("class weights (balanced, training split): "
          + ", ".join(f"{CLASSES[i]} {w:.3f}" for i, w in class_weight.items()))

    tf = import_tf(args.threads)
    import keras

    keras.utils.set_random_seed(args.seed)
    train_ds, val_ds, train_plain, val_plain = make_datasets(tf, train, val, args)
    model = build_model(keras, args)
    params = int(model.count_params())
    print(f"model: {arch_label(args)}, {params:,} parameters, weights: {args.weights or 'from scratch'}")
    model.compile(optimizer=keras.optimizers.Adam(args.lr),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    class KeepBest(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.best, self.epoch, self.weights = np.inf, None, None

        def on_epoch_end(self, epoch, logs=None):
            loss = (logs or {}).get("val_loss", np.inf)
            if loss < self.best:
                self.best, self.epoch, self.weights = loss, epoch + 1, self.model.get_weights()

    keep = KeepBest()
    t0 = time.perf_counter()
    hist = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=args.epochs,
        class_weight=class_weight,
        shuffle=False,  # the dataset shuffles itself (seeded)
        callbacks=[keep, keras.callbacks.ReduceLROnPlateau("val_loss", factor=0.5, patience=3, verbose=1)],
        verbose=2,
    )
    train_seconds = time.perf_counter() - t0
    if args.keep == "best" and keep.weights is not None:
        model.set_weights(keep.weights)
        kept = keep.epoch
        print(f"training took {duration(train_seconds)}; kept epoch {kept} (lowest val_loss {keep.best:.4f})")
    else:
        kept = len(hist.history.get("loss", [])) or args.epochs
        print(f"training took {duration(train_seconds)}; kept the last epoch ({kept})")
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump({"history": history, "best_epoch": keep.epoch, "best_val_loss": float(keep.best),
                   "kept_epoch": kept}, f, indent=2)

    # Validation pictures (unaugmented, uint8) and labels, once, for both evaluations.
    pairs = [(x.numpy(), int(y)) for x, y in val_plain]
    val_u8 = np.stack([x for x, _ in pairs])
    val_y = np.array([y for _, y in pairs])
    bs = args.batch_size

    def keras_predict():
        return np.concatenate([
            model.predict(val_u8[i:i + bs].astype(np.float32) / 255.0, verbose=0)
            for i in range(0, len(val_u8), bs)
        ])

    # Seeded samples of training pictures (no augmentation), in random order: one for
    # re-estimating BatchNorm statistics, one for int8 calibration.
    rng = np.random.default_rng(args.seed + 100)
    n_bn = min(args.bn_recalibration_images, len(train))
    n_cal = min(args.calibration_images, len(train))
    bn_pick = rng.permutation(len(train))[:n_bn].tolist()
    cal_pick = rng.permutation(len(train))[:n_cal].tolist()
    wanted = set(bn_pick) | set(cal_pick)
    loaded = {i: x.numpy() for i, (x, _) in enumerate(train_plain) if i in wanted}

    m_keras_moving = None
    if n_bn:
        m_keras_moving = metrics(val_y, keras_predict())
        print_metrics("validation, float Keras, BatchNorm moving averages", m_keras_moving)
        n_layers = recalibrate_batchnorm(model, np.stack([loaded[i] for i in bn_pick]), bs)
        print(f"BatchNorm statistics of {n_layers} layers re-estimated on {n_bn} training images")
    keras_probs = keras_predict()
    m_keras = metrics(val_y, keras_probs)
    calib = np.stack([loaded[i] for i in cal_pick]).astype(np.float32) / 255.0
    t1 = time.perf_counter()
    tflite = convert_int8(tf, model, calib)
    print(f"int8 conversion: {len(tflite) / 1e6:.2f} MB, {time.perf_counter() - t1:.0f} s, "
          f"calibrated on {n_cal} training images")
    tfl = TFLiteModel(tf, tflite, args.threads)
    tfl_probs = np.stack([tfl.predict_one(x.astype(np.float32) / 255.0) for x in val_u8])
    m_int8 = metrics(val_y, tfl_probs)
    agree = float((tfl_probs.argmax(1) == keras_probs.argmax(1)).mean())
    latency = TFLiteModel(tf, tflite, LATENCY_THREADS).latency_ms(val_u8[0].astype(np.float32) / 255.0)

    print_metrics("validation, float Keras", m_keras)
    print_metrics("validation, int8 TFLite", m_int8)
    print(f"int8 vs Keras top-1 agreement on validation: {pct(agree)}")
    print(f"int8 latency here: {latency:.1f} ms (median of {LATENCY_RUNS}, num_threads={LATENCY_THREADS})")
    missing = [c for c in CLASSES if c not in m_int8["classes_in_validation"]]
    if missing:
        print(f"note: no validation images of {missing}; balanced accuracy is over the other classes")

    # ---- files ----
    tflite_name = f"{args.id}.tflite"
    with open(os.path.join(args.out, tflite_name), "wb") as f:
        f.write(tflite)
    sha = hashlib.sha256(tflite).hexdigest()
    in_q, out_q = tfl.inp["quantization"], tfl.out["quantization"]
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    round4 = lambda v: None if v is None else round(v, 4)  # noqa: E731
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
            "resize": "bilinear",
            "crop": "none",
        },
        "output": {"kind": "probabilities"},
        "classes": [
            {"code": c, "name": CLASS_INFO[c][0], "malignant": c in MALIGNANT, "description": CLASS_INFO[c][1]}
            for c in CLASSES
        ],
        "provenance": {
            "note": "NOT A MEDICAL DEVICE: supports a clinician's judgement, not a diagnosis.",
            "trained_on": f"{args.dataset_name}: {counts['train']['total']['images']} training images "
                          f"({counts['train']['total']['lesions']} lesions), "
                          f"{counts['val']['total']['images']} validation images "
                          f"({counts['val']['total']['lesions']} lesions)",
            "made_by": "models/tools/train.py",
            "arch": arch_label(args),
            "architecture": f"keras {args.arch} backbone, global average pooling, Dropout({args.dropout}), "
                            f"Dense(7, softmax); {params:,} parameters",
            "initialisation": f"ImageNet weights from {os.path.basename(args.weights)}" if args.weights
                              else "from scratch (random)",
            "preprocessing": "pixel/255 outside the model (the study's rescale=1/255; card mean 0, std 255); "
                             "bilinear antialiased resize, stretched (no crop); no Rescaling layer in the model",
            "augmentation": "rotation up to 180 deg, width/height shift 0.1, zoom 0.9-1.1, horizontal and "
                            "vertical flips, fill nearest (training only)",
            "split": f"by lesion_id (no lesion in both), stratified by dx over lesions, "
                     f"val fraction {args.val_fraction} of lesions, seed {args.seed}",
            "class_weights": "balanced (inverse frequency on the training split)",
            "epochs": args.epochs,
            "kept_epoch": kept,
            "batchnorm": f"statistics re-estimated on {n_bn} unaugmented training images after training"
                         if n_bn else "Keras moving averages",
            "optimizer": f"Adam lr {args.lr:g}, batch {args.batch_size}, ReduceLROnPlateau(val_loss)",
            "quantisation": f"full-integer int8 input and output, calibrated on {n_cal} training images; "
                            f"input scale {in_q[0]:.6g} zero point {in_q[1]}",
            "metrics": {
                "split": "validation (by lesion_id), no separate test split"
                         + ("; the kept epoch was chosen on it" if args.keep == "best" else ""),
                "int8_accuracy": round4(m_int8["accuracy"]),
                "int8_balanced_accuracy": round4(m_int8["balanced_accuracy"]),
                "int8_melanoma_sensitivity": round4(m_int8["melanoma_sensitivity"]),
                "keras_accuracy": round4(m_keras["accuracy"]),
                "keras_balanced_accuracy": round4(m_keras["balanced_accuracy"]),
                "keras_melanoma_sensitivity": round4(m_keras["melanoma_sensitivity"]),
                "validation_images": m_int8["n"],
            },
            "date": today,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "seed": args.seed,
        },
    }
    with open(os.path.join(args.out, f"{args.id}.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")

    row = (
        f"| {arch_label(args)} | {params:,} | {duration(train_seconds)} ({args.epochs} ep) "
        f"| {pct(m_int8['accuracy'])} | {pct(m_int8['balanced_accuracy'])} "
        f"| {pct(m_int8['melanoma_sensitivity'])} | {len(tflite) / 1e6:.2f} MB | {latency:.1f} ms |"
    )
    report = {
        "id": args.id,
        "args": {k: v for k, v in vars(args).items()},
        "dataset": args.dataset_name,
        "split": counts,
        "class_weights": {CLASSES[i]: w for i, w in class_weight.items()},
        "parameters": params,
        "training_seconds": round(train_seconds, 1),
        "best_epoch": keep.epoch,
        "kept_epoch": kept,
        "batchnorm_recalibration_images": n_bn,
        "metrics_keras_before_bn_recalibration": m_keras_moving,
        "metrics_int8": m_int8,
        "metrics_keras": m_keras,
        "int8_keras_top1_agreement": agree,
        "int8_bytes": len(tflite),
        "int8_sha256": sha,
        "int8_input_quantization": {"scale": float(in_q[0]), "zero_point": int(in_q[1])},
        "int8_output_quantization": {"scale": float(out_q[0]), "zero_point": int(out_q[1])},
        "latency_ms": {"median": round(latency, 2), "runs": LATENCY_RUNS, "num_threads": LATENCY_THREADS,
                       "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or 'cpu'}"},
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
    print(TABLE_HEADER)
    print(TABLE_RULE)
    print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
