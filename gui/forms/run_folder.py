"""Where the window trains: a run folder field, and the question asked before training in a used one.

Left empty, the field means a new folder under the runs root named by time,
architecture and dataset (always free). A folder given here is checked first
(``netlab.runs.lock.folder_state``, the rules the CLI's refusal
follows): a free one is trained in; one another process writes is refused with
the lock's message; one that holds a run or other files asks: resume that run
(when ``netlab resume`` would continue it, through the same core path), train
in a free folder beside it (the name the CLI suggests), or cancel. Nothing is
ever trained over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QMessageBox, QPushButton, QWidget

from gui.settings import last_folder, remember_folder
from netlab.runs.lock import folder_state

RESUME, NEW_FOLDER, CANCEL = "resume", "new folder", "cancel"


class RunFolderField(QWidget):
    """A folder path (empty: a new timestamped folder) and a button to browse for one."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("new folder in the runs folder")
        self.edit.setToolTip("The folder this run is written to. Empty: a new folder named by time, "
                             "architecture and dataset. A folder that already holds a run offers to "
                             "resume it or to train in a new folder beside it; nothing is overwritten.")
        browse = QPushButton("Run folder...")
        browse.setToolTip("Choose the folder this run is written to")
        browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def folder(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None

    def set_folder(self, path: str | Path | None) -> None:
        self.edit.setText("" if path is None else str(path))

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "The folder to train in", last_folder("runs"))
        if path:
            remember_folder("runs", str(Path(path).parent))
            self.set_folder(path)


@dataclass(frozen=True)
class Decision:
    """What to do with a chosen folder: "train" in ``path``, "resume" the run there,
    or nothing ("refused": ``message`` says why; "cancel": the person said no)."""

    action: str
    path: Path
    message: str = ""


def decide(parent, run_dir: Path) -> Decision:
    """Check ``run_dir`` and ask about it when it is in use; never a silent overwrite."""
    state = folder_state(run_dir)
    if state.kind == "free":
        return Decision("train", state.path)
    if state.kind == "refused":
        return Decision("refused", state.path, state.message)
    choice = ask(parent, state)
    if choice == RESUME:
        return Decision("resume", state.path)
    if choice == NEW_FOLDER:
        return Decision("train", state.free_path)
    return Decision("cancel", state.path)


def ask(parent, state) -> str:
    """RESUME, NEW_FOLDER or CANCEL, as the person answers the question about ``state``."""
    box, choices = question(parent, state)
    box.exec()
    return choices.get(box.clickedButton(), CANCEL)


def question(parent, state) -> tuple[QMessageBox, dict]:
    """The dialog for a folder in use (a FolderState of kind "run" or "files") and its buttons' choices."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Question)
    box.setWindowTitle("The run folder is in use")
    choices = {}
    if state.kind == "run":
        box.setText(f"{state.path} already holds a NetLab run.")
        if state.resumable:
            box.setInformativeText("Resume it from its last complete epoch (with its own settings), or "
                                   f"train these settings in a new folder, {state.free_path.name}?")
            resume = box.addButton("Resume this run", QMessageBox.AcceptRole)
            choices[resume] = RESUME
        else:
            box.setInformativeText(f"It cannot be resumed: {state.message}. Train these settings in a "
                                   f"new folder, {state.free_path.name}?")
    else:
        box.setText(f"{state.message}.")
        box.setInformativeText(f"Train in a new folder beside it, {state.free_path.name}? "
                               "Nothing in this folder is touched.")
    new = box.addButton("New folder", QMessageBox.ActionRole)
    new.setToolTip(str(state.free_path))
    choices[new] = NEW_FOLDER
    cancel = box.addButton(QMessageBox.Cancel)
    choices[cancel] = CANCEL
    box.setDefaultButton(next(iter(choices)))
    box.setEscapeButton(cancel)
    return box, choices
