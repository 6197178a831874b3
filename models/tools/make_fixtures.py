#!/usr/bin/env python3
"""Make the small test-fixture models, their model cards and TensorFlow reference outputs.

The models have RANDOM weights. They are NOT skin-lesion classifiers; they exist so the
Rust library's loading, preprocessing, quantisation and output handling can be tested
against TensorFlow's own numbers. Nothing is downloaded: the only real image used is
tests/data/phone_skin_moles.jpg (see tests/data/ATTRIBUTION.md).

Run from anywhere (paths are relative to the repository root, found from this file):

    python3 models/tools/make_fixtures.py            # needs tensorflow-cpu == 2.21.0, pillow
    python3 models/tools/make_fixtures.py --allow-other-tf   # other TF versions, at your risk
    python3 models/tools/make_fixtures.py --only mobilenet_tiny_int8_dense_per_tensor
                                                     # one model's files and reference entry

The committed mobilenet_tiny_int8, mobilenet_tiny_uint8 and two_input_float files come from an
earlier run; a run on the x86-64 build machine of 2026-11 gives int8 weights that differ from
them by one step in a few hundred bytes (same script, same pins; the float BatchNorm statistics
round differently), so mobilenet_tiny_int8_dense_per_tensor was added with --only and the other
fixtures, which many tests use, were left byte-identical. All cases still check each model
against its own TensorFlow reference.

It writes exactly these files into tests/data/ (and nothing else):

  mobilenet_tiny_int8.tflite   Keras MobileNet v1 (alpha 0.25, 128x128x3, include_top=False,
                               pooling="avg") + Dense(7, softmax) named "predictions";
                               full-integer quantised with int8 input and int8 output.
                               Float input is pixel/255 (card mean 0, std 255); the model
                               contains no rescaling layer.
  mobilenet_tiny_int8_dense_per_tensor.tflite
                               The same Keras model (same weights) converted like
                               mobilenet_tiny_int8, but with the final Dense layer's weights
                               quantised per tensor (one scale) instead of per output channel
                               (the converter's default since TF 2.16/2.17): classic TFLite
                               runtimes before 2.17 (the TF 2.6 C library the tflite-c engine is
                               tested with here) compute per-channel int8 FULLY_CONNECTED wrongly
                               and silently, but run this file correctly. The script asserts the
                               Dense weights of mobilenet_tiny_int8 have 7 scales and of this
                               model 1.
  mobilenet_tiny_uint8.tflite  The same Keras model (same weights) converted with uint8 input
                               and uint8 output. TF 2.21's converter accepts uint8 I/O for
                               full-integer models (it adds QUANTIZE ops at both ends), so
                               this file is made, not skipped.
  two_input_float.tflite       Small float32 model with two inputs, "image" [1,64,64,3]
                               ((pixel-127.5)/127.5, card mean/std 127.5) and "metadata"
                               [1,10] (sklesion 0.2.2 encoding, below); three Conv2D layers with
                               max/global-average pooling, concatenated with Dense(16) of the
                               metadata, then Dense(7) LOGITS (no softmax). Not quantised.
  mobilenet_tiny_int8.json, mobilenet_tiny_int8_dense_per_tensor.json,
  mobilenet_tiny_uint8.json, two_input_float.json
                               Model cards in the schema of src/model/card.rs.
  reference_outputs.json       Compact JSON. For each model: input/output tensor names, tensor
                               indices, shapes, dtypes and per-tensor quantisation as
                               tf.lite.Interpreter reports them, and three cases, each with the
                               exact input tensors (flattened, with name, position, shape, dtype),
                               the raw output tensor, the dequantised probabilities (softmax of
                               the logits for two_input_float), top-1 and top-1 margin:
                                 a  crop rows 480..880, cols 420..820 of the photo,
                                 b  crop rows 0..600, cols 0..600, with a warm colour cast
                                    (R x1.15, G x0.9, B x0.8 after resizing),
                                 c  a synthetic RGB gradient (values 120..200);
                               crops resized with tf.image.resize(bilinear, antialias=True) and
                               kept as float32, then normalised per the card and quantised. The
                               two-input model's cases have different metadata: a female/back/45,
                               b male/upper extremity/70, c all missing.
  e2e_reference.json           Compact JSON. The whole pipeline on phone_skin_moles.jpg (PIL
                               decode, EXIF transpose, RGB, tf.image.resize bilinear
                               antialias=True to the model size, card normalisation, TFLite
                               quantisation) for mobilenet_tiny_int8 (no metadata) and
                               two_input_float (female/45/back and all-missing metadata): the
                               model's image input tensor, raw outputs, probabilities, top-1,
                               top-1 margins (TFLite and float Keras), and the same for three
                               other JPEG decodes (tf.io.decode_jpeg variants) as a guide to how
                               much a different decoder moves the result.

How random weights are made to give useful, input-dependent outputs
  * Spatial filters are low-pass: depthwise kernels are |glorot random|, full 3x3 kernels are
    |random spatial profile| x random channel mixing (smooth_filters). Zero-mean random 3x3
    filters react mostly to pixel-level texture, which BN statistics from smooth skin then
    amplify until half a grey level of noise (a different JPEG decoder) moves the output.
  * MobileNet: every BatchNormalization layer gets gamma 1, beta BN_BETA (1.5, so most ReLU6
    units work in their linear part and differences between crops survive int8), and moving
    mean/variance equal to the per-channel mean/variance of its input over CALIB_CROPS random
    crops of the photo (size 12-80 % of the short side, aspect 0.8-1.25, flips, 90-degree
    turns, brightness x0.6-1.4, contrast x0.6-1.5, per-channel gain x0.75-1.25), set layer by
    layer in graph order. (Wide colour jitter makes the head's directions broad, so a
    decoder's grey-level colour differences move the output little.)
  * The final Dense layers (set_head) read the leading principal components of their input
    features over the same crops (3 for MobileNet: the directions that survive int8; 8 for
    the float model), whitened and mixed by R ~ N(0, (GAIN / sqrt(k))^2), GAIN = 2, plus a
    bias b0 ~ N(0, 0.5^2). Statistics and head weights are rounded to 6 significant digits.
  * The script asserts that over CHECK_CROPS held-out crops the top-1 class takes at least 3
    values, the mean maximum probability is above 0.3, the int8 model agrees with the float
    Keras model on top-1 for >= 75 % of crops, that different metadata vectors move the
    two-input model's logits for one image, and that every recorded case's top-1 beats the
    second class by more than MIN_MARGIN. It prints these statistics.

Metadata encoding (two_input_float), from the installed sklesion 0.2.2 package
(sklesion/model.py SkinLesionClassifier.preprocess and sklesion/model_props.pkl):
  * vector = sex one-hot (3) + location one-hot (5) + [age / age_max] + [age_missing]  (model.py)
  * sex one-hot: female [1,0,0], male [0,1,0], unknown [0,0,1]    (model_props["oh_map"]["sex"])
    An absent sex is written as "unknown" (index 2): sklesion itself only knows the string
    "unknown" (HAM10000's own value for it).
  * location one-hot: arm, head-or-neck, leg-or-genital, trunk, unknown, in that order
    (model_props["oh_map"]["loc"]) -> indices 3..7. sklesion takes these five group names
    already grouped; the grouping of the 15 HAM10000 localization values is NOT in the
    package; it comes from the LesionScan specification: upper extremity, hand -> arm;
    face, ear, neck, scalp -> head-or-neck; lower extremity, foot, genital, acral ->
    leg-or-genital; abdomen, back, chest, trunk -> trunk; unknown (and absent) -> unknown.
  * age: absent age is filled with model_props["age_mean"] = 51.90180032733224 and the flag
    age_missing (index 9) set to 1 (model.py); then age / model_props["age_max"] (90.0),
    so the missing value is 51.90180032733224 / 90 = 0.5766866703... (index 8).

Quantising an input the way TFLite does: q = round_half_away_from_zero(x / scale) + zero_point,
clamped to the dtype's range, with x / scale computed in float32 (TFLite's reference
AffineQuantize uses TfLiteRound = std::round).

Determinism: fixed seeds (SEED), keras.utils.set_random_seed, TF op determinism, oneDNN off
(TF_ENABLE_ONEDNN_OPTS=0), one CPU thread, statistics rounded to 6 significant digits. Two
runs gave byte-identical files (TF 2.21.0, Keras 3.15.1, NumPy 2.4.6, Pillow 13.0.0, x86-64);
other CPUs or library versions may change the bytes, and the cards' sha256 follow them.

Noted with TF 2.21.0: tf.lite.Interpreter still works but warns that it "is deprecated and is
scheduled for deletion in TF 2.20" (sic) in favour of ai_edge_litert; the script prints that
warning once. The converter accepts uint8 input/output for a full-integer model.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import math
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # same float kernels on every x86 CPU

import numpy as np  # noqa: E402

PINNED_TF = "2.21.0"
SEED = 20240611
CALIB_CROPS = 160  # crops for BN statistics, feature statistics and the representative dataset
CHECK_CROPS = 64  # held-out crops for the "outputs really differ" checks
GAIN = 2.0  # spread of the final logits between crops
BIAS_STD = 0.5
MIN_MARGIN = 0.005  # every recorded case's top-1 probability beats the second by more than this
HEAD_PCS_MOBILENET = 3  # principal components of the features that the final Dense layer uses
HEAD_PCS_TWO_INPUT = 8
BN_BETA = 1.5  # MobileNet BN offset: keeps most ReLUs linear, so crop differences survive int8

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
PHOTO = DATA / "phone_skin_moles.jpg"
LICENCE = "MIT OR Apache-2.0"

CLASSES = [
    {
        "code": "akiec",
        "name": "Actinic keratoses and intraepithelial carcinoma (Bowen's disease)",
        "malignant": True,
        "description": "Rough, scaly patches of sun-damaged skin that can turn into squamous "
        "cell carcinoma, including its early in-skin form called Bowen's disease.",
    },
    {
        "code": "bcc",
        "name": "Basal cell carcinoma",
        "malignant": True,
        "description": "The most common skin cancer, usually a slow-growing shiny or pearly bump "
        "or a sore that does not heal, which rarely spreads elsewhere.",
    },
    {
        "code": "bkl",
        "name": "Benign keratosis-like lesions",
        "malignant": False,
        "description": "Harmless growths such as seborrhoeic keratoses, sun spots (solar "
        "lentigines) and lichen-planus-like keratoses.",
    },
    {
        "code": "df",
        "name": "Dermatofibroma",
        "malignant": False,
        "description": "A small, firm, harmless bump in the skin, often brownish, that dimples "
        "inwards when pinched.",
    },
    {
        "code": "mel",
        "name": "Melanoma",
        "malignant": True,
        "description": "A dangerous cancer of the pigment cells that can spread if not removed "
        "early, often a mole that changes in size, shape or colour.",
    },
    {
        "code": "nv",
        "name": "Melanocytic nevi",
        "malignant": False,
        "description": "Common moles: harmless clusters of pigment cells, usually small, round "
        "and evenly coloured.",
    },
    {
        "code": "vasc",
        "name": "Vascular lesions",
        "malignant": False,
        "description": "Growths made of blood vessels, such as cherry angiomas, angiokeratomas "
        "and pyogenic granulomas, usually red or purple.",
    },
]
CODES = [c["code"] for c in CLASSES]

# ---- metadata encoding (see the module docstring for where each rule comes from) ----------
META_LEN = 10
SEX_INDEX = {"female": 0, "male": 1}  # model_props["oh_map"]["sex"]
SEX_MISSING = 2  # "unknown"
SITE_GROUP_INDEX = {"arm": 3, "head-or-neck": 4, "leg-or-genital": 5, "trunk": 6}  # oh_map["loc"]
SITE_MISSING = 7  # "unknown"
SITE_GROUPS = {  # HAM10000 localization -> sklesion group (LesionScan specification)
    "upper extremity": "arm",
    "hand": "arm",
    "face": "head-or-neck",
    "ear": "head-or-neck",
    "neck": "head-or-neck",
    "scalp": "head-or-neck",
    "lower extremity": "leg-or-genital",
    "foot": "leg-or-genital",
    "genital": "leg-or-genital",
    "acral": "leg-or-genital",
    "abdomen": "trunk",
    "back": "trunk",
    "chest": "trunk",
    "trunk": "trunk",
}
SITE_INDEX = {name: SITE_GROUP_INDEX[group] for name, group in SITE_GROUPS.items()}
SITE_INDEX["unknown"] = SITE_MISSING
AGE_INDEX = 8
AGE_FLAG_INDEX = 9
AGE_MEAN = 51.90180032733224  # model_props["age_mean"]
AGE_MAX = 90.0  # model_props["age_max"]
AGE_MISSING_VALUE = AGE_MEAN / AGE_MAX


def encode_metadata(sex: str | None, site: str | None, age: float | None) -> np.ndarray:
    """sklesion 0.2.2's metadata vector (float32, length 10)."""
    v = np.zeros(META_LEN, np.float32)
    v[SEX_INDEX.get(sex, SEX_MISSING) if sex is not None else SEX_MISSING] = 1.0
    v[SITE_INDEX.get(site, SITE_MISSING) if site is not None else SITE_MISSING] = 1.0
    if age is None:
        v[AGE_INDEX] = AGE_MISSING_VALUE
        v[AGE_FLAG_INDEX] = 1.0
    else:
        v[AGE_INDEX] = age / AGE_MAX
    return v


