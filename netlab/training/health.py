"""The network's health while it trains: every K batches, netlab.inspect.health on a fixed probe batch.

A probe batch of PROBE_IMAGES training images is drawn once (the fixed subset
netlab/data/subset.py gives, no shared generator touched) and measured in
inference mode, so the run's random streams and numbers are the same with or
without it. The weights are copied just before a measured batch's update, so
its update ratio is one step's, the step the 1e-3 rule of thumb speaks of.

A measurement is due while the seconds health has taken so far, the next
measurement's included (the median of the recent ones), stay within BUDGET of the
seconds the training batches took, and at most MAX_PER_EPOCH times an epoch: K
follows the measured costs, and everything health spends counts (the
measurements, the weight copies, the files, a trace), from the run's start. The
first batch is always measured (the network as initialized, after one step).
Measurements run eagerly (netlab.inspect.health) until TRACE_PAYS or more are
still due at their cost; the next one is traced then, which costs 3-5 eager
ones once and makes each later one cost about half (a tiny run never traces).
``python -m netlab.bench health`` measures the whole cost against an epoch.

Each measurement is a HealthMeasured event, rows of health.csv (written at
each epoch's end) and TensorBoard scalars ``health/MEASURE/LAYER``; a measure
past its threshold (MEASURES) at two measurements in a row is a HealthWarning, once per
layer and measure.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from pathlib import Path

import keras
import tensorflow as tf

from netlab.data.subset import train_subset
from netlab.inspect.health import MEASURES, measure, weighted_layers, weights_of
from netlab.runs.health_log import HealthLog
from netlab.training.events import HealthMeasured, HealthWarning

# TensorBoard is imported inside _scalars: it is optional (netlab.training.callbacks.tensorboard_available),
# and no log_dir is given without it.

PROBE_IMAGES = 32
BUDGET = 0.05  # of the training time
MAX_PER_EPOCH = 50
LOG_SUBDIR = "health"
RECENT = 16  # recent batch times and measurement costs the estimates take the median of
# Measurements still due at the eager cost from which a trace pays: it costs 3-5 of them and
# saves half of each later one (netlab.inspect.health's text), so 10 leave a margin.
TRACE_PAYS = 10


def warning_text(layer: str, name: str, value: float, epoch: int) -> str:
    """The one line a crossing prints; ``epoch`` 0-based."""
    small = f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e+")
    if name == "gradient_ratio":
        return f"{layer}'s gradients are {small} of the classifier's: vanishing (epoch {epoch + 1})"
    if name == "update_ratio":
        return (f"{layer}: one update moved its weights by {small} of their size (epoch {epoch + 1}): "
                "the learning rate may be too high")
    state = {"dead_fraction": "dead", "saturated_fraction": "saturated"}[name]
    return f"{layer}: {value:.0%} of units {state} since epoch {epoch + 1}"


def crossed(name: str, value: float) -> bool:
    spec = MEASURES[name]
    if spec.threshold is None or not math.isfinite(value):
        return False
    return value > spec.threshold if spec.above else value < spec.threshold


class HealthCallback(keras.callbacks.Callback):
    """Measures ``model`` (the inference form) on ``(x, y)`` every K batches; ``emit`` gets the
    events. ``run_dir``: health.csv goes there; ``log_dir``: TensorBoard's scalars; ``every``:
    a fixed K instead of the budget's."""

    def __init__(self, model, x, y, emit, *, run_dir=None, log_dir=None, initial_epoch: int = 0,
                 steps: int = 1, every: int | None = None):
        super().__init__()
        self.inference_model, self.x, self.y, self.emit = model, x, y, emit
        self.log = HealthLog(run_dir, keep_epochs=initial_epoch) if run_dir is not None else None
        self.log_dir = Path(log_dir) / LOG_SUBDIR if log_dir is not None else None
        self.writer = None
        self.every, self.steps = every, max(1, steps)
        self.step = initial_epoch * self.steps
        self.epoch = initial_epoch
        self.last_measured: int | None = None
        self.previous = None  # the weights before the measured batch's update
        self.batch_times: deque = deque(maxlen=RECENT)
        self.costs: deque = deque(maxlen=RECENT)  # of warm measurements (not a first or a traced one's first)
        self.spent = self.trained = 0.0  # seconds on health, and on training batches, this run
        self.traced = False  # measuring through the traced pass (from when it pays)
        self.cold = True  # the next measurement is the first of its pass: it sets up, not a typical cost
        self.batch_start = 0.0
        self.warned: set[tuple[str, str]] = set()
        self.crossing: dict[tuple[str, str], int] = {}  # past the threshold at the last measurement: since epoch

    @classmethod
    def for_data(cls, model, data, seed: int, emit, **kwargs) -> HealthCallback:
        x, y = train_subset(data, min(PROBE_IMAGES, data.train_size), seed)
        return cls(model, x, y, emit, **kwargs)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self._due():
            started = time.perf_counter()
            self.previous = weights_of(self.inference_model, weighted_layers(self.inference_model))
            self.spent += time.perf_counter() - started
        self.batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        seconds = time.perf_counter() - self.batch_start
        self.step += 1
        self.trained += seconds
        self.batch_times.append(seconds)
        if self.previous is not None:
            self._measure()

    def on_epoch_end(self, epoch, logs=None):
        if self.log is not None and self.log.rows:
            started = time.perf_counter()
            self.log.write()
            self.spent += time.perf_counter() - started

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _due(self) -> bool:
        """Whether the coming batch (step ``self.step + 1``) is measured."""
        if not len(self.x):
            return False
        if self.last_measured is None:
            return True
        since = self.step + 1 - self.last_measured
        if self.every is not None:
            return since >= max(1, self.every)
        if since < math.ceil(self.steps / MAX_PER_EPOCH):
            return False
        cost = statistics.median(self.costs) if self.costs else 0.0
        return self.spent + cost <= BUDGET * self.trained

    def _trace_pays(self) -> bool:
        """Whether TRACE_PAYS or more measurements are still due at the eager cost."""
        if self.traced or not self.costs:
            return False
        left = ((self.params or {}).get("epochs") or self.epoch + 1) * self.steps - self.step
        if self.every is not None:
            return left / max(1, self.every) >= TRACE_PAYS
        cost, batch = statistics.median(self.costs), statistics.median(self.batch_times)
        due = min(BUDGET * left * batch / max(cost, 1e-9), left / math.ceil(self.steps / MAX_PER_EPOCH))
        return due >= TRACE_PAYS

    def _measure(self) -> None:
        started = time.perf_counter()
        sample = measure(self.inference_model, self.x, self.y, previous_weights=self.previous, traced=self.traced)
        self.previous, self.last_measured = None, self.step
        values = sample.values
        self.emit(HealthMeasured(step=self.step, epoch=self.epoch, values=values))
        if self.log is not None:
            self.log.add(self.step, self.epoch, values)
        self._scalars(values)
        self._warn(values)
        cost = time.perf_counter() - started
        self.spent += cost
        if not self.cold:
            self.costs.append(cost)
        self.cold = False
        if self._trace_pays():  # the next measurement traces the pass: its costs start anew
            self.traced, self.cold = True, True
            self.costs.clear()

    def _warn(self, values: dict) -> None:
        """A warning when a measure is past its threshold at two measurements in a row (one is
        noise), once per layer and measure. Not the update ratio in the first epoch: a
        zero-initialized classifier and Adam's first steps move small weights by their own size."""
        crossing = {}
        for layer, measures in values.items():
            for name, value in measures.items():
                if name == "update_ratio" and self.epoch == 0:
                    continue
                if crossed(name, value):
                    key = (layer, name)
                    crossing[key] = self.crossing.get(key, self.epoch)
                    if key in self.crossing and key not in self.warned:
                        self.warned.add(key)
                        self.emit(HealthWarning(text=warning_text(layer, name, value, crossing[key]),
                                                layer=layer, measure=name, epoch=crossing[key], step=self.step))
        self.crossing = crossing

    def _scalars(self, values: dict) -> None:
        if self.log_dir is None:
            return
        from tensorboard.compat.proto import summary_pb2

        if self.writer is None:
            self.writer = tf.summary.create_file_writer(str(self.log_dir))
        # One Summary of every scalar in one op: a tf.summary.scalar per value was an eager op
        # each, hundreds a measurement on a deep network (as netlab/training/activation_logs.py).
        summary = summary_pb2.Summary()
        for layer, measures in values.items():
            for name, value in measures.items():
                if math.isfinite(value):
                    summary.value.add(tag=f"health/{name}/{layer}", simple_value=value)
        with self.writer.as_default(step=self.step):
            tf.summary.experimental.write_raw_pb(summary.SerializeToString())
        self.writer.flush()
