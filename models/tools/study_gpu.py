#!/usr/bin/env python3
"""Run the four-architecture study (issue 12) on one GPU machine, all runs at once, inside a
fixed wall-clock window, and gather what comes back.

The lent GPU machine has PyTorch and JAX but no TensorFlow, a short lease, and a size limit on
what it sends back. So each run is `train.py --fit-only` on a Keras backend that machine has
(JAX, else PyTorch: --backend auto tries both on the GPU first), training on a picture pack
made here by pack_pictures.py; the int8 export, evaluation on the exact pixels and latency
are then done here with `train.py --from-fit` on the folder that came back.

    # on the GPU machine (the wheels of Keras 3.15.1, namex and optree installed first):
    python3 models/tools/study_gpu.py --csv .study/HAM10000_metadata.csv \\
        --pictures .study/ham10000_192_q90.tar.gz --teacher .study/teacher.csv \\
        --work /tmp/study --window-s 520 --collect "$OUT"

    # here, per run that came back (weights as .h5, or float16 .npz):
    python3 models/tools/train.py <the run's train.py arguments, without --fit-only/--pictures> \\
        --images ../shared/data/ham10000-224/images --from-fit <its folder> --out <export folder>

Every run uses the same split (train.py: by lesion, seed 42) and the same input size. The
runs share the GPU (one process each) and each gets the same training budget: the window
less the time to start (decode, compile) and to finish (BatchNorm step, metrics, saving).
What each run printed, its fit.json and history.json come back for every run; weights
come back as far as the size limit allows: the float32 ones (RUNS' third field "h5") first,
then the float16 ones, best validation balanced accuracy first; the rest stay on the machine,
and a next call with --collect-only NAME fetches them while it is still lent.

What was seen on the one lease so far (2026-11-26, an H200, JAX backend, float32, all nine
runs at once, a 500 s window, 6 min of training each): the first epoch, which includes XLA's
compilation and autotuning, took 2.4 to 5.9 minutes; later epochs about 30 s (CNN, VGG16)
and 85 s (MobileNet: XLA's gradient of depthwise convolutions is slow); ResNet50 finished
one epoch and was stopped at the deadline in its second. With only the two MobileNets the
first epoch still took 3.1 minutes. So a 15-minute lease trains a few epochs, not a study:
next time run fewer models at once, try --backend torch (cuDNN's kernels, no compilation;
not tried here) and keep the window as long as the lease allows.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = os.path.join(HERE, "train.py")

# name, train.py arguments, how its weights come back (h5: float32 as trained; f16: float16)
RUNS = [
    ("mobilenet_a100", "--arch mobilenet --alpha 1.0", "h5"),
    ("mobilenet_a100_distilled", "--arch mobilenet --alpha 1.0 --teacher {teacher}", "h5"),
    ("mobilenet_a050_distilled", "--arch mobilenet --alpha 0.5 --teacher {teacher}", "h5"),
    ("cnn", "--arch cnn", "f16"),
    ("cnn_distilled", "--arch cnn --teacher {teacher}", "f16"),
    ("vgg16", "--arch vgg16 --lr 1e-4", "f16"),
    ("vgg16_distilled", "--arch vgg16 --lr 1e-4 --teacher {teacher}", "f16"),
    ("resnet50", "--arch resnet50", "f16"),
    ("resnet50_distilled", "--arch resnet50 --teacher {teacher}", "f16"),
]
COMMON = "--input-size {size} --batch-size 64 --epochs 500 --seed 42"

# What the lending tool brings back (device README): at most 8 files of 16 MiB, 64 MiB in all.
MAX_FILES, MAX_FILE, MAX_TOTAL = 8, 16 << 20, 64 << 20

BACKEND_CHECK = r"""
import os, numpy as np, keras
b = keras.backend.backend()
if b == "jax":
    import jax
    gpu = jax.devices()[0].platform == "gpu"
    where = str(jax.devices()[0])
else:
    import torch
    gpu = torch.cuda.is_available()
    where = torch.cuda.get_device_name(0) if gpu else "cpu"
m = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3), keras.layers.BatchNormalization(),
                      keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(7, activation="softmax")])
