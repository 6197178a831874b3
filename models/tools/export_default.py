#!/usr/bin/env python3
"""Converts sklesion 0.2.2's Keras model to the LesionScan default .tflite, reproducibly.

    pip install tensorflow-cpu==2.21.0 pandas==2.2.3 pillow==13.0.0 numpy==2.4.6
    pip install --no-deps sklesion==0.2.2      # its own pins (TF 2.17, numpy 1.26) are not needed
    # pandas must stay 2.x: sklesion fills a missing age with a chained inplace fillna,
    # which pandas 3 (copy-on-write) silently ignores, leaving NaN in the metadata.
    python models/tools/export_default.py      # from the repository root; ~20 min on 2 cores

What it does, in order (everything is printed and recorded in models/tools/export_report.json):

1. Checks the pinned versions (PINNED below) and reads sklesion's model_props.pkl,
   cl_info.pkl and cr_test.pkl: class order, metadata encoding constants, reported
   test metrics (recomputed where possible: macro averages, accuracy = weighted recall).
2. Loads model.keras (Keras 3.15 loads the Keras 3.3.3 file as it is), checks that the
   image input is followed by an adapted Normalization layer (so the model takes raw
   0..255 RGB) and that the output layer is a softmax.
3. Checks our metadata encoding (eval_inputs.encode_metadata) against sklesion's own
   SkinLesionClassifier.preprocess for every sex x location group and present/missing
   age, and its image path (decode_jpeg, tf.image.resize bilinear without antialias)
   against SkinLesionClassifier.predict_P.
4. Builds the evaluation set (72 inputs, seed 1) and a separate sensitivity /
   calibration set (24 inputs, seed 2) from tests/data/phone_skin_moles.jpg
   (see eval_inputs.py), and the Keras probabilities for the evaluation set.
5. Converts float32, float16, dynamic-range int8 (per-channel and per-tensor) and full
   int8, measures every dynamic-range layer's own sensitivity (the float model with
   only that layer quantised, on the sensitivity set), and builds the layer-selective
   variants with tflite_surgery.py.
6. Measures each variant: file size, latency (tf.lite.Interpreter, num_threads=2, one
   input, median of 10 runs after 2 warm-ups), top-1 agreement with Keras and max
   absolute probability difference on the evaluation set; applies the rule
   (RULE below); writes the chosen model, its card (with sha256), the report and
   tests/data/default_model_reference.json.

The rule: a variant qualifies when its top-1 agrees with the Keras model on at least
97% of an evaluation set of at least 60 inputs and its largest absolute probability
difference is at most 0.02; among the qualifying variants the smallest file wins,
then the fastest.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import pickle
import statistics
import sys
import time

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # bit-stable Keras reference
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import eval_inputs as ei  # noqa: E402
import tflite_surgery as ts  # noqa: E402

PINNED = {
    "tensorflow": "2.21.0",
    "keras": "3.15.1",
    "sklesion": "0.2.2",
    "numpy": "2.4.6",
    "pandas": "2.2.3",
    "pillow": "13.0.0",
}
THREADS = 2
EVAL_SEED, EVAL_COUNT = 1, 72
SENS_SEED, SENS_COUNT = 2, 24
RULE = {"min_inputs": 60, "min_agreement": 0.97, "max_abs_prob_diff": 0.02}
# Mixed int8/float16: the largest number n (from this ladder) of the least
# sensitive-per-parameter layers kept int8 while the sensitivity set stays within
# MIXED_SENS_LIMIT (half the rule's tolerance, a margin for the held-out evaluation
# set) with full top-1 agreement. Chosen on the sensitivity set only.
MIXED_LADDER = [4, 6, 8, 10, 12, 14, 16, 18, 20, 24]
MIXED_SENS_LIMIT = 0.01
KEEP_FLOAT_LADDER = [4, 12, 24]
LATENCY_RUNS, LATENCY_WARMUP = 10, 2

PHOTO = os.path.join(ROOT, "tests", "data", "phone_skin_moles.jpg")
MODELS_DIR = os.path.join(ROOT, "models")
REPORT = os.path.join(HERE, "export_report.json")
REFERENCE = os.path.join(ROOT, "tests", "data", "default_model_reference.json")
MODEL_STEM = "ham10000-xception"
REFERENCE_IDS = ["e000", "e002", "e004"]  # moles A, C, E at side 160, untransformed

CLASS_TEXT = {
    # code: (full name, one plain sentence written for LesionScan)
    "akiec": (
        "Actinic keratosis / intraepithelial carcinoma (Bowen's disease)",
        "A rough, scaly patch on sun-damaged skin that is an early, surface-only form of skin cancer.",
    ),
    "bcc": (
        "Basal cell carcinoma",
        "The most common skin cancer: a slow-growing, often shiny or pearly bump or sore that rarely spreads but should be treated.",
    ),
    "bkl": (
        "Benign keratosis-like lesion (solar lentigo, seborrheic keratosis, lichen planus-like keratosis)",
        "A harmless spot such as an age spot or a waxy, stuck-on looking growth.",
    ),
    "df": (
        "Dermatofibroma",
        "A harmless small firm bump, often brownish, that dimples when pinched.",
    ),
    "mel": (
        "Melanoma",
        "A cancer of the pigment cells, often a changing mole with uneven shape or colour; the most dangerous type here.",
    ),
    "nv": (
        "Melanocytic nevus",
        "An ordinary mole: a harmless, usually round and evenly coloured spot of pigment cells.",
    ),
    "vasc": (
        "Vascular lesion (angioma, angiokeratoma, pyogenic granuloma, haemorrhage)",
        "A harmless red, purple or bluish spot made of blood vessels or blood.",
    ),
}
MALIGNANT = {"akiec", "bcc", "mel"}

MIT_TEXT = """MIT License

