"""The Keras callbacks the Trainer runs fit() with.

``EventCallback`` turns Keras's hooks into NetLab events and holds the run's
per-epoch bookkeeping (history, best epoch, early stopping, reduce-on-plateau,
checkpoints); ``EpochTensorBoard`` is Keras's TensorBoard callback kept to
epoch-level scalars. Per batch the callback only counts and checks two
threading.Events; it reads the (device-side) logs only when it emits a
BatchEnd, at most BATCH_EVENTS_PER_SECOND times a second.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import time
from dataclasses import dataclass

import keras

from netlab.base.abort import raise_if_interrupted
from netlab.models.optim import current_learning_rate, set_learning_rate
from netlab.training.determinism import seed_generator_states
from netlab.training.events import BatchEnd, EpochEnd, RunPaused, RunPruned, RunResumed
from netlab.training.sanity import first_loss_notice

# At most this many BatchEnd events per second reach the listener: the window
# redraws smoothly and a fast CPU/GPU run does not drown it in signals.
BATCH_EVENTS_PER_SECOND = 10.0
PAUSE_POLL_SECONDS = 0.05


class StopNow(Exception):
    """Raised from inside fit() to end it at once (user stop or NaN loss)."""


@dataclass
class Progress:
    """What a checkpoint must carry besides the weights to continue a run exactly."""

    epoch: int = 0  # complete epochs
    best_val_loss: float | None = None
    best_epoch: int | None = None  # 1-based
    wait: int = 0  # epochs since best (early stopping)
    plateau_best: float | None = None
    plateau_wait: int = 0
    learning_rate: float | None = None  # plateau's current rate
    stopped_early: bool = False
    seed: int = 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Progress:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


# Every architecture's main output is the layer "predictions" (Blocks.classifier).
MAIN_OUTPUT_ACCURACY = {"predictions_accuracy": "accuracy", "val_predictions_accuracy": "val_accuracy"}


def python_floats(logs: dict) -> dict:
    """Plain floats; a multi-output model's main accuracy is reported as ``accuracy``.

    With auxiliary heads Keras names it after the main output,
    ``predictions_accuracy``; ``loss`` stays the weighted total the optimizer
    minimizes and each head's own loss keeps its name (``predictions_loss``,
    ``aux1_predictions_loss``).
    """
    return {MAIN_OUTPUT_ACCURACY.get(key, key): float(value) for key, value in (logs or {}).items()}


def all_finite(logs: dict) -> bool:
    """No NaN or Inf among an epoch's numbers (such an epoch ends the run unwritten)."""
    return all(math.isfinite(value) for value in python_floats(logs).values())


