"""The main window: experiment form | live curves | classifier.

It imports nothing heavy: the architecture registry (TensorFlow-free) loads in a
worker thread after the window is on screen, which fills the form and enables
Train; TensorFlow loads after it, in another worker (see ``start_loading``).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.downloads import relay
from gui.forms.experiment_panel import ExperimentPanel
from gui.forms.run_folder import RunFolderField
from gui.forms.run_folder import decide as decide_run_folder
from gui.icons import icon
from gui.tabs.batch_classify import BatchClassifyView
from gui.tabs.classifier import ClassifierView
from gui.tabs.curves import CurvesView
from gui.tabs.evaluate import EvaluateView
from gui.tabs.inspect_view import InspectView
from gui.tabs.runs import RunsView
from gui.tabs.summary import SummaryView
from gui.workers import TrainThread, run_job, stop_all
from netlab.base.errors import NetlabError
from netlab.runs.run import RunFolder, load_settings
from netlab.training.events import (
    BatchEnd,
    DataProgress,
    EpochEnd,
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


def _load_registry():
    """Worker-thread job: the registry's architectures (their names, options and figures; no TensorFlow)."""
    from netlab.architectures import all_archs

    return all_archs()


def _load_tensorflow():
    """Worker-thread job: import Keras/TensorFlow; list the devices."""
    from netlab.training.device import list_devices

    return list_devices()  # the job imported TensorFlow first (run_job's needs_tensorflow)


def runs_root() -> Path:
    return Path(os.environ.get("NETLAB_RUNS", Path.home() / "netlab-runs"))