Copyright (c) 2024 Elio Pereira

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def log(*a):
    print(*a, flush=True)


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# --------------------------------------------------------------------------------------
# 1. versions and sklesion's own files
# --------------------------------------------------------------------------------------
def check_versions() -> dict:
    found = {name: importlib.metadata.version(name if name != "tensorflow" else "tensorflow-cpu") for name in PINNED}
    assert tf.__version__ == PINNED["tensorflow"], tf.__version__
    bad = {k: (v, PINNED[k]) for k, v in found.items() if v != PINNED[k]}
    if bad:
        raise SystemExit(f"pinned versions differ (found, wanted): {bad}")
    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.keras.utils.set_random_seed(0)
    return found


def sklesion_dir() -> str:
    import sklesion

    return os.path.dirname(sklesion.__file__)


def read_sklesion_files() -> dict:
    d = sklesion_dir()
    files = {}
    for name in ["model.keras", "model_props.pkl", "cl_info.pkl", "cr_test.pkl", "model.py", "prob_to_label.py"]:
        with open(os.path.join(d, name), "rb") as f:
            files[name] = sha256_bytes(f.read())
    with open(os.path.join(d, "model_props.pkl"), "rb") as f:
        props = pickle.load(f)
    with open(os.path.join(d, "cl_info.pkl"), "rb") as f:
        cl_info = pickle.load(f)
    with open(os.path.join(d, "cr_test.pkl"), "rb") as f:
        cr = pickle.load(f)

    classes = [props["i_cl_map"][i] for i in range(len(props["i_cl_map"]))]
    assert classes == ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"], classes
    # cl_info lists benign then malignant (bkl, df, nv, vasc, akiec, bcc, mel); only
    # i_cl_map gives the output order (sklesion's get_P_info_from_P uses it).
    assert sorted(classes) == sorted(cl_info)
    for code in classes:
        assert props["oh_map"]["cl"][code] == [int(i == classes.index(code)) for i in range(7)]
        assert (cl_info[code]["severity"] == "Malign") == (code in MALIGNANT), code
    # Metadata constants used by eval_inputs.encode_metadata.
    sex, loc = props["oh_map"]["sex"], props["oh_map"]["loc"]
    assert list(sex) == ["female", "male", "unknown"]
    assert list(loc) == ["arm", "head-or-neck", "leg-or-genital", "trunk", "unknown"]
    for name, index in ei.SEX_INDEX.items():
        assert sex[name].index(1) == index
    assert sex["unknown"].index(1) == ei.SEX_MISSING_INDEX
    for name, index in ei.LOC_GROUP_INDEX.items():
        assert len(sex) + loc[name].index(1) == index
    assert float(props["age_max"]) == ei.AGE_DIVIDE_BY
    assert float(props["age_mean"]) == ei.AGE_MEAN
    assert list(props["img_shape"]) == [ei.IMAGE_SIZE, ei.IMAGE_SIZE]

    # Reported test metrics: recompute what can be recomputed from the per-class rows.
    n = cr["support"]["accuracy"]
    assert sum(cr["support"][c] for c in classes) == n
    for metric in ["precision", "recall", "f1-score"]:
        macro = statistics.fmean(cr[metric][c] for c in classes)
        weighted = sum(cr[metric][c] * cr["support"][c] for c in classes) / n
        assert abs(macro - cr[metric]["macro avg"]) < 1e-9, metric
        assert abs(weighted - cr[metric]["weighted avg"]) < 1e-9, metric
    for c in classes:
        p, r = cr["precision"][c], cr["recall"][c]
        assert abs(2 * p * r / (p + r) - cr["f1-score"][c]) < 1e-9, c
    # Single-label accuracy equals support-weighted recall.
    assert abs(cr["recall"]["weighted avg"] - cr["f1-score"]["accuracy"]) < 1e-9
    correct = {c: round(cr["recall"][c] * cr["support"][c]) for c in classes}
    metrics = {
        "test_images": int(n),
        "accuracy": round(cr["f1-score"]["accuracy"], 4),
        "macro_f1": round(cr["f1-score"]["macro avg"], 4),
        "weighted_f1": round(cr["f1-score"]["weighted avg"], 4),
        "macro_recall": round(cr["recall"]["macro avg"], 4),
        "per_class": {
            c: {
                "precision": round(cr["precision"][c], 4),
                "recall": round(cr["recall"][c], 4),
                "f1": round(cr["f1-score"][c], 4),
                "support": int(cr["support"][c]),
                "correct": int(correct[c]),
            }
            for c in classes
        },
        "source": "sklesion/cr_test.pkl (classification report on the author's test split); "
        "macro/weighted averages, per-class F1 and accuracy = weighted recall re-derived and consistent",
    }
    assert sum(correct.values()) == round(cr["f1-score"]["accuracy"] * n)
    return {
        "classes": classes,
        "cl_info": {c: {k: " ".join(str(v).split()) for k, v in cl_info[c].items()} for c in classes},
        "cl_info_order": list(cl_info),
        "props": {
            "age_max": float(props["age_max"]),
            "age_mean": float(props["age_mean"]),
            "img_shape": [int(x) for x in props["img_shape"]],
            "oh_map_sex": {k: list(v) for k, v in sex.items()},
            "oh_map_loc": {k: list(v) for k, v in loc.items()},
        },
        "metrics": metrics,
        "file_sha256": files,
    }


