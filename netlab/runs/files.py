"""The names of the files in NetLab's folders, and what a folder is by the files it holds.

The one place a file name of a run, a search or a lesson is spelled; the rest
of NetLab asks :class:`netlab.runs.run.RunFolder` (which asks this module).
Nothing here imports another NetLab module, so every module of netlab.runs
can read the names.
"""

from __future__ import annotations

import json
from pathlib import Path

# A run's folder (netlab/runs/folder.py writes it).
CONFIG_FILE = "config.json"  # its settings: what makes a folder a run
CLASSES_FILE = "classes.json"
MODEL_FILE = "model.keras"  # the last epoch's model, written when training ends
BEST_FILE = "best.keras"  # the lowest val_loss so far
HISTORY_FILE = "history.csv"
EVENTS_FILE = "events.jsonl"
HEALTH_FILE = "health.csv"  # gradient and unit health per layer, every few batches (netlab/runs/health_log.py)
CHECKPOINT_FILE = "checkpoint.json"
SKIPPED_FILE = "skipped_files.txt"  # the image files a dataset folder could not read
TENSORBOARD_DIR = "tensorboard"
# A search's folder (netlab/search/study.py): its settings; each trial is a run at trial-NNNN.
SEARCH_FILE = "search.json"
TRIAL_FILE = "trial.json"  # in a trial's run folder: how the trial ended
LOCK_FILE = ".netlab.lock"  # held by the one process that writes the folder (netlab/runs/lock.py)
LESSON_FILE = "lesson.json"  # in a lesson's folder: its name and budget, so it can go on after a stop


def is_run(path) -> bool:
    """Whether ``path`` is a run's folder (it holds the run's settings)."""
    return (Path(path) / CONFIG_FILE).is_file()


def is_search(path) -> bool:
    return (Path(path) / SEARCH_FILE).is_file()


def lesson_in(path) -> dict | None:
    """The name and budget of the lesson whose folder ``path`` is, or None."""
    try:
        held = json.loads((Path(path) / LESSON_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return held if isinstance(held, dict) and {"name", "budget"} <= held.keys() else None


def lesson_resume_command(path) -> str | None:
    held = lesson_in(path)
    return None if held is None else f"netlab experiment {held['name']} --budget {held['budget']} --resume {path}"


# What folder_kind answers -> how a message names it.
KNOWN_FOLDERS = {"run": "a run's folder", "search": "a search's folder", "lesson": "a lesson's folder",
                 "arm": "a folder of a lesson's runs"}


def folder_kind(path) -> str | None:
    """What NetLab folder ``path`` is: "run" (its config.json), "search" (search.json), "lesson"
    (lesson.json, or runs at ARM/seed-N), "arm" (a lesson's ARM folder: runs at seed-N); None for
    any other folder, or none."""
    path = Path(path)
    if not path.is_dir():
        return None
    if is_run(path):
        return "run"
    if is_search(path):
        return "search"
    if (path / LESSON_FILE).is_file() or any(path.glob(f"*/seed-*/{CONFIG_FILE}")):
        return "lesson"
    if any(path.glob(f"seed-*/{CONFIG_FILE}")):
        return "arm"
    return None


def folder_without_model(path, name: str = MODEL_FILE) -> str | None:
    """Why a folder NetLab knows has no ``name`` to open, naming what to give instead: an unfinished run,
    a search's folder or a lesson's; None for any other folder (the caller says what it needs)."""
    path = Path(path)
    kind = folder_kind(path)
    if kind == "run":  # a run still training, stopped, or killed before its end
        if name == MODEL_FILE and (path / BEST_FILE).is_file():
            return (f"{path} has no {name} yet: its training has not finished; netlab resume {path} "
                    f"finishes it, and {path / BEST_FILE} holds its best epoch so far")
        return f"{path} has no {name} yet: its training has not finished an epoch; netlab resume {path} goes on"
    if kind == "search":
        trials = sorted(path.glob(f"trial-*/{CONFIG_FILE}"))
        example = f"{trials[0].parent}, ..." if trials else "none has begun yet"
        return f"{path} is a search's folder; give one of its trials' run folders ({example})"
    runs = sorted(path.glob(f"*/seed-*/{CONFIG_FILE}"))
    if kind == "lesson" and runs:
        return f"{path} is a lesson's folder; give one of its runs ({runs[0].parent}, ...)"
    return None