def metadata_card() -> dict:
    return {
        "length": META_LEN,
        "sex": {"indices": dict(SEX_INDEX), "missing": SEX_MISSING},
        "site": {"indices": dict(sorted(SITE_INDEX.items())), "missing": SITE_MISSING},
        "age": {
            "index": AGE_INDEX,
            "divide_by": AGE_MAX,
            "missing_value": AGE_MISSING_VALUE,
            "missing_flag_index": AGE_FLAG_INDEX,
        },
    }


# ---- small helpers ----------------------------------------------------------------------
def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def f32_list(a) -> list:
    """Float32 values as the shortest decimals that read back as the same float32."""
    return [float(np.format_float_positional(v, unique=True, trim="-")) for v in np.asarray(a, np.float32).ravel()]


def significant(a, digits: int = 6) -> np.ndarray:
    """Rounds to `digits` significant digits (float32), so that last-bit differences between
    CPUs in the statistics do not change the weights written into the models."""
    a = np.asarray(a, np.float64)
    exp = np.floor(np.log10(np.where(a == 0, 1.0, np.abs(a))))
    factor = 10.0 ** (digits - 1 - exp)
    return (np.round(a * factor) / factor).astype(np.float32)


def run_keras(model, inputs, batch: int = 32) -> np.ndarray:
    """model(inputs) in inference mode, in batches; inputs is an array or a list of arrays."""
    many = isinstance(inputs, (list, tuple))
    n = len(inputs[0]) if many else len(inputs)
    out = []
    for i in range(0, n, batch):
        chunk = [a[i : i + batch] for a in inputs] if many else inputs[i : i + batch]
        out.append(np.asarray(model(chunk, training=False)))
    return np.concatenate(out)