# --------------------------------------------------------------------------------------
# 2. the Keras model
# --------------------------------------------------------------------------------------
def inspect_keras(model) -> dict:
    image_in, meta_in = model.inputs
    assert tuple(image_in.shape) == (None, 254, 254, 3) and tuple(meta_in.shape) == (None, 10)
    norm = model.get_layer("normalization")
    assert isinstance(norm, tf.keras.layers.Normalization)
    mean, var, _count = [np.asarray(v) for v in norm.get_weights()]
    mean, var = mean.reshape(-1), var.reshape(-1)
    assert mean.shape == (3,) and 100 < mean.min() and mean.max() < 255, mean  # raw 0..255 statistics
    last = model.layers[-1]
    assert last.get_config()["activation"] == "softmax", last.get_config()
    return {
        "inputs": [image_in.name, meta_in.name],
        "normalization_mean": [round(float(x), 4) for x in mean],
        "normalization_std": [round(float(x), 4) for x in np.sqrt(var)],
        "output_activation": "softmax",
        "params": int(model.count_params()),
    }


# --------------------------------------------------------------------------------------
# 3. our encoding against sklesion's own code
# --------------------------------------------------------------------------------------
def check_against_sklesion(clf, upright) -> dict:
    """sklesion.preprocess vs eval_inputs.encode_metadata, and predict_P vs our image path."""
    checked = 0
    for sex in ["female", "male", "unknown"]:
        for group in ["arm", "head-or-neck", "leg-or-genital", "trunk", "unknown"]:
            for age in [None, 0.0, 37.0, 85.0]:
                jpeg = _jpeg_bytes(upright.crop((500, 580, 740, 820)))
                ds = clf.preprocess({"image": jpeg, "meta": {"sex": sex, "location": group, "age": age}})
                (((_, meta),),) = list(ds.as_numpy_iterator())
                # Any HAM10000 localisation we map to this group gives the same vector.
                for loc, g in ei.HAM_LOCALIZATION_TO_GROUP.items():
                    if g == group:
                        ours = ei.encode_metadata(age, sex if sex != "unknown" else None, loc)
                        assert np.array_equal(meta[0].astype(np.float32), ours), (sex, group, age, meta, ours)
                        checked += 1
    # The image path: sklesion decodes the JPEG bytes with tf.image.decode_jpeg (no EXIF
    # handling) and stretches with tf.image.resize(bilinear, antialias=False).
    diffs = []
    for box, meta in [((500, 580, 740, 820), ("female", "trunk", 45.0)), ((0, 0, 1360, 1360), ("male", "arm", None))]:
        jpeg = _jpeg_bytes(upright.crop(box))
        p_skl = clf.predict_P({"image": jpeg, "meta": {"sex": meta[0], "location": meta[1], "age": meta[2]}})
        img = tf.image.resize(tf.cast(tf.image.decode_jpeg(jpeg, channels=3), tf.float32)[None], [254, 254])
        loc = next(k for k, v in ei.HAM_LOCALIZATION_TO_GROUP.items() if v == meta[1])
        p_ours = clf.model.predict([img.numpy(), ei.encode_metadata(meta[2], meta[0], loc)[None]], verbose=0)
        diffs.append(float(np.abs(p_skl - p_ours).max()))
    assert max(diffs) < 1e-5, diffs
    return {"metadata_vectors_compared": checked, "predict_P_max_abs_diff": max(diffs)}


