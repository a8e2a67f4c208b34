"""The main window: the experiment's form | the tabs (curves, runs, classify, inspect, ...).

It imports nothing heavy: the architecture registry (TensorFlow-free) loads in a
worker thread after the window is on screen, which fills the form and enables
Train; TensorFlow loads after it, in another worker (see ``start_loading``).
"""

from __future__ import annotations

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
from gui.icons import icon
from gui.settings import EXPERIMENTS, WindowMemory, checked, last_folder, remember_folder
from gui.state import CurrentModel, runs_root
from gui.tabs.batch_classify import BatchClassifyView
from gui.tabs.curves import CurvesView
from gui.tabs.evaluate import EvaluateView
from gui.tabs.graph_view import GraphView
from gui.tabs.inspect_view import InspectView
from gui.tabs.runs import RunsView
from gui.tabs.search import SearchView
from gui.tabs.stats_view import StatsView
from gui.tabs.summary import SummaryView
from gui.widgets.drops import accept_files, dropped_paths
from gui.widgets.samples_menu import SamplesMenu
from gui.window_keys import add_keyboard, train_tooltip
from gui.window_training import TrainingMixin
from gui.workers import TrainThread, run_job, stop_all
from netlab.base.errors import NetlabError
from netlab.inspect.text import human
from netlab.runs.run import load_settings

# The registry and TensorFlow load in worker jobs, and the Lessons and learning-rate dialogs (pyqtgraph)
# when opened: the window shows before they load (see start_loading).


def _load_registry(remembered=None):
    """Worker-thread job: the registry's architectures (their names, options and figures; no TensorFlow),
    and the form remembered from the last start, checked against them: (specs, experiment or None, note)."""
    from netlab.architectures import all_archs

    return all_archs(), *checked(remembered)


def _load_tensorflow():
    """Worker-thread job: import Keras/TensorFlow; list the devices."""
    from netlab.training.device import list_devices

    return list_devices()  # the job imported TensorFlow first (run_job's needs_tensorflow)


