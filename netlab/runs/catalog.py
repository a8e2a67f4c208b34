"""The runs under a folder, with their settings and final metrics (for the runs browser)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from netlab.models.sources import model_label
from netlab.runs.run import RunFolder


@dataclass
class RunInfo:
    path: Path
    arch: str = "?"
    dataset: str = "?"
    epochs_planned: int | None = None
    history: list[dict] = field(default_factory=list)
    has_model: bool = False
    # Its name under the listed folder when nested: an experiment's "ARM/seed-N", a search's "DIR/trial-NNNN".
    label: str = ""
    trial_state: str | None = None  # a search trial's outcome: complete, pruned, failed, stopped

    @property
    def folder(self) -> RunFolder:
        return RunFolder(self.path)

    @property
    def name(self) -> str:
        return self.label or self.path.name

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    def final(self, metric: str) -> float | None:
        for row in reversed(self.history):
            if metric in row:
                return row[metric]
        return None

    def best(self, metric: str, mode: str = "max") -> float | None:
        values = [row[metric] for row in self.history if metric in row]
        if not values:
            return None
        return max(values) if mode == "max" else min(values)

    def series(self, metric: str) -> tuple[list[float], list[float]]:
        rows = [row for row in self.history if metric in row]
        return [row.get("epoch", i + 1) for i, row in enumerate(rows)], [row[metric] for row in rows]


def read_run(path: str | Path) -> RunInfo | None:
    """A run folder's summary, or None when the folder is not a run."""
    folder = RunFolder(path)
    if not folder.is_run:
        return None
    info = RunInfo(path=folder.path, has_model=folder.model_path.is_file())
    try:
        config = json.loads(folder.config_path.read_text(encoding="utf-8"))
        ft = config.get("finetune") or {}
        info.arch = model_label(config["model"]["arch"], ft.get("source"), bool(ft.get("into_arch")))
        info.dataset = config["data"]["dataset"]
        info.epochs_planned = config["training"]["epochs"]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # listed with what is readable; a damaged config does not hide the run
    try:
        info.history = folder.history()
    except (OSError, ValueError):
        info.history = []
    try:
        info.trial_state = str(json.loads(folder.trial_path.read_text(encoding="utf-8"))["state"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return info


def list_runs(root: str | Path) -> list[RunInfo]:
    """Every run folder directly under ``root``, and the trials' runs of each search folder
    there (``root/SEARCH/trial-NNNN``), newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = []
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        if RunFolder(folder).is_search:
            for trial in list_nested_runs(folder):
                trial.label = f"{folder.name}/{trial.label}"
                runs.append(trial)
        else:
            runs.append(read_run(folder))
    return sorted((r for r in runs if r is not None), key=lambda r: r.name, reverse=True)


def list_nested_runs(folder: str | Path) -> list[RunInfo]:
    """The runs of an experiment's folder (``ARM/seed-N``, netlab/lessons/runner.py), by name.

    A run directly in ``folder`` is listed too; each is named by its path under ``folder``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir()):
        runs = [read_run(path)] if RunFolder(path).is_run else \
            [read_run(p) for p in sorted(path.iterdir()) if p.is_dir()]
        for run in filter(None, runs):
            run.label = run.path.relative_to(folder).as_posix()
            found.append(run)
    return found
