"""The model the window is looking at, owned in one place, and where its runs go; no Qt here.

The main window holds one :class:`CurrentModel`. Whoever changes it (a
training that finished, a ``.keras`` file opened in the Classify tab, the
Runs tab or the File menu) calls :meth:`CurrentModel.set`; every tab follows
it through the window's one ``model_changed`` signal, which re-emits this
object's observer call (``set_model(current)`` in each tab). No tab asks
another widget which model is current.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from netlab.runs.run import run_folder_of

Observer = Callable[["CurrentModel"], None]


def runs_root() -> Path:
    """Where the window's runs go: $NETLAB_RUNS, or netlab-runs in the home folder."""
    return Path(os.environ.get("NETLAB_RUNS", Path.home() / "netlab-runs"))


class CurrentModel:
    """The current model: the Keras model the window holds, its classes, where it came from.

    ``source`` is how the window names it ("just trained (...)", a file's
    name); ``path`` is its ``.keras`` file when it has one, and ``run_dir``
    the run folder that file lies in (None for a model outside a run).
    Observers are called in the order they subscribed, with this object,
    after every change.
    """

    def __init__(self) -> None:
        self.model = None
        self.class_names: list[str] | None = None
        self.source = ""
        self.path: Path | None = None
        self.run_dir: Path | None = None
        self._observers: list[Observer] = []

    @classmethod
    def of(cls, model, class_names=None, source: str = "", path=None) -> CurrentModel:
        """A current model already set (a tab on its own, a benchmark, a test)."""
        current = cls()
        current.set(model, class_names, source, path)
        return current

    def set(self, model, class_names, source: str, path=None) -> None:
        """Make ``model`` (classes ``class_names``, or None when unknown) the current one, and tell
        every observer."""
        self.model = model
        self.class_names = list(class_names) if class_names is not None else None
        self.source = source
        self.path = Path(path) if path is not None else None
        self.run_dir = run_folder_of(self.path) if self.path is not None else None
        for observer in list(self._observers):
            observer(self)

    @property
    def input_shape(self) -> tuple | None:
        """The model's input shape without the batch axis (height, width, channels), or None
        (no model, or one with several inputs)."""
        shape = getattr(self.model, "input_shape", None)
        if not isinstance(shape, tuple) or not shape or isinstance(shape[0], (tuple, list)):
            return None
        return tuple(shape[1:])

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(self)`` after every change; returns the call that unsubscribes it."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None


class HealthHistory:
    """A run's health measurements (netlab/training/health.py) as they arrive or from its
    health.csv: per measure and layer the steps and values; no Qt, no TensorFlow.

    The Health tab draws it; :meth:`latest` gives the newest value per layer of a
    measure (what the graph colours its nodes by).
    """

    def __init__(self) -> None:
        self.series: dict[str, dict[str, tuple[list[int], list[float]]]] = {}
        self.last_step = 0

    @classmethod
    def from_rows(cls, rows: list[dict]) -> HealthHistory:
        """From ``RunFolder.health()``'s rows (step, epoch, layer, measures)."""
        history = cls()
        for row in rows:
            measures = {k: v for k, v in row.items() if k not in ("step", "epoch", "layer")}
            history.add(row["step"], {row["layer"]: measures})
        return history

    def clear(self) -> None:
        self.series.clear()
        self.last_step = 0

    def add(self, step: int, values: dict[str, dict[str, float]]) -> None:
        """One measurement's ``values[layer][measure]`` at ``step``."""
        for layer, measures in values.items():
            for name, value in measures.items():
                steps, points = self.series.setdefault(name, {}).setdefault(layer, ([], []))
                steps.append(step)
                points.append(float(value))
        self.last_step = max(self.last_step, step)

    def measures(self) -> list[str]:
        return list(self.series)

    def layers(self, measure: str) -> list[str]:
        return list(self.series.get(measure, {}))

    def latest(self, measure: str) -> dict[str, float]:
        """``{layer: its newest value}`` of ``measure`` ({} when none was measured)."""
        return {layer: points[-1] for layer, (_, points) in self.series.get(measure, {}).items() if points}

    def worst(self, measure: str, n: int, highest: bool = True) -> list[str]:
        """The ``n`` layers whose newest value is the highest (or lowest), NaN last."""
        latest = self.latest(measure)
        def key(layer):
            value = latest[layer]
            return (value != value, -value if highest else value)
        return sorted(latest, key=key)[:n]
