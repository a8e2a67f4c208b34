"""What the window remembers between starts, in one QSettings file.

Kept: the form (the experiment it shows, as the same JSON ``File > Save
experiment`` writes), the window's geometry and splitter, the recent
experiment and model files, and the folder each kind of file dialog last
opened. The file is an INI file in the user's configuration folder, or the one
$NETLAB_SETTINGS names (the tests point it at a temporary file).

Reading never fails: a file that cannot be read, that another version of
NetLab wrote, or whose values are not what they should be is ignored, and the
window says so in one line (``WindowSettings.notes``); a recent file that is
gone is dropped with a note too.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

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
        """A saved geometry or splitter state, or None."""
        value = self.settings.value(key) if self.usable else None
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

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

    def save(self, experiment: Experiment | None, values: dict) -> None:
        """Keep the form's experiment (None: keep the one kept) and ``values`` (geometry, splitter
        states) for the next start."""
        if experiment is not None:
            self._write("form/experiment", experiment.to_json())
        self._write("version", VERSION)
        for key, value in values.items():
            self.settings.setValue(key, value)
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
