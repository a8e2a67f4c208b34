"""The network's health while it trains: every K batches, netlab.inspect.health on a fixed probe batch.

A probe batch of PROBE_IMAGES training images is drawn once (the fixed subset
netlab/data/subset.py gives, no shared generator touched) and measured in
inference mode, so the run's random streams and numbers are the same with or
without it. The weights are copied just before a measured batch's update, so
its update ratio is one step's, the step the 1e-3 rule of thumb speaks of.

K keeps the cost at most BUDGET of the training time: the callback times each
measurement (after one untimed call at the start that traces it) and the
batches between, and waits K = cost / (BUDGET x batch time) batches, at least
enough for no more than MAX_PER_EPOCH measurements an epoch. The first batch is
always measured (the network as initialized, after one step).
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
TIMED = 16  # recent batch times and measurement costs K is derived from


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
        self.batch_times: deque = deque(maxlen=TIMED)
        self.costs: deque = deque(maxlen=TIMED)
        self.batch_start = 0.0
        self.warned: set[tuple[str, str]] = set()
        self.crossing: dict[tuple[str, str], int] = {}  # past the threshold at the last measurement: since epoch

    @classmethod
    def for_data(cls, model, data, seed: int, emit, **kwargs) -> HealthCallback:
        x, y = train_subset(data, min(PROBE_IMAGES, data.train_size), seed)
        return cls(model, x, y, emit, **kwargs)

    def on_train_begin(self, logs=None):
        if len(self.x) and not self.costs:
            measure(self.inference_model, self.x, self.y)  # traced here, beside the train step

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self.batch_start = time.perf_counter()
        if self._due(self.step + 1):
            started = time.perf_counter()
            self.previous = weights_of(self.inference_model, weighted_layers(self.inference_model))
            self.costs.append(time.perf_counter() - started)  # completed by the measurement

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.previous is None:
            self.batch_times.append(time.perf_counter() - self.batch_start)
            return
        started = time.perf_counter()
        self._measure()
        self.costs[-1] += time.perf_counter() - started

    def on_epoch_end(self, epoch, logs=None):
        if self.log is not None and self.log.rows:
            self.log.write()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def every_now(self) -> int:
        """K: batches between measurements, from the costs and batch times seen so far."""
        if self.every is not None:
            return max(1, self.every)
        least = math.ceil(self.steps / MAX_PER_EPOCH)
        if not self.costs or not self.batch_times:
            return max(least, 1)
        cost, batch = statistics.median(self.costs), statistics.median(self.batch_times)
        return max(least, math.ceil(cost / (BUDGET * max(batch, 1e-9))), 1)

    def _due(self, step: int) -> bool:
        if not len(self.x):
            return False
        return self.last_measured is None or step - self.last_measured >= self.every_now()

    def _measure(self) -> None:
        sample = measure(self.inference_model, self.x, self.y, previous_weights=self.previous)
        self.previous, self.last_measured = None, self.step
        values = sample.values
        self.emit(HealthMeasured(step=self.step, epoch=self.epoch, values=values))
        if self.log is not None:
            self.log.add(self.step, self.epoch, values)
        self._scalars(values)
        self._warn(values)

    def _warn(self, values: dict) -> None:
        """A warning when a measure is past its threshold at two measurements in a row (one is
        noise, or a zero-initialized layer's first update), once per layer and measure."""
        crossing = {}
        for layer, measures in values.items():
            for name, value in measures.items():
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
