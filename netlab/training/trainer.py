"""The Trainer: one experiment in, events out, a run folder on disk.

It runs wherever it is called (the CLI's main thread, the window's worker
thread) and never waits on its listener. Stopping is a ``threading.Event``
checked after every batch, so a stop request ends training within one batch
and keeps what was learned; before the first batch it is checked while the
data loads (each download report, each folder scanned) and the model builds
(each layer, ``netlab.base.abort``), so a stop then ends the run without training; pausing is another Event the callback waits on
between batches. Every complete epoch leaves a checkpoint (weights, optimizer
state, counters) in the run folder, and ``Trainer.resume_run(run_dir)``
continues from it after a stop, a crash or a kill.

With ``multi_worker`` (a TF_CONFIG cluster, netlab/training/multi_worker.py)
it is one worker of several machines training one model: the chief writes the
run folder, the other workers mirror its saves into a temporary folder that is
deleted at the end, and a resume reads the chief's folder on every worker.
"""

from __future__ import annotations

import math
import shutil
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from netlab.base.abort import JobAborted, abort_point, abortable
from netlab.base.atomic import atomic_write_text
from netlab.base.errors import DivergedError, NetlabError, RunFolderError, TrainingError
from netlab.base.user_paths import checked_path
from netlab.config import Experiment
from netlab.data.input_spec import load_described
from netlab.models.sources import model_label
from netlab.runs.folder import BEST_FILE, RunWriter, read_checkpoint
from netlab.runs.lock import claim_run_dir
from netlab.runs.run import RunFolder
from netlab.training.determinism import op_determinism
from netlab.training.device import (
    describe_device,
    distribution_strategy,
    enable_memory_growth,
    synchronize_batch_norm,
    training_precision,
)
from netlab.training.events import DataProgress, Event, RunFailed, RunFinished, RunStarted
from netlab.training.multi_worker import lost_worker, worker_scratch_dir
from netlab.training.sanity import setup_notices

# Keras, TensorFlow and netlab.training.build and .callbacks (which load them) are imported inside the
# phases: `netlab --help` imports this module, and a refused run folder answers before TensorFlow loads.

if TYPE_CHECKING:
    from netlab.models.finetune import FinetuneBuild



@dataclass
class TrainResult:
    model: object  # keras.Model, inference form (main output only)
    history: dict = field(default_factory=dict)  # metric -> list per epoch
    class_names: list[str] = field(default_factory=list)
    input_shape: tuple = ()
    run_dir: Path | None = None
    stopped: bool = False  # the user stopped it
    stopped_early: bool = False  # early stopping ended it (Prechelt 1998)
    best_epoch: int | None = None  # 1-based, lowest val_loss
    best_val_loss: float | None = None
    finetune: FinetuneBuild | None = None  # what fine-tuning built (its report, cached features)


