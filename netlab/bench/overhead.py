"""Engine overhead: NetLab's Trainer against plain ``model.fit`` on the same model and data.

Both sides build the same model (same seed, optimizer, compile), train the
same epochs with validation each epoch, and are timed from the start of
fit() to the end of its last epoch; NetLab's time includes its events,
history.csv, best.keras, the per-epoch checkpoint with optimizer state and
TensorBoard logs. One warm-up of each, then ``reps`` repetitions
interleaved (plain, NetLab, plain, ...) so drift in the machine hits both.
The verdict is the median of the per-pair ratios (each NetLab rep against
the plain rep run just before it): the machine drifts by +-20% over minutes,
which the ratio of two medians would mix in; a pair shares its drift.
Target: NetLab within 5% of plain fit (ratio >= 0.95).
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
from netlab.data import load_dataset
from netlab.data.pipeline import make_dataset
from netlab.training.device import describe_device
from netlab.training.events import EpochEnd, RunStarted
from netlab.training.trainer import Trainer

# Keras is imported where used: main sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads.


def _experiment(args):
    exp = Experiment()
    exp.model.arch = args.arch
    exp.data.dataset = args.dataset
    exp.data.samples = args.samples
    exp.training.epochs = args.epochs
    exp.training.batch_size = args.batch_size
    # The engine's own bookkeeping; the per-epoch training-split measurement is
    # extra work of its own, measured by ``python -m netlab.bench train_eval``.
    exp.training.train_eval = False
    exp.training.health = False  # likewise: ``python -m netlab.bench health``
    return exp.validate()


def plain_fit(exp) -> float:
    """Images/s of model.fit with no callbacks of ours."""
    import keras

    keras.backend.clear_session()
    keras.utils.set_random_seed(exp.training.seed)
    data = load_dataset(exp.data)
    t = exp.training
    steps = -(-len(data.x_train) // t.batch_size)
    train_model, _, _ = Trainer(exp).build_model(data, steps)
    n = len(train_model.outputs)
    train_ds = make_dataset(data.x_train, data.y_train, t.batch_size, shuffle=True, seed=t.seed, num_outputs=n)
    val_ds = make_dataset(data.x_val, data.y_val, t.batch_size, shuffle=False, num_outputs=n)
    started = time.perf_counter()
    train_model.fit(train_ds, validation_data=val_ds, epochs=t.epochs, verbose=0, shuffle=False)
    return len(data.x_train) * t.epochs / (time.perf_counter() - started)


def netlab_fit(exp) -> float:
    """Images/s of the Trainer with a run folder: RunStarted (just before fit) to the last EpochEnd."""
    import keras

    keras.backend.clear_session()
    marks = {}

    def on_event(event):
        if isinstance(event, RunStarted):
            marks["start"], marks["samples"] = time.perf_counter(), event.train_samples
        elif isinstance(event, EpochEnd):
            marks["end"] = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        Trainer(exp, on_event=on_event, run_dir=os.path.join(tmp, "run")).run()
    return marks["samples"] * exp.training.epochs / (marks["end"] - marks["start"])


def median_pair_ratio(plain: list[float], netlab: list[float]) -> float:
    """The median of netlab[i] / plain[i]: each rep against the plain rep beside it."""
    if len(plain) != len(netlab) or not plain:
        raise ValueError("need as many NetLab reps as plain reps, at least one")
    return statistics.median(n / p for p, n in zip(plain, netlab))


def training_arguments(name: str, doc: str, argv) -> argparse.Namespace:
    """The arguments of the benchmarks that time training runs side by side (overhead, train_eval)."""
    parser = argparse.ArgumentParser(prog=f"python -m netlab.bench {name}", description=doc.split("\n")[0])
    parser.add_argument("--arch", default="simple_cnn")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--samples", type=int, default=3000, help="images the shapes set generates")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = training_arguments("overhead", __doc__, argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    exp = _experiment(args)
    plain, netlab = [], []
    print(f"warming up ({args.arch} on {args.dataset}, {args.epochs} epochs, batch {args.batch_size}, "
          f"{describe_device()})", file=sys.stderr, flush=True)
    plain_fit(exp)
    netlab_fit(exp)
    for rep in range(args.reps):
        plain.append(plain_fit(exp))
        netlab.append(netlab_fit(exp))
        print(f"rep {rep + 1}/{args.reps}: plain fit {plain[-1]:,.0f} img/s, NetLab {netlab[-1]:,.0f} img/s "
              f"(ratio {netlab[-1] / plain[-1]:.3f})", file=sys.stderr, flush=True)
    plain_median, netlab_median = statistics.median(plain), statistics.median(netlab)
    pair_ratios = [n / p for p, n in zip(plain, netlab)]
    ratio = median_pair_ratio(plain, netlab)
    report = {"arch": args.arch, "dataset": args.dataset, "epochs": args.epochs, "reps": args.reps,
              "device": describe_device(), "plain_images_per_second": plain_median,
              "netlab_images_per_second": netlab_median, "ratio": ratio, "pair_ratios": pair_ratios,
              "target": 0.95, "within_target": ratio >= 0.95, "plain_runs": plain, "netlab_runs": netlab}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"plain model.fit : {plain_median:10,.0f} images/s (median of {args.reps})")
        print(f"NetLab Trainer  : {netlab_median:10,.0f} images/s (median of {args.reps})")
        print(f"ratio NetLab/plain: {ratio:.3f}, the median of the {args.reps} pairs' ratios "
              f"({'within' if ratio >= 0.95 else 'outside'} the 5% target)")
    return 0
