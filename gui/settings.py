"""What the window remembers between starts, in one QSettings file.

Kept: the form (the experiment it shows, as the same JSON ``File > Save
experiment`` writes), the window's geometry, the sizes of each splitter that
has an objectName (by that name: one gone, or with other panes, is passed
over and its entry dropped at the next close), the recent
experiment and model files, and the folder each kind of file dialog last
opened. The file is an INI file in the user's configuration folder, or the one
$NETLAB_SETTINGS names (the tests point it at a temporary file).

Reading never fails: a file that cannot be read, that another version of
NetLab wrote, or whose values are not what they should be is ignored, and the
window says so in one line (``WindowSettings.notes``); a recent file that is
gone is dropped with a note too.

``WindowMemory`` wires it into the main window: restored at start, kept on
close, File > Recent and File > Reset to defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QMenu, QSplitter

from netlab.base.errors import NetlabError
from netlab.config import Experiment

VERSION = 1  # what "version" says in a file this module wrote; another value: the file is ignored
ENV = "NETLAB_SETTINGS"
RECENT_MAX = 8
EXPERIMENTS, MODELS = "experiments", "models"


def store() -> QSettings:
    """The settings file: $NETLAB_SETTINGS, or NetLab's INI file in the user's configuration folder."""
    path = os.environ.get(ENV)
    if path:
        return QSettings(path, QSettings.IniFormat)
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "NetLab", "NetLab")


def _text(settings: QSettings, key: str) -> str | None:
    value = settings.value(key)
    return value if isinstance(value, str) else None


def _paths(settings: QSettings, key: str) -> list[str]:
    value = settings.value(key)
    if isinstance(value, str):  # an INI list of one comes back as its one string
        value = [value]
    return [item for item in value if isinstance(item, str) and item] if isinstance(value, list) else []


def last_folder(kind: str) -> str:
    """The folder a file dialog of ``kind`` last opened, when it still exists ("" otherwise)."""
    folder = _text(store(), f"folders/{kind}") or ""
    return folder if folder and Path(folder).is_dir() else ""


def remember_folder(kind: str, path: str) -> None:
    """Remember the folder of ``path`` (a file, or a folder itself) for the next dialog of ``kind``."""
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    settings = store()
    settings.setValue(f"folders/{kind}", str(folder))
    settings.sync()


class WindowSettings:
    """The window's remembered state, read once at start (``notes``: what was ignored, one line each)."""

    def __init__(self) -> None:
        self.settings = store()
        self.notes: list[str] = []
        self.usable = self._check()

    def _check(self) -> bool:
        path = Path(self.settings.fileName())
        name = path.name
        if self.settings.status() != QSettings.NoError:
            self.notes.append(f"Settings file {name} could not be read: started with the defaults.")
            return False
        version = self.settings.value("version")
        if version is None:
            if self.settings.allKeys() or (path.is_file() and path.stat().st_size):  # garbage reads as no keys
                self.notes.append(f"Settings file {name} is not NetLab's: started with the defaults.")
            return False
        if str(version) != str(VERSION):
            self.notes.append(f"Settings file {name} is from another version of NetLab "
                              f"(version {version}): started with the defaults.")
            return False
        return True

    # -- reading ----------------------------------------------------------------------
    def experiment(self) -> Experiment | None:
        """The form's experiment as last closed, or None (nothing kept, or unreadable: noted)."""
        text = _text(self.settings, "form/experiment") if self.usable else None
        if text is None:
            return None
        try:
            return Experiment.from_json(text)
        except NetlabError as exc:
            self.notes.append(f"The remembered form was ignored ({exc}): started with the defaults.")
            return None

    def bytes(self, key: str) -> QByteArray | None:
        """A saved geometry, or None."""
        value = self.settings.value(key) if self.usable else None
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def splitter_sizes(self) -> dict[str, list[int]]:
        """Each remembered splitter's pane sizes, by its objectName (unreadable entries left out)."""
        if not self.usable:
            return {}
        self.settings.beginGroup("splitters")
        values = {name: self.settings.value(name) for name in self.settings.childKeys()}
        self.settings.endGroup()
        sizes = {}
        for name, value in values.items():
            items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
            try:
                sizes[name] = [int(item) for item in items]
            except (TypeError, ValueError):
                continue
            if not sizes[name] or min(sizes[name]) < 0:
                del sizes[name]
        return sizes

    def recent(self, kind: str) -> list[str]:
        """The recent files of ``kind`` (EXPERIMENTS or MODELS) that still exist, newest first;
        those gone are dropped from the file, with a note."""
        if not self.usable:
            return []
        paths = _paths(self.settings, f"recent/{kind}")
        kept = [path for path in paths if Path(path).is_file()]
        gone = [Path(path).name for path in paths if path not in kept]
        if gone:
            self.notes.append(f"Recent {kind} no longer found, dropped: {', '.join(gone)}.")
            self.settings.setValue(f"recent/{kind}", kept)
        return kept

    # -- writing ----------------------------------------------------------------------
    def add_recent(self, kind: str, path: str | Path) -> None:
        path = str(Path(path).resolve())
        paths = [path] + [p for p in self.recent(kind) if p != path]
        self._write(f"recent/{kind}", paths[:RECENT_MAX])

    def save(self, experiment: Experiment | None, geometry: QByteArray, splitters: dict[str, list[int]]) -> None:
        """Keep the form's experiment (None: keep the one kept), the window's geometry and the
        splitters' sizes (by name; those not named are forgotten) for the next start."""
        if experiment is not None:
            self._write("form/experiment", experiment.to_json())
        self._write("version", VERSION)
        self.settings.setValue("window/geometry", geometry)
        self.settings.remove("splitters")
        for name, sizes in splitters.items():
            self.settings.setValue(f"splitters/{name}", ",".join(str(size) for size in sizes))
        self.settings.sync()

    def reset(self) -> None:
        """Forget everything: the next start is a first start."""
        self.settings.clear()
        self.settings.sync()
        self.usable = True  # what is written from now on is this version's

    def _write(self, key: str, value) -> None:
        if not self.usable:  # a file not ours, or another version's: replaced by this version's
            self.settings.clear()
            self.usable = True
        self.settings.setValue("version", VERSION)
        self.settings.setValue(key, value)
        self.settings.sync()


