"""Random-search hyperparameter optimization (seeds/002 "hyperparameter optimization").

Random search over a few knobs beats a grid for the same budget: each trial
draws every knob afresh, so the important ones are sampled at ``budget``
distinct values. Rates and weight decays are drawn log-uniformly (their scale
matters, not their digits), dropout uniformly. Each trial is a short real run;
the trials come back sorted by their best validation accuracy.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netlab.errors import ConfigError

# knob -> (config section, attribute, log scale)
KNOBS = {
    "learning_rate": ("training", "learning_rate", True),
    "weight_decay": ("training", "weight_decay", True),
    "l2": ("regularization", "l2", True),
    "dropout": ("regularization", "dropout", False),
}
DEFAULT_SPACE = {"learning_rate": (1e-4, 1e-2), "l2": (1e-6, 1e-3), "dropout": (0.0, 0.5)}


@dataclass
class Trial:
    index: int
    params: dict
    best_val_accuracy: float = math.nan
    best_val_loss: float = math.nan
    epochs: int = 0
    seconds: float = 0.0
    error: str | None = None  # e.g. a NaN loss at a too-large rate
    run_dir: str | None = None
    history: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "history"}


def sample_params(space: dict, rng: np.random.Generator) -> dict:
    params = {}
    for name, (lo, hi) in space.items():
        _, _, log = KNOBS[name]
        if log and lo > 0:
            params[name] = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        else:
            params[name] = float(rng.uniform(lo, hi))
    return params


def _check_space(space: dict) -> None:
    for name, bounds in space.items():
        if name not in KNOBS:
            raise ConfigError(f"search: unknown knob {name!r} (known: {', '.join(KNOBS)})")
        try:
            lo, hi = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise ConfigError(f"search: {name} needs a (low, high) pair (got {bounds!r})") from None
        if not (0 <= lo <= hi) or math.isinf(hi):
            raise ConfigError(f"search: {name} needs 0 <= low <= high (got {lo:g}, {hi:g})")


def random_search(experiment, budget: int = 8, epochs_per_trial: int = 2, space: dict | None = None,
                  seed: int = 0, on_trial: Callable[[Trial], None] | None = None,
                  run_root: str | Path | None = None) -> list[Trial]:
    """Run ``budget`` short trials with randomly drawn knobs; best validation accuracy first."""
    import keras

    from netlab.errors import NetlabError
    from netlab.training.trainer import Trainer

    space = dict(DEFAULT_SPACE if space is None else space)
    _check_space(space)
    if budget < 1 or epochs_per_trial < 1:
        raise ConfigError(f"search: budget and epochs must be >= 1 (got {budget}, {epochs_per_trial})")
    experiment.validate()
    rng = np.random.default_rng(seed)
    trials = []
    for index in range(budget):
        params = sample_params(space, rng)
        exp = copy.deepcopy(experiment)
        exp.training.epochs = epochs_per_trial
        exp.training.early_stopping = False
        exp.training.warmup_epochs = min(exp.training.warmup_epochs, epochs_per_trial - 1)
        for name, value in params.items():
            section, attr, _ = KNOBS[name]
            setattr(getattr(exp, section), attr, value)
        run_dir = Path(run_root) / f"trial-{index + 1:02d}" if run_root is not None else None
        trial = Trial(index=index + 1, params=params, run_dir=str(run_dir) if run_dir else None)
        started = time.perf_counter()
        keras.backend.clear_session()  # each trial builds a fresh graph; free the last one
        try:
            result = Trainer(exp, run_dir=run_dir).run()
            trial.history = result.history
            trial.epochs = len(result.history.get("val_accuracy", []))
            trial.best_val_accuracy = max(result.history.get("val_accuracy", [math.nan]))
            trial.best_val_loss = min(result.history.get("val_loss", [math.nan]))
        except NetlabError as exc:  # NaN at a too-large rate is a result, not a crash
            trial.error = str(exc)
        trial.seconds = time.perf_counter() - started
        trials.append(trial)
        if on_trial is not None:
            on_trial(trial)
    return sorted(trials, key=lambda t: -t.best_val_accuracy if math.isfinite(t.best_val_accuracy)
                  else math.inf)
