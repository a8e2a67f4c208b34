"""One folder as NetLab sees it: what it is, where its files are, what they hold.

A run is a folder holding its settings (config.json); a search's folder holds
search.json and its trials' runs; a lesson's holds lesson.json and runs at
ARM/seed-N. :class:`RunFolder` answers every question about such a folder, so
no other module spells a file name or decides what makes a folder a run: it
asks the names of netlab/runs/files.py, the writer and readers of
netlab/runs/folder.py and the lock of netlab/runs/lock.py.
"""

from __future__ import annotations

from pathlib import Path

from netlab.base.errors import ConfigError
from netlab.base.user_paths import checked_path
from netlab.config import Experiment
from netlab.runs import files
from netlab.runs.folder import RunWriter, read_checkpoint, read_classes, read_history
from netlab.runs.health_log import read_health
from netlab.runs.lock import FolderState, RunLock, claim_run_dir, folder_state, resume_problem


class RunFolder:
    """A folder, read on each question (a run being written changes under it).

    ``kind`` is "run", "search", "lesson", "arm" (a lesson's folder of runs at
    seed-N) or None (anything else, or nothing there); the file paths are where
    a run keeps them, whether they exist yet or not.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def of_model(cls, model_path: str | Path | None) -> RunFolder | None:
        """The run a model file lies in (its model.keras, its best.keras), or None."""
        if model_path is None:
            return None
        folder = cls(Path(model_path).parent)
        return folder if folder.is_run else None

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, RunFolder) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    # -- what it is --------------------------------------------------------------------
    @property
    def kind(self) -> str | None:
        return files.folder_kind(self.path)

    @property
    def is_run(self) -> bool:
        return files.is_run(self.path)

    @property
    def is_search(self) -> bool:
        return files.is_search(self.path)

    def described(self) -> str | None:
        """How a message names it ("a run's folder", ...), None for a folder NetLab did not make."""
        return files.KNOWN_FOLDERS.get(self.kind)

    def lesson(self) -> dict | None:
        """The name and budget of the lesson this is the folder of, or None."""
        return files.lesson_in(self.path)

    def lesson_resume_command(self) -> str | None:
        return files.lesson_resume_command(self.path)

    # -- its files ---------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.path / files.CONFIG_FILE

    @property
    def classes_path(self) -> Path:
        return self.path / files.CLASSES_FILE

    @property
    def model_path(self) -> Path:
        return self.path / files.MODEL_FILE

    @property
    def best_path(self) -> Path:
        return self.path / files.BEST_FILE

    @property
    def history_path(self) -> Path:
        return self.path / files.HISTORY_FILE

    @property
    def health_path(self) -> Path:
        return self.path / files.HEALTH_FILE

    @property
    def events_path(self) -> Path:
        return self.path / files.EVENTS_FILE

    @property
    def checkpoint_path(self) -> Path:
        return self.path / files.CHECKPOINT_FILE

    @property
    def skipped_path(self) -> Path:
        return self.path / files.SKIPPED_FILE

    @property
    def tensorboard_path(self) -> Path:
        return self.path / files.TENSORBOARD_DIR

    @property
    def trial_path(self) -> Path:
        """A search trial's outcome (in the trial's run folder)."""
        return self.path / files.TRIAL_FILE

    @property
    def search_path(self) -> Path:
        """A search's settings (in the search's folder)."""
        return self.path / files.SEARCH_FILE

    def model_file(self, best: bool = False) -> Path:
        """Its best.keras with ``best``, else its model.keras (there or not)."""
        return self.best_path if best else self.model_path

    def why_no_model(self, best: bool = False) -> str | None:
        """Why the folder has no such model to open, naming what to give instead (an unfinished
        run, a search's or a lesson's folder); None for a folder NetLab did not make."""
        return files.folder_without_model(self.path, self.model_file(best).name)

    # -- what its files hold -----------------------------------------------------------
    def settings(self) -> Experiment:
        """The experiment the run was started with (its config.json); ConfigError when unreadable."""
        return Experiment.load(self.config_path)

    def classes(self) -> list[str] | None:
        """Its class names in the model's output order (classes.json), None when unknown."""
        return read_classes(self.model_path)

    def checkpoint(self) -> dict | None:
        """The last complete epoch's checkpoint state, None when there is none to resume from."""
        return read_checkpoint(self.path)

    def history(self) -> list[dict]:
        """history.csv's rows as numbers; FileNotFoundError before the first epoch ends."""
        return read_history(self.path)

    def health(self) -> list[dict]:
        """health.csv's rows (step, epoch, layer, measures); FileNotFoundError when it has none."""
        return read_health(self.path)

    # -- writing it --------------------------------------------------------------------
    def lock(self) -> RunLock:
        """The folder's lock, not taken yet (``with folder.lock():`` holds it)."""
        return RunLock(self.path)

    def claim(self, *, resume: bool = False, overwrite: bool = False, restart: bool = False) -> RunLock:
        """Lock it for this process and check it may be written as asked (``claim_run_dir``)."""
        return claim_run_dir(self.path, resume=resume, overwrite=overwrite, restart=restart)

    def state(self) -> FolderState:
        """What it holds, asked before training there: free, a run (resumable or not), files, refused."""
        return folder_state(self.path)

    def resume_problem(self) -> str | None:
        """Why resuming would not continue this run, or None when it would."""
        return resume_problem(self.path)

    def writer(self) -> RunWriter:
        return RunWriter(self.path)


def run_folder_of(model_path: str | Path | None) -> Path | None:
    """The folder of the run a model file lies in, or None (a file of no run, or no file)."""
    folder = RunFolder.of_model(model_path)
    return folder.path if folder is not None else None


def load_settings(path: str | Path) -> Experiment:
    """The experiment a settings file holds (``--config``, the window's Open settings). A run's
    folder is refused naming its config.json and the command that goes on with that run."""
    path = checked_path(path, "configuration")
    if path.is_dir() and files.is_run(path):
        raise ConfigError(f"{path} is a folder; its settings are {path / files.CONFIG_FILE} "
                          f"(netlab resume {path} goes on with that run)")
    return Experiment.load(path)
