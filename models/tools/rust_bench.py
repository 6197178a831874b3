"""Latency of model variants through LesionScan's own pipeline (`lesionscan bench --json`).

Used by `export_default.py`. The machine this runs on may be shared, so the runs are
interleaved: every round runs each (variant, thread count) once, in an order rotated from
round to round, and a variant's latency is the median over rounds of the per-run median
that `lesionscan bench` prints. Nothing else is timed in Python.

`lesionscan bench` loads the model with its card, decodes the given picture, resizes it,
fills the input tensors (quantising for integer inputs), runs LiteRT on the CPU
(XNNPACK) and ranks the scores; `stages.total` is that whole path per picture and
`stages.inference` the LiteRT call alone.
"""

from __future__ import annotations

import json
import statistics
import subprocess


def bench_once(binary: str, model: str, card: str, threads: int, image: str, patient: dict, runs: int, warmup: int) -> dict:
    cmd = [binary, "bench", "--model", model, "--card", card, "--accelerator", "cpu", "--threads", str(threads)]
    cmd += ["--runs", str(runs), "--warmup", str(warmup), "--image", image, "--json"]
    for flag in ("age", "sex", "site"):
        if patient.get(flag) is not None:
            cmd += [f"--{flag}", str(patient[flag])]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=900).stdout
    value = json.loads(out.strip().splitlines()[-1])
    assert value["accelerator"] == "cpu", value
    return value


def bench_interleaved(binary: str, variants: dict, threads: list, image: str, patient: dict, rounds: int, runs: int, warmup: int, log=print) -> dict:
    """{name: {threads: {...medians...}}} for variants {name: (model path, card path)}."""
    names = list(variants)
    samples = {(n, t): [] for n in names for t in threads}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for t in threads:
            for n in order:
                model, card = variants[n]
                v = bench_once(binary, model, card, t, image, patient, runs, warmup)
                samples[(n, t)].append(
                    {
                        "total_ms": v["stages"]["total"]["median_ms"],
                        "inference_ms": v["stages"]["inference"]["median_ms"],
                        "load_ms": v["load_ms"],
                    }
                )
        log(f"  latency round {r + 1}/{rounds}: " + ", ".join(f"{n}@{t} {samples[(n, t)][-1]['total_ms']:.1f}" for n in names for t in threads))
    result = {}
    for n in names:
        result[n] = {}
        for t in threads:
            s = samples[(n, t)]
            result[n][str(t)] = {
                "total_ms": round(statistics.median(x["total_ms"] for x in s), 2),
                "inference_ms": round(statistics.median(x["inference_ms"] for x in s), 2),
                "load_ms": round(statistics.median(x["load_ms"] for x in s), 1),
                "total_ms_rounds": [round(x["total_ms"], 2) for x in s],
            }
    return result
