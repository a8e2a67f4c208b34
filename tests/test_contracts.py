"""House rules held by tools: the core never imports Qt; lint is clean."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name):
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


def test_core_never_imports_qt_or_gui():
    proc = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_is_clean():
    proc = subprocess.run([_tool("ruff"), "check", "netlab", "gui", "tests", "main.py"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


# Text a reader sees cites the paper ("He et al. 2016, Fig. 4"), never lecture notes the
# reader does not have (the lecture-note folder and number) nor a ticket number.
UNCITABLE = re.compile(r"\bseeds?/|\bissues? ?#?\d+", re.IGNORECASE)
TEXT_SUFFIXES = (".py", ".md", ".json", ".txt", ".toml")


def test_text_cites_papers_not_lecture_notes_or_issue_numbers():
    paths = [ROOT / "README.md", ROOT / "main.py"] + [
        path for top in ("netlab", "gui", "resources", "docs")
        for path in sorted((ROOT / top).rglob("*")) if path.suffix in TEXT_SUFFIXES]
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in paths for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
             if UNCITABLE.search(line)]
    assert not found, "\n".join(found)


def test_the_wheel_lists_every_package():
    """pyproject names the packages one by one (resources/ maps in from elsewhere): a package
    left off that list is missing from an installed NetLab and nothing else would notice."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(init.parent.relative_to(ROOT).parts)
               for root in ("netlab", "gui") for init in (ROOT / root).rglob("__init__.py")}
    assert on_disk <= listed, sorted(on_disk - listed)