class MainWindow(TrainingMixin, QMainWindow):
    train_ready = Signal()  # the registry has loaded: the form is filled and Train usable
    core_loaded = Signal()  # TensorFlow has loaded too, and the devices are listed
    training_finished = Signal(object)  # TrainResult or None when it failed
    error_shown = Signal(str)
    model_changed = Signal(object)  # the CurrentModel, after every change: the tabs' one signal

    def __init__(self):
        super().__init__()
        self.setWindowTitle("NetLab")
        self.setWindowIcon(icon())
        self.resize(1400, 860)
        self.thread: TrainThread | None = None
        self.result = None
        self.experiments = None  # the Experiments window, made on first use
        self.lr_finder = None
        self.devices: list[dict] = []
        self._device = ""
        self._epochs = 0
        self.tensorflow_loaded = False
        # The model being looked at: set by a finished training or an opened .keras file,
        # followed by every tab through model_changed (set_model(current)).
        self.current = CurrentModel()
        self.current.subscribe(self.model_changed.emit)

        self.panel = ExperimentPanel()
        left = self._build_train_column()
        self._build_tabs()
        splitter = QSplitter(Qt.Horizontal)
        splitter.setObjectName("main")  # remembered by this name (gui/settings.py)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setSizes([340, 1060])
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        self._connect_tabs()
        self.setAcceptDrops(True)  # images and models dropped anywhere go to the Classify tab

        self.status = QLabel("Loading TensorFlow...")
        self.statusBar().addWidget(self.status, 1)
        self.memory = WindowMemory(self)  # what the window remembers between starts (gui/settings.py)
        self._build_menu()
        self.memory.restore()

    def _build_train_column(self) -> QWidget:
        """The left column: the experiment's form, its run folder, Train/Pause/Stop, the model's
        size, the run's sanity checks and the error line."""
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
        return left

    def _build_tabs(self) -> None:
        """The tabs; every tab that shows a model follows the current one."""
        self.curves = CurvesView()
        self.summary = SummaryView()
        self.summary.updated.connect(self._show_size)
        self.summary.failed.connect(lambda text: self.size_label.setText(""))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.curves, "Curves")
        self.tabs.addTab(self.summary, "Summary")
        self.runs = RunsView(runs_root())
        self.tabs.addTab(self.runs, "Runs")
        self.classify, self.evaluation = BatchClassifyView(self.current), EvaluateView()
        self.tabs.addTab(self.classify, "Classify")
        self.tabs.addTab(self.evaluation, "Evaluate")
        self.inspect = InspectView()
        self.tabs.addTab(self.inspect, "Inspect")
        self._add_graph_tab()
        self._add_statistics_tab()
        self._add_health_tab()
        self._add_search_tab()
        for view in (self.classify, self.evaluation, self.inspect, self.graph_view, self.stats, self.health):
            self.model_changed.connect(view.set_model)

    def _connect_tabs(self) -> None:
        """What one part of the window asks of another: images to classify or inspect, a layer to
        look at, a run's model or settings, the learning-rate finder, downloads to report."""
        # The Inspect tab follows the image classified last, the gallery's clicks and the summary's rows.
        self.summary.layer_activated.connect(self._inspect_layer)
        self.classify.image_classified.connect(self.inspect.show_image)
        self.evaluation.open_image.connect(
            lambda image: (self.tabs.setCurrentWidget(self.inspect), self.inspect.show_image(image)))
        self.panel.training_form.find_learning_rate.connect(self.open_lr_finder)
        self.runs.open_model.connect(self.classify.open_model)
        self.runs.load_settings.connect(self.load_experiment)
        # Fine-tune tab: past runs to start from; its jobs' weight downloads reach the status bar.
        self.panel.finetune_form.runs_root = runs_root()
        relay().progress.connect(self._on_event)

    def _add_graph_tab(self) -> None:
        """The current model as a graph (gui/tabs/graph_view.py); a layer double-clicked opens in Inspect."""
        self.graph_view = GraphView()
        self.tabs.addTab(self.graph_view, "Graph")
        self.graph_view.layer_activated.connect(self._inspect_layer)

    def _add_statistics_tab(self) -> None:
        """Batch-norm and activation statistics of the current model (gui/tabs/stats_view.py)."""
        self.stats = StatsView()
        self.tabs.addTab(self.stats, "Statistics")

    def _add_health_tab(self) -> None:
        """Per-layer gradient and unit health over a run (gui/tabs/health.py)."""
        from gui.tabs.health import HealthView

        self.health = HealthView()
        self.tabs.addTab(self.health, "Health")
        self.health.changed.connect(lambda: self.graph_view.set_health(self.health.latest))

    def _add_search_tab(self) -> None:
        """Hyperparameter search on Optuna over the form's experiment (gui/tabs/search.py)."""
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
            ("Open &model...", None, self.classify.choose_model),
            ("&Reset to defaults", None, self.reset_to_defaults),
            ("&Quit", QKeySequence.Quit, self.close),
        ):
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)
            if slot == self.classify.choose_model:  # File > Recent: experiments and models opened
                menu.addMenu(self.memory.recent_menu)
        add_keyboard(self)  # the Training and View menus: Ctrl+Enter, Esc, Ctrl+1...9
        # The lessons as paired experiments (gui/dialogs/experiments.py).
        lessons = QAction(icon("experiments"), "&Lessons...", self)
        lessons.triggered.connect(self.open_experiments)
        self.menuBar().addMenu("E&xperiments").addAction(lessons)
        # Sample images of the built-in datasets (resources/samples), classified in the Classify tab.
        self.samples_menu = SamplesMenu(self)
        self.samples_menu.classify_requested.connect(
            lambda paths: (self.tabs.setCurrentWidget(self.classify), self.classify.classify_paths(paths)))
        self.menuBar().addMenu("&Help").addMenu(self.samples_menu)

    def reset_to_defaults(self) -> None:
        """Forget every remembered setting and show the default form, size and splitter."""
        self.memory.reset()
        self.status.setText("Settings reset to the defaults.")

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
        self.memory.add_recent(EXPERIMENTS, path)
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
        self.memory.add_recent(EXPERIMENTS, path)
        self.status.setText(f"Settings saved to {path}; train them headless with: netlab train --config {path}")

    def _choose_experiment(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an experiment", last_folder(EXPERIMENTS),
                                              "Experiments (*.json)")
        if path:
            remember_folder(EXPERIMENTS, path)
            self.load_experiment(path)

    def _save_experiment_as(self) -> None:
        start = str(Path(last_folder(EXPERIMENTS) or ".") / "experiment.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save the experiment", start, "Experiments (*.json)")
        if path:
            remember_folder(EXPERIMENTS, path)
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
        run_job(_load_registry, self.memory.experiment(), on_result=self._registry_ready,
                on_error=self._core_failed, owner=self, needs_tensorflow=False)

    def _registry_ready(self, loaded) -> None:
        specs, remembered, note = loaded
        self.memory.restore_form(remembered, note)
        self._report_kept("settings", self.panel.set_architectures(specs))
        self.train_button.setEnabled(True)
        self.train_button.setToolTip(train_tooltip())
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

    def _inspect_layer(self, name: str) -> None:
        """A summary row double-clicked: that layer of the current model in the Inspect tab."""
        if self.current.model is None:
            self.status.setText(f"No model to look inside yet: train one or open a .keras file, "
                                f"then double-click {name} again.")
            return
        self.tabs.setCurrentWidget(self.inspect)
        self.inspect.select_layer(name)

    # -- files dropped on the window: the Classify tab takes them ------------------
    def dragEnterEvent(self, event) -> None:
        accept_files(event)

    def dropEvent(self, event) -> None:
        self.tabs.setCurrentWidget(self.classify)
        self.classify.drop_paths(dropped_paths(event))

    # -- closing -------------------------------------------------------------
    def closeEvent(self, event) -> None:
        """Closing goes at once: the form, geometry and splitter are remembered, every job is asked to
        stop (training, the search and a lesson after their batch) and the window and its dialogs go;
        gui/app.py's ``leave`` ends the process."""
        self.memory.save()
        stop_all()
        for dialog in (self.experiments, self.lr_finder):
            if dialog is not None:
                dialog.hide()
        super().closeEvent(event)