class Trainer:
    def __init__(
        self,
        experiment: Experiment,
        on_event: Callable[[Event], None] | None = None,
        run_dir: str | Path | None = None,
        stop_event: threading.Event | None = None,
        pause_event: threading.Event | None = None,
        resume: bool = False,
        overwrite: bool = False,
        restart: bool = False,
        callbacks: list | None = None,
        multi_worker=None,
    ):
        self.experiment = experiment
        # Keras callbacks of the caller's, run after NetLab's own at each epoch's end
        # (the search's pruning: netlab/search/study.py).
        self.extra_callbacks = list(callbacks or ())
        self.on_event = on_event
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.stop_event = stop_event or threading.Event()
        # Set = paused: the callback waits between batches until it is cleared.
        self.pause_event = pause_event or threading.Event()
        self.resume_from_checkpoint = resume
        # Taking the run folder (run_folder.claim_run_dir): a new run may move an
        # old one aside (overwrite), a resume may start over (restart).
        self.overwrite = overwrite
        self.restart = restart
        self.multi_worker = multi_worker  # a multi_worker.Cluster, or None: this machine alone
        self.scratch_dir: Path | None = None  # a non-chief worker's writes, deleted at the end
        self.run_lock = None
        self.writer = None
        self.model = None  # the inference model while it trains
        self.finetune: FinetuneBuild | None = None  # what fine-tuning built, once built (its report)
        self.history: dict[str, list[float]] = {}
        self.completed_epochs = 0
        self._best_weights = None

    @classmethod
    def resume_run(cls, run_dir: str | Path, on_event: Callable[[Event], None] | None = None,
                   stop_event: threading.Event | None = None,
                   pause_event: threading.Event | None = None, restart: bool = False,
                   multi_worker=None) -> Trainer:
        """A Trainer that continues the run in ``run_dir`` from its last complete epoch.

        ``restart``: start over from epoch 1 in that folder (with its config),
        the old results moved aside; what a broken checkpoint needs.
        ``multi_worker``: every worker resumes from ``run_dir``, the chief's run
        folder (shared storage, or a copy on each machine).
        """
        run_dir = checked_path(run_dir, "the run folder", RunFolderError)
        folder = RunFolder(run_dir)
        if not folder.is_run:
            if folder.is_search:
                raise TrainingError(f"{run_dir} is a search's folder: netlab search --resume {run_dir} goes on with it")
            if command := folder.lesson_resume_command():
                raise TrainingError(f"{run_dir} is a lesson's folder: {command} goes on with it")
            if not run_dir.exists():
                raise TrainingError(f"{run_dir}: no such run folder")
            raise TrainingError(folder.why_no_model()
                                or f"{run_dir} is not a NetLab run folder (it has no config.json)")
        experiment = folder.settings()
        return cls(experiment, on_event=on_event, run_dir=run_dir, stop_event=stop_event,
                   pause_event=pause_event, resume=True, restart=restart, multi_worker=multi_worker)

    def request_stop(self) -> None:
        """Ask training to end after the current batch (safe from any thread)."""
        self.stop_event.set()

    def pause(self) -> None:
        """Hold training after the current batch until resume() (safe from any thread)."""
        self.pause_event.set()

    def resume(self) -> None:
        self.pause_event.clear()

    @property
    def paused(self) -> bool:
        return self.pause_event.is_set()

    def emit(self, event: Event) -> None:
        if self.writer is not None:
            self.writer.log_event(event)
        if self.on_event is not None:
            self.on_event(event)

    def keep_best(self, model) -> None:
        """Called when val_loss improves: best.keras on disk, or a copy in memory without a run folder."""
        if self.writer is not None:
            self.writer.save_model(model, BEST_FILE)
        elif self.experiment.training.early_stopping and self.experiment.training.restore_best:
            self._best_weights = model.get_weights()

    def _restore_best(self, model) -> None:
        best = RunFolder(self.writer.dir).best_path if self.writer is not None else None
        if best is not None and best.is_file():
            model.load_weights(best)
        elif self._best_weights is not None:
            model.set_weights(self._best_weights)

    def run(self) -> TrainResult:
        """Train; on any NetlabError emit RunFailed and re-raise it."""
        try:
            if self.run_dir is not None and not self.is_chief:
                resume = self.resume_from_checkpoint and not self.restart
                self.scratch_dir = worker_scratch_dir(self.run_dir, resume)
            elif self.run_dir is not None:
                # Before anything loads: one writer per folder, never over another run.
                self.run_lock = claim_run_dir(self.run_dir, resume=self.resume_from_checkpoint,
                                              overwrite=self.overwrite, restart=self.restart)
            with training_precision(self.experiment.training.mixed_precision), \
                    op_determinism(self.experiment.training.deterministic):
                return self._run()
        except JobAborted:  # stopped while loading or building: nothing trained
            return self._stopped_before_training()
        except NetlabError as exc:
            self.emit(RunFailed(message=str(exc), kind=type(exc).__name__))
            raise
        finally:
            if self.run_lock is not None:
                # A folder this run created and never wrote (bad data, a stop while
                # loading) is removed: no run folders holding only the lock file.
                self.run_lock.release(remove_if_empty=True)
            if self.scratch_dir is not None:
                shutil.rmtree(self.scratch_dir, ignore_errors=True)

    @property
    def is_chief(self) -> bool:
        """This process writes the run folder: it trains alone, or it is the cluster's chief."""
        return self.multi_worker is None or self.multi_worker.is_chief

    @property
    def shown_run_dir(self) -> str | None:
        """The run folder this process writes, for events and results (None on a non-chief worker)."""
        return str(self.run_dir) if self.run_dir is not None and self.is_chief else None

    def build_model(self, data, steps_per_epoch: int):
        """The training model (with any auxiliary heads), its inference form and the optimizer,
        compiled as run() compiles them: for tools that train the same model their own
        way (the learning-rate finder, the overhead benchmark)."""
        built = self._build(self.experiment.validate(), data, steps_per_epoch)
        return built.train_model, built.model, built.optimizer

    def _build(self, exp, data, steps):
        from netlab.training.build import build_for_run

        # ImageNet weights missing from Keras's cache download here: reported like a dataset.
        return build_for_run(exp, data, steps,
                             lambda url, done, total: self.emit(DataProgress(url, done, total)))

    def _run(self) -> TrainResult:
        """The run's phases: data, run folder, model, fits, callbacks, training, the end."""
        from netlab.training.build import fit_plan, run_callbacks

        exp = self.experiment.validate()
        t = exp.training
        strategy, data = self._load_data(exp)
        checkpoint = self._open_run_folder(exp, data) if self.run_dir is not None else None
        steps = math.ceil(data.train_size / t.batch_size)
        built, progress = self._build_or_restore(exp, data, steps, strategy, checkpoint)
        fits = fit_plan(built, data, t, progress.epoch, sharded=self.multi_worker is not None)
        self._announce(exp, data, built, steps, progress)
        callback, callbacks = run_callbacks(self, exp, data, built, progress, steps)
        if progress.epoch < t.epochs and not progress.stopped_early:
            self._fit(exp, fits, callbacks, steps)
        return self._finish(exp, data, built, callback, progress)

    def _load_data(self, exp):
        """(a cluster's distribution strategy or None, the data); a Stop while loading ends the run."""
        import keras

        enable_memory_growth()
        # Several machines: the strategy first, it sets up the process's collective ops.
        strategy = distribution_strategy(self.multi_worker) if self.multi_worker is not None else None
        keras.utils.set_random_seed(exp.training.seed)
        with abortable(self.stop_event):  # a Stop while loading ends the run at the next abort point
            data = load_described(exp.data, self._download_progress)
            abort_point()
        return strategy, data

    def _open_run_folder(self, exp, data) -> dict | None:
        """The run folder's writer, config and classes; on a resume, the checkpoint to go on from."""
        checkpoint = None
        self.writer = RunWriter(self.scratch_dir or self.run_dir)
        if self.resume_from_checkpoint:
            self.writer.remove_stray_temporaries()
            history = RunFolder(self.run_dir).history_path
            if self.scratch_dir is not None and history.is_file():
                # The chief's epochs so far, for this worker's history.
                shutil.copyfile(history, RunFolder(self.scratch_dir).history_path)
            # A restart trains from epoch 1 (the chief moves the old checkpoint aside).
            checkpoint = None if self.restart else read_checkpoint(self.run_dir)
            # Rows after the checkpoint belong to an epoch that will run again.
            for row in self.writer.truncate_history(checkpoint["epoch"] if checkpoint else 0):
                for key, value in row.items():
                    if key != "epoch":
                        self.history.setdefault(key, []).append(value)
        else:
            self.writer.write_config(exp)
        self.writer.write_classes(data.class_names, data.input_shape)

        skipped = data.skipped_report()
        if skipped:  # an image folder's unreadable files: listed, never a crash mid-epoch
            atomic_write_text(RunFolder(self.writer.dir).skipped_path, skipped + "\n")
        return checkpoint

    def _build_or_restore(self, exp, data, steps: int, strategy, checkpoint: dict | None):
        """(the built model, its progress): new, or as the checkpoint left it."""
        from netlab.training.build import restore_checkpoint

        # Several GPUs: one replica each (MirroredStrategy); otherwise the default strategy.
        if strategy is None:
            strategy = distribution_strategy()
        with strategy.scope():
            with abortable(self.stop_event):  # a Stop while building: at the next layer
                built = self._build(exp, data, steps)
                abort_point()
            if strategy.num_replicas_in_sync > 1:  # one set of moving statistics for all GPUs and workers
                synchronize_batch_norm(built.train_model)
            progress = restore_checkpoint(built, self.run_dir, checkpoint, exp.training.seed)
            self.completed_epochs = progress.epoch
        self.model, self.finetune = built.model, built.finetune
        return built, progress

    def _announce(self, exp, data, built, steps: int, progress) -> None:
        """RunStarted, then the notices on the setup (netlab/training/sanity.py)."""
        t, ft, device = exp.training, exp.finetune, describe_device()
        if self.multi_worker is not None:
            device = self.multi_worker.on_each_worker(device)
        self.emit(RunStarted(
            arch=model_label(exp.model.arch, ft.source, ft.into_arch), dataset=exp.data.dataset,
            epochs=t.epochs, steps_per_epoch=steps,
            train_samples=data.train_size, val_samples=data.val_size,
            params=int(built.model.count_params()), device=device,
            run_dir=self.shown_run_dir, initial_epoch=progress.epoch,
        ))
        for notice in setup_notices(exp, built.train_model):
            self.emit(notice)

    def _fit(self, exp, fits: list[tuple], callbacks: list, steps: int) -> None:
        """Each fit in turn, until the last epoch or a stop; out of memory and a lost worker as errors."""
        import tensorflow as tf

        from netlab.training.callbacks import StopNow

        t = exp.training
        try:
            with warnings.catch_warnings():
                # An image folder's epoch length is known only after its first
                # pass (unreadable files drop out); Keras warns once, harmlessly.
                warnings.filterwarnings("ignore", message="Your input ran out of data")
                for fit_model, train_ds, val_ds, initial, end in fits:
                    fit_model.fit(train_ds, validation_data=val_ds, epochs=end, initial_epoch=initial,
                                  steps_per_epoch=steps, verbose=0, shuffle=False, callbacks=callbacks)
                    # A callback's stop (early stopping, a search's pruning) ends the run, not the phase.
                    if fit_model.stop_training or self.stop_event.is_set():
                        break
        except StopNow:
            pass
        except tf.errors.ResourceExhaustedError:
            raise TrainingError(
                f"out of memory while training {exp.model.arch} with batch size {t.batch_size}: "
                "try a smaller batch size or a smaller input" + self._kept_note()
            ) from None
        except (tf.errors.UnavailableError, tf.errors.AbortedError, tf.errors.CancelledError,
                tf.errors.DeadlineExceededError) as exc:
            if self.multi_worker is None:
                raise
            raise TrainingError(lost_worker(exc, self.multi_worker) + self._kept_note()
                                + "; start it again with --multi-worker on every worker") from None

    def _finish(self, exp, data, built, callback, progress) -> TrainResult:
        """NaN/Inf as an error (the last good model kept), else the best or last model saved; RunFinished."""
        t, model = exp.training, built.model
        if callback.nan_at is not None:
            epoch, batch = callback.nan_at
            self._save_last_good(built.train_model, model)
            raise DivergedError(
                f"the loss became NaN/Inf at epoch {epoch + 1}, batch {batch}: training stopped. "
                f"Try a lower learning rate (it was {t.learning_rate:g})" + self._kept_note()
            )
        stopped = self.stop_event.is_set() and self.completed_epochs < t.epochs
        if t.early_stopping and t.restore_best and not stopped and progress.best_epoch is not None:
            self._restore_best(model)
        if self.writer is not None:
            self.writer.save_model(model)
        self.emit(RunFinished(
            epochs_completed=self.completed_epochs, stopped=stopped, history=self.history,
            run_dir=self.shown_run_dir,
            stopped_early=progress.stopped_early, best_epoch=progress.best_epoch,
            best_val_loss=progress.best_val_loss,
        ))
        return TrainResult(model=model, history=self.history, class_names=data.class_names,
                           input_shape=data.input_shape, run_dir=self.run_dir if self.is_chief else None,
                           stopped=stopped,
                           stopped_early=progress.stopped_early, best_epoch=progress.best_epoch,
                           best_val_loss=progress.best_val_loss, finetune=built.finetune)

    def _download_progress(self, url: str, done: int, total: int) -> None:
        self.emit(DataProgress(url, done, total))
        abort_point()  # a Stop ends the download (Keras removes the partial file)

    def _stopped_before_training(self) -> TrainResult:
        """Stopped while the data loaded or the model was built: no model, no epoch."""
        self.emit(RunFinished(epochs_completed=self.completed_epochs, stopped=True, history=self.history,
                              run_dir=self.shown_run_dir))
        return TrainResult(model=None, history=self.history, run_dir=self.run_dir if self.is_chief else None,
                           stopped=True)

    def _kept_note(self) -> str:
        if self.writer is None:
            return ""
        if self.completed_epochs == 0:
            return "; no epoch completed, so no checkpoint was kept"
        where = "the chief's run folder " if not self.is_chief else ""
        return (f"; the model of epoch {self.completed_epochs}, the last good one, is kept in "
                f"{where}{self.run_dir} (netlab resume continues from it)")

    def _save_last_good(self, train_model, model) -> None:
        """After NaN/Inf: model.keras = the last complete finite epoch's checkpoint, never NaN weights."""
        if self.writer is None:
            return
        checkpoint = read_checkpoint(self.writer.dir)
        if checkpoint is None:
            return
        train_model.load_weights(self.writer.dir / checkpoint["weights"])
        self.writer.save_model(model)