def _jpeg_bytes(pil_image) -> bytes:
    buf = io.BytesIO()
    pil_image.save(buf, format="JPEG", quality=95)
    return buf.getvalue()


# --------------------------------------------------------------------------------------
# 5-6. conversion, evaluation
# --------------------------------------------------------------------------------------
def convert(model, kind: str, calibration=None) -> bytes:
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    if kind == "float16":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.target_spec.supported_types = [tf.float16]
    elif kind == "dynamic-int8":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
    elif kind == "dynamic-int8-per-tensor":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c._experimental_disable_per_channel = True
    elif kind == "full-int8":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = lambda: ([x[None], m[None]] for x, m in calibration)
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    else:
        assert kind == "float32"
    return c.convert()


class Runner:
    """tf.lite.Interpreter over a model in memory, image input first."""

    def __init__(self, model_bytes: bytes):
        self.it = tf.lite.Interpreter(model_content=model_bytes, num_threads=THREADS)
        self.it.allocate_tensors()
        ins = self.it.get_input_details()
        self.image = next(d["index"] for d in ins if len(d["shape"]) == 4)
        self.meta = next(d["index"] for d in ins if len(d["shape"]) == 2)
        assert all(d["dtype"] == np.float32 for d in ins)
        (out,) = self.it.get_output_details()
        assert out["dtype"] == np.float32 and list(out["shape"]) == [1, 7]
        self.out = out["index"]

    def __call__(self, x, m) -> np.ndarray:
        self.it.set_tensor(self.image, x[None])
        self.it.set_tensor(self.meta, m[None])
        self.it.invoke()
        return self.it.get_tensor(self.out)[0].copy()

    def many(self, X, M) -> np.ndarray:
        return np.stack([self(x, m) for x, m in zip(X, M)])

    def latency_ms(self, x, m) -> float:
        for _ in range(LATENCY_WARMUP):
            self(x, m)
        times = []
        for _ in range(LATENCY_RUNS):
            t = time.perf_counter()
            self(x, m)
            times.append((time.perf_counter() - t) * 1000)
        return float(statistics.median(times))


