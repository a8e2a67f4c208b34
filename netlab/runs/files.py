"""The names of the files in a run folder.

Kept apart from netlab.runs.folder so that code which only opens a run's
model (predict, the window's classifier) needs nothing from the training
package, and training's evaluate can use predict without an import circle.
"""

MODEL_FILE = "model.keras"
BEST_FILE = "best.keras"
CLASSES_FILE = "classes.json"
CHECKPOINT_FILE = "checkpoint.json"
TENSORBOARD_DIR = "tensorboard"
LESSON_FILE = "lesson.json"  # in a lesson's folder: its name and budget, so it can go on after a stop


def lesson_in(path) -> dict | None:
    """The name and budget of the lesson whose folder ``path`` is, or None."""
    import json
    from pathlib import Path

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
    from pathlib import Path

    path = Path(path)
    if not path.is_dir():
        return None
    if (path / "config.json").is_file():
        return "run"
    if (path / "search.json").is_file():  # netlab/search/study.py's SEARCH_FILE
        return "search"
    if (path / LESSON_FILE).is_file() or any(path.glob("*/seed-*/config.json")):
        return "lesson"
    if any(path.glob("seed-*/config.json")):
        return "arm"
    return None


def folder_without_model(path, name: str = MODEL_FILE) -> str | None:
    """Why a folder NetLab knows has no ``name`` to open, naming what to give instead: an unfinished run,
    a search's folder or a lesson's; None for any other folder (the caller says what it needs)."""
    from pathlib import Path

    path = Path(path)
    kind = folder_kind(path)
    if kind == "run":  # a run still training, stopped, or killed before its end
        if name == MODEL_FILE and (path / BEST_FILE).is_file():
            return (f"{path} has no {name} yet: its training has not finished; netlab resume {path} "
                    f"finishes it, and {path / BEST_FILE} holds its best epoch so far")
        return f"{path} has no {name} yet: its training has not finished an epoch; netlab resume {path} goes on"
    if kind == "search":
        trials = sorted(path.glob("trial-*/config.json"))
        example = f"{trials[0].parent}, ..." if trials else "none has begun yet"
        return f"{path} is a search's folder; give one of its trials' run folders ({example})"
    runs = sorted(path.glob("*/seed-*/config.json"))
    if kind == "lesson" and runs:
        return f"{path} is a lesson's folder; give one of its runs ({runs[0].parent}, ...)"
    return None
