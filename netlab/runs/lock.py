"""Taking a run folder before writing it: one writer at a time, never over another run.

A process that writes a run folder holds an OS lock on ``.netlab.lock``
inside it (fcntl.flock; msvcrt on Windows). The kernel drops the lock when the
process ends, however it ends, so a SIGKILL never leaves a stale lock; the
file itself stays and means nothing while nobody holds it.

A new run refuses a folder that already holds files unless asked to
overwrite, and then moves the old contents aside to a sibling folder instead
of deleting them. Resume refuses a run whose checkpoint is missing or
unreadable unless asked to restart, and then moves the old results aside the
same way (the settings stay).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from netlab.base.errors import NetlabError, RunFolderError
from netlab.base.user_paths import checked_path
from netlab.config import Experiment
from netlab.runs.files import (
    BEST_FILE,
    CHECKPOINT_FILE,
    CLASSES_FILE,
    CONFIG_FILE,
    EVENTS_FILE,
    HISTORY_FILE,
    LOCK_FILE,
    MODEL_FILE,
    SKIPPED_FILE,
    TENSORBOARD_DIR,
    is_run,
)

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl

# What a new run writes before its model is built and trained.
START_FILES = frozenset({CONFIG_FILE, CLASSES_FILE, EVENTS_FILE, SKIPPED_FILE})
# What --restart moves aside: everything a run wrote except its settings.
RESULT_FILES = (MODEL_FILE, BEST_FILE, HISTORY_FILE, EVENTS_FILE, CHECKPOINT_FILE, TENSORBOARD_DIR, SKIPPED_FILE)


class RunLock:
    """An exclusive OS lock on a run folder for as long as this process writes it."""

    def __init__(self, run_dir: str | Path):
        self.dir = Path(run_dir)
        self._file = None
        self.created = False  # the folder was made by this claim (claim_run_dir)

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> RunLock:
        path = self.dir / LOCK_FILE
        try:
            f = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open while the lock lives
        except OSError as exc:
            raise RunFolderError(f"cannot write in the run folder {self.dir}: {exc.strerror}") from None
        f.seek(0)  # msvcrt locks bytes from the current position
        if not _try_lock(f):
            f.seek(0)
            holder = f.read().strip()
            f.close()
            raise RunFolderError(
                f"the run folder {self.dir} is being written by another NetLab process"
                f"{f' ({holder})' if holder else ''}; wait for it to finish (or stop it), "
                "or choose another folder"
            )
        # Who holds it, for the message another process prints (informative only).
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        f.flush()
        self._file = f
        return self

    def release(self, remove_if_empty: bool = False) -> None:
        """Drop the lock. ``remove_if_empty``: a folder this claim created and that holds nothing
        but the lock file (a run that failed before writing anything), or only what a new run
        writes before it trains (:data:`START_FILES`) with its failure last in events.jsonl (a
        fine-tuning source that does not open, weights that cannot download), is removed too:
        the same command can then simply be run again."""
        if self._file is not None:
            f, self._file = self._file, None
            if remove_if_empty and self.created and _failed_at_start(self.dir):
                # Still holding the lock: no other writer can be in the folder.
                with contextlib.suppress(OSError):
                    for path in _contents(self.dir):
                        path.unlink()
                    (self.dir / LOCK_FILE).unlink()
                    self.dir.rmdir()
            with contextlib.suppress(OSError):
                f.truncate(0)
            f.close()  # closing the descriptor drops the lock

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _try_lock(f) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def free_run_dir(path: str | Path) -> Path:
    """``path`` itself if it is free, else the first of path-2, path-3, ... that does not exist."""
    path = Path(path)
    if not _contents(path):
        return path
    n = 2
    while path.with_name(f"{path.name}-{n}").exists():
        n += 1
    return path.with_name(f"{path.name}-{n}")


def _failed_at_start(path: Path) -> bool:
    """``path`` holds nothing, or only START_FILES with a RunFailed as the last event."""
    contents = _contents(path)
    if not contents:
        return True
    if not all(p.name in START_FILES and p.is_file() for p in contents):
        return False
    try:
        last = (path / EVENTS_FILE).read_text("utf-8").strip().splitlines()[-1]
        return json.loads(last).get("event") == "RunFailed"
    except (OSError, IndexError, ValueError, AttributeError):
        return False


def _contents(path: Path) -> list[Path]:
    """What a folder holds besides the lock file ([] for a missing or empty folder)."""
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.name != LOCK_FILE)


def move_aside(run_dir: Path, entries: list[Path]) -> Path:
    """Move ``entries`` of ``run_dir`` into a new sibling ``<name>.old-<time>``; never delete."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = run_dir.with_name(f"{run_dir.name}.old-{stamp}")
    aside, n = base, 1
    while True:
        try:
            aside.mkdir()
            break
        except FileExistsError:
            n += 1
            aside = base.with_name(f"{base.name}-{n}")
        except OSError as exc:
            raise RunFolderError(f"cannot move the old contents of {run_dir} aside to {aside}: "
                                 f"{exc.strerror}") from None
    for entry in entries:
        os.replace(entry, aside / entry.name)  # same file system: a rename, nothing copied
    return aside


