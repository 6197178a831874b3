"""Running converted variants of the default model and judging their fidelity to Keras.

Used by `export_default.py`:

* `Cache`: a content-keyed store under `models/.cache/export/` (git-ignored) for Keras
  probabilities, converted models and per-variant predictions, so that an interrupted or
  repeated export does not redo hours of CPU work. A key is the SHA-256 of everything the
  value depends on (model bytes, input fingerprints, runtime, versions); a stale entry is
  never read, it just stops being used.
* `Runner`: one interpreter over a model in memory, LiteRT 2.1.4 (`ai_edge_litert`, the
  runtime LesionScan links, XNNPACK on the CPU) or TensorFlow's `tf.lite.Interpreter`.
  Integer inputs are quantised exactly as LesionScan's `tensor.rs` does
  (`round(v / scale) + zero_point`, halves away from zero, clamped), integer outputs
  dequantised as `scores.rs` does.
* `fidelity`: agreement, |delta p| statistics and, with labels, (balanced) accuracy.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

import numpy as np


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def key_of(*parts) -> str:
    """A cache key: SHA-256 over the JSON of the parts (bytes are hashed first)."""
    norm = [sha256_bytes(p) if isinstance(p, (bytes, bytearray)) else p for p in parts]
    return sha256_bytes(json.dumps(norm, sort_keys=True, default=str).encode())


class Cache:
    """Files named `<name>-<key[:20]>.<ext>` under one folder."""

    def __init__(self, folder: str):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    def _path(self, name: str, key: str, ext: str) -> str:
        return os.path.join(self.folder, f"{name}-{key[:20]}.{ext}")

    def has_array(self, name: str, key: str) -> bool:
        return os.path.exists(self._path(name, key, "npy"))

    def array(self, name: str, key: str, compute) -> np.ndarray:
        path = self._path(name, key, "npy")
        if os.path.exists(path):
            return np.load(path)
        value = np.asarray(compute())
        tmp = path + ".tmp.npy"
        np.save(tmp, value)
        os.replace(tmp, path)
        return value

    def blob(self, name: str, key: str, compute) -> bytes:
        path = self._path(name, key, "bin")
        if os.path.exists(path):
            with open(path, "rb") as f:
                return f.read()
        value = bytes(compute())
        with open(path + ".tmp", "wb") as f:
            f.write(value)
        os.replace(path + ".tmp", path)
        return value

    def json(self, name: str, key: str, compute):
        path = self._path(name, key, "json")
        if os.path.exists(path):
            with open(path) as f:
                return json.load(f)
        value = compute()
        with open(path + ".tmp", "w") as f:
            json.dump(value, f)
        os.replace(path + ".tmp", path)
        return value


def _round_half_away(v: np.ndarray) -> np.ndarray:
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


class Runner:
    """An interpreter over a model in memory; image input first, then metadata."""

    def __init__(self, model_bytes: bytes, threads: int, runtime: str = "litert"):
        if runtime == "litert":
            from ai_edge_litert.interpreter import Interpreter
        elif runtime == "tensorflow":
            import tensorflow as tf

            Interpreter = tf.lite.Interpreter
        else:
            raise ValueError(runtime)
        self.it = Interpreter(model_content=bytes(model_bytes), num_threads=threads)
        self.it.allocate_tensors()
        ins = self.it.get_input_details()
        self.image = next(d for d in ins if len(d["shape"]) == 4)
        self.meta = next(d for d in ins if len(d["shape"]) == 2)
        (self.out,) = self.it.get_output_details()
        assert list(self.out["shape"]) == [1, 7]
        self.io_dtype = np.dtype(self.image["dtype"]).name

    @staticmethod
    def _store(v: np.ndarray, detail) -> np.ndarray:
        dtype = np.dtype(detail["dtype"])
        if dtype == np.float32:
            return v.astype(np.float32)
        scale, zero = detail["quantization"]
        assert scale > 0, detail
        info = np.iinfo(dtype)
        q = _round_half_away(v.astype(np.float32) / np.float32(scale)) + zero
        return np.clip(q, info.min, info.max).astype(dtype)

    def __call__(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        self.it.set_tensor(self.image["index"], self._store(x[None], self.image))
        self.it.set_tensor(self.meta["index"], self._store(m[None], self.meta))
        self.it.invoke()
        y = self.it.get_tensor(self.out["index"])[0]
        if y.dtype != np.float32:
            scale, zero = self.out["quantization"]
            y = (y.astype(np.float32) - zero) * np.float32(scale)
        return y.astype(np.float32).copy()


def predict(
    model_bytes: bytes,
    loader,
    n: int,
    threads: int,
    runtime: str = "litert",
    label: str = "",
    chunk: int = 32,
    reference: np.ndarray = None,
    stop_above: float = None,
) -> np.ndarray:
    """Up to N x 7 probabilities; loader(i, j) returns the images and metadata of inputs i..j.

    A variant whose first chunk gives a non-finite output is not run further: the rest
    is filled with NaN (such a variant fails the rule anyway). With `reference` (the Keras
    probabilities) and `stop_above`, the run also stops after the first chunk in which some
    |dp| exceeds `stop_above` (a definite failure of the rule's largest-|dp| limit, which
    more inputs can only confirm) and returns just the rows computed so far.
    """
    r = Runner(model_bytes, threads, runtime)
    P = np.full((n, 7), np.nan, dtype=np.float32)
    t0 = time.time()
    for i in range(0, n, chunk):
        j = min(n, i + chunk)
        X, M = loader(i, j)
        P[i:j] = np.stack([r(x, m) for x, m in zip(X, M)])
        if i == 0 and not np.isfinite(P[i:j]).all():
            break
        if label:
            print(f"    {label}: {j}/{n}, {(time.time() - t0) / j * 1000:.0f} ms each", flush=True)
        if reference is not None and stop_above is not None and np.abs(P[:j] - reference[:j]).max() > stop_above:
            if label:
                print(f"    {label}: stopped, |dp| above {stop_above} within the first {j} inputs", flush=True)
            return P[:j]
    return P


def invoke_ms(model_bytes: bytes, threads: int, repeats: int = 2) -> float:
    """Milliseconds of one LiteRT invoke on zero inputs (the faster of `repeats`)."""
    r = Runner(model_bytes, threads)
    for d in r.it.get_input_details():
        r.it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        r.it.invoke()
        best = min(best, time.perf_counter() - t)
    return best * 1000


def fidelity(P: np.ndarray, K: np.ndarray, labels=None, classes=None, weights=None) -> dict:
    """How closely the probabilities P follow the Keras probabilities K (N x 7 each)."""
    finite = bool(np.isfinite(P).all())
    agree = (P.argmax(1) == K.argmax(1)) & np.isfinite(P).all(1)
    d = np.abs(P - K)
    out = {
        "inputs": int(len(P)),
        "top1_agree": int(agree.sum()),
        "agreement": float(agree.mean()),
        "p99_abs_prob_diff": float(np.quantile(d, 0.99)) if finite else None,
        "max_abs_prob_diff": float(d.max()) if finite else None,
        "mean_abs_prob_diff": float(d.mean()) if finite else None,
    }
    if not finite:
        out["non_finite_outputs"] = int((~np.isfinite(P).all(1)).sum())
    if labels is not None:
        out["accuracy"] = accuracy(P, labels) if finite else None
        out["balanced_accuracy"] = balanced_accuracy(P, labels, len(classes)) if finite else None
        out["recall"] = per_class_recall(P, labels, classes) if finite else None
        if weights is not None:
            # Agreement with each class weighted by its share of the whole dataset (the
            # evaluation set caps every class, so it over-represents the rare ones).
            per = [agree[labels == c].mean() for c in range(len(classes)) if (labels == c).any()]
            w = [weights[c] for c in range(len(classes)) if (labels == c).any()]
            out["agreement_at_dataset_class_shares"] = float(np.dot(per, w) / np.sum(w))
    return out


def accuracy(P: np.ndarray, labels: np.ndarray) -> float:
    return float((P.argmax(1) == labels).mean())


def balanced_accuracy(P: np.ndarray, labels: np.ndarray, n_classes: int) -> float:
    """Mean recall over the classes present in labels."""
    pred = P.argmax(1)
    recalls = [float((pred[labels == c] == c).mean()) for c in range(n_classes) if (labels == c).any()]
    return float(np.mean(recalls))


def per_class_recall(P: np.ndarray, labels: np.ndarray, classes) -> dict:
    pred = P.argmax(1)
    return {name: round(float((pred[labels == c] == c).mean()), 4) for c, name in enumerate(classes) if (labels == c).any()}