def round_half_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))


def quantise(x: np.ndarray, scale: float, zero_point: int, dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    q = round_half_away(np.asarray(x, np.float32) / np.float32(scale)) + zero_point
    return np.clip(q, info.min, info.max).astype(dtype)


def softmax(z) -> np.ndarray:
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def top2_margin(p) -> float:
    s = np.sort(np.asarray(p, np.float64))[::-1]
    return float(s[0] - s[1])


def write_json(path: Path, obj, compact: bool) -> None:
    with open(path, "w", encoding="utf-8") as f:
        if compact:
            json.dump(obj, f, separators=(",", ":"), ensure_ascii=False)
        else:
            json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


# ---- images ------------------------------------------------------------------------------
def load_photo() -> tuple[np.ndarray, dict]:
    from PIL import Image, ImageOps, __version__ as pil_version

    with Image.open(PHOTO) as im:
        orientation = im.getexif().get(0x0112)
        im = ImageOps.exif_transpose(im).convert("RGB")
        arr = np.asarray(im, np.uint8).copy()
    info = {
        "decoder": f"PIL {pil_version}",
        "exif_orientation": orientation,
        "size_after_exif_transpose": [arr.shape[1], arr.shape[0]],
    }
    return arr, info


def resize(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """tf.image.resize bilinear with antialias, float32 0..255 out (not rounded)."""
    out = tf.image.resize(tf.convert_to_tensor(img, tf.float32), (h, w), method="bilinear", antialias=True)
    return out.numpy().astype(np.float32)


def random_crop(rng: np.random.Generator, photo: np.ndarray, h: int, w: int) -> np.ndarray:
    """One augmented crop of the photo, float32 pixels 0..255, shape (h, w, 3)."""
    ph, pw = photo.shape[:2]
    side = rng.uniform(0.12, 0.8) * min(ph, pw)
    aspect = rng.uniform(0.8, 1.25)
    ch = int(min(ph, round(side * math.sqrt(aspect))))
    cw = int(min(pw, round(side / math.sqrt(aspect))))
    top = int(rng.integers(0, ph - ch + 1))
    left = int(rng.integers(0, pw - cw + 1))
    crop = photo[top : top + ch, left : left + cw]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    if rng.random() < 0.5:
        crop = crop[::-1, :]
    crop = np.rot90(crop, int(rng.integers(0, 4)))
    x = resize(np.ascontiguousarray(crop), h, w)
    brightness = rng.uniform(0.6, 1.4)
    contrast = rng.uniform(0.6, 1.5)
    channel = rng.uniform(0.75, 1.25, size=3).astype(np.float32)
    mean = x.mean()
    x = ((x - mean) * contrast + mean) * brightness * channel
    return np.clip(x, 0.0, 255.0).astype(np.float32)


def fixed_crop(photo: np.ndarray, rows: tuple[int, int], cols: tuple[int, int], h: int, w: int) -> np.ndarray:
    return resize(np.ascontiguousarray(photo[rows[0] : rows[1], cols[0] : cols[1]]), h, w)


def gradient(h: int, w: int) -> np.ndarray:
    """Synthetic pixels (0..255 scale): R rises left to right, G top to bottom, B falls along
    the diagonal, all within 120..200 so that logits stay in the usual range."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 120.0 + 80.0 * x / (w - 1)
    g = 120.0 + 80.0 * y / (h - 1)
    b = 120.0 + 80.0 * (1.0 - (x + y) / (w + h - 2))
    return np.stack([r, g, b], axis=-1).astype(np.float32)


# ---- models ------------------------------------------------------------------------------
def calibrate_batchnorm(model, x: np.ndarray, beta: float) -> None:
    """Sets each BN layer's moving statistics to those of its input on x, in graph order,
    gamma to 1 and beta to `beta`."""
    for layer in model.layers:
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        layer.gamma.assign(np.ones(layer.gamma.shape, np.float32))
        layer.beta.assign(np.full(layer.beta.shape, beta, np.float32))
        acts = run_keras(keras.Model(model.inputs, layer.input), x)
        axes = tuple(range(acts.ndim - 1))
        mean = acts.mean(axis=axes, dtype=np.float64).astype(np.float32)
        var = acts.var(axis=axes, dtype=np.float64).astype(np.float32)
        layer.moving_mean.assign(significant(mean))
        layer.moving_variance.assign(significant(np.maximum(var, 1e-6)))


def set_head(dense, features: np.ndarray, rng: np.random.Generator, pcs: int) -> None:
    """Dense weights that turn the main variations of `features` into logits of spread ~GAIN.

    The features are standardised, their `pcs` leading principal components (the directions
    that survive int8 quantisation best) are whitened, and mixed by a random matrix
    R ~ N(0, (GAIN / sqrt(pcs))^2); the bias adds b0 ~ N(0, BIAS_STD^2).
    """
    n_in, n_out = dense.kernel.shape
    mu = features.mean(axis=0, dtype=np.float64)
    sigma = features.std(axis=0, dtype=np.float64)
    live = sigma > 1e-3 * max(sigma.max(), 1e-12)  # ignore dead (constant) features
    z = (features[:, live] - mu[live]) / sigma[live]
    _, s, vt = np.linalg.svd(z, full_matrices=False)
    k = min(pcs, int(live.sum()))
    components = vt[:k].T / (s[:k] / math.sqrt(len(z)))  # live x k, whitened
    r = rng.normal(0.0, GAIN / math.sqrt(k), size=(k, n_out))
    kernel = np.zeros((n_in, n_out))
    kernel[live] = (components / sigma[live][:, None]) @ r
    bias = rng.normal(0.0, BIAS_STD, size=n_out) - mu @ kernel
    dense.kernel.assign(significant(kernel))
    dense.bias.assign(significant(bias))


def smooth_filters(model, rng: np.random.Generator) -> None:
    """Makes every spatial filter a low-pass one: depthwise kernels become |random|, and a
    full convolution's kernel becomes |random spatial profile| x random channel mixing.

    Random zero-mean 3x3 filters respond mostly to pixel-level texture, which BatchNorm
    statistics from smooth skin photos then amplify: such a model's output changes with
    half-a-grey-level noise, i.e. between JPEG decoders. Positive spatial profiles make the
    model respond to colour and coarse structure instead.
    """
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            layer.kernel.assign(np.abs(layer.kernel.numpy()))
        elif isinstance(layer, keras.layers.Conv2D) and layer.kernel.shape[0] > 1:
            kh, kw, cin, cout = layer.kernel.shape
            limit = math.sqrt(6.0 / (kh * kw * (cin + cout)))
            profile = np.abs(rng.uniform(-1.0, 1.0, size=(kh, kw, 1, cout)))
            mixing = rng.uniform(-limit, limit, size=(1, 1, cin, cout)) * math.sqrt(kh * kw)
            layer.kernel.assign((profile * mixing).astype(np.float32))


def build_mobilenet():
    keras.utils.set_random_seed(SEED)
    image = keras.Input((128, 128, 3), name="image")
    base = keras.applications.MobileNet(
        input_tensor=image, alpha=0.25, include_top=False, weights=None, pooling="avg"
    )
    out = keras.layers.Dense(7, activation="softmax", name="predictions")(base.output)
    model = keras.Model(image, out, name="mobilenet_tiny")
    smooth_filters(model, np.random.default_rng(SEED + 2))
    return model


def build_two_input():
    keras.utils.set_random_seed(SEED + 1)
    L = keras.layers
    image = keras.Input((64, 64, 3), name="image")
    metadata = keras.Input((META_LEN,), name="metadata")
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv1")(image)  # 32x32
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="conv2")(x)
    x = L.MaxPooling2D(2, name="pool2")(x)  # 16x16
    x = L.Conv2D(32, 3, padding="same", activation="relu", name="conv3")(x)
    x = L.MaxPooling2D(2, name="pool3")(x)  # 8x8
    x = L.GlobalAveragePooling2D(name="gap")(x)
    m = L.Dense(16, activation="relu", name="meta_dense")(metadata)
    z = L.Concatenate(name="concat")([x, m])
    logits = L.Dense(7, name="logits")(z)
    model = keras.Model([image, metadata], logits, name="two_input_float")
    smooth_filters(model, np.random.default_rng(SEED + 3))
    return model


def convert(model, representative=None, io_type=None, dense_per_tensor: bool = False) -> bytes:
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if io_type is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = io_type
        converter.inference_output_type = io_type
    if dense_per_tensor:
        # One weight scale for every FULLY_CONNECTED layer (convolutions stay per channel).
        converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    log = io.StringIO()
    with contextlib.redirect_stdout(log), warnings.catch_warnings():
        # Keras' export prints every captured variable; the converter warns that no
        # statistics were given for quantised inputs (the representative dataset sets them).
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        return converter.convert()


def dense_weight_scales(it, outputs: int = 7) -> int:
    """Number of quantisation scales of the final Dense layer's int8 weights ([outputs, k])."""
    found = [
        d
        for d in it.get_tensor_details()
        if np.dtype(d["dtype"]) == np.int8 and len(d["shape"]) == 2 and int(d["shape"][0]) == outputs
    ]
    assert len(found) == 1, [(d["name"], d["shape"]) for d in found]
    return len(found[0]["quantization_parameters"]["scales"])


# ---- interpreter -------------------------------------------------------------------------
def interpreter(model_bytes: bytes):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        it = tf.lite.Interpreter(model_content=model_bytes, num_threads=1)
    for w in caught:
        msg = " ".join(str(w.message).split())
        if msg not in SEEN_WARNINGS:
            SEEN_WARNINGS.append(msg)
            print(f"note: tf.lite.Interpreter warns: {msg}", file=sys.stderr)
    it.allocate_tensors()
    return it


SEEN_WARNINGS: list[str] = []


def tensor_info(d: dict, position: int) -> dict:
    qp = d["quantization_parameters"]
    return {
        "position": position,
        "tensor_index": int(d["index"]),
        "name": d["name"],
        "shape": [int(s) for s in d["shape"]],
        "dtype": np.dtype(d["dtype"]).name,
        "quantization": {"scale": float(d["quantization"][0]), "zero_point": int(d["quantization"][1])},
        "quantization_parameters": {
            "scales": [float(s) for s in qp["scales"]],
            "zero_points": [int(z) for z in qp["zero_points"]],
            "quantized_dimension": int(qp["quantized_dimension"]),
        },
    }


def invoke(it, feeds: dict[str, np.ndarray]) -> np.ndarray:
    """feeds: Keras input name ("image"/"metadata") -> tensor already in the input dtype."""
    for d in it.get_input_details():
        it.set_tensor(d["index"], feeds[keras_name(d["name"])])
    it.invoke()
    (out,) = it.get_output_details()
    return it.get_tensor(out["index"]).copy()


def keras_name(tflite_name: str) -> str:
    for name in ("metadata", "image"):
        if name in tflite_name:
            return name
    raise ValueError(f"unexpected input tensor name {tflite_name!r}")


def to_input(it, name: str, x: np.ndarray) -> np.ndarray:
    """Float model-domain values -> the input tensor (quantised when the input is integer)."""
    d = next(d for d in it.get_input_details() if keras_name(d["name"]) == name)
    x = np.asarray(x, np.float32).reshape(d["shape"])
    if d["dtype"] == np.float32:
        return x
    scale, zp = d["quantization"]
    return quantise(x, scale, zp, d["dtype"])


def probabilities(it, raw: np.ndarray, kind: str) -> np.ndarray:
    d = it.get_output_details()[0]
    if d["dtype"] == np.float32:
        values = raw.astype(np.float64).ravel()
    else:
        scale, zp = d["quantization"]
        values = (raw.astype(np.float64).ravel() - zp) * scale
    return softmax(values) if kind == "logits" else values


def tensor_record(details: dict, data: np.ndarray, position: int | None = None) -> dict:
    rec = {"name": details["name"], "tensor_index": int(details["index"])}
    if position is not None:
        rec["position"] = position
    rec["shape"] = [int(s) for s in data.shape]
    rec["dtype"] = data.dtype.name
    rec["data"] = f32_list(data) if data.dtype == np.float32 else [int(v) for v in data.ravel()]
    return rec


# ---- main --------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--allow-other-tf", action="store_true", help=f"run with a TensorFlow other than {PINNED_TF}")
    parser.add_argument(
        "--only",
        action="append",
        metavar="MODEL",
        help="write only this model's .tflite and card and replace only its entry in reference_outputs.json "
        "(repeatable); e2e_reference.json and the other fixtures stay as committed",
    )
    args = parser.parse_args()

    global tf, keras
    import tensorflow as tf
    import keras

    if tf.__version__ != PINNED_TF and not args.allow_other_tf:
        sys.exit(f"make_fixtures.py is pinned to TensorFlow {PINNED_TF}, found {tf.__version__} (use --allow-other-tf)")
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.experimental.enable_op_determinism()

    photo, photo_info = load_photo()
    rng = np.random.default_rng(SEED)
    provenance_common = {
        "note": "test fixture with random weights, NOT a trained classifier",
        "made_by": "models/tools/make_fixtures.py",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "seed": SEED,
        "calibration": f"BatchNorm moving statistics and final Dense layer scaled from {CALIB_CROPS} random "
        "augmented crops of tests/data/phone_skin_moles.jpg",
        "licence": LICENCE,
    }

    # ---------------- MobileNet ----------------
    print("MobileNet: crops, BN calibration ...", file=sys.stderr)
    calib128 = np.stack([random_crop(rng, photo, 128, 128) for _ in range(CALIB_CROPS)]) / np.float32(255.0)
    check128 = np.stack([random_crop(rng, photo, 128, 128) for _ in range(CHECK_CROPS)]) / np.float32(255.0)
    mnet = build_mobilenet()
    calibrate_batchnorm(mnet, calib128, BN_BETA)
    head = mnet.get_layer("predictions")
    feats = keras.Model(mnet.inputs, head.input)
    set_head(head, run_keras(feats, calib128), rng, HEAD_PCS_MOBILENET)

    def representative():
        for i in range(len(calib128)):
            yield [calib128[i : i + 1]]

    print("MobileNet: converting ...", file=sys.stderr)
    mobilenets = {
        "mobilenet_tiny_int8": convert(mnet, representative, tf.int8),
        "mobilenet_tiny_int8_dense_per_tensor": convert(mnet, representative, tf.int8, dense_per_tensor=True),
        "mobilenet_tiny_uint8": convert(mnet, representative, tf.uint8),
    }

    # ---------------- two-input float ----------------
    print("two-input model ...", file=sys.stderr)
    calib64 = (np.stack([random_crop(rng, photo, 64, 64) for _ in range(CALIB_CROPS)]) - np.float32(127.5)) / np.float32(127.5)
    check64 = (np.stack([random_crop(rng, photo, 64, 64) for _ in range(CHECK_CROPS)]) - np.float32(127.5)) / np.float32(127.5)

    def random_meta(n):
        sexes = ["female", "male", None]
        sites = sorted(SITE_INDEX) + [None]
        return np.stack(
            [
                encode_metadata(
                    sexes[int(rng.integers(0, 3))],
                    sites[int(rng.integers(0, len(sites)))],
                    None if rng.random() < 0.15 else float(rng.integers(5, 90)),
                )
                for _ in range(n)
            ]
        )

    calib_meta = random_meta(CALIB_CROPS)
    check_meta = random_meta(CHECK_CROPS)
    two = build_two_input()
    logits_layer = two.get_layer("logits")
    feats2 = keras.Model(two.inputs, logits_layer.input)
    set_head(logits_layer, run_keras(feats2, [calib64, calib_meta]), rng, HEAD_PCS_TWO_INPUT)
    two_bytes = convert(two)

    models = {**mobilenets, "two_input_float": two_bytes}
    kinds = {name: "probabilities" for name in mobilenets} | {"two_input_float": "logits"}
    sizes = {name: 128 for name in mobilenets} | {"two_input_float": 64}
    card_norm = {name: (0.0, 255.0) for name in mobilenets} | {"two_input_float": (127.5, 127.5)}
    in_dtypes = {
        "mobilenet_tiny_int8": "int8",
        "mobilenet_tiny_int8_dense_per_tensor": "int8",
        "mobilenet_tiny_uint8": "uint8",
        "two_input_float": "float32",
    }
    its = {name: interpreter(b) for name, b in models.items()}
    dense_scales = {name: dense_weight_scales(its[name]) for name in mobilenets}
    assert dense_scales["mobilenet_tiny_int8"] == 7, dense_scales
    assert dense_scales["mobilenet_tiny_int8_dense_per_tensor"] == 1, dense_scales

    # ---------------- sanity checks: outputs must depend on the input ----------------
    summary = {}
    for name in mobilenets:
        it = its[name]
        probs = np.stack([probabilities(it, invoke(it, {"image": to_input(it, "image", x)}), "probabilities") for x in check128])
        keras_probs = run_keras(mnet, check128)
        top = probs.argmax(axis=1)
        summary[name] = {
            "dense_weight_scales": dense_scales[name],
            "distinct_top1": len(set(top.tolist())),
            "mean_max_probability": float(probs.max(axis=1).mean()),
            "top1_agreement_with_keras_float": float((top == keras_probs.argmax(axis=1)).mean()),
            "max_abs_diff_vs_keras_float": float(np.abs(probs - keras_probs).max()),
        }
        noise_rng = np.random.default_rng(SEED + 7)
        noisy = np.clip(check128[:16] + noise_rng.uniform(-0.5, 0.5, check128[:16].shape).astype(np.float32) / 255, 0, 1)
        probs_noisy = np.stack(
            [probabilities(it, invoke(it, {"image": to_input(it, "image", x)}), "probabilities") for x in noisy]
        )
        summary[name]["max_abs_change_under_half_level_pixel_noise"] = float(np.abs(probs_noisy - probs[:16]).max())
        summary[name]["top1_kept_under_half_level_pixel_noise"] = float((probs_noisy.argmax(1) == top[:16]).mean())
        assert summary[name]["distinct_top1"] >= 3, (name, summary[name])
        assert summary[name]["top1_agreement_with_keras_float"] >= 0.75, (name, summary[name])
        assert summary[name]["mean_max_probability"] > 0.3, (name, summary[name])
    it = its["two_input_float"]
    logits = np.stack(
        [invoke(it, {"image": x[None], "metadata": m[None]}).ravel() for x, m in zip(check64, check_meta)]
    )
    same_image = np.stack([invoke(it, {"image": check64[:1], "metadata": m[None]}).ravel() for m in check_meta[:16]])
    keras_logits = run_keras(two, [check64, check_meta])
    probs2 = np.stack([softmax(z) for z in logits])
    summary["two_input_float"] = {
        "distinct_top1": len(set(logits.argmax(axis=1).tolist())),
        "mean_max_probability": float(probs2.max(axis=1).mean()),
        "logit_range_over_metadata_same_image": float((same_image.max(axis=0) - same_image.min(axis=0)).max()),
        "max_abs_diff_vs_keras_float": float(np.abs(logits - keras_logits).max()),
    }
    assert summary["two_input_float"]["distinct_top1"] >= 3, summary
    assert summary["two_input_float"]["mean_max_probability"] > 0.3, summary
    assert summary["two_input_float"]["logit_range_over_metadata_same_image"] > 0.5, summary
    print(json.dumps(summary, indent=1), file=sys.stderr)

    # ---------------- write models and cards ----------------
    DATA.mkdir(parents=True, exist_ok=True)
    only = set(args.only or models)
    unknown = only - set(models)
    if unknown:
        sys.exit(f"--only: unknown model(s) {sorted(unknown)}; known: {sorted(models)}")
    for name, b in models.items():
        if name not in only:
            continue
        (DATA / f"{name}.tflite").write_bytes(b)
        in_dtype = in_dtypes[name]
        mean, std = card_norm[name]
        card = {
            "id": name,
            "version": "1.0.0",
            "file": f"{name}.tflite",
            "sha256": sha256_hex(b),
            "input": {
                "width": sizes[name],
                "height": sizes[name],
                "color": "rgb",
                "layout": "nhwc",
                "dtype": in_dtype,
                "mean": [mean] * 3,
                "std": [std] * 3,
                "resize": "bilinear",
                "crop": "none",
            },
        }
        if name == "two_input_float":
            card["metadata_input"] = metadata_card()
        card["output"] = {"kind": kinds[name]}
        card["classes"] = CLASSES
        prov = dict(provenance_common)
        if name == "two_input_float":
            prov["architecture"] = (
                "image 64x64x3 -> Conv2D(8,3,s2)+ReLU -> Conv2D(16,3)+ReLU -> MaxPool2 -> Conv2D(32,3)+ReLU -> "
                "MaxPool2 -> GlobalAveragePooling; metadata[10] -> Dense(16)+ReLU; concat -> Dense(7) logits; float32"
            )
            prov["metadata_encoding"] = "sklesion 0.2.2 (model.py, model_props.pkl); site grouping from the LesionScan spec"
        else:
            prov["architecture"] = (
                "keras.applications.MobileNet(alpha=0.25, input 128x128x3, include_top=False, pooling='avg', "
                "weights=None) + Dense(7, softmax); full-integer quantisation, "
                f"{in_dtype} input and output"
            )
            prov["dense_weight_quantisation"] = (
                "per tensor (one scale), for classic TFLite runtimes older than 2.17"
                if dense_scales[name] == 1
                else f"per output channel ({dense_scales[name]} scales), the converter's default"
            )
        card["provenance"] = prov
        write_json(DATA / f"{name}.json", card, compact=False)

    # ---------------- reference_outputs.json ----------------
    ph, pw = photo.shape[:2]
    crop_a = ((480, 880), (420, 820))  # rows, cols: 400x400 around the mole near the centre
    crop_b = ((0, 600), (0, 600))  # top-left 600x600
    warm = (1.15, 0.9, 0.8)
    resize_note = (
        "tf.image.resize(float32 RGB 0..255, (h, w), method='bilinear', antialias=True), values kept "
        "as float32 (not rounded), then (pixel - card mean) / card std, then quantised for integer inputs"
    )
    image_cases = {
        "a": (
            f"crop rows {crop_a[0][0]}..{crop_a[0][1]}, cols {crop_a[1][0]}..{crop_a[1][1]} (end exclusive) of "
            f"phone_skin_moles.jpg ({pw}x{ph}, PIL decode + EXIF transpose); {resize_note}",
            lambda s: fixed_crop(photo, *crop_a, s, s),
        ),
        "b": (
            f"crop rows {crop_b[0][0]}..{crop_b[0][1]}, cols {crop_b[1][0]}..{crop_b[1][1]} (end exclusive) of "
            f"phone_skin_moles.jpg, resized as in case a, then multiplied per channel by {list(warm)} (a warm "
            f"colour cast) and clipped to 0..255; then card normalisation and quantisation",
            lambda s: np.clip(fixed_crop(photo, *crop_b, s, s) * np.asarray(warm, np.float32), 0.0, 255.0),
        ),
        "c": (
            "synthetic gradient, pixel (x, y) on the 0..255 scale: R = 120 + 80*x/(w-1), G = 120 + 80*y/(h-1), "
            "B = 120 + 80*(1 - (x+y)/(w+h-2)), float32, then card normalisation and quantisation",
            lambda s: gradient(s, s),
        ),
    }
    meta_cases = {
        "a": ({"sex": "female", "site": "back", "age": 45}, encode_metadata("female", "back", 45.0)),
        "b": ({"sex": "male", "site": "upper extremity", "age": 70}, encode_metadata("male", "upper extremity", 70.0)),
        "c": ({"sex": None, "site": None, "age": None}, encode_metadata(None, None, None)),
    }
    reference = {
        "generator": "models/tools/make_fixtures.py",
        "tensorflow": tf.__version__,
        "interpreter": "tf.lite.Interpreter (num_threads=1)",
        "quantisation_of_inputs": "q = clamp(round_half_away_from_zero(float32(x) / float32(scale)) + zero_point)",
        "dequantisation_of_outputs": "(q - zero_point) * scale",
        "probabilities": "output dequantised; softmax applied for output kind 'logits'",
        "models": {},
    }
    if args.only:
        committed = json.loads((DATA / "reference_outputs.json").read_text())
        reference["models"] = {k: v for k, v in committed["models"].items() if k in models}
    for name, b in models.items():
        if name not in only:
            continue
        it = its[name]
        s = sizes[name]
        mean, std = card_norm[name]
        entry = {
            "file": f"{name}.tflite",
            "sha256": sha256_hex(b),
            "output_kind": kinds[name],
            "inputs": [tensor_info(d, i) for i, d in enumerate(it.get_input_details())],
            "outputs": [tensor_info(d, i) for i, d in enumerate(it.get_output_details())],
            "cases": [],
        }
        for key in ("a", "b", "c"):
            description, make = image_cases[key]
            x = (make(s) - np.float32(mean)) / np.float32(std)
            feeds = {"image": to_input(it, "image", x[None])}
            case = {"name": key, "image": description}
            if name == "two_input_float":
                meta_desc, vec = meta_cases[key]
                feeds["metadata"] = vec[None]
                case["metadata"] = meta_desc
            raw = invoke(it, feeds)
            probs = probabilities(it, raw, kinds[name])
            case["inputs"] = [
                tensor_record(d, feeds[keras_name(d["name"])], position=i) for i, d in enumerate(it.get_input_details())
            ]
            case["output"] = tensor_record(it.get_output_details()[0], raw, position=0)
            case["probabilities"] = [float(p) for p in probs]
            case["top1"] = int(np.argmax(probs))
            case["top1_code"] = CODES[case["top1"]]
            case["top1_margin"] = top2_margin(probs)
            assert case["top1_margin"] > MIN_MARGIN, (name, case["name"], case["top1_margin"])
            entry["cases"].append(case)
        reference["models"][name] = entry
    reference["models"] = {k: reference["models"][k] for k in models if k in reference["models"]}
    write_json(DATA / "reference_outputs.json", reference, compact=True)
    if args.only:
        for name in sorted(only) + ["reference_outputs"]:
            for ext in (".tflite", ".json"):
                p = DATA / f"{name}{ext}"
                if p.exists():
                    print(f"wrote {p.relative_to(REPO)} ({p.stat().st_size} bytes)", file=sys.stderr)
        return 0

    # ---------------- e2e_reference.json ----------------
    e2e = {
        "generator": "models/tools/make_fixtures.py",
        "tensorflow": tf.__version__,
        "image": "tests/data/phone_skin_moles.jpg",
        "image_sha256": sha256_hex(PHOTO.read_bytes()),
        "decode": photo_info,
        "pipeline": [
            "decode the JPEG with PIL, PIL.ImageOps.exif_transpose, convert('RGB')",
            "tf.image.resize(uint8 -> float32 RGB, (height, width), method='bilinear', antialias=True); "
            "the resized float32 values are not rounded",
            "x = (pixel - card.input.mean[c]) / card.input.std[c] in float32",
            "integer inputs: q = clamp(round_half_away_from_zero(x / scale) + zero_point) with the model's "
            "input quantisation (TFLite's own rounding, std::round)",
            "tf.lite.Interpreter(num_threads=1); outputs dequantised (q - zero_point) * scale; softmax for logits",
        ],
        "margins": "top1_margin = first minus second largest probability from the TFLite model; "
        "keras_float_top1_margin = the same from the float Keras model before conversion",
        "models": {},
    }
    # Other JPEG decoders give slightly different pixels; these decodes show how much that moves
    # the outputs, as a guide for the Rust test's tolerance (EXIF orientation is 1: no turn).
    jpeg = PHOTO.read_bytes()
    decoders = {
        "tf.io.decode_jpeg dct_method=INTEGER_ACCURATE": tf.io.decode_jpeg(jpeg, 3, dct_method="INTEGER_ACCURATE"),
        "tf.io.decode_jpeg dct_method=INTEGER_FAST": tf.io.decode_jpeg(jpeg, 3, dct_method="INTEGER_FAST"),
        "tf.io.decode_jpeg fancy_upscaling=False": tf.io.decode_jpeg(jpeg, 3, fancy_upscaling=False),
    }
    e2e["decoder_variants"] = {
        "note": "same pipeline after decoding; max_abs_probability_diff is against the PIL result",
        "max_abs_pixel_diff_vs_pil": {k: int(np.abs(v.numpy().astype(int) - photo.astype(int)).max()) for k, v in decoders.items()},
    }
    metas = {
        "mobilenet_tiny_int8": [("no_metadata", None, None)],
        "two_input_float": [
            ("female_45_back", {"sex": "female", "site": "back", "age": 45}, encode_metadata("female", "back", 45.0)),
            ("all_missing", {"sex": None, "site": None, "age": None}, encode_metadata(None, None, None)),
        ],
    }

    def run_pipeline(name: str, pixels: np.ndarray, vec):
        it = its[name]
        mean, std = card_norm[name]
        resized = resize(pixels, sizes[name], sizes[name])
        x = (resized - np.float32(mean)) / np.float32(std)
        feeds = {"image": to_input(it, "image", x[None])}
        if vec is not None:
            feeds["metadata"] = vec[None]
        raw = invoke(it, feeds)
        return resized, x, feeds, raw, probabilities(it, raw, kinds[name])

    for name in ("mobilenet_tiny_int8", "two_input_float"):
        it = its[name]
        cases = []
        for case_name, meta_desc, vec in metas[name]:
            resized, x, feeds, raw, probs = run_pipeline(name, photo, vec)
            case = {"name": case_name}
            if vec is not None:
                case["metadata"] = meta_desc
                case["metadata_vector"] = f32_list(vec)
                keras_probs = softmax(run_keras(two, [x[None], vec[None]])[0])
            else:
                keras_probs = run_keras(mnet, x[None])[0].astype(np.float64)
            case["output_raw"] = f32_list(raw) if raw.dtype == np.float32 else [int(v) for v in raw.ravel()]
            case["probabilities"] = [float(p) for p in probs]
            case["top1"] = int(np.argmax(probs))
            case["top1_code"] = CODES[case["top1"]]
            case["top1_margin"] = top2_margin(probs)
            assert case["top1_margin"] > MIN_MARGIN, (name, case_name, case["top1_margin"])
            case["keras_float_probabilities"] = [float(p) for p in keras_probs]
            case["keras_float_top1"] = int(np.argmax(keras_probs))
            case["keras_float_top1_margin"] = top2_margin(keras_probs)
            variants = {}
            for dec_name, pixels in decoders.items():
                _, x_dec, _, _, p_dec = run_pipeline(name, pixels.numpy(), vec)
                if vec is not None:
                    k_dec = softmax(run_keras(two, [x_dec[None], vec[None]])[0])
                else:
                    k_dec = run_keras(mnet, x_dec[None])[0].astype(np.float64)
                variants[dec_name] = {
                    "probabilities": [float(p) for p in p_dec],
                    "top1": int(np.argmax(p_dec)),
                    "max_abs_probability_diff": float(np.abs(p_dec - probs).max()),
                    "keras_float_max_abs_probability_diff": float(np.abs(k_dec - keras_probs).max()),
                }
            case["decoder_variants"] = variants
            cases.append(case)
        e2e["models"][name] = {
            "file": f"{name}.tflite",
            "sha256": sha256_hex(models[name]),
            "input_size": [sizes[name], sizes[name]],
            "resized_pixel_mean_rgb": [float(v) for v in resized.reshape(-1, 3).mean(axis=0, dtype=np.float64)],
            "image_input_tensor": tensor_record(
                next(d for d in it.get_input_details() if keras_name(d["name"]) == "image"), feeds["image"]
            ),
            "cases": cases,
        }
    write_json(DATA / "e2e_reference.json", e2e, compact=True)

    for name in list(models) + ["reference_outputs", "e2e_reference"]:
        for ext in (".tflite", ".json"):
            p = DATA / f"{name}{ext}"
            if p.exists():
                print(f"wrote {p.relative_to(REPO)} ({p.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
