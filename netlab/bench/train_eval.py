"""The cost of the per-epoch inference-mode training metrics (netlab/training/train_eval.py).

The same experiment trained by NetLab's Trainer with ``training.train_eval``
off and on, one warm-up of each, then ``reps`` pairs interleaved (off, on,
off, ...) so the machine's drift hits both; the verdict is the median of the
per-pair ratios of images per second (on / off), as in the overhead
benchmark. Target: the measurement costs at most 10% of the training
(ratio >= 0.90), which is what "on by default" asks of it. On a machine
shared with other work the pairs drift; the direct figure (one
measurement timed on the trained model, against the run's epoch time)
does not.
"""

from __future__ import annotations

import copy
import json
import os
import statistics
import sys
import tempfile
import time

from netlab.bench.overhead import _experiment, median_pair_ratio, netlab_fit, training_arguments
from netlab.data import load_dataset
from netlab.data.subset import train_subset
from netlab.inspect.batchnorm import bn_layers
from netlab.training.device import describe_device
from netlab.training.events import EpochEnd
from netlab.training.trainer import Trainer

# Keras, and the core modules that import it as they load (activation_logs, train_eval), are imported
# where used: main sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads.

TARGET = 0.90


def direct_fraction(exp) -> tuple[float, float, float]:
    """Seconds of one measurement, of one epoch's activation histograms, and the median
    seconds of an epoch after the first, of one run with it on: both timed again on the
    trained model, beside the epochs it ran in."""
    import keras

    from netlab.training.activation_logs import ActivationHistograms
    from netlab.training.train_eval import inference_function, measure, subset_size

    keras.backend.clear_session()
    seconds = []
    result = Trainer(exp, on_event=lambda e: isinstance(e, EpochEnd) and seconds.append(e.seconds)).run()
    data = load_dataset(exp.data)
    x, y = train_subset(data, subset_size(data.train_size, data.input_shape), exp.training.seed)
    model, with_bn = result.model, bool(bn_layers(result.model))
    function = inference_function(model)
    measure(model, x, y, exp.training.batch_size, with_bn, function)  # traced once, as in epoch 1
    times = []
    for _ in range(3):
        started = time.perf_counter()
        measure(model, x, y, exp.training.batch_size, with_bn, function)
        times.append(time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as tmp:  # the TensorBoard activation histograms, likewise
        histograms = ActivationHistograms.for_data(tmp, model, data, exp.training.seed)
        histograms.on_epoch_end(0)
        histogram_times = []
        for epoch in range(1, 4):
            started = time.perf_counter()
            histograms.on_epoch_end(epoch)
            histogram_times.append(time.perf_counter() - started)
        histograms.on_train_end()
    return (statistics.median(times), statistics.median(histogram_times),
            statistics.median(seconds[1:] or seconds))


def main(argv=None) -> int:
    args = training_arguments("train_eval", __doc__, argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from netlab.training.train_eval import subset_size

    off = _experiment(args)
    off.training.tensorboard = False
    off.training.train_eval = False
    on = copy.deepcopy(off)
    on.training.train_eval = True
    data = load_dataset(off.data)
    train_size, measured = data.train_size, subset_size(data.train_size, data.input_shape)
    print(f"warming up ({args.arch} on {args.dataset}, {train_size} training images, {measured} "
          f"measured per epoch, {args.epochs} epochs, {describe_device()})", file=sys.stderr, flush=True)
    netlab_fit(off)
    netlab_fit(on)
    without, with_eval = [], []
    for rep in range(args.reps):
        without.append(netlab_fit(off))
        with_eval.append(netlab_fit(on))
        print(f"rep {rep + 1}/{args.reps}: off {without[-1]:,.0f} img/s, on {with_eval[-1]:,.0f} img/s "
              f"(ratio {with_eval[-1] / without[-1]:.3f})", file=sys.stderr, flush=True)
    ratio = median_pair_ratio(without, with_eval)
    measure_seconds, histogram_seconds, epoch_seconds = direct_fraction(on)
    report = {"arch": args.arch, "dataset": args.dataset, "train_size": train_size,
              "measured_images": measured, "epochs": args.epochs, "reps": args.reps,
              "device": describe_device(), "off_images_per_second": statistics.median(without),
              "on_images_per_second": statistics.median(with_eval), "ratio": ratio, "target": TARGET,
              "within_target": ratio >= TARGET, "off_runs": without, "on_runs": with_eval,
              "measure_seconds": measure_seconds, "epoch_seconds": epoch_seconds,
              "measure_fraction": measure_seconds / epoch_seconds, "histogram_seconds": histogram_seconds,
              "histogram_fraction": histogram_seconds / epoch_seconds}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"train_eval off: {report['off_images_per_second']:10,.0f} images/s (median of {args.reps})")
        print(f"train_eval on : {report['on_images_per_second']:10,.0f} images/s (median of {args.reps})")
        print(f"ratio on/off: {ratio:.3f}, the median of the {args.reps} pairs' ratios "
              f"({'within' if ratio >= TARGET else 'outside'} the 10% target)")
        print(f"directly: one measurement {measure_seconds:.3f} s, an epoch {epoch_seconds:.2f} s "
              f"({measure_seconds / epoch_seconds:.1%} of it); TensorBoard's activation histograms "
              f"{histogram_seconds:.3f} s ({histogram_seconds / epoch_seconds:.1%})")
    return 0
