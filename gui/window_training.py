"""The main window's training: Train, Pause and Stop, and what a run reports while it goes.

A mixin of :class:`gui.main_window.MainWindow`, kept apart so the window's
module holds its layout and its other jobs: it uses the widgets the window
builds (``panel``, ``run_folder``, the three buttons, ``curves``, ``runs``,
the ``status``, ``checks`` and ``error`` labels) and sets the window's
current model when a run ends with one. The run itself goes in a
:class:`gui.workers.TrainThread`; its plain events arrive here queued, in the
GUI thread.
"""

from __future__ import annotations

from gui.forms.run_folder import decide as decide_run_folder
from gui.state import runs_root
from gui.workers import TrainThread
from netlab.base.errors import NetlabError
from netlab.runs.folder import new_run_dir
from netlab.runs.run import RunFolder
from netlab.training.events import (
    BatchEnd,
    DataProgress,
    EpochEnd,
    HealthMeasured,
    Notice,
    RunFinished,
    RunPaused,
    RunResumed,
    RunStarted,
)


def _fmt_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class TrainingMixin:
    """Train, Pause, Stop and a run's events, for the main window (which builds the widgets used
    here and sets ``thread``, the running training, to None)."""

    def start_training(self) -> None:
        if self.thread is not None:
            return
        self.error.setText("")
        try:
            experiment = self.panel.experiment().validate()
        except NetlabError as exc:
            self.error.setText(str(exc))
            return
        chosen = self.run_folder.folder()
        if chosen is None:
            name = "finetune" if experiment.finetune.source else experiment.model.arch  # as `netlab finetune` names it
            self.train_into(experiment, new_run_dir(runs_root(), name, experiment.data.dataset))
            return
        decision = decide_run_folder(self, chosen)  # a folder in use: resume, a new folder, or cancel
        if decision.action == "train":
            self.train_into(experiment, decision.path)
        elif decision.action == "resume":
            self.resume_run(decision.path)
        elif decision.action == "refused":
            self.show_error(decision.message)
        else:
            self.status.setText(f"Not trained: {chosen} is left as it was.")

    def resume_run(self, run_dir) -> None:
        """Continue the run in ``run_dir`` from its last complete epoch, as ``netlab resume`` does."""
        try:
            experiment = RunFolder(run_dir).settings()
        except NetlabError as exc:
            self.show_error(str(exc))
            return
        self.train_into(experiment, run_dir, resume=True)

    def train_into(self, experiment, run_dir, resume=False) -> None:
        """Train in ``run_dir`` (``resume``: continue the run there). The trainer takes the folder's
        lock first: a folder another process writes, or one holding another run, fails with its
        message in the window."""
        if self.thread is not None:
            return
        self.error.setText("")
        self.checks.setText("")
        self.checks.setStyleSheet("")
        self.curves.clear()
        self._epochs = 0  # until RunStarted
        self.thread = TrainThread(experiment, run_dir, parent=self, resume=resume)
        self.thread.event.connect(self._on_event)
        self.thread.succeeded.connect(self._on_succeeded)
        self.thread.failed.connect(self._on_failed)
        self.thread.finished.connect(self._on_thread_finished)
        self.train_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.pause_button.setEnabled(True)
        self.panel.setEnabled(False)
        self.run_folder.setEnabled(False)
        preparing = (f"Resuming {run_dir}..." if resume else
                     f"Preparing {experiment.model.arch} on {experiment.data.dataset}...")
        self.status.setText(preparing if self.tensorflow_loaded else f"Loading TensorFlow... {preparing}")
        self.thread.start()

    def stop_training(self) -> None:
        if self.thread is not None:
            self.thread.request_stop()
            self.stop_button.setEnabled(False)
            self.pause_button.setEnabled(False)
            self.status.setText("Stopping (after this batch, or before the first one)...")

    def pause_training(self, paused: bool) -> None:
        """Pause between batches (the window and Stop keep working), or go on."""
        if self.thread is not None:
            self.thread.set_paused(paused)
            self.pause_button.setText("Resume" if paused else "Pause")

    def _on_event(self, event) -> None:
        if isinstance(event, BatchEnd):
            self.curves.add_batch(event)
            if not (self.thread and self.thread.stop_event.is_set()):
                self.status.setText(
                    f"Epoch {event.epoch + 1}/{self._epochs} · batch {event.batch}/{event.steps} · "
                    f"{event.images_per_second:,.0f} img/s · ETA {_fmt_seconds(event.eta_seconds)}"
                    f" · {self._device}")
        elif isinstance(event, EpochEnd):
            self.curves.add_epoch(event)
        elif isinstance(event, HealthMeasured):
            self.health.add_measurement(event)
        elif isinstance(event, RunStarted):
            self.health.clear()
            self._epochs = event.epochs
            self.curves.set_epochs(event.epochs)
            self._device = event.device
            self.status.setText(f"Training {event.arch} ({event.params:,} parameters) on {event.device}...")
        elif isinstance(event, RunFinished):
            self.curves.finish()
            state = "Stopped" if event.stopped else "Finished"
            if event.stopped and not self._epochs:  # no RunStarted: stopped while loading or building
                self.status.setText("Stopped before training began.")
            else:
                self.status.setText(f"{state} after {event.epochs_completed} epoch(s). Run saved in {event.run_dir}")
        elif isinstance(event, DataProgress):
            name = event.url.rsplit("/", 1)[-1]
            done = event.bytes_done / 1e6
            if event.bytes_total > 0:
                total = event.bytes_total / 1e6
                self.status.setText(f"Downloading {name}: {done:.1f} of {total:.1f} MB "
                                    f"({event.bytes_done / event.bytes_total:.0%})")
            else:
                self.status.setText(f"Downloading {name}: {done:.1f} MB")
        elif isinstance(event, Notice):
            self._show_notice(event)
        elif isinstance(event, RunPaused):
            self.status.setText("Paused. Resume goes on from the next batch.")
        elif isinstance(event, RunResumed):
            self.status.setText("Resumed...")

    def _show_notice(self, notice) -> None:
        warn = notice.level == "warning"
        line = f"⚠ {notice.text}" if warn else f"✓ {notice.text}"
        self.checks.setText("\n".join(filter(None, [self.checks.text(), line])))
        if warn:
            self.checks.setStyleSheet("color: #b35c00;")
        elif not self.checks.styleSheet():
            self.checks.setStyleSheet("color: #2e7d32;")

    def _on_succeeded(self, result) -> None:
        self.result = result
        if result.model is None:  # stopped before the model was built
            return
        exp = self.thread.experiment
        self.current.set(result.model, result.class_names, f"just trained ({exp.model.arch} on {exp.data.dataset})",
                         result.run_dir and RunFolder(result.run_dir).model_path)

    def _on_failed(self, message: str) -> None:
        self.result = None
        self.show_error(message)
        self.status.setText("Training failed.")

    def _on_thread_finished(self) -> None:
        thread, self.thread = self.thread, None
        thread.deleteLater()
        self.train_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(False)
        self.pause_button.setText("Pause")
        self.pause_button.blockSignals(False)
        self.pause_button.setEnabled(False)
        self.panel.setEnabled(True)
        self.run_folder.setEnabled(True)
        self.runs.refresh()
        self.training_finished.emit(self.result)