def checkpoint_problem(run_dir: Path) -> str | None:
    """Why the run's checkpoint cannot be resumed from, or None when it can.

    No checkpoint.json is fine while at most one epoch is in history.csv (a
    kill before, or during, the first checkpoint): resume then starts at
    epoch 1 and loses nothing that was saved.
    """
    path = run_dir / CHECKPOINT_FILE
    if not path.exists():
        epochs = _history_epochs(run_dir)
        if epochs > 1:
            return f"{CHECKPOINT_FILE} is missing although history.csv records {epochs} epochs"
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return f"{CHECKPOINT_FILE} cannot be read ({exc})"
    if not isinstance(state, dict):
        return f"{CHECKPOINT_FILE} does not hold a checkpoint (a JSON object)"
    epoch = state.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
        return f"{CHECKPOINT_FILE} has no valid epoch (a whole number from 1; found {epoch!r})"
    weights = state.get("weights")
    if not isinstance(weights, str) or not weights:
        return f"{CHECKPOINT_FILE} names no weights file"
    if not (run_dir / weights).is_file():
        return f"the checkpoint's weights file {weights} (epoch {epoch}) is missing"
    if not _is_hdf5(run_dir / weights):
        return f"the checkpoint's weights file {weights} (epoch {epoch}) is not a readable weights file"
    return None


def _history_epochs(run_dir: Path) -> int:
    try:
        lines = (run_dir / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    return max(len([line for line in lines[1:] if line.strip()]), 0)


def _is_hdf5(path: Path) -> bool:
    # HDF5's signature opens the file (at offset 0 for everything Keras writes).
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return False


def claim_run_dir(run_dir: str | Path, *, resume: bool = False, overwrite: bool = False,
                  restart: bool = False) -> RunLock:
    """Lock ``run_dir`` for this process and check it may be written as asked.

    A new run (``resume=False``) needs a missing or empty folder, or
    ``overwrite`` (old contents moved aside). A resume needs a usable
    checkpoint, or ``restart`` (old results moved aside, settings kept).
    Returns the held lock; the caller releases it when the run ends.
    """
    run_dir = checked_path(run_dir, "the run folder", RunFolderError)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunFolderError(f"{run_dir} is a file, not a folder: give a folder for the run")
    created = not run_dir.exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"cannot create the run folder {run_dir}: {exc.strerror}") from None
    lock = RunLock(run_dir).acquire()
    lock.created = created
    try:
        if resume:
            _check_resumable(run_dir, restart)
        else:
            _check_empty(run_dir, overwrite)
    except BaseException:
        lock.release(remove_if_empty=True)
        raise
    return lock


