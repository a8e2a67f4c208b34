"""The Statistics tab's peak memory against its image count.

Asked for "at most 4096" images of a digits run, the tab once took resident
memory from 1.0 to 5.0 GB: every layer's output for the whole batch at once,
then a float64 copy of each. Now every pass goes a batch at a time.

Each case runs in a fresh child process: it builds the model and the images,
then runs what the tab computes for them (``netlab.inspect``: batch-norm
statistics, training versus inference mode, activation statistics, and the
Recompute button's precise BN), and reports its peak resident set (VmHWM of
/proc/self/status: TensorFlow allocates natively, which tracemalloc does not
see) before and after. Cases:

- digits: NetLab's default model (simple_cnn, batch norm) on the digits
  training images, repeated to 4,096;
- resnet50: keras.applications ResNet-50 at 224x224 (random weights and
  pixels: the memory does not depend on them) over 256 images.

Verdict: each case's peak over its images against its peak over 64 images
(the tab's default), target <= 1.5x.

One run on a shared 2-core CPU: digits 732 MB over 64 images, 757 MB over
4,096 (1.03x; the code before took 832 MB over 64 and 4,143 MB over the run's
1,437); ResNet-50 2,210 MB over 64, 2,343 MB over 256 (1.06x; 60 s and 124 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from netlab.architectures import build_model
from netlab.config import Experiment
from netlab.data import load_dataset
from netlab.data.preprocessing import preprocessing_layers
from netlab.inspect.activations import activation_statistics
from netlab.inspect.batchnorm import bn_statistics, recompute_bn_statistics, train_vs_inference

# Keras is imported in the child's case (case_model_and_images): the parent only starts the children.

TARGET = 1.5
BASELINE_IMAGES = 64
CASES = {"digits": 4096, "resnet50": 256, "tiny": 256}  # tiny: a 16x16 CNN, for the smoke test


def memory_kb() -> dict:
    """This process's resident set now and at its peak (kB), from /proc/self/status."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return {"rss_kb": fields["VmRSS"], "peak_kb": fields["VmHWM"]}


def case_model_and_images(case: str, count: int):
    """(model, images, labels) of a case: pixels in [0, 255] as the tab loads them."""
    import keras
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    if case == "digits":
        exp = Experiment()
        data = load_dataset(exp.data)
        model = build_model(exp, data.input_shape, data.num_classes, preprocessing_layers(exp.data, data))
        index = np.arange(count) % len(data.x_train)
        return model, data.x_train[index], data.y_train[index]
    if case == "resnet50":
        model = keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3))
        images = rng.uniform(0, 255, (count, 224, 224, 3)).astype(np.float32)
        return model, images, rng.integers(0, 1000, count)
    if case == "tiny":
        layers = keras.layers
        model = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3, name="conv"),
                                  layers.BatchNormalization(name="bn"), layers.ReLU(name="relu"),
                                  layers.GlobalAveragePooling2D(), layers.Dense(3, activation="softmax")])
        images = rng.uniform(0, 255, (count, 16, 16, 3)).astype(np.float32)
        return model, images, rng.integers(0, 3, count)
    raise SystemExit(f"unknown case {case!r}; the cases are {', '.join(CASES)}")


def statistics_tab(model, images, labels) -> None:
    """What the Statistics tab computes for a batch of images, Recompute included."""
    bn_statistics(model, images)
    train_vs_inference(model, images, labels)
    activation_statistics(model, images)
    recompute_bn_statistics(model, images)


def child(case: str, count: int) -> dict:
    """One case in this process: the peak resident set before and after the computation."""
    model, images, labels = case_model_and_images(case, count)
    before = memory_kb()
    started = time.perf_counter()
    statistics_tab(model, images, labels)
    after = memory_kb()
    return {"case": case, "images": count, "seconds": time.perf_counter() - started,
            "peak_before_mb": before["peak_kb"] / 1024, "peak_mb": after["peak_kb"] / 1024,
            "rss_after_mb": after["rss_kb"] / 1024}


def run_child(case: str, count: int) -> dict:
    root = str(Path(__file__).resolve().parents[2])  # the child runs this checkout's code
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
               PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    done = subprocess.run([sys.executable, "-m", "netlab.bench", "stats-memory", "--child", case, str(count)],
                          env=env, capture_output=True, text=True, timeout=3600)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise SystemExit(f"the {case} case over {count} images failed (exit {done.returncode}):\n"
                         f"{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def ratio(many: dict, few: dict) -> float:
    """Peak resident set over many images against the peak over few."""
    return many["peak_mb"] / few["peak_mb"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.bench stats-memory",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="digits,resnet50", help="comma-separated: " + ", ".join(CASES))
    parser.add_argument("--images", type=int, default=None, help="images of every case (default: its own)")
    parser.add_argument("--baseline", type=int, default=BASELINE_IMAGES, help="the images compared with")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "IMAGES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))), flush=True)
        return 0
    report = {"target": TARGET, "cases": {}}
    for case in args.cases.split(","):
        count = args.images or CASES.get(case, 0)
        print(f"{case}: {args.baseline} images, then {count}, each in a fresh process...", file=sys.stderr,
              flush=True)
        few, many = run_child(case, args.baseline), run_child(case, count)
        report["cases"][case] = {"few": few, "many": many, "ratio": ratio(many, few),
                                 "within_target": ratio(many, few) <= TARGET}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for case, result in report["cases"].items():
        few, many = result["few"], result["many"]
        print(f"{case:9s} peak RSS {few['images']:5d} images {few['peak_mb']:7.0f} MB "
              f"(before computing {few['peak_before_mb']:6.0f} MB, {few['seconds']:6.1f} s) | "
              f"{many['images']:5d} images {many['peak_mb']:7.0f} MB (before {many['peak_before_mb']:6.0f} MB, "
              f"{many['seconds']:6.1f} s) | ratio {result['ratio']:.2f} (target <= {TARGET}: "
              f"{'ok' if result['within_target'] else 'MISSED'})")
    return 0
