"""``netlab gui``: its help without Qt, its one line where there is no display, its desktop entry.

The installed entry points opening the window: tests/test_resources.py (from the built wheel)."""

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from netlab.base.display import NoDisplayError, check_display
from netlab.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def test_gui_help_loads_neither_qt_nor_the_window():
    code = ("import sys; from netlab.cli.main import main; rc = main(['gui', '--help']); "
            "print(rc, sorted(m for m in sys.modules if m.startswith(('PySide6', 'gui'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "--install-desktop-entry" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "0 []"


@pytest.mark.parametrize("environ, platform, missing", [
    ({}, "linux", "DISPLAY or WAYLAND_DISPLAY"),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", "DISPLAY"),
    ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "linux", "WAYLAND_DISPLAY"),
    ({"DISPLAY": ":0"}, "linux", None),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", None),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", None),
    ({}, "win32", None),
    ({}, "darwin", None),
])
def test_check_display_names_what_qt_would_miss(environ, platform, missing):
    if missing is None:
        check_display(environ, platform)
    else:
        with pytest.raises(NoDisplayError, match=f"no {missing} set"):
            check_display(environ, platform)


def test_netlab_gui_without_a_display_is_one_line_not_qts_abort():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-m", "netlab", "gui"], capture_output=True, text=True, timeout=120,
                          env={**env, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert proc.stderr.startswith("netlab: error: no display") and proc.stderr.count("\n") == 1


def test_install_desktop_entry_writes_a_launcher_with_the_icon(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["gui", "--install-desktop-entry"]) == 0
    path = tmp_path / "applications" / "netlab.desktop"
    assert capsys.readouterr().out == f"wrote {path}\n"
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(path)
    fields = entry["Desktop Entry"]
    assert fields["Type"] == "Application" and fields["Name"] == "NetLab" and fields["Terminal"] == "false"
    assert fields["Exec"].split()[0].startswith("/")  # an absolute launcher: a venv is not on the menu's PATH
    assert Image.open(fields["Icon"]).size == (256, 256)
    assert main(["gui", "--install-desktop-entry"]) == 0  # again: replaced, not refused
