"""The Trainer: one experiment in, events out, a run folder on disk.

It runs wherever it is called (the CLI's main thread, the window's worker
thread) and never waits on its listener. Stopping is a ``threading.Event``
checked after every batch, so a stop request ends training within one batch
and keeps what was learned.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from netlab.config import Experiment
from netlab.errors import NetlabError, TrainingError
from netlab.training.events import BatchEnd, EpochEnd, Event, RunFailed, RunFinished, RunStarted

# At most this many BatchEnd events per second reach the listener: the window
# redraws smoothly and a fast CPU/GPU run does not drown it in signals.
BATCH_EVENTS_PER_SECOND = 10.0


@dataclass
class TrainResult:
    model: object  # keras.Model, inference form (main output only)
    history: dict = field(default_factory=dict)  # metric -> list per epoch
    class_names: list[str] = field(default_factory=list)
    input_shape: tuple = ()
    run_dir: Path | None = None
    stopped: bool = False


class _StopNow(Exception):
    """Raised from inside fit() to end it at once (user stop or NaN loss)."""


def _python_floats(logs: dict) -> dict:
    """Plain floats; a multi-output model's main accuracy is reported as ``accuracy``.

    With auxiliary heads (GoogLeNet) Keras names it ``predictions_accuracy``;
    ``loss`` stays the weighted total the optimizer minimizes and the heads'
    own losses keep their names (``predictions_loss``, ``aux1_predictions_loss``).
    """
    out = {}
    for key, value in (logs or {}).items():
        key = key.replace("predictions_accuracy", "accuracy") if key.endswith("predictions_accuracy") \
            and "aux" not in key else key
        out[key] = float(value)
    return out


class _EventCallback:
    """Builds a keras Callback that turns Keras's hooks into NetLab events."""

    @staticmethod
    def make(trainer: Trainer, steps: int, epochs: int, batch_size: int):
        import keras

        class EventCallback(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.last_emit = 0.0
                self.epoch = 0
                self.epoch_start = 0.0
                self.steps_done = 0  # over the whole run, for the ETA
                self.train_seconds = 0.0
                self.nan_at: tuple[int, int] | None = None

            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch
                self.epoch_start = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                self.steps_done += 1
                done = batch + 1
                now = time.perf_counter()
                if trainer.stop_event.is_set():
                    # Leave fit() now: Keras would otherwise validate and log
                    # the partial epoch as if it were complete.
                    raise _StopNow()
                if now - self.last_emit < 1.0 / BATCH_EVENTS_PER_SECOND and done < steps:
                    return
                self.last_emit = now
                logs = _python_floats(logs)
                loss = logs.get("loss", math.nan)
                if not math.isfinite(loss):
                    self.nan_at = (self.epoch, done)
                    raise _StopNow()
                elapsed = now - self.epoch_start
                rate = done * batch_size / elapsed if elapsed > 0 else 0.0
                seconds_per_step = (self.train_seconds + elapsed) / max(self.steps_done, 1)
                eta = (epochs * steps - self.steps_done) * seconds_per_step
                trainer.emit(BatchEnd(
                    epoch=self.epoch, batch=done, steps=steps, loss=loss,
                    accuracy=logs.get("accuracy"), images_per_second=rate, eta_seconds=eta,
                ))

            def on_epoch_end(self, epoch, logs=None):
                seconds = time.perf_counter() - self.epoch_start
                self.train_seconds += seconds
                metrics = _python_floats(logs)
                if not math.isfinite(metrics.get("loss", 0.0)):
                    self.nan_at = (epoch, steps)
                    raise _StopNow()
                trainer.completed_epochs = epoch + 1
                if trainer.writer is not None:
                    trainer.writer.add_epoch(epoch, metrics)
                for key, value in metrics.items():
                    trainer.history.setdefault(key, []).append(value)
                trainer.emit(EpochEnd(epoch=epoch, epochs=epochs, metrics=metrics, seconds=seconds))

        return EventCallback()


class Trainer:
    def __init__(
        self,
        experiment: Experiment,
        on_event: Callable[[Event], None] | None = None,
        run_dir: str | Path | None = None,
        stop_event: threading.Event | None = None,
    ):
        self.experiment = experiment
        self.on_event = on_event
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.stop_event = stop_event or threading.Event()
        self.writer = None
        self.history: dict[str, list[float]] = {}
        self.completed_epochs = 0

    def request_stop(self) -> None:
        """Ask training to end after the current batch (safe from any thread)."""
        self.stop_event.set()

    def emit(self, event: Event) -> None:
        if self.writer is not None:
            self.writer.log_event(event)
        if self.on_event is not None:
            self.on_event(event)

    def run(self) -> TrainResult:
        """Train; on any NetlabError emit RunFailed and re-raise it."""
        try:
            return self._run()
        except NetlabError as exc:
            self.emit(RunFailed(message=str(exc), kind=type(exc).__name__))
            raise

    def _run(self) -> TrainResult:
        exp = self.experiment.validate()
        import keras
        import tensorflow as tf

        from netlab.architectures import build_model
        from netlab.data import load_dataset
        from netlab.data.pipeline import make_dataset
        from netlab.training.device import describe_device, enable_memory_growth
        from netlab.training.runs import RunWriter

        enable_memory_growth()
        keras.utils.set_random_seed(exp.training.seed)
        data = load_dataset(exp.data)
        if self.run_dir is not None:
            self.writer = RunWriter(self.run_dir)
            self.writer.write_config(exp)
            self.writer.write_classes(data.class_names, data.input_shape)

        # Pixels arrive in [0, 255]; scaling lives inside the model so a saved
        # model classifies raw images by itself.
        preprocessing = [keras.layers.Rescaling(1.0 / 255, name="rescale")]
        train_model = build_model(exp, data.input_shape, data.num_classes, preprocessing, aux=True)
        outputs = train_model.outputs
        model = train_model if len(outputs) == 1 else keras.Model(
            train_model.inputs, outputs[0], name=train_model.name)
        t = exp.training
        if t.optimizer == "sgd":
            optimizer = keras.optimizers.SGD(t.learning_rate, momentum=0.9)
        else:
            optimizer = keras.optimizers.Adam(t.learning_rate)
        if len(outputs) == 1:
            train_model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                                metrics=["accuracy"])
        else:
            from netlab.architectures.googlenet import AUX_LOSS_WEIGHT

            # GoogLeNet: loss = main + 0.3 x each auxiliary loss (seeds/001).
            train_model.compile(
                optimizer=optimizer,
                loss=["sparse_categorical_crossentropy"] * len(outputs),
                loss_weights=[1.0] + [AUX_LOSS_WEIGHT] * (len(outputs) - 1),
                metrics=[["accuracy"]] + [[] for _ in outputs[1:]],
            )

        train_ds = make_dataset(data.x_train, data.y_train, t.batch_size, shuffle=True,
                                seed=t.seed, num_outputs=len(outputs))
        val_ds = make_dataset(data.x_val, data.y_val, t.batch_size, shuffle=False,
                              num_outputs=len(outputs))
        steps = math.ceil(len(data.x_train) / t.batch_size)
        self.emit(RunStarted(
            arch=exp.model.arch, dataset=exp.data.dataset, epochs=t.epochs, steps_per_epoch=steps,
            train_samples=len(data.x_train), val_samples=len(data.x_val),
            params=int(model.count_params()), device=describe_device(),
            run_dir=str(self.run_dir) if self.run_dir else None,
        ))
        callback = _EventCallback.make(self, steps, t.epochs, t.batch_size)
        try:
            train_model.fit(train_ds, validation_data=val_ds, epochs=t.epochs, verbose=0, shuffle=False,
                            callbacks=[callback])
        except _StopNow:
            pass
        except tf.errors.ResourceExhaustedError:
            raise TrainingError(
                f"out of memory while training {exp.model.arch} with batch size {t.batch_size}: "
                "try a smaller batch size or a smaller input"
            ) from None
        if callback.nan_at is not None:
            epoch, batch = callback.nan_at
            raise TrainingError(
                f"the loss became NaN/Inf at epoch {epoch + 1}, batch {batch}: training stopped. "
                f"Try a lower learning rate (it was {t.learning_rate:g})"
            )
        stopped = self.stop_event.is_set() and self.completed_epochs < t.epochs
        if self.writer is not None:
            self.writer.save_model(model)
        self.emit(RunFinished(
            epochs_completed=self.completed_epochs, stopped=stopped, history=self.history,
            run_dir=str(self.run_dir) if self.run_dir else None,
        ))
        return TrainResult(model=model, history=self.history, class_names=data.class_names,
                           input_shape=data.input_shape, run_dir=self.run_dir, stopped=stopped)
