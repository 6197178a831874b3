#!/usr/bin/env python3
"""Median LiteRT latency of int8 .tflite models at 1 and 2 threads, on a quiet machine.

train.py times its model right after training, often while other runs share the CPU; this
re-times finished models together, under the same conditions, for the comparison table:

    python3 models/tools/int8_latency.py --runs 100 models/*.tflite /tmp/lesionscan-train/*/export/*/*.tflite

Each model gets a zero picture (latency does not depend on the pixels), 5 warm-up
invocations, then --runs timed ones per thread count (LiteRT 2.1.4's Python interpreter,
XNNPACK). Prints one markdown row per model.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import Int8Model  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+", metavar="TFLITE")
    p.add_argument("--runs", type=int, default=100)
    args = p.parse_args(argv)
    print(f"| model | int8 size | latency 1 thread | latency 2 threads |  (median of {args.runs}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    print("| --- | ---: | ---: | ---: |")
    for path in args.models:
        with open(path, "rb") as f:
            data = f.read()
        ms = {}
        for threads in (1, 2):
            m = Int8Model(data, threads)
            shape = m.inp["shape"][1:]
            ms[threads] = m.latency_ms(np.zeros(shape, np.float32), args.runs)
        print(f"| {os.path.basename(path)} | {len(data) / 1e6:.2f} MB | {ms[1]:.2f} ms | {ms[2]:.2f} ms |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
