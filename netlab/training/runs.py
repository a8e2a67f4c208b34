"""A run is a folder: config.json, classes.json, history.csv, events.jsonl, model.keras.

Every file but the append-only event log is written to a temporary name and
renamed, so a crash at any moment never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

from netlab.io import atomic_path, atomic_write_json, atomic_write_text

MODEL_FILE = "model.keras"
CLASSES_FILE = "classes.json"


def new_run_dir(root: str | Path, arch: str, dataset: str) -> Path:
    """A fresh folder under ``root`` named by time, architecture and dataset."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{stamp}-{arch}-{Path(dataset).name}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


class RunWriter:
    def __init__(self, run_dir: str | Path):
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.history: list[dict] = []

    def write_config(self, experiment) -> None:
        experiment.save(self.dir / "config.json")

    def write_classes(self, class_names, input_shape) -> None:
        atomic_write_json(self.dir / CLASSES_FILE,
                          {"class_names": list(class_names), "input_shape": list(input_shape)})

    def log_event(self, event) -> None:
        with open(self.dir / "events.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(event.to_dict()) + "\n")

    def add_epoch(self, epoch: int, metrics: dict) -> None:
        self.history.append({"epoch": epoch + 1, **metrics})
        columns = list(dict.fromkeys(k for row in self.history for k in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.history)
        atomic_write_text(self.dir / "history.csv", buffer.getvalue())

    def save_model(self, model, name: str = MODEL_FILE) -> Path:
        target = self.dir / name
        with atomic_path(target) as tmp:
            model.save(tmp)
        return target


def read_classes(model_path: str | Path) -> list[str] | None:
    """Class names saved beside a model file (classes.json), if any."""
    path = Path(model_path).with_name(CLASSES_FILE)
    try:
        return list(json.loads(path.read_text(encoding="utf-8"))["class_names"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_history(run_dir: str | Path) -> list[dict]:
    with open(Path(run_dir) / "history.csv", encoding="utf-8", newline="") as f:
        return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(f)]
