"""``netlab gui [--install-desktop-entry]``: open the window, or add NetLab to the desktop's application menu.

The window is the gui package, which the core never imports (pyproject.toml's first contract): this
command checks for a display here (one line, not Qt's abort) and runs ``python -m gui`` as a child.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from netlab.base.display import check_display
from netlab.cli.command import Command

DESKTOP_FILE = "netlab.desktop"


def add_gui_arguments(p) -> None:
    p.add_argument("--install-desktop-entry", action="store_true",
                   help="write NetLab's entry (with its icon) to the desktop's application menu "
                        "(~/.local/share/applications) instead of opening the window")


def cmd_gui(args) -> int:
    if args.install_desktop_entry:
        print(f"wrote {install_desktop_entry()}")
        return 0
    check_display()  # a NetlabError: one line, not Qt's abort
    return subprocess.call([sys.executable, "-m", "gui", *(["--verbose"] if args.verbose else [])])


def applications_folder() -> Path:
    """Where a user's desktop entries go (the XDG base directory spec)."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "applications"


def launcher() -> str:
    """The Exec line: the netlab-gui installed beside this Python (a venv need not be on the menu's PATH)."""
    script = Path(sys.executable).parent / "netlab-gui"
    found = str(script) if script.is_file() else shutil.which("netlab-gui")
    parts = [found] if found else [sys.executable, "-m", "gui"]
    return " ".join(f'"{part}"' if " " in part else part for part in parts)


def desktop_entry() -> str:
    """resources/netlab.desktop with this installation's launcher and icon file (absolute paths)."""
    shipped = resources.files("netlab.resources")
    icon = Path(str(shipped.joinpath("icons", "netlab-256.png"))).resolve()
    lines = []
    for line in shipped.joinpath(DESKTOP_FILE).read_text(encoding="utf-8").splitlines():
        key = line.partition("=")[0]
        lines.append({"Exec": f"Exec={launcher()}", "Icon": f"Icon={icon}"}.get(key, line))
    return "\n".join(lines) + "\n"


def install_desktop_entry() -> Path:
    folder = applications_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DESKTOP_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(desktop_entry(), encoding="utf-8")
    tmp.replace(path)
    return path


GUI = Command("open the window (--install-desktop-entry: add it to the desktop's application menu)",
              add_gui_arguments, cmd_gui)