def compare(P, ref) -> dict:
    finite = np.isfinite(P).all(axis=1)
    agree = (P.argmax(1) == ref.argmax(1)) & finite
    out = {
        "inputs": int(len(P)),
        "top1_agree": int(agree.sum()),
        "agreement": float(agree.mean()),
        # None (JSON null) when an output is NaN or infinite; such a variant fails.
        "max_abs_prob_diff": float(np.abs(P - ref).max()) if finite.all() else None,
        "mean_abs_prob_diff": float(np.abs(P - ref).mean()) if finite.all() else None,
    }
    if not finite.all():
        out["non_finite_outputs"] = int((~finite).sum())
    return out


def passes(c: dict) -> bool:
    return (
        c["inputs"] >= RULE["min_inputs"]
        and c["agreement"] >= RULE["min_agreement"]
        and c["max_abs_prob_diff"] is not None
        and c["max_abs_prob_diff"] <= RULE["max_abs_prob_diff"]
    )


def layer_sensitivity(f32: bytes, dr: bytes, SX, SM) -> list:
    """Each dynamic-range layer's own effect: the float model with only it quantised."""
    base = Runner(f32).many(SX, SM)
    rows = []
    candidates = [o for o in ts.weighted_ops(ts.load(dr)) if o["dtype"] == "int8"]
    for i, o in enumerate(candidates):
        P = Runner(ts.only_quantized(f32, dr, [o["op"]])).many(SX, SM)
        d = np.abs(P - base)
        rows.append(
            dict(
                o,
                mean_l1=float(d.sum(1).mean()),
                max_abs=float(d.max()),
                flips=int((P.argmax(1) != base.argmax(1)).sum()),
            )
        )
        if i % 10 == 0:
            log(f"  sensitivity {i + 1}/{len(candidates)}")
    return rows


