#!/usr/bin/env python3
"""Check which classic TFLite runtime version runs LesionScan's models correctly.

iOS builds run models with the classic TensorFlow Lite C API (TensorFlowLiteC.framework),
pinned in ios/README.md. This script runs the same checks against the Python interpreter of a
given TFLite release, which is built from the same kernels as that release's C library:

  * each model's operator codes and versions, and the minimum runtime version the converter
    stamped into its metadata ("min_runtime_version");
  * whether the runtime loads the model (an operator version it lacks fails here);
  * the fixture models against tests/data/reference_outputs.json (TF 2.21's outputs on the
    same input tensors): int8 outputs in int8 steps, float outputs absolutely. A runtime
    that reads only the first of per-channel dense weight scales answers the same for every
    class, which shows up here as a large difference, not an error;
  * the default model (models/DEFAULT_MODEL) against tests/data/default_model_reference.json
    on the PNG crops of tests/data/default_model_crops (when the reference's sha256 matches):
    probabilities against TF 2.21's interpreter and against the Keras original, whose
    max |dp| must stay <= 0.02 (stricter than the selection rule's 0.10: three crops are few).

Usage (one virtual environment per runtime; nothing is downloaded at run time):

    python -m venv /tmp/tf217 && /tmp/tf217/bin/pip install tensorflow-cpu==2.17.0 pillow
    /tmp/tf217/bin/python models/tools/check_runtime.py

    python -m venv /tmp/tfl214 && /tmp/tfl214/bin/pip install tflite-runtime==2.14.0 'numpy<2' pillow
    /tmp/tfl214/bin/python models/tools/check_runtime.py

Requirements: Python 3.11, numpy, pillow, and either tensorflow-cpu (tf.lite.Interpreter) or
tflite-runtime (tflite_runtime.interpreter); the flatbuffer schema comes from the
tensorflow package when present, else the script reads operator codes itself. Prints a
JSON report; exits 1 when any model a runtime loads gives wrong outputs.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"

try:  # tensorflow-cpu
    import tensorflow as tf

    Interpreter = tf.lite.Interpreter
    RUNTIME = f"tensorflow {tf.__version__} tf.lite.Interpreter"
except ImportError:  # tflite-runtime
    import tflite_runtime
    from tflite_runtime.interpreter import Interpreter

    RUNTIME = f"tflite-runtime {tflite_runtime.__version__}"

# BuiltinOperator numbers of the schema for the operators these models use (schema.fbs).
OPS = {
    0: "ADD", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE",
    9: "FULLY_CONNECTED", 17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 25: "SOFTMAX",
    40: "MEAN", 41: "SUB", 114: "QUANTIZE",
}


# ---- a minimal flatbuffer reader: operator codes and metadata only -----------------------
def _u32(b: bytes, at: int) -> int:
    return struct.unpack_from("<I", b, at)[0]


def _table(b: bytes, at: int):
    """(table position, vtable position, vtable length) of the table at `at`."""
    vt = at - struct.unpack_from("<i", b, at)[0]
    return at, vt, struct.unpack_from("<H", b, vt)[0]


def _field(b: bytes, table, index: int) -> int | None:
    at, vt, vt_len = table
    off = 4 + 2 * index
    if off >= vt_len:
        return None
    rel = struct.unpack_from("<H", b, vt + off)[0]
    return at + rel if rel else None


def _vector(b: bytes, table, index: int):
    pos = _field(b, table, index)
    if pos is None:
        return []
    start = pos + _u32(b, pos)
    return [start + 4 + 4 * i for i in range(_u32(b, start))]


def model_facts(data: bytes) -> dict:
    root = _table(data, _u32(data, 0))
    ops: dict[str, int] = {}
    for slot in _vector(data, root, 1):  # Model.operator_codes
        oc = _table(data, slot + _u32(data, slot))
        dep = _field(data, oc, 0)
        ver = _field(data, oc, 2)
        code = _field(data, oc, 3)
        number = max(
            struct.unpack_from("<b", data, dep)[0] if dep else 0,
            struct.unpack_from("<i", data, code)[0] if code else 0,
        )
        version = struct.unpack_from("<i", data, ver)[0] if ver else 1
        name = OPS.get(number, f"op{number}")
        ops[name] = max(ops.get(name, 0), version)
    buffers = _vector(data, root, 4)  # Model.buffers
    stamped = None
    for slot in _vector(data, root, 6):  # Model.metadata
        md = _table(data, slot + _u32(data, slot))
        name_pos = _field(data, md, 0)
        buf_pos = _field(data, md, 1)
        if not name_pos or not buf_pos:
            continue
        s = name_pos + _u32(data, name_pos)
        name = data[s + 4 : s + 4 + _u32(data, s)].decode()
        if name != "min_runtime_version":
            continue
        b = _table(data, buffers[_u32(data, buf_pos)] + _u32(data, buffers[_u32(data, buf_pos)]))
        vec = _field(data, b, 0)
        if vec:
            v = vec + _u32(data, vec)
            stamped = data[v + 4 : v + 4 + _u32(data, v)].split(b"\0")[0].decode()
    return {"operators": ops, "min_runtime_version": stamped}


# ---- running ------------------------------------------------------------------------------
def load(data: bytes):
    it = Interpreter(model_content=data, num_threads=1)
    it.allocate_tensors()
    return it


def tensor(record: dict) -> np.ndarray:
    return np.asarray(record["data"], dtype=record["dtype"]).reshape(record["shape"])


def check_fixtures(report: dict) -> bool:
    ok = True
    reference = json.loads((DATA / "reference_outputs.json").read_text())
    for name, entry in reference["models"].items():
        data = (DATA / entry["file"]).read_bytes()
        result = {"facts": model_facts(data)}
        report["fixtures"][name] = result
        try:
            it = load(data)
        except Exception as e:  # the runtime refuses the model
            result["loads"] = False
            result["error"] = " ".join(str(e).split())[:300]
            continue
        result["loads"] = True
        worst, same_for_all = 0.0, 0
        for case in entry["cases"]:
            for rec in case["inputs"]:
                d = it.get_input_details()[rec["position"]]
                it.set_tensor(d["index"], tensor(rec))
            it.invoke()
            got = it.get_tensor(it.get_output_details()[0]["index"]).ravel()
            want = tensor(case["output"]).ravel()
            worst = max(worst, float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max()))
            same_for_all += int(np.all(got == got[0]))
        result["max_abs_diff_vs_tf_2_21"] = worst  # int8 steps for integer outputs
        result["cases_with_one_score_for_every_class"] = same_for_all
        integer = entry["outputs"][0]["dtype"] != "float32"
        result["correct"] = (worst <= 3) if integer else (worst <= 1e-5)
        ok &= result["correct"]
    return ok


def check_default(report: dict) -> bool:
    from PIL import Image

    stem = (REPO / "models" / "DEFAULT_MODEL").read_text().strip()
    data = (REPO / "models" / f"{stem}.tflite").read_bytes()
    result = {"model": stem, "facts": model_facts(data)}
    report["default_model"] = result
    try:
        it = load(data)
    except Exception as e:
        result["loads"] = False
        result["error"] = " ".join(str(e).split())[:300]
        return True  # refused, not misread
    result["loads"] = True
    reference = json.loads((DATA / "default_model_reference.json").read_text())
    import hashlib

    if reference.get("model_sha256") != hashlib.sha256(data).hexdigest():
        result["note"] = "tests/data/default_model_reference.json is for another model; outputs not compared"
        return True
    inputs = it.get_input_details()
    image = next(d for d in inputs if len(d["shape"]) == 4)
    meta = next((d for d in inputs if len(d["shape"]) == 2), None)
    h, w = int(image["shape"][1]), int(image["shape"][2])
    worst, worst_keras, top_agree = 0.0, 0.0, 0
    for case in reference["cases"]:
        px = np.asarray(Image.open(DATA / "default_model_crops" / f"{case['id']}.png").convert("RGB"), np.float32)
        if "tensorflow" in RUNTIME:
            x = tf.image.resize(px, (h, w), method="bilinear", antialias=True).numpy()
        else:
            result["note"] = "resizing needs tensorflow; outputs not compared"
            return True
        it.set_tensor(image["index"], x[None].astype(np.float32))
        if meta is not None:
            it.set_tensor(meta["index"], np.asarray(case["metadata"], np.float32)[None])
        it.invoke()
        p = it.get_tensor(it.get_output_details()[0]["index"]).ravel().astype(np.float64)
        want = np.asarray(case["tflite_probabilities"], np.float64)
        worst = max(worst, float(np.abs(p - want).max()))
        keras = np.asarray(case["keras_probabilities"], np.float64)
        worst_keras = max(worst_keras, float(np.abs(p - keras).max()))
        top_agree += int(np.argmax(p) == np.argmax(want))
    result["cases"] = len(reference["cases"])
    result["max_abs_probability_diff_vs_tf_2_21"] = worst
    result["max_abs_probability_diff_vs_keras"] = worst_keras
    result["top1_agreement"] = top_agree
    # Stricter than the selection rule (models/README.md: largest |dp| <= 0.10, p99 <= 0.03 over
    # 1,351 inputs), since three crops are few: max |dp| <= 0.02 against Keras.
    result["correct"] = worst_keras <= 0.02 and top_agree == len(reference["cases"])
    return result["correct"]


def main() -> int:
    report = {"runtime": RUNTIME, "fixtures": {}}
    ok = check_fixtures(report)
    ok &= check_default(report)
    print(json.dumps(report, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
