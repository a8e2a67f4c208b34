"""What the window remembers between starts (gui/settings.py): real Qt offscreen, a real INI file
($NETLAB_SETTINGS, a temporary file per test: tests/conftest.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QSplitter

from gui.main_window import MainWindow
from gui.settings import MODELS, VERSION
from gui.workers import wait_for_jobs
from netlab.config import Experiment

ROOT = Path(__file__).resolve().parents[2]


def open_window(qtbot) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.core_loaded, timeout=120_000):
        win.start_loading()
    return win


def close(win: MainWindow) -> None:
    win.close()
    wait_for_jobs(60_000)


def settings_file() -> QSettings:
    return QSettings(os.environ["NETLAB_SETTINGS"], QSettings.IniFormat)


def test_the_form_comes_back_after_a_restart(qtbot):
    win = open_window(qtbot)
    form = win.panel
    form.model_form.arch.setCurrentText("resnet18")
    form.data_form.dataset.setCurrentText("shapes")
    form.training_form.learning_rate.setValue(0.0123)
    form.model_form.dropout.setValue(0.3)
    picked = form.experiment()
    assert picked != Experiment()
    close(win)

    again = open_window(qtbot)
    assert again.panel.experiment() == picked
    assert again.panel.model_form.arch.currentText() == "resnet18"
    close(again)


# Qt fits a restored geometry into the screen, and the offscreen screen (800x800) is smaller than
# the window: this runs on an offscreen screen of a desktop's size, in a process of its own.
GEOMETRY = """
import os
from PySide6.QtWidgets import QApplication, QSplitter
from gui.main_window import MainWindow
app = QApplication([])
win = MainWindow(); win.show(); app.processEvents()
splitter = win.findChild(QSplitter, "main")
win.resize(1700, 950); splitter.setSizes([420, 900, 300]); app.processEvents()
sizes = splitter.sizes(); win.close()
again = MainWindow(); again.show(); app.processEvents()
print(again.width(), again.height(), sizes == again.findChild(QSplitter, "main").sizes(), sizes != [340, 710, 350],
      flush=True)
os._exit(0)  # as gui/app.py leaves: the form's preview thread may still be starting
"""


def test_the_window_size_and_splitter_come_back_after_a_restart(tmp_path):
    screen = tmp_path / "screen.json"
    screen.write_text(json.dumps({"screens": [{"name": "desk", "x": 0, "y": 0, "width": 2560, "height": 1600,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": f"offscreen:configfile={screen}"}
    done = subprocess.run([sys.executable, "-c", GEOMETRY], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1700", "950", "True", "True"]


def _default_form(qtbot, tmp_path, monkeypatch) -> Experiment:
    monkeypatch.setenv("NETLAB_SETTINGS", str(tmp_path / "none.ini"))
    win = open_window(qtbot)
    experiment = win.panel.experiment()
    close(win)
    return experiment


@pytest.mark.parametrize("kind", ["garbage", "other version", "bad form"])
def test_unusable_settings_give_the_defaults_and_a_note(qtbot, tmp_path, monkeypatch, kind):
    defaults = _default_form(qtbot, tmp_path, monkeypatch)
    path = tmp_path / "settings.ini"
    monkeypatch.setenv("NETLAB_SETTINGS", str(path))
    if kind == "garbage":
        path.write_bytes(bytes(range(256)) * 40)
    else:
        settings = settings_file()
        bad = Experiment(); bad.model.arch = "resnet18"  # noqa: E702
        text = bad.to_json() if kind == "other version" else bad.to_json().replace('"resnet18"', '"no-such"')
        settings.setValue("version", VERSION + 1 if kind == "other version" else VERSION)
        settings.setValue("form/experiment", text)
        settings.sync()

    win = open_window(qtbot)
    assert win.isVisible()
    assert win.panel.experiment() == defaults
    expected = {"garbage": "not NetLab's", "other version": "another version",
                "bad form": "remembered form was ignored"}[kind]
    assert expected in win.memory.note and "\n" not in win.memory.note
    close(win)
    assert settings_file().value("version") in (VERSION, str(VERSION))  # rewritten as this version's


def test_a_recent_file_that_is_gone_is_dropped_with_a_note_and_reset_forgets_everything(qtbot, tmp_path):
    kept = tmp_path / "kept.json"
    exp = Experiment()
    exp.model.arch = "resnet18"
    exp.save(kept)
    settings = settings_file()
    settings.setValue("version", VERSION)
    settings.setValue("recent/experiments", [str(kept)])
    settings.setValue(f"recent/{MODELS}", [str(tmp_path / "gone.keras")])
    settings.sync()

    win = open_window(qtbot)
    assert "gone.keras" in win.memory.note
    actions = win.memory.recent_menu.actions()
    assert [action.text() for action in actions] == ["kept.json"]
    assert Path(os.environ["NETLAB_SETTINGS"]).read_text().count("gone.keras") == 0
    actions[0].trigger()  # File > Recent > kept.json loads it
    assert win.panel.model_form.arch.currentText() == "resnet18"

    win.reset_to_defaults()
    assert win.memory.recent_menu.actions() == [] and not win.memory.recent_menu.isEnabled()
    assert win.panel.experiment().model.arch == Experiment().model.arch
    assert settings_file().value("recent/experiments") is None
    close(win)


def test_splitters_are_remembered_by_name_and_one_the_window_no_longer_has_is_dropped(qtbot):
    settings = settings_file()
    settings.setValue("version", VERSION)
    settings.setValue("splitters/main", "1,2,3")  # three panes: the main splitter has two now
    settings.setValue("splitters/removed", "300,300")  # a splitter this window no longer has
    settings.sync()

    win = open_window(qtbot)
    built = win.findChild(QSplitter, "main").sizes()
    assert len(built) == 2 and built != [1, 2]  # not applied to other panes
    close(win)
    kept = settings_file()
    assert kept.value("splitters/removed") is None
    assert [int(size) for size in str(kept.value("splitters/main")).split(",")] == built