def main() -> None:
    t0 = time.time()
    versions = check_versions()
    log("versions", versions)
    skl = read_sklesion_files()
    log("sklesion classes", skl["classes"], "metrics", json.dumps(skl["metrics"])[:200], "...")

    from sklesion.model import SkinLesionClassifier

    clf = SkinLesionClassifier()
    model = clf.model
    keras_info = inspect_keras(model)
    log("keras", keras_info)

    upright = ei.load_upright(PHOTO)
    with open(PHOTO, "rb") as f:
        photo_sha = sha256_bytes(f.read())
    cross = check_against_sklesion(clf, upright)
    log("encoding matches sklesion", cross)

    evals = ei.make_recipes(EVAL_SEED, EVAL_COUNT, upright.width, upright.height, "e", plain_first=True)
    sens = ei.make_recipes(SENS_SEED, SENS_COUNT, upright.width, upright.height, "s", plain_first=False)
    EX = np.stack([ei.build_image(upright, r) for r in evals])
    EM = np.stack([r.metadata() for r in evals])
    SX = np.stack([ei.build_image(upright, r) for r in sens])
    SM = np.stack([r.metadata() for r in sens])
    K = model.predict([EX, EM], batch_size=8, verbose=0)
    log(f"keras reference on {len(EX)} inputs: classes {np.bincount(K.argmax(1), minlength=7).tolist()}")

    log("converting")
    base = {kind: convert(model, kind) for kind in ["float32", "float16", "dynamic-int8", "dynamic-int8-per-tensor"]}
    try:
        base["full-int8"] = convert(model, "full-int8", calibration=list(zip(SX, SM)))
    except Exception as e:  # recorded, not fatal: full int8 is only a comparison point
        log("full-int8 conversion failed:", repr(e)[:300])
    f32, dr = base["float32"], base["dynamic-int8"]
    assert convert(model, "dynamic-int8") == dr, "conversion is not deterministic"
    ts.check_aligned(ts.load(f32), ts.load(dr))

    log("layer sensitivity")
    sensitivity = layer_sensitivity(f32, dr, SX, SM)
    by_harm = [r["op"] for r in sorted(sensitivity, key=lambda r: -r["mean_l1"])]
    by_harm_per_param = [r["op"] for r in sorted(sensitivity, key=lambda r: r["mean_l1"] / r["params"])]
    sens_ref = Runner(f32).many(SX, SM)

    variants = {}  # name -> (bytes, description)
    descr = {
        "float32": "plain conversion",
        "float16": "float16 weights (TF post-training float16)",
        "dynamic-int8": "TF dynamic-range int8, per-channel weights, hybrid kernels",
        "dynamic-int8-per-tensor": "as dynamic-int8 with one scale per tensor",
        "full-int8": "TF full-integer int8 (float I/O) calibrated on the 24 sensitivity-set crops",
    }
    for k, b in base.items():
        variants[k] = (b, descr[k])
    for k in KEEP_FLOAT_LADDER:
        variants[f"dynamic-int8-keep{k}-float32"] = (
            ts.keep_float(dr, f32, by_harm[:k]),
            f"dynamic-int8 with the {k} most harmful layers (own sensitivity) back in float32",
        )
    variants["dynamic-int8-keep12-float16"] = (
        ts.keep_float16(dr, f32, by_harm[:12]),
        "dynamic-int8 with the 12 most harmful layers as float16 weights",
    )
    variants["int8-weight-only"] = (
        ts.weight_only(dr, by_harm),
        "int8 per-channel weights dequantised to float32 at load (DEQUANTIZE ops), float compute",
    )

    log("choosing the mixed int8/float16 split on the sensitivity set")
    mixed_ladder = []
    chosen_n = None
    for n in MIXED_LADDER:
        b = ts.keep_float16(dr, f32, by_harm_per_param[n:])
        c = compare(Runner(b).many(SX, SM), sens_ref)
        mixed_ladder.append({"int8_layers": n, "size_bytes": len(b), **c})
        log(f"  n={n}: {len(b) / 1e6:.1f} MB, sensitivity-set max diff {c['max_abs_prob_diff']}")
        if c["max_abs_prob_diff"] is not None and c["max_abs_prob_diff"] <= MIXED_SENS_LIMIT and c["agreement"] == 1.0:
            chosen_n = n
    if chosen_n is not None:
        int8_params = sum(r["params"] for r in sensitivity if r["op"] in by_harm_per_param[:chosen_n])
        variants[f"mixed-int8-{chosen_n}-float16"] = (
            ts.keep_float16(dr, f32, by_harm_per_param[chosen_n:]),
            f"the {chosen_n} layers with least harm per weight as dynamic-range int8 "
            f"({int8_params / 1e6:.1f}M weights), every other weighted layer float16",
        )

    log("evaluating variants")
    rows = []
    x0, m0 = EX[0], EM[0]
    for name, (b, description) in variants.items():
        r = Runner(b)
        c = compare(r.many(EX, EM), K)
        row = {
            "variant": name,
            "description": description,
            "size_bytes": len(b),
            "size_mb": round(len(b) / 1e6, 1),
            "latency_ms": round(r.latency_ms(x0, m0), 1),
            **c,
            "passes_rule": passes(c),
            "sha256": sha256_bytes(b),
        }
        rows.append(row)
        log(
            f"  {name:32s} {row['size_mb']:6.1f} MB {row['latency_ms']:7.1f} ms "
            f"agree {c['top1_agree']}/{c['inputs']} max {c['max_abs_prob_diff']} {'PASS' if row['passes_rule'] else '-'}"
        )
    qualifying = sorted((r for r in rows if r["passes_rule"]), key=lambda r: (r["size_bytes"], r["latency_ms"]))
    if not qualifying:
        raise SystemExit("no variant meets the rule")
    chosen = qualifying[0]
    log("chosen", chosen["variant"])
    chosen_bytes = variants[chosen["variant"]][0]
    file_stem = f"{MODEL_STEM}-{chosen['variant']}"
    for old in os.listdir(MODELS_DIR):
        if old.startswith(MODEL_STEM + "-") and old.endswith((".tflite", ".json")):
            os.remove(os.path.join(MODELS_DIR, old))
    with open(os.path.join(MODELS_DIR, file_stem + ".tflite"), "wb") as f:
        f.write(chosen_bytes)

    chosen_runner = Runner(chosen_bytes)
    card = make_card(file_stem, chosen, chosen_bytes, skl, keras_info, versions, rows)
    with open(os.path.join(MODELS_DIR, file_stem + ".json"), "w") as f:
        json.dump(card, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(MODELS_DIR, "LICENSE-sklesion.txt"), "w") as f:
        f.write(MIT_TEXT)

    reference = make_reference(upright, evals, K, chosen_runner, file_stem, card)
    with open(REFERENCE, "w") as f:
        json.dump(reference, f, indent=2)
        f.write("\n")

    report = {
        "generated_by": "models/tools/export_default.py",
        "versions": versions,
        "threads": THREADS,
        "sklesion": skl,
        "keras_model": keras_info,
        "encoding_cross_check": cross,
        "photo": {"path": "tests/data/phone_skin_moles.jpg", "sha256": photo_sha, "upright_size": list(upright.size)},
        "rule": RULE,
        "evaluation_set": {"seed": EVAL_SEED, "inputs": [r.as_json() for r in evals]},
        "sensitivity_set": {"seed": SENS_SEED, "inputs": [r.as_json() for r in sens]},
        "keras_top1_counts": dict(zip(skl["classes"], np.bincount(K.argmax(1), minlength=7).tolist())),
        "layer_sensitivity": sorted(sensitivity, key=lambda r: -r["mean_l1"]),
        "mixed_ladder": {"limit": MIXED_SENS_LIMIT, "chosen_int8_layers": chosen_n, "steps": mixed_ladder},
        "variants": rows,
        "chosen": {"variant": chosen["variant"], "file": file_stem + ".tflite", "sha256": chosen["sha256"]},
        "seconds": round(time.time() - t0),
    }
    with open(REPORT, "w") as f:
        json.dump(report, f, indent=1, allow_nan=False)
        f.write("\n")
    log(f"done in {time.time() - t0:.0f} s")