def _check_empty(run_dir: Path, overwrite: bool) -> None:
    contents = _contents(run_dir)
    if not contents:
        return
    if overwrite:
        move_aside(run_dir, contents)
        return
    what = "a NetLab run" if is_run(run_dir) else f"{len(contents)} file(s)"
    raise RunFolderError(
        f"{run_dir} already holds {what}. To continue that run: netlab resume {run_dir}. "
        f"To start a new one, choose a free folder such as {free_run_dir(run_dir)}, "
        "or add --overwrite to move the old contents aside (nothing is deleted)"
    )


def _check_resumable(run_dir: Path, restart: bool) -> None:
    problem = checkpoint_problem(run_dir)
    if restart:
        old = [run_dir / name for name in RESULT_FILES if (run_dir / name).exists()]
        old += sorted(run_dir.glob("checkpoint-*.weights.h5"))
        if old:
            move_aside(run_dir, old)
        return
    if problem is not None:
        raise RunFolderError(
            f"cannot resume {run_dir}: {problem}. `netlab resume {run_dir} --restart` starts it "
            "over from epoch 1 in that folder with its config.json, after moving model.keras, "
            "best.keras, history.csv and the checkpoint files aside to a sibling folder"
        )


@dataclass(frozen=True)
class FolderState:
    """What a folder chosen for a new run holds: what the window asks about before training there.

    ``kind``: "free" (missing, or empty but for the lock file), "run" (a NetLab
    run: config.json), "files" (anything else) or "refused" (another process
    writes it, or it cannot be a run folder; ``message`` says which).
    A run is ``resumable`` when ``netlab resume`` would continue it (a usable
    checkpoint and epochs left); otherwise ``message`` says why not.
    ``free_path`` is the free name beside it that the CLI's refusal suggests.
    """

    path: Path
    kind: str
    message: str = ""
    resumable: bool = False
    free_path: Path | None = None


def folder_state(run_dir: str | Path) -> FolderState:
    try:
        run_dir = checked_path(run_dir, "the run folder", RunFolderError)
    except RunFolderError as exc:
        return FolderState(Path(run_dir), "refused", str(exc))
    if run_dir.exists() and not run_dir.is_dir():
        return FolderState(run_dir, "refused", f"{run_dir} is a file, not a folder: give a folder for the run")
    if (run_dir / LOCK_FILE).exists():  # whoever holds the lock has this file
        try:
            RunLock(run_dir).acquire().release()
        except RunFolderError as exc:
            return FolderState(run_dir, "refused", str(exc))
    contents = _contents(run_dir)
    if not contents:
        return FolderState(run_dir, "free")
    if not is_run(run_dir):
        return FolderState(run_dir, "files", f"{run_dir} holds {len(contents)} file(s), not a NetLab run",
                           free_path=free_run_dir(run_dir))
    why_not = resume_problem(run_dir)
    return FolderState(run_dir, "run", why_not or "", resumable=why_not is None,
                       free_path=free_run_dir(run_dir))


def resume_problem(run_dir: Path) -> str | None:
    """Why resuming would not continue the run in ``run_dir`` (no checkpoint, a broken one,
    nothing left to train), or None when it would."""
    problem = checkpoint_problem(run_dir)
    if problem is not None:
        return problem
    try:
        state = json.loads((run_dir / CHECKPOINT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "it has no checkpoint: no epoch was completed"
    except (OSError, ValueError) as exc:
        return f"{CHECKPOINT_FILE} cannot be read ({exc})"
    try:
        epochs = Experiment.load(run_dir / CONFIG_FILE).training.epochs
    except NetlabError as exc:
        return f"its config.json cannot be read ({exc})"
    if state.get("stopped_early"):
        return f"it is finished (early stopping ended it after epoch {state['epoch']})"
    if state["epoch"] >= epochs:
        return f"it is finished ({state['epoch']} of {epochs} epochs)"
    return None
