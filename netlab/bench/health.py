"""The cost of measuring the network's health while it trains (netlab/training/health.py).

One epoch of the same experiment (a small model on digits by default) with
``training.health`` off and on, everything else the same; one warm-up of
each, then ``reps`` pairs interleaved (off, on, off, ...) so the machine's
drift hits both. The verdict is the median of the pairs' ratios of epoch
seconds (on / off; the epoch as the run reports it, from its first batch to
its end, validation included). Target: <= 1.05, the budget the callback
keeps. Tracing the measurement once per run, before the first epoch, is
reported beside it (whole run's seconds, on / off).
"""

from __future__ import annotations

import copy
import json
import os
import statistics
import sys
import tempfile
import time

from netlab.bench.overhead import _experiment, median_pair_ratio, training_arguments
from netlab.training.device import describe_device
from netlab.training.events import EpochEnd, HealthMeasured, RunStarted
from netlab.training.trainer import Trainer

# Keras is imported where used: main sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads.

TARGET = 1.05


def one_run(exp) -> dict:
    """Seconds of the epoch, of the run from RunStarted to its last epoch, and the measurements."""
    import keras

    keras.backend.clear_session()
    marks = {"epochs": [], "measured": 0}

    def on_event(event):
        if isinstance(event, RunStarted):
            marks["start"] = time.perf_counter()
        elif isinstance(event, EpochEnd):
            marks["epochs"].append(event.seconds)
            marks["end"] = time.perf_counter()
        elif isinstance(event, HealthMeasured):
            marks["measured"] += 1

    with tempfile.TemporaryDirectory() as tmp:
        Trainer(exp, on_event=on_event, run_dir=os.path.join(tmp, "run")).run()
    return {"epoch": sum(marks["epochs"]), "run": marks["end"] - marks["start"], "measured": marks["measured"]}


def main(argv=None) -> int:
    args = training_arguments("health", __doc__, argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    off = _experiment(args)
    off.training.health = False
    on = copy.deepcopy(off)
    on.training.health = True
    print(f"warming up ({args.arch} on {args.dataset}, {args.epochs} epoch(s), batch {args.batch_size}, "
          f"{describe_device()})", file=sys.stderr, flush=True)
    one_run(off)
    one_run(on)
    without, with_health = [], []
    for rep in range(args.reps):
        without.append(one_run(off))
        with_health.append(one_run(on))
        print(f"rep {rep + 1}/{args.reps}: epoch off {without[-1]['epoch']:.2f} s, on {with_health[-1]['epoch']:.2f} s "
              f"({with_health[-1]['measured']} measurements)", file=sys.stderr, flush=True)
    # Seconds, not speed: on / off of the seconds is off / on of the speeds.
    ratio = 1 / median_pair_ratio([r["epoch"] for r in with_health], [r["epoch"] for r in without])
    run_ratio = 1 / median_pair_ratio([r["run"] for r in with_health], [r["run"] for r in without])
    report = {"arch": args.arch, "dataset": args.dataset, "epochs": args.epochs, "reps": args.reps,
              "device": describe_device(), "off_epoch_seconds": [r["epoch"] for r in without],
              "on_epoch_seconds": [r["epoch"] for r in with_health],
              "measurements": [r["measured"] for r in with_health], "ratio": ratio, "run_ratio": run_ratio,
              "target": TARGET, "within_target": ratio <= TARGET}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"epoch without health: {statistics.median(report['off_epoch_seconds']):.2f} s, with: "
              f"{statistics.median(report['on_epoch_seconds']):.2f} s (median of {args.reps}; "
              f"{statistics.median(report['measurements']):.0f} measurements a run)")
        print(f"ratio on/off: {ratio:.3f}, the median of the {args.reps} pairs' ratios "
              f"({'within' if ratio <= TARGET else 'outside'} the {TARGET - 1:.0%} target); "
              f"whole run with the tracing: {run_ratio:.3f}")
    return 0
