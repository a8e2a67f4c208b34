"""The cost of measuring the network's health while it trains (netlab/training/health.py).

The same experiment (a small model on digits by default, same data, seed and
order of batches) trained with ``training.health`` off and on. One warm-up of
each, then ``reps`` pairs, the order alternating within pairs (off then on,
on then off, ...) so neither side always runs first and the machine's drift
hits both. Each ratio is the median of the pairs' ratios of seconds (on / off):

- whole run: from RunStarted (just before fit) to the last epoch's end,
  the first measurement (the network as initialized) and any trace included;
  the verdict, target <= 1.05, the budget the callback keeps;
- epochs: the epochs as the run reports them (validation included);
- steady state: the epochs after the first;
- CPU: the process's CPU seconds over the whole run, all threads: steadier than
  wall seconds on a machine others load, where a pair's drift still shows.
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
RATIOS = {"run": "whole run", "epochs": "epochs", "steady": "steady state", "cpu": "CPU, whole run"}


def one_run(exp) -> dict:
    """Seconds of the whole run, of its epochs, of the epochs after the first, CPU seconds of the
    whole run, and the measurements taken."""
    import keras

    keras.backend.clear_session()
    marks = {"epochs": [], "measured": 0}

    def on_event(event):
        if isinstance(event, RunStarted):
            marks["start"], marks["cpu_start"] = time.perf_counter(), time.process_time()
        elif isinstance(event, EpochEnd):
            marks["epochs"].append(event.seconds)
            marks["end"], marks["cpu_end"] = time.perf_counter(), time.process_time()
        elif isinstance(event, HealthMeasured):
            marks["measured"] += 1

    with tempfile.TemporaryDirectory() as tmp:
        Trainer(exp, on_event=on_event, run_dir=os.path.join(tmp, "run")).run()
    return {"run": marks["end"] - marks["start"], "epochs": sum(marks["epochs"]),
            "steady": sum(marks["epochs"][1:]), "cpu": marks["cpu_end"] - marks["cpu_start"],
            "measured": marks["measured"]}


def paired_runs(off, on, reps: int, progress=None) -> tuple[list[dict], list[dict]]:
    """One warm-up of each, then ``reps`` pairs, pair i running off first when i is even and on
    first when it is odd; (the runs without health, the runs with it), pair by pair."""
    for exp in (off, on):
        one_run(exp)
    without, with_health = [], []
    for rep in range(reps):
        order = (off, on) if rep % 2 == 0 else (on, off)
        runs = {id(exp): one_run(exp) for exp in order}
        without.append(runs[id(off)])
        with_health.append(runs[id(on)])
        if progress is not None:
            progress(rep, without[-1], with_health[-1])
    return without, with_health


def ratios(without: list[dict], with_health: list[dict]) -> dict[str, float]:
    """Each of RATIOS: the median of the pairs' on / off seconds."""
    result = {}
    for key in RATIOS:
        if all(r[key] > 0 for r in without):
            # median_pair_ratio takes (plain, netlab) and gives netlab / plain: here on / off.
            result[key] = median_pair_ratio([r[key] for r in without], [r[key] for r in with_health])
    return result


def main(argv=None) -> int:
    args = training_arguments("health", __doc__, argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    off = _experiment(args)
    off.training.health = False
    on = copy.deepcopy(off)
    on.training.health = True
    print(f"warming up ({args.arch} on {args.dataset}, {args.epochs} epoch(s), batch {args.batch_size}, "
          f"{describe_device()}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)",
          file=sys.stderr, flush=True)

    def progress(rep, a, b):
        print(f"rep {rep + 1}/{args.reps}: run off {a['run']:.2f} s, on {b['run']:.2f} s ({b['measured']} "
              f"measurements), ratio {b['run'] / a['run']:.3f}", file=sys.stderr, flush=True)

    without, with_health = paired_runs(off, on, args.reps, progress)
    found = ratios(without, with_health)
    report = {"arch": args.arch, "dataset": args.dataset, "epochs": args.epochs, "reps": args.reps,
              "device": describe_device(), "load_average": os.getloadavg()[0],
              "off": without, "on": with_health, "ratios": found, "ratio": found["run"],
              "target": TARGET, "within_target": found["run"] <= TARGET}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"whole run without health: {statistics.median(r['run'] for r in without):.2f} s, with: "
          f"{statistics.median(r['run'] for r in with_health):.2f} s (median of {args.reps}; "
          f"{statistics.median(r['measured'] for r in with_health):.0f} measurements a run)")
    for key, name in RATIOS.items():
        if key in found:
            print(f"ratio on/off, {name}: {found[key]:.3f}")
    print(f"verdict: the whole run's ratio, the median of the {args.reps} pairs' ratios, "
          f"{'within' if found['run'] <= TARGET else 'outside'} the {TARGET - 1:.0%} target; "
          f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0