m.compile("adam", "sparse_categorical_crossentropy")
m.fit(np.random.rand(16, 32, 32, 3).astype("float32"), np.arange(16) % 7, epochs=1, verbose=0)
print("backend", b, "keras", keras.__version__, "device", where, "gpu", gpu)
assert gpu or os.environ.get("STUDY_ALLOW_CPU") == "1", "no GPU seen"
"""


def env_for(backend: str) -> dict:
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONUNBUFFERED="1",
               # every run is its own process on one GPU: no process may take most of its memory
               XLA_PYTHON_CLIENT_PREALLOCATE="false", TF_CPP_MIN_LOG_LEVEL="2")
    return env


def choose_backend(wanted: str) -> str:
    for backend in (["jax", "torch"] if wanted == "auto" else [wanted]):
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", BACKEND_CHECK], env=env_for(backend), capture_output=True,
                           text=True, timeout=180)
        line = (r.stdout.strip().splitlines() or [""])[-1]
        print(f"backend check {backend}: exit {r.returncode} in {time.perf_counter() - t0:.0f} s: {line}")
        if r.returncode == 0:
            return backend
        print(r.stderr[-3000:])
    sys.exit("no Keras backend trains on the GPU here")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--csv", required=True)
    p.add_argument("--pictures", required=True, help="pack from pack_pictures.py, at --size")
    p.add_argument("--size", type=int, default=192)
    p.add_argument("--teacher", required=True, help="teacher_probs.py CSV for the distilled runs")
    p.add_argument("--work", required=True, help="folder for the runs")
    p.add_argument("--window-s", type=float, required=True,
                   help="seconds from now by which every run must have finished")
    p.add_argument("--finish-s", type=float, default=75.0,
                   help="seconds kept per run after its training for the BatchNorm step, metrics and saving")
    p.add_argument("--start-s", type=float, default=90.0,
                   help="seconds allowed per run before its training starts (decode, build, compile)")
    p.add_argument("--backend", choices=["auto", "jax", "torch"], default="auto")
    p.add_argument("--only", nargs="*", default=None, help="run only these names of RUNS")
    p.add_argument("--collect", default=None, help="folder to gather what comes back into (the tool's $OUT)")
    p.add_argument("--collect-only", nargs="+", default=None, metavar="NAME",
                   help="run nothing: gather the weights of these runs of an earlier call (same --work)")
    p.add_argument("--allow-cpu", action="store_true", help="let the backend check pass without a GPU (tests)")
    args = p.parse_args(argv)

    if args.allow_cpu:
        os.environ["STUDY_ALLOW_CPU"] = "1"
    if args.collect_only:
        with open(os.path.join(args.work, "summary.json")) as f:
            summary = json.load(f)["runs"]
        collect(args.work, [r for r in RUNS if r[0] in args.collect_only], summary, args.collect)
        return 0
    t_start = time.time()
    deadline = t_start + args.window_s
    backend = choose_backend(args.backend)
    runs = [r for r in RUNS if args.only is None or r[0] in args.only]
    budget_s = deadline - time.time() - args.start_s - args.finish_s - 15
    if budget_s < 60:
        sys.exit(f"only {budget_s:.0f} s of training would be left per run: give a longer --window-s")
    print(f"{len(runs)} runs on {backend}, {budget_s / 60:.2f} min of training each")
    os.makedirs(args.work, exist_ok=True)
    procs = {}
    for name, extra, _ in runs:
        out = os.path.join(args.work, name)
        cmd = ([sys.executable, TRAIN, "--csv", args.csv, "--pictures", args.pictures, "--fit-only", "--out", out,
                "--time-budget-min", f"{budget_s / 60:.3f}"]
               + shlex.split(COMMON.format(size=args.size)) + shlex.split(extra.format(teacher=args.teacher)))
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "command.txt"), "w") as f:
            f.write(shlex.join(cmd) + "\n")
        log = open(os.path.join(out, "train.log"), "w")
        procs[name] = (subprocess.Popen(cmd, env=env_for(backend), stdout=log, stderr=subprocess.STDOUT), log)
    while procs:
        for name, (proc, log) in list(procs.items()):
            code = proc.poll()
            if code is None and time.time() > deadline:
                proc.kill()
                code = "killed at the deadline"
            if code is not None:
                log.close()
                del procs[name]
                print(f"{name}: {code} after {time.time() - t_start:.0f} s", flush=True)
        time.sleep(2)

    summary = {}
    for name, _, _ in runs:
        fit_json = os.path.join(args.work, name, "fit.json")
        if os.path.isfile(fit_json):
            with open(fit_json) as f:
                fit = json.load(f)
            m = fit["keras_metrics_on_fit_pictures"]
            summary[name] = {"epochs": len(fit["epochs"]), "kept": fit["kept_epoch"],
                             "seconds": fit["training_seconds"], "machine": fit["machine"],
                             "val_balanced_accuracy": m["validation"]["balanced_accuracy"],
                             "test_balanced_accuracy": m.get("test", {}).get("balanced_accuracy")}
        else:
            summary[name] = None
    print(json.dumps(summary, indent=1))
    with open(os.path.join(args.work, "summary.json"), "w") as f:
        json.dump({"backend": backend, "budget_s": budget_s, "runs": summary}, f, indent=1)
    if args.collect:
        collect(args.work, runs, summary, args.collect)
    return 0


def collect(work: str, runs, summary: dict, dest: str) -> None:
    """Logs of every run in one .tar.gz, then weights, as many as fit the tool's limits: the
    float32 ones first, then the float16 ones, best validation balanced accuracy first."""
    os.makedirs(dest, exist_ok=True)
    logs = os.path.join(dest, "runs.tar.gz")
    with tarfile.open(logs, "w:gz") as tar:
        tar.add(os.path.join(work, "summary.json"), "summary.json")
        for name, _, _ in runs:
            for f in ("command.txt", "train.log", "fit.json", "history.json"):
                path = os.path.join(work, name, f)
                if os.path.isfile(path):
                    tar.add(path, f"{name}/{f}")
    files, total = 1, os.path.getsize(logs)
    done = [r for r in runs if summary.get(r[0])]
    order = sorted(done, key=lambda r: (r[2] != "h5", -(summary[r[0]]["val_balanced_accuracy"] or 0.0)))
    left = []
    for name, _, kind in order:
        src = os.path.join(work, name, "keras.weights.h5" if kind == "h5" else "keras.weights.f16.npz")
        size = os.path.getsize(src)
        parts = -(-size // MAX_FILE)
        if files + parts > MAX_FILES or total + size > MAX_TOTAL - (1 << 20):
            left.append(name)
            continue
        suffix = "weights.h5" if kind == "h5" else "weights.f16.npz"
        with open(src, "rb") as f:
            for k in range(parts):
                part = f"{name}.{suffix}" + (f".part{k}" if parts > 1 else "")
                with open(os.path.join(dest, part), "wb") as o:
                    o.write(f.read(MAX_FILE))
        files += parts
        total += size
        print(f"  {name}: {size / 1e6:.1f} MB in {parts} file(s)")
    print(f"collected {files} files, {total / 1e6:.1f} MB into {dest}; weights left on this machine: "
          f"{', '.join(left) or 'none'}")


if __name__ == "__main__":
    sys.exit(main())