class MainWindow(QMainWindow):
    train_ready = Signal()  # the registry has loaded: the form is filled and Train usable
    core_loaded = Signal()  # TensorFlow has loaded too, and the devices are listed
    training_finished = Signal(object)  # TrainResult or None when it failed
    error_shown = Signal(str)

    def __init__(self):
        super().__init__()
        self.setWindowTitle("NetLab")
        self.setWindowIcon(icon())
        self.resize(1400, 860)
        self.thread: TrainThread | None = None
        self.result = None
        self.experiments = None  # the Experiments window, made on first use
        self.devices: list[dict] = []
        self._device = ""
        self._epochs = 0
        self.tensorflow_loaded = False

        self.panel = ExperimentPanel()
        self.train_button = QPushButton("Train")
        self.train_button.setEnabled(False)
        self.train_button.setToolTip("Loading TensorFlow...")
        self.train_button.clicked.connect(self.start_training)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_training)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setEnabled(False)
        self.pause_button.toggled.connect(self.pause_training)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.panel, 1)
        self.run_folder = RunFolderField()
        left_layout.addWidget(self.run_folder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.stop_button)
        left_layout.addLayout(buttons)
        self.size_label = QLabel("")
        self.size_label.setToolTip("Size of the configured model (details in the Summary tab)")
        left_layout.addWidget(self.size_label)
        # The run's sanity checks (first loss against log(C), BN batch size, frozen BN).
        self.checks = QLabel("")
        self.checks.setWordWrap(True)
        left_layout.addWidget(self.checks)
        left_layout.addWidget(self.error)

        self.curves = CurvesView()
        self.summary = SummaryView()
        self.summary.updated.connect(self._show_size)
        self.summary.failed.connect(lambda text: self.size_label.setText(""))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.curves, "Curves")
        self.tabs.addTab(self.summary, "Summary")
        self.runs = RunsView(runs_root())
        self.tabs.addTab(self.runs, "Runs")
        self.classifier = ClassifierView()
        # Batch classification and evaluation follow the classifier's model.
        self.classify, self.evaluation = BatchClassifyView(), EvaluateView()
        self.tabs.addTab(self.classify, "Classify")
        self.tabs.addTab(self.evaluation, "Evaluate")
        self.classify.follow(self.classifier)
        self.evaluation.follow(self.classifier)
        self.classifier.batch_requested.connect(lambda paths: self.tabs.setCurrentWidget(self.classify))
        # The Inspect tab follows the classifier's model and last image, and the gallery's clicks.
        self.inspect = InspectView()
        self.tabs.addTab(self.inspect, "Inspect")
        self.classifier.model_changed.connect(self.inspect.set_model)
        self.summary.layer_activated.connect(self._inspect_layer)
        self.classifier.image_classified.connect(self.inspect.show_image)
        self.evaluation.open_image.connect(
            lambda image: (self.tabs.setCurrentWidget(self.inspect), self.inspect.show_image(image)))
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.addWidget(self.classifier)
        splitter.setSizes([340, 710, 350])
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)

        self.panel.training_form.find_learning_rate.connect(self.open_lr_finder)
        self.lr_finder = None
        self.runs.open_model.connect(self.classifier.open_model)
        self._add_statistics_tab()
        self._add_search_tab()
        self.runs.load_settings.connect(self.load_experiment)
        # Fine-tune tab: past runs to start from; its jobs' weight downloads reach the status bar.
        self.panel.finetune_form.runs_root = runs_root()
        relay().progress.connect(self._on_event)

        self.status = QLabel("Loading TensorFlow...")
        self.statusBar().addWidget(self.status, 1)
        self._build_menu()

    def _add_statistics_tab(self) -> None:
        """Batch-norm and activation statistics of the current model (gui/tabs/stats_view.py)."""
        from gui.tabs.stats_view import StatsView

        self.stats = StatsView()
        self.tabs.addTab(self.stats, "Statistics")
        self.stats.follow(self.classifier)

    def _add_search_tab(self) -> None:
        """Hyperparameter search on Optuna over the form's experiment (gui/tabs/search.py)."""
        from gui.tabs.search import SearchView

        self.search = SearchView(self.panel.experiment, runs_root())
        self.tabs.addTab(self.search, "Search")
        self.search.settings_chosen.connect(
            lambda exp: self._report_kept("trial settings", self.panel.set_experiment(exp)))
        self.search.finished.connect(lambda rows: self.runs.refresh())
        self.search.started.connect(self.panel.set_experiment)  # File > Save keeps the search section

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in (
            ("&Open experiment...", QKeySequence.Open, self._choose_experiment),
            ("&Save experiment as...", QKeySequence.SaveAs, self._save_experiment_as),
            ("Open &model...", None, self.classifier._choose_model),
            ("&Quit", QKeySequence.Quit, self.close),
        ):
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)
        # The lectures' lessons as paired experiments (issue 12; gui/dialogs/experiments.py).
        lessons = QAction(icon("experiments"), "&Lessons...", self)
        lessons.triggered.connect(self.open_experiments)
        self.menuBar().addMenu("E&xperiments").addAction(lessons)
        # Sample images of the built-in datasets (resources/samples), classified in the Classify tab.
        from gui.widgets.samples_menu import SamplesMenu

        self.samples_menu = SamplesMenu(self)
        self.samples_menu.classify_requested.connect(
            lambda paths: (self.tabs.setCurrentWidget(self.classify), self.classify.classify_paths(paths)))
        self.menuBar().addMenu("&Help").addMenu(self.samples_menu)

    def open_experiments(self) -> None:
        from gui.dialogs.experiments import ExperimentsDialog

        if self.experiments is None:  # one window, kept: a lesson it runs goes on while it is hidden
            self.experiments = ExperimentsDialog(runs_root(), self)
            self.experiments.open_run.connect(self.show_experiment_run)
        self.experiments.show()
        self.experiments.raise_()

    def show_experiment_run(self, folder: str, run_dir: str) -> None:
        """An experiment's runs in the Runs tab, the chosen arm's run selected (the Experiments window)."""
        self.tabs.setCurrentWidget(self.runs)
        if not self.runs.show_runs(folder, select=run_dir):
            self.status.setText(f"{run_dir} is about to start: Refresh the Runs tab in a moment.")

    def open_lr_finder(self) -> None:
        from gui.dialogs.lr_finder import LrFinderDialog

        try:
            experiment = self.panel.experiment().validate()
        except NetlabError as exc:
            self.error.setText(str(exc))
            return
        self.lr_finder = LrFinderDialog(experiment, self)
        self.lr_finder.chosen.connect(self.panel.training_form.learning_rate.setValue)
        self.lr_finder.show()

    # -- experiment files (the same JSON the CLI's --config reads) --------------------
    def load_experiment(self, path: str) -> None:
        try:
            experiment = load_settings(path)
            if self.panel.specs:
                experiment.validate()
        except NetlabError as exc:
            self.error.setText(f"{Path(path).name}: {exc}")
            return
        self.error.setText("")
        kept = self.panel.set_experiment(experiment)
        self.status.setText(f"Settings loaded from {path}")
        self._report_kept(Path(path).name, kept)

    def _report_kept(self, source: str, kept: list[str]) -> None:
        if kept:  # reported, never clamped: saving again writes the same values
            self.error.setText(f"{source}: kept as loaded, beyond what their fields can show "
                               f"(marked): {'; '.join(kept)}")

    def save_experiment(self, path: str) -> None:
        try:
            self.panel.experiment().save(path)
        except OSError as exc:
            self.error.setText(f"could not save {path}: {exc.strerror}")
            return
        self.status.setText(f"Settings saved to {path}; train them headless with: netlab train --config {path}")

    def _choose_experiment(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an experiment", "", "Experiments (*.json)")
        if path:
            self.load_experiment(path)

    def _save_experiment_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the experiment", "experiment.json",
                                              "Experiments (*.json)")
        if path:
            self.save_experiment(path)

    # -- start-up --------------------------------------------------------------
    def start_loading(self) -> None:
        """Load the registry, then TensorFlow, off the GUI thread.

        Train is usable once the registry is (a fraction of a second): pressed
        before TensorFlow has loaded, the training thread imports it. The
        curves' pyqtgraph is imported first and the curves built, then
        TensorFlow: its libraries' loading slowed the plots' building in the
        GUI thread to 60-180 ms a plot (``python -m netlab.bench window-start``).
        """
        self.curves.load()
        run_job(_load_registry, on_result=self._registry_ready, on_error=self._core_failed, owner=self,
                needs_tensorflow=False)

    def _registry_ready(self, specs) -> None:
        self._report_kept("settings", self.panel.set_architectures(specs))
        self.train_button.setEnabled(True)
        self.train_button.setToolTip("")
        self.train_ready.emit()
        self.curves.when_built(lambda: run_job(_load_tensorflow, on_result=self._tensorflow_ready,
                                               on_error=self._core_failed, owner=self))

    def _tensorflow_ready(self, devices) -> None:
        """The summary and the augmentation preview (jobs that import TensorFlow) start from now."""
        self.tensorflow_loaded = True
        self.devices = devices
        self.panel.training_form.set_devices(devices)
        self.panel.changed.connect(lambda: self.summary.request(self.panel.experiment()))
        self.panel.enable_preview()
        self.summary.request(self.panel.experiment())
        if self.thread is None:
            self.status.setText("Ready.")
        self.core_loaded.emit()

    def _show_size(self, sizes) -> None:
        from netlab.inspect.text import human

        params, macs, input_shape = sizes
        self.size_label.setText(f"{human(params)} trainable parameters · {human(macs)} MACs per "
                                f"{'x'.join(map(str, input_shape))} image")

    def _core_failed(self, text: str) -> None:
        self.status.setText("TensorFlow could not be loaded.")
        self.show_error(text)

    def show_error(self, text: str) -> None:
        """Where a worker's failure reaches the window: once, as the text to show."""
        self.error.setText(text)
        self.error_shown.emit(text)

    # -- training ----------------------------------------------------------------
    def start_training(self) -> None:
        if self.thread is not None:
            return
        self.error.setText("")
        try:
            experiment = self.panel.experiment().validate()
        except NetlabError as exc:
            self.error.setText(str(exc))
            return
        from netlab.runs.folder import new_run_dir

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
        elif isinstance(event, RunStarted):
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

    def _inspect_layer(self, name: str) -> None:
        """A summary row double-clicked: that layer of the current model in the Inspect tab."""
        if self.classifier.model is None:
            self.status.setText(f"No model to look inside yet: train one or open a .keras file, "
                                f"then double-click {name} again.")
            return
        self.tabs.setCurrentWidget(self.inspect)
        self.inspect.select_layer(name)

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
        self.classifier.set_model(result.model, result.class_names,
                                  f"just trained ({exp.model.arch} on {exp.data.dataset})",
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

    # -- closing -------------------------------------------------------------
    def closeEvent(self, event) -> None:
        """Closing goes at once: every job is asked to stop (training, the search and a lesson after
        their batch) and the window and its dialogs go; gui/app.py's ``leave`` ends the process."""
        stop_all()
        for dialog in (self.experiments, self.lr_finder):
            if dialog is not None:
                dialog.hide()
        super().closeEvent(event)
