"""The names of the files in a run folder.

Kept apart from netlab.training.runs so that code which only opens a run's
model (predict, the window's classifier) needs nothing from the training
package, and training's evaluate can use predict without an import circle.
"""

MODEL_FILE = "model.keras"
BEST_FILE = "best.keras"
CLASSES_FILE = "classes.json"
CHECKPOINT_FILE = "checkpoint.json"
TENSORBOARD_DIR = "tensorboard"


def folder_without_model(path, name: str = MODEL_FILE) -> str | None:
    """Why a folder NetLab knows has no ``name`` to open, naming what to give instead: an unfinished run,
    a search's folder or a lesson's; None for any other folder (the caller says what it needs)."""
    from pathlib import Path

    path = Path(path)
    if (path / "config.json").is_file():  # a run still training, stopped, or killed before its end
        if name == MODEL_FILE and (path / BEST_FILE).is_file():
            return (f"{path} has no {name} yet: its training has not finished; netlab resume {path} "
                    f"finishes it, and {path / BEST_FILE} holds its best epoch so far")
        return f"{path} has no {name} yet: its training has not finished an epoch; netlab resume {path} goes on"
    if (path / "search.json").is_file():
        trials = sorted(path.glob("trial-*/config.json"))
        example = f"{trials[0].parent}, ..." if trials else "none has begun yet"
        return f"{path} is a search's folder; give one of its trials' run folders ({example})"
    runs = sorted(path.glob("*/seed-*/config.json"))
    if runs:
        return f"{path} is a lesson's folder; give one of its runs ({runs[0].parent}, ...)"
    return None