def make_card(file_stem, chosen, chosen_bytes, skl, keras_info, versions, rows) -> dict:
    site_indices = {loc: ei.LOC_GROUP_INDEX[g] for loc, g in sorted(ei.HAM_LOCALIZATION_TO_GROUP.items())}
    classes = []
    for code in skl["classes"]:
        name, sentence = CLASS_TEXT[code]
        classes.append({"code": code, "name": name, "malignant": code in MALIGNANT, "description": sentence})
    return {
        "id": file_stem,
        "version": "1.0.0",
        "file": file_stem + ".tflite",
        "sha256": sha256_bytes(chosen_bytes),
        "input": {
            "width": ei.IMAGE_SIZE,
            "height": ei.IMAGE_SIZE,
            "color": "rgb",
            "layout": "nhwc",
            "dtype": "float32",
            "mean": [0.0, 0.0, 0.0],
            "std": [1.0, 1.0, 1.0],
            "resize": "bilinear",
            "crop": "none",
        },
        "metadata_input": {
            "length": ei.META_LENGTH,
            "sex": {"indices": dict(ei.SEX_INDEX), "missing": ei.SEX_MISSING_INDEX},
            "site": {"indices": site_indices, "missing": ei.LOC_GROUP_INDEX["unknown"]},
            "age": {
                "index": ei.AGE_INDEX,
                "divide_by": ei.AGE_DIVIDE_BY,
                "missing_value": ei.AGE_MEAN / ei.AGE_DIVIDE_BY,
                "missing_flag_index": ei.AGE_MISSING_FLAG_INDEX,
            },
        },
        "output": {"kind": "probabilities"},
        "classes": classes,
        "provenance": {
            "source": "PyPI sklesion 0.2.2",
            "source_files_sha256": skl["file_sha256"],
            "author": "Elio Pereira",
            "licence": "MIT",
            "licence_text": MIT_TEXT,
            "training_data": "HAM10000 (Tschandl et al. 2018, CC BY-NC 4.0 dataset)",
            "architecture": "Xception image branch (input normalised inside the model by an adapted "
            "Normalization layer, mean "
            + str(keras_info["normalization_mean"])
            + ", std "
            + str(keras_info["normalization_std"])
            + " on the 0..255 scale) + dense metadata branch, softmax over 7 classes",
            "preprocessing_in_sklesion": "tf.image.decode_jpeg (no EXIF orientation), tf.image.resize to 254x254 "
            "(bilinear, antialias=False), float 0..255; metadata as in metadata_input",
            "site_grouping": "sklesion takes one of arm / head-or-neck / leg-or-genital / trunk / unknown and ships "
            "no mapping from HAM10000 localisations; the mapping in metadata_input.site is LesionScan's "
            "(acral, being palms or soles, goes to unknown)",
            "reported_metrics": skl["metrics"],
            "conversion": {
                "tool": "models/tools/export_default.py",
                "tensorflow": versions["tensorflow"],
                "keras": versions["keras"],
                "variant": chosen["variant"],
                "variant_description": chosen["description"],
                "rule": "top-1 agreement with the Keras model on >= 97% of >= 60 evaluation inputs built from a real "
                "photo and max absolute probability difference <= 0.02; smallest qualifying file, then fastest",
                "rule_outcome": {
                    "agreement": f"{chosen['top1_agree']}/{chosen['inputs']}",
                    "max_abs_prob_diff": round(chosen["max_abs_prob_diff"], 4),
                    "qualifying_variants": [r["variant"] for r in rows if r["passes_rule"]],
                },
            },
            "not_a_medical_device": True,
            "medical_notice": "Not a medical device: a research model trained on dermatoscopic images, "
            "not validated for diagnosis or for phone photos; it must not be used to decide about care.",
        },
    }