class EventCallback(keras.callbacks.Callback):
    def __init__(self, trainer, train_model, model, optimizer, progress: Progress,
                 steps: int, training_config, num_classes: int | None = None):
        super().__init__()
        # The first batch of a fresh run is checked against log(C) (netlab/training/sanity.py).
        self.check_first_loss = num_classes if progress.epoch == 0 else None
        self.trainer = trainer
        self.train_model = train_model
        self.inference_model = model
        self.optimizer = optimizer
        self.progress = progress
        self.steps = steps
        self.t = training_config
        self.last_emit = 0.0
        self.epoch = 0
        self.epoch_start = 0.0
        self.epoch_lr = math.nan
        self.steps_done = 0  # over this process's part of the run, for the ETA
        self.steps_left_at_start = (training_config.epochs - progress.epoch) * steps
        self.train_seconds = 0.0
        self.nan_at: tuple[int, int] | None = None

    # -- per batch: cheap ---------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.epoch_start = time.perf_counter()
        self.epoch_lr = current_learning_rate(self.optimizer)

    def on_train_batch_end(self, batch, logs=None):
        raise_if_interrupted()  # a Ctrl-C that a finalizer swallowed (netlab.base.abort)
        trainer = self.trainer
        self.steps_done += 1
        done = batch + 1
        if trainer.pause_event.is_set():
            self._wait_while_paused(done)
        if trainer.stop_event.is_set():
            # Leave fit() now: Keras would otherwise validate and log the
            # partial epoch as if it were complete.
            raise StopNow()
        if self.check_first_loss:
            self._first_loss(logs)
        now = time.perf_counter()
        if now - self.last_emit < 1.0 / BATCH_EVENTS_PER_SECOND and done < self.steps:
            return
        self.last_emit = now
        logs = python_floats(logs)
        loss = logs.get("loss", math.nan)
        if not math.isfinite(loss):
            self.nan_at = (self.epoch, done)
            raise StopNow()
        elapsed = now - self.epoch_start
        rate = done * self.t.batch_size / elapsed if elapsed > 0 else 0.0
        seconds_per_step = (self.train_seconds + elapsed) / max(self.steps_done, 1)
        eta = (self.steps_left_at_start - self.steps_done) * seconds_per_step
        trainer.emit(BatchEnd(
            epoch=self.epoch, batch=done, steps=self.steps, loss=loss,
            accuracy=logs.get("accuracy"), images_per_second=rate, eta_seconds=max(eta, 0.0),
        ))

    def _first_loss(self, logs) -> None:
        num_classes, self.check_first_loss = self.check_first_loss, None
        logs = python_floats(logs or {})
        # The main output's loss: a model with auxiliary heads adds theirs to "loss".
        loss = logs.get("predictions_loss", logs.get("loss", math.nan))
        if math.isfinite(loss):
            self.trainer.emit(first_loss_notice(loss, num_classes))

    def _wait_while_paused(self, done: int) -> None:
        trainer = self.trainer
        started = time.perf_counter()
        trainer.emit(RunPaused(epoch=self.epoch, batch=done))
        while trainer.pause_event.is_set():
            if trainer.stop_event.is_set():
                raise StopNow()
            time.sleep(PAUSE_POLL_SECONDS)
        paused = time.perf_counter() - started
        self.epoch_start += paused  # a pause is not training time (rate, ETA)
        trainer.emit(RunResumed(epoch=self.epoch, batch=done, paused_seconds=paused))

    # -- per epoch: bookkeeping, checkpoints ------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.epoch_start
        self.train_seconds += seconds
        metrics = python_floats(logs)
        if not all_finite(metrics):
            # Nothing of this epoch is written: the last checkpoint stays the last good one.
            self.nan_at = (epoch, self.steps)
            raise StopNow()
        metrics["lr"] = self.epoch_lr
        p, t, trainer = self.progress, self.t, self.trainer
        p.epoch = epoch + 1
        val_loss = metrics.get("val_loss", metrics["loss"])

        if p.best_val_loss is None or val_loss < p.best_val_loss:
            p.best_val_loss, p.best_epoch, p.wait = val_loss, epoch + 1, 0
            trainer.keep_best(self.inference_model)
        else:
            p.wait += 1
        if t.schedule == "plateau":
            self._plateau_step(val_loss)
        if t.early_stopping and p.wait >= t.patience and p.epoch < t.epochs:
            p.stopped_early = True
            self.model.stop_training = True

        trainer.completed_epochs = p.epoch
        for key, value in metrics.items():
            trainer.history.setdefault(key, []).append(value)
        if trainer.writer is not None:
            trainer.writer.add_epoch(epoch, metrics)
            trainer.writer.save_checkpoint(
                self.train_model, {**p.to_dict(), "seed_generators": seed_generator_states(self.train_model)})
        trainer.emit(EpochEnd(epoch=epoch, epochs=t.epochs, metrics=metrics, seconds=seconds))

    def _plateau_step(self, val_loss: float) -> None:
        """Reduce-on-plateau: rate x decay_rate after plateau_patience epochs without a better val_loss."""
        p, t = self.progress, self.t
        if p.plateau_best is None or val_loss < p.plateau_best:
            p.plateau_best, p.plateau_wait = val_loss, 0
        else:
            p.plateau_wait += 1
            if p.plateau_wait >= t.plateau_patience:
                lr = current_learning_rate(self.optimizer)
                set_learning_rate(self.optimizer, max(lr * t.decay_rate, t.min_learning_rate))
                p.plateau_wait = 0
        p.learning_rate = current_learning_rate(self.optimizer)


class PruningCallback(keras.callbacks.Callback):
    """Reports each epoch's validation loss to a search's trial (an Optuna trial) and ends the
    run after the epoch its pruner stops (netlab/search/study.py).

    It runs after EventCallback, so the epoch is in history.csv and checkpointed first; the
    run then ends as a finished one (model.keras written) and the search marks it pruned.
    """

    def __init__(self, trial):
        super().__init__()
        self.trial = trial
        self.trainer = None  # set by the search: RunPruned goes into the run's events
        self.pruned_epoch: int | None = None  # 1-based

    def on_epoch_end(self, epoch, logs=None):
        val_loss = python_floats(logs).get("val_loss")
        if val_loss is None or not math.isfinite(val_loss):
            return
        self.trial.report(val_loss, step=epoch)
        if self.trial.should_prune():
            self.pruned_epoch = epoch + 1
            self.model.stop_training = True
            if self.trainer is not None:
                self.trainer.emit(RunPruned(epoch=epoch + 1, val_loss=val_loss))


def tensorboard_available() -> bool:
    """TensorFlow >= 2.21 no longer installs TensorBoard; without it the logs are skipped."""
    return importlib.util.find_spec("tensorboard") is not None


class EpochTensorBoard(keras.callbacks.TensorBoard):
    """TensorBoard with epoch-level scalars only: no per-batch work at all.

    It runs before EventCallback (the Trainer's order), so it skips an epoch
    with NaN/Inf numbers, which EventCallback then ends the run on.
    """

    def __init__(self, log_dir):
        super().__init__(log_dir=str(log_dir), histogram_freq=0, write_graph=False,
                         write_images=False, update_freq="epoch", profile_batch=0)

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        if all_finite(logs):
            super().on_epoch_end(epoch, logs)
