"""A run is a folder: config.json, classes.json, history.csv, events.jsonl,
model.keras (last), best.keras (best val_loss), checkpoint.json plus
checkpoint-NNNN.weights.h5 (the last complete epoch, with the optimizer state,
for resume) and tensorboard/.

Every file but the append-only event log is written to a temporary name and
renamed, so a crash at any moment never leaves half a file. The checkpoint's
weights file is written first under a new name and checkpoint.json, renamed
last, points at it: a kill between the two leaves the previous pair intact.
A full disk stops the run with a DiskFullError that names the file and the
last good checkpoint; the files already there stay as they were.

Who may write a folder (one process at a time, never over another run) is
decided in netlab/runs/lock.py.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import time
from pathlib import Path

from netlab.base.atomic import (
    atomic_path,
    atomic_write_json,
    atomic_write_text,
    disk_full_as_error,
    is_netlab_temporary,
)
from netlab.base.errors import DiskFullError
from netlab.base.user_paths import fitting_name
from netlab.data import source_names
from netlab.runs.csv_rows import read_rows
from netlab.runs.files import (  # noqa: F401  (BEST_FILE, MODEL_FILE, TENSORBOARD_DIR: re-exported)
    BEST_FILE,
    CHECKPOINT_FILE,
    CLASSES_FILE,
    CONFIG_FILE,
    EVENTS_FILE,
    HISTORY_FILE,
    MODEL_FILE,
    TENSORBOARD_DIR,
)


def new_run_dir(root: str | Path, arch: str, dataset: str) -> Path:
    """A fresh folder under ``root`` named by time, architecture and dataset."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(root) / fitting_name(f"{stamp}-{arch}-{Path(dataset).name}")
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def absolute_dataset(experiment):
    """A copy whose image-folder dataset is an absolute path (a built-in name stays a name).

    A run folder is read again from anywhere (resume, evaluate), so a folder
    given relative to the working directory is stored resolved.
    """
    dataset = str(experiment.data.dataset)
    folder = Path(dataset).expanduser()
    if dataset in source_names() or not folder.is_dir():
        return experiment
    stored = copy.deepcopy(experiment)
    stored.data.dataset = str(folder.resolve())
    return stored


def shown_dataset(dataset: str) -> str:
    """A dataset as printed: a folder below the working directory relative to it, so a
    resumed run reads as it was started (config.json holds it absolute)."""
    path = Path(dataset)
    if not path.is_absolute():
        return dataset
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return dataset


class RunWriter:
    def __init__(self, run_dir: str | Path):
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.history: list[dict] = []
        self.disk_full = False

    @contextlib.contextmanager
    def _writing(self, path: Path):
        """A full disk stops the run with one message: the file, and the last good checkpoint."""
        try:
            with disk_full_as_error(path):
                yield
        except DiskFullError as exc:
            self.disk_full = True
            checkpoint = read_checkpoint(self.dir)
            kept = (f"the last good checkpoint is epoch {checkpoint['epoch']}; free some space, then "
                    f"`netlab resume {self.dir}` continues from it") if checkpoint else \
                (f"no epoch was checkpointed yet; free some space, then `netlab resume {self.dir}` "
                 "starts it again from epoch 1")
            raise DiskFullError(f"disk full while writing {exc.path or path}; {kept}",
                                path=exc.path or path) from None

    def write_config(self, experiment) -> None:
        path = self.dir / CONFIG_FILE
        with self._writing(path):
            absolute_dataset(experiment).save(path)

    def write_classes(self, class_names, input_shape) -> None:
        path = self.dir / CLASSES_FILE
        with self._writing(path):
            atomic_write_json(path, {"class_names": list(class_names), "input_shape": list(input_shape)})

    def log_event(self, event) -> None:
        if self.disk_full:
            return  # the failure that follows a full disk cannot be logged either; it is reported
        path = self.dir / EVENTS_FILE
        with self._writing(path), open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(event.to_dict()) + "\n")

    def add_epoch(self, epoch: int, metrics: dict) -> None:
        self.history.append({"epoch": epoch + 1, **metrics})
        with self._writing(self.dir / HISTORY_FILE):
            self._write_history()

    def truncate_history(self, epochs: int) -> list[dict]:
        """Keep the first ``epochs`` rows of history.csv (resume drops the epoch a kill cut short)."""
        try:
            rows = read_history(self.dir)
        except FileNotFoundError:
            rows = []
        self.history = [row for row in rows if 1 <= row.get("epoch", 0) <= epochs]
        self.history = list({int(row["epoch"]): row for row in self.history}.values())
        for row in self.history:
            row["epoch"] = int(row["epoch"])
        self._write_history()
        return self.history

    def _write_history(self) -> None:
        columns = list(dict.fromkeys(k for row in self.history for k in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.history)
        atomic_write_text(self.dir / HISTORY_FILE, buffer.getvalue())

    def save_model(self, model, name: str = MODEL_FILE) -> Path:
        target = self.dir / name
        with self._writing(target), atomic_path(target) as tmp:
            model.save(tmp)
        return target

    def save_checkpoint(self, train_model, state: dict) -> None:
        """Weights + optimizer state (step counter = schedule position) and the run's counters."""
        name = f"checkpoint-{int(state['epoch']):04d}.weights.h5"
        # The temporary keeps the ".weights.h5" ending Keras insists on.
        with self._writing(self.dir / name), atomic_path(self.dir / name) as tmp:
            train_model.save_weights(tmp)
        with self._writing(self.dir / CHECKPOINT_FILE):
            atomic_write_json(self.dir / CHECKPOINT_FILE, {**state, "weights": name})
        for old in self.dir.glob("checkpoint-*.weights.h5"):
            if old.name != name:
                old.unlink(missing_ok=True)

    def remove_stray_temporaries(self) -> None:
        """Temporary files a kill left behind: only the names NetLab's atomic writes make."""
        for path in self.dir.iterdir():
            if is_netlab_temporary(path.name) and path.is_file():
                path.unlink(missing_ok=True)


def read_checkpoint(run_dir: str | Path) -> dict | None:
    """The last complete epoch's checkpoint state, or None when there is none (usable)."""
    run_dir = Path(run_dir)
    try:
        state = json.loads((run_dir / CHECKPOINT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not (run_dir / str(state.get("weights", ""))).is_file():
        return None
    epoch = state.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
        return None
    return state


def read_classes(model_path: str | Path) -> list[str] | None:
    """Class names saved beside a model file (classes.json), if any."""
    path = Path(model_path).with_name(CLASSES_FILE)
    try:
        return list(json.loads(path.read_text(encoding="utf-8"))["class_names"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_history(run_dir: str | Path) -> list[dict]:
    """history.csv's rows as numbers; a damaged row is a TrainingError naming its line."""
    # A short row leaves None values (and a long one a None key): not a number either.
    return read_rows(Path(run_dir) / HISTORY_FILE,
                     lambda row: {k: float(v) for k, v in row.items() if v != "" and k is not None},
                     " (an incomplete or non-numeric row); remove that line to resume from the epochs "
                     "before it, or train the run again")