def checked(remembered: Experiment | None) -> tuple[Experiment | None, str]:
    """The remembered form checked against the registry (a worker-thread job: it loads it):
    (the experiment or None, the note saying why it was ignored or "")."""
    if remembered is None:
        return None, ""
    try:
        return remembered.validate(), ""
    except NetlabError as exc:
        return None, f"The remembered form was ignored ({exc}): started with the defaults."


class WindowMemory:
    """What the main window remembers, wired into it: geometry and splitters restored at start (the
    form once the registry has loaded: ``experiment``, ``restore_form``), File > Recent
    (``recent_menu``), kept on close (``save``), forgotten by File > Reset to defaults (``reset``).
    What was ignored is said in the status bar; ``note`` is the last line said.

    ``window`` is the MainWindow: its named splitters, ``panel``, ``current`` model, ``load_experiment``
    and ``classify.open_model`` are used.
    """

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        # What File > Reset to defaults goes back to: the size and splitters the window was built with.
        self.default_size = window.size()
        self.default_splitters = {name: splitter.sizes() for name, splitter in self.splitters().items()}
        self.settings = WindowSettings()
        self.note = ""
        self.recent_menu = QMenu("Re&cent", window)
        self.recent_menu.aboutToShow.connect(self.fill_recent)

    def splitters(self) -> dict[str, QSplitter]:
        """The window's splitters that are remembered: those with an objectName, by it."""
        return {splitter.objectName(): splitter for splitter in self.window.findChildren(QSplitter)
                if splitter.objectName()}

    def restore(self) -> None:
        """Geometry and splitters as last closed, File > Recent filled, models opened remembered."""
        window = self.window
        geometry = self.settings.bytes("window/geometry")
        if geometry is not None and not window.restoreGeometry(geometry):
            self.say("The remembered window geometry was ignored.")
        splitters = self.splitters()
        for name, sizes in self.settings.splitter_sizes().items():
            splitter = splitters.get(name)
            if splitter is not None and len(sizes) == splitter.count():  # else: not this window's any more
                splitter.setSizes(sizes)
        self.fill_recent()
        window.current.subscribe(lambda current: current.path is not None
                                 and self.add_recent(MODELS, current.path))

    def experiment(self) -> Experiment | None:
        """The form as last closed (unchecked: ``checked`` checks it once the registry has loaded)."""
        return self.settings.experiment()

    def restore_form(self, remembered: Experiment | None, note: str) -> None:
        """What ``checked`` gave: the remembered form shown, or the note why it was not."""
        if remembered is not None:
            self.window.panel.set_experiment(remembered)
        self.say(note)

    def say(self, note: str = "") -> None:
        """Say in the status bar what the remembered settings could not give (and every note before)."""
        notes = [*self.settings.notes, note] if note else self.settings.notes
        self.settings.notes = []
        if notes:
            self.note = " ".join(notes)
            self.window.statusBar().showMessage(self.note, 20_000)

    def fill_recent(self) -> None:
        menu = self.recent_menu
        menu.clear()
        openers = {EXPERIMENTS: self.window.load_experiment, MODELS: self.window.classify.open_model}
        for kind, opener in openers.items():
            for path in self.settings.recent(kind):
                action = menu.addAction(Path(path).name)
                action.setToolTip(path)
                action.setStatusTip(path)
                action.triggered.connect(lambda checked=False, p=path, o=opener: o(p))
        menu.setEnabled(not menu.isEmpty())
        self.say()

    def add_recent(self, kind: str, path: str | Path) -> None:
        self.settings.add_recent(kind, path)

    def save(self) -> None:
        """Keep the form, geometry and splitter for the next start (the window is closing)."""
        window = self.window
        form = window.panel.experiment() if window.panel.specs else None  # not filled yet: keep the one kept
        self.settings.save(form, window.saveGeometry(),
                           {name: splitter.sizes() for name, splitter in self.splitters().items()})

    def reset(self) -> None:
        """Forget every remembered setting and show the default form, size and splitter."""
        self.settings.reset()
        self.window.panel.set_experiment(Experiment())
        self.window.resize(self.default_size)
        for name, splitter in self.splitters().items():
            if name in self.default_splitters:
                splitter.setSizes(self.default_splitters[name])
        self.fill_recent()
