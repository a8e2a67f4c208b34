"""Cached bottom features: per-epoch time of a frozen-base fine-tuning with the cache and without.

The source is a keras.applications backbone (MobileNetV2 by default, built
with ``weights=None``: nothing downloads) saved as a .keras file; both sides
fine-tune it through NetLab's Trainer with the whole base frozen, on the same
synthetic shapes at the same size, seed and batch size. Without the cache the
frozen base runs over every training and validation image every epoch; with
it the base runs once (before the first epoch, timed apart as the feature
pass) and each epoch trains the classifier on the stored features. An epoch's
time is its EpochEnd.seconds (validation included); the first epoch of each
side, which traces the training step, is left out. Sides alternate (plain,
cached, plain, ...) so drift in the machine hits both; the verdict is the
median of the per-pair ratios. Target: >= 5x where the base dominates compute.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

from netlab.config import Experiment
from netlab.models.sources import imagenet_spec
from netlab.training.device import describe_device
from netlab.training.events import EpochEnd, RunStarted
from netlab.training.trainer import Trainer

# Keras is imported where used: main sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads.

TARGET = 5.0


def save_source(arch: str, side: int, folder: str) -> str:
    """A headless keras.applications ``arch`` with random weights, as a .keras file."""
    import keras

    attribute = imagenet_spec(f"imagenet:{arch}")[1]
    keras.utils.set_random_seed(0)
    backbone = getattr(keras.applications, attribute)(include_top=False, weights=None,
                                                      input_shape=(side, side, 3))
    path = os.path.join(folder, f"{arch}.keras")
    backbone.save(path)
    return path


def _experiment(args, source: str, cache: bool):
    exp = Experiment()
    exp.data.dataset, exp.data.samples, exp.data.image_size = "shapes", args.samples, args.image_size
    exp.training.epochs, exp.training.batch_size = args.epochs, args.batch_size
    exp.training.tensorboard = False
    exp.finetune.source, exp.finetune.freeze, exp.finetune.cache_features = source, "base", cache
    return exp.validate()


def one_run(exp) -> dict:
    """Seconds per epoch (median after the first), the time before the first epoch, the total."""
    import keras

    keras.backend.clear_session()
    marks, epochs = {}, []

    def on_event(event):
        if isinstance(event, RunStarted):
            marks["started"] = time.perf_counter()
        elif isinstance(event, EpochEnd):
            epochs.append(event.seconds)

    began = time.perf_counter()
    Trainer(exp, on_event=on_event).run()
    total = time.perf_counter() - began
    return {"epoch_seconds": statistics.median(epochs[1:] or epochs), "epochs": epochs,
            "before_training_seconds": marks["started"] - began, "total_seconds": total}


def pair_ratios(plain: list[dict], cached: list[dict]) -> list[float]:
    """Each plain run's per-epoch time over that of the cached run beside it."""
    if len(plain) != len(cached) or not plain:
        raise ValueError("need as many cached runs as plain runs, at least one")
    return [p["epoch_seconds"] / c["epoch_seconds"] for p, c in zip(plain, cached)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.bench finetune-cache",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--arch", default="mobilenetv2", help="a keras.applications backbone (imagenet:ARCH names)")
    parser.add_argument("--image-size", type=int, default=96)
    parser.add_argument("--samples", type=int, default=400, help="images the shapes set generates")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch is left out)")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    plain, cached = [], []
    with tempfile.TemporaryDirectory() as tmp:
        source = save_source(args.arch, args.image_size, tmp)
        print(f"frozen {args.arch} at {args.image_size}x{args.image_size}, {args.samples} shapes, "
              f"{args.epochs} epochs, batch {args.batch_size}, {describe_device()}", file=sys.stderr, flush=True)
        for rep in range(args.reps):
            plain.append(one_run(_experiment(args, source, cache=False)))
            cached.append(one_run(_experiment(args, source, cache=True)))
            print(f"rep {rep + 1}/{args.reps}: base every epoch {plain[-1]['epoch_seconds']:.3f} s/epoch, "
                  f"cached {cached[-1]['epoch_seconds']:.4f} s/epoch", file=sys.stderr, flush=True)
    ratios = pair_ratios(plain, cached)
    ratio = statistics.median(ratios)
    # The cache's one-time cost: what the cached run spends before its first epoch beyond the plain run.
    feature_pass = statistics.median(c["before_training_seconds"] - p["before_training_seconds"]
                                     for p, c in zip(plain, cached))
    report = {"arch": args.arch, "image_size": args.image_size, "samples": args.samples, "epochs": args.epochs,
              "batch_size": args.batch_size, "reps": args.reps, "device": describe_device(),
              "plain_epoch_seconds": statistics.median(p["epoch_seconds"] for p in plain),
              "cached_epoch_seconds": statistics.median(c["epoch_seconds"] for c in cached),
              "feature_pass_seconds": feature_pass, "ratio": ratio, "pair_ratios": ratios,
              "target": TARGET, "within_target": ratio >= TARGET,
              "plain_runs": plain, "cached_runs": cached}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"frozen base every epoch: {report['plain_epoch_seconds']:8.3f} s/epoch (median of {args.reps})")
        print(f"cached features        : {report['cached_epoch_seconds']:8.4f} s/epoch, after a one-time "
              f"feature pass of about {feature_pass:.2f} s")
        print(f"speedup per epoch: {ratio:.1f}x, the median of the {args.reps} pairs' ratios "
              f"({'meets' if ratio >= TARGET else 'misses'} the {TARGET:g}x target)")
    return 0
