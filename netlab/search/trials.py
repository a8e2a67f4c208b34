"""What a search reports and keeps: its events, the trials table, and what a trial trains.

A row (:class:`TrialRow`) is a study's trial as the Search tab and ``netlab
search`` list it; the budget counts trials that are finished or running
(``count_taken``). Optuna is imported where it is used: the CLI reads the
search's names when it builds its parsers, and importing Optuna's importance
module alone takes seconds.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

from netlab.config import Experiment
from netlab.config.paths import set_value
from netlab.training.events import Event


# -- events -----------------------------------------------------------------
@dataclass
class SearchStarted(Event):
    out_dir: str
    study_name: str
    storage: str
    trials: int  # the budget
    taken: int  # trials already finished or running (resume, a shared study)
    joined: bool = False  # the study existed: its settings are used


@dataclass
class TrialStarted(Event):
    """One trial begins; the Trainer's own events for its run follow."""

    number: int
    params: dict = field(default_factory=dict)
    run_dir: str = ""


@dataclass
class TrialFinished(Event):
    trial: dict  # TrialRow.to_dict()
    rows: list = field(default_factory=list)  # every trial so far, best validation accuracy first
    importances: dict = field(default_factory=dict)  # setting -> share (fANOVA), once 2 trials completed
    taken: int = 0
    trials: int = 0


@dataclass
class SearchFinished(Event):
    stopped: bool
    taken: int
    trials: int
    rows: list = field(default_factory=list)


@dataclass
class TrialRow:
    number: int
    state: str  # complete, pruned, failed, running, waiting, interrupted, over budget
    params: dict
    val_accuracy: float | None = None  # the best of its epochs
    val_loss: float | None = None  # the best of its epochs: the objective
    epochs: int = 0
    run_dir: str | None = None
    error: str | None = None  # why it failed, or why it was not run (over budget)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


OVER_BUDGET = "over_budget"  # the user attribute that marks such a trial, holding the reason


# -- rows ---------------------------------------------------------------------
def trial_row(trial) -> TrialRow:
    """A study's trial (Optuna's FrozenTrial) as a row of the trials table."""
    from optuna.trial import TrialState

    attrs = trial.user_attrs
    state = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned", TrialState.RUNNING: "running",
             TrialState.WAITING: "waiting"}.get(trial.state)
    if state is None:
        state = "failed" if "error" in attrs else "over budget" if OVER_BUDGET in attrs else "interrupted"
    return TrialRow(number=trial.number, state=state, params=dict(trial.params),
                    val_accuracy=attrs.get("val_accuracy"), val_loss=attrs.get("val_loss"),
                    epochs=int(attrs.get("epochs", 0)), run_dir=attrs.get("run_dir"),
                    error=attrs.get("error", attrs.get(OVER_BUDGET)))


def sorted_rows(trials) -> list[TrialRow]:
    """Best validation accuracy first; trials without one after, by number."""
    rows = [trial_row(t) for t in trials]
    return sorted(rows, key=lambda r: (r.val_accuracy is None, -(r.val_accuracy or 0.0), r.number))


def counts_toward_budget(trial) -> bool:
    from optuna.trial import TrialState

    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING):
        return True
    return trial.state == TrialState.FAIL and "error" in trial.user_attrs


def count_taken(trials) -> int:
    """How many of ``trials`` (a study's, read once) count toward the budget."""
    return sum(counts_toward_budget(t) for t in trials)


def param_importances(study, trials=None) -> dict:
    """Each searched setting's share of the objective's variance (fANOVA), or {} before two
    completed trials vary them (``trials``: the study's, when already read)."""
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False) if trials is None else trials
    if sum(t.state == TrialState.COMPLETE for t in trials) < 2:
        return {}
    try:
        return {k: float(v) for k, v in get_param_importances(
            study, evaluator=FanovaImportanceEvaluator(seed=0)).items()}
    except (RuntimeError, ValueError):  # e.g. every completed trial had the same settings
        return {}


def apply_params(experiment: Experiment, params: dict) -> Experiment:
    """A copy of ``experiment`` with a trial's settings (dotted path -> value): "load this trial's settings"."""
    exp = copy.deepcopy(experiment)
    _set_params(exp, params)
    return exp


def _set_params(experiment: Experiment, params: dict) -> None:
    for path, value in params.items():
        set_value(experiment, path, value)


def trial_experiment(experiment: Experiment, params: dict) -> Experiment:
    """What a trial trains: the settings drawn, ``search.trial_epochs`` epochs, no early stopping
    (a searched setting wins over these, e.g. a searched training.warmup_epochs)."""
    exp = copy.deepcopy(experiment)
    t, epochs = exp.training, exp.search.trial_epochs
    t.epochs, t.early_stopping = epochs, False
    t.warmup_epochs = min(t.warmup_epochs, epochs - 1)
    exp.finetune.head_epochs = min(exp.finetune.head_epochs, epochs - 1)
    _set_params(exp, params)
    return exp
