#!/usr/bin/env python3
"""Make tiny converter-written models: seeds for the model_bytes fuzz target and real
converter output (QUANTIZE, DEQUANTIZE, hybrid and float16 weights) for the model
verifier's "no false rejections" test (tests/model_bytes.rs).

The models have RANDOM weights and are not classifiers of anything. Each is a few
kilobytes, so that a fuzzer's mutations reach the flatbuffer's structure often and a
minimised corpus of them stays small.

    python3 models/tools/make_tiny_models.py     # needs tensorflow-cpu == 2.21.0, numpy

It writes exactly these files into tests/data/tiny/ (and nothing else):

  int8.tflite            full-integer, int8 input and output (CONV_2D, DEPTHWISE_CONV_2D,
                         MEAN, FULLY_CONNECTED, SOFTMAX, per-channel weight scales)
  int8_float_io.tflite   full-integer inside, float32 input and output: QUANTIZE first,
                         DEQUANTIZE last
  float16.tflite         float16 weights: a DEQUANTIZE op per weight tensor
  dynamic_range.tflite   int8 weights, float activations (hybrid kernels)
  float32.tflite         not quantised
  int8.json, float.json  model cards (schema: src/model/card.rs); float.json fits every
                         float-input model above, int8.json the int8 one. No sha256, so one
                         card serves several files.

Input: [1, 32, 32, 3], pixel/255; output: 7 probabilities (softmax).
"""

import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data", "tiny")
SIDE = 32
CLASSES = [
    ("akiec", "Actinic keratoses and intraepithelial carcinoma", True),
    ("bcc", "Basal cell carcinoma", True),
    ("bkl", "Benign keratosis-like lesions", False),
    ("df", "Dermatofibroma", False),
    ("mel", "Melanoma", True),
    ("nv", "Melanocytic nevi", False),
    ("vasc", "Vascular lesions", False),
]


def keras_model(tf):
    tf.keras.utils.set_random_seed(11)
    inputs = tf.keras.Input((SIDE, SIDE, 3), batch_size=1, name="image")
    x = tf.keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(inputs)
    x = tf.keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    # 3x3x8x16 = 1152 weights: over the converter's 1024 for dynamic-range quantisation.
    x = tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu6")(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    outputs = tf.keras.layers.Dense(len(CLASSES), activation="softmax", name="predictions")(x)
    return tf.keras.Model(inputs, outputs)


def convert(tf, model, mode):
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    rng = np.random.default_rng(5)

    def calibration():
        for _ in range(16):
            yield [rng.random((1, SIDE, SIDE, 3), dtype=np.float32)]

    if mode in ("int8", "int8_float_io"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = calibration
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if mode == "int8":
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    elif mode == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif mode == "dynamic_range":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


def card(dtype):
    return {
        "id": f"tiny_{dtype}",
        "version": "1.0.0",
        "input": {
            "width": SIDE,
            "height": SIDE,
            "color": "rgb",
            "layout": "nhwc",
            "dtype": dtype,
            "mean": [0.0, 0.0, 0.0],
            "std": [255.0, 255.0, 255.0],
            "resize": "bilinear",
            "crop": "none",
        },
        "output": {"kind": "probabilities"},
        "classes": [
            {"code": c, "name": n, "malignant": m, "description": f"{n} (random test model)."}
            for c, n, m in CLASSES
        ],
        "provenance": {
            "generator": "models/tools/make_tiny_models.py",
            "note": "random weights; a test and fuzzing fixture, not a classifier",
        },
    }


def main():
    import tensorflow as tf

    if tf.__version__ != "2.21.0":
        print(f"warning: made with TensorFlow 2.21.0, this is {tf.__version__}", file=sys.stderr)
    os.makedirs(OUT, exist_ok=True)
    model = keras_model(tf)
    for mode in ("int8", "int8_float_io", "float16", "dynamic_range", "float32"):
        data = convert(tf, model, mode)
        with open(os.path.join(OUT, f"{mode}.tflite"), "wb") as f:
            f.write(data)
        print(f"{mode}.tflite: {len(data)} bytes")
    for dtype in ("int8", "float32"):
        name = "int8.json" if dtype == "int8" else "float.json"
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            json.dump(card(dtype), f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