def make_reference(upright, evals, K, runner, file_stem, card) -> dict:
    by_id = {r.id: (i, r) for i, r in enumerate(evals)}
    cases = []
    for rid in REFERENCE_IDS:
        i, r = by_id[rid]
        assert r.transform == "none"
        x = ei.resize_crop(upright, r.box)
        m = r.metadata()
        assert np.array_equal(x, ei.build_image(upright, r))
        p = runner(x, m)
        cases.append(
            {
                "id": r.id,
                "crop_box_ltrb": list(r.box),
                "patient": {"age": r.age, "sex": r.sex, "site": r.localization},
                "metadata": [float(v) for v in m],
                "input_channel_means": [float(v) for v in x.reshape(-1, 3).astype(np.float64).mean(0)],
                "input_pixel_0_0": [float(v) for v in x[0, 0]],
                "input_pixel_127_127": [float(v) for v in x[127, 127]],
                "tflite_probabilities": [float(v) for v in p],
                "keras_probabilities": [float(v) for v in K[i]],
                "tflite_top1": card["classes"][int(p.argmax())]["code"],
            }
        )
    return {
        "generated_by": "models/tools/export_default.py",
        "model": file_stem + ".tflite",
        "model_sha256": card["sha256"],
        "image": "tests/data/phone_skin_moles.jpg",
        "recipe": "PIL.Image.open + ImageOps.exif_transpose + convert('RGB'); crop crop_box_ltrb "
        "(left, top, right, bottom; pixels of the upright image); float32 0..255; "
        "tf.image.resize(size=[254, 254], method='bilinear', antialias=True); image input NHWC float32 "
        "as is (the model normalises inside); metadata input = metadata (also derivable from patient "
        "with the card's metadata_input); tf.lite.Interpreter(num_threads=2)",
        "pillow": PINNED["pillow"],
        "tensorflow": PINNED["tensorflow"],
        "cases": cases,
    }


if __name__ == "__main__":
    main()
