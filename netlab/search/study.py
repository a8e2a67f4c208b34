"""Hyperparameter search on Optuna (Akiba et al. 2019; Bergstra & Bengio 2012).

A study is a database (Optuna's RDB storage): SQLite inside the search folder
by default, so a search survives a kill and ``netlab search --resume DIR``
goes on; a shared URL (``--storage postgresql://...``) lets processes on
several machines join one study, each trial a row that exactly one of them
runs. TPE draws each trial's settings from the trials so far (random and grid
on request); the median pruner reads every epoch's validation loss and stops
a trial worse than the median of earlier trials at that epoch.

Each trial is a normal run folder, ``DIR/trial-NNNN`` (NNNN: the study's trial
number, unique across every process), with its settings in config.json and
its outcome in trial.json (complete, pruned, failed or stopped). The objective
is a trial's best validation loss (what pruning compares); trials are listed
by their best validation accuracy.

The budget counts trials that are finished (complete, pruned, or failed by
their numbers, e.g. a NaN loss at a too-large rate) or running in some
process. A trial whose process was killed or stopped (``interrupted``) does
not count: the search runs another in its place. Each process checks the count
before its next trial, so two of them can both start one when one slot is left:
a trial whose lower-numbered trials already fill the budget is not trained but
failed at once (``over budget``), and its process stops.

The trials' events and rows are in netlab/search/trials.py. Optuna (and the
Trainer's Keras callbacks) are imported where they are used: the CLI reads
DEFAULT_STUDY here when it builds its parsers, before anything trains.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

from netlab.base.atomic import atomic_write_json
from netlab.base.errors import NetlabError, SearchError
from netlab.config import Experiment
from netlab.runs.files import SEARCH_FILE, TRIAL_FILE  # the experiment searched; how a trial ended
from netlab.search.trials import (
    OVER_BUDGET,
    SearchFinished,
    SearchStarted,
    TrialFinished,
    TrialRow,
    TrialStarted,
    count_taken,
    param_importances,
    sorted_rows,
    trial_experiment,
    trial_row,
)
from netlab.training.events import Event
from netlab.training.trainer import Trainer

STUDY_FILE = "study.db"
DEFAULT_STUDY = "netlab-search"
# Shared storage: a trial whose process stops beating for GRACE_SECONDS is failed by the
# next process that starts a trial (Optuna's heartbeat), so a lost machine's trial is redone.
HEARTBEAT_SECONDS = 30
GRACE_SECONDS = 120


class _Stopped(Exception):
    """Raised out of the objective when the user stops the search (Optuna marks the trial failed)."""


class _OverBudget(Exception):
    """Raised out of the objective when trials before it took the budget (Optuna marks it failed)."""


# -- the study ------------------------------------------------------------------
def open_storage(url: str):
    """Optuna's RDB storage at ``url`` (sqlite:///..., postgresql://..., mysql://...)."""
    import optuna

    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    try:
        with warnings.catch_warnings():  # the heartbeat is marked experimental; it is what we want
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(url, engine_kwargs=engine, heartbeat_interval=HEARTBEAT_SECONDS,
                                              grace_period=GRACE_SECONDS)
    except Exception as exc:  # noqa: BLE001 - a bad URL, a missing driver, a server that refuses
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SearchError(f"cannot open the study storage {url}: {reason}") from None


def make_sampler(search, dimensions):
    import optuna

    if search.sampler == "grid":
        return optuna.samplers.GridSampler({d.path: d.grid(search.grid_points) for d in dimensions},
                                           seed=search.seed)
    if search.sampler == "random":
        return optuna.samplers.RandomSampler(seed=search.seed)
    # TPE models the trials once it has a few; Optuna's 10 random ones first would leave a
    # budget of 8 all random.
    startup = max(2, min(10, search.trials // 3))
    return optuna.samplers.TPESampler(seed=search.seed, n_startup_trials=startup)


def make_pruner(search):
    import optuna

    if search.pruner == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=search.prune_after_trials,
                                       n_warmup_steps=search.prune_after_epochs)


def _alive(pid) -> bool:
    """Whether process ``pid`` of this machine still runs (True when that cannot be told)."""
    if not isinstance(pid, int) or os.name != "posix":
        return True  # Windows: os.kill would end it; Optuna's heartbeat finds dead trials there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_search_file(out_dir: Path) -> dict:
    path = out_dir / SEARCH_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SearchError(f"{out_dir} is not a search folder (it has no {SEARCH_FILE}); "
                          "start one with netlab search --out") from None
    except (OSError, ValueError) as exc:
        raise SearchError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("experiment"), dict):
        raise SearchError(f"{path} is damaged (no experiment in it)")
    return data


class Search:
    """One process's part of a study: trials run in sequence until the study has its budget.

    ``Search(experiment, out_dir)`` starts a search in a new folder; ``resume=True``
    continues (or joins, while another process runs it) the one in ``out_dir``.
    ``storage``: a database URL shared by several machines (default: out_dir/study.db).
    """

    def __init__(self, experiment: Experiment | None, out_dir: str | Path, *, resume: bool = False,
                 storage: str | None = None, study_name: str | None = None,
                 on_event: Callable[[Event], None] | None = None, stop_event: threading.Event | None = None):
        self.out_dir = Path(out_dir)
        self.on_event = on_event
        self.stop_event = stop_event or threading.Event()
        self.joined = False
        if resume:
            saved = read_search_file(self.out_dir)
            experiment = Experiment.from_dict(saved["experiment"])
            storage = storage or saved.get("storage")
            study_name = study_name or saved.get("study_name")
        elif experiment is None:
            raise SearchError("a new search needs an experiment")
        elif self.out_dir.exists() and any(self.out_dir.iterdir()):
            hint = (f": netlab search --resume {self.out_dir} continues the search there, or choose a new folder"
                    if (self.out_dir / SEARCH_FILE).is_file() else "; choose a new folder")
            raise SearchError(f"the search folder {self.out_dir} already holds files{hint}")
        self.storage_url = storage or f"sqlite:///{(self.out_dir / STUDY_FILE).resolve()}"
        self.study_name = study_name or DEFAULT_STUDY
        self.experiment = experiment
        self.dimensions = experiment.validated_space()
        if not self.dimensions:
            raise SearchError("search.space is empty: name at least one setting to search")
        self._shared = storage is not None
        self.study = None
        self.storage = None
        created = not resume and not self.out_dir.exists()
        if not resume:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.open(resume)
        except NetlabError:
            if created and not any(self.out_dir.iterdir()):
                self.out_dir.rmdir()  # no empty search folder left by a storage that would not open
            raise
        if not resume:
            atomic_write_json(self.out_dir / SEARCH_FILE, {
                "experiment": self.experiment.to_dict(), "study_name": self.study_name,
                "storage": storage})

    # -- storage ------------------------------------------------------------------
    def open(self, resume: bool = False) -> None:
        """Create the study, or load it (a resume, or a shared study other processes started)."""
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)  # trials are reported as events instead
        self.storage = open_storage(self.storage_url)
        if resume and self._study_id() is None:  # a new study there would reuse the folder's trial numbers
            raise SearchError(f"{self.shown_storage()} holds no study {self.study_name!r}, so it is not where the "
                              f"search in {self.out_dir} keeps its trials; resume without --storage/--study-name "
                              "to use the search's own")
        stored = self._stored_experiment()
        if stored is not None:  # the study's settings win: every process searches one space
            stored = Experiment.from_dict(stored)
            if stored != self.experiment:  # a resume reads the same settings: checked already
                self.experiment, self.dimensions = stored, stored.validated_space()
            self.joined = not resume
        search = self.experiment.search
        self.study = optuna.create_study(
            storage=self.storage, study_name=self.study_name, direction="minimize", load_if_exists=True,
            sampler=make_sampler(search, self.dimensions), pruner=make_pruner(search))
        if stored is None:
            self.study.set_user_attr("experiment", self.experiment.to_dict())

    def _stored_experiment(self) -> dict | None:
        """The experiment the study holds, None for a study not created yet (or created without one)."""
        study_id = self._study_id()
        return None if study_id is None else self.storage.get_study_user_attrs(study_id).get("experiment")

    def _study_id(self) -> int | None:
        try:
            return self.storage.get_study_id_from_name(self.study_name)
        except KeyError:  # Optuna's answer for no such study
            return None

    @property
    def budget(self) -> int:
        return self.experiment.search.trials

    def taken(self) -> int:
        """The trials the budget counts, once those a killed process left running are failed:
        after a kill, --budget N counts what the search has, not the trial it lost."""
        return count_taken(self.current_trials())

    def rows(self) -> list[TrialRow]:
        return sorted_rows(self.study.get_trials(deepcopy=False))

    def current_trials(self) -> list:
        """The study's trials, read once, after failing those a killed process left running
        (read again only when there were such trials)."""
        trials = self.study.get_trials(deepcopy=False)
        if self.fail_dead_trials(trials):
            trials = self.study.get_trials(deepcopy=False)
        return trials

    def fail_dead_trials(self, trials) -> int:
        """Trials left running by a process of this machine that is gone (killed) become failed
        (interrupted): they no longer count, and another trial runs in their place. How many."""
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState

        host, failed = socket.gethostname(), 0
        for trial in trials:
            attrs = trial.user_attrs
            if (trial.state == TrialState.RUNNING and attrs.get("host") == host and attrs.get("pid") != os.getpid()
                    and not _alive(attrs.get("pid"))):
                study_id = self.storage.get_study_id_from_name(self.study_name)
                trial_id = self.storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
                try:
                    self.storage.set_trial_state_values(trial_id, TrialState.FAIL)
                except UpdateFinishedTrialError:
                    pass  # another process found it first
                failed += 1
        return failed

    # -- running ------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def request_stop(self) -> None:
        """End the running trial after its batch (it is redone on resume) and start no other."""
        self.stop_event.set()

    def run(self) -> list[TrialRow]:
        """Run trials until the study has its budget (or the grid is done, or a stop); the rows."""
        trials = self.current_trials()
        taken = count_taken(trials)
        self.emit(SearchStarted(out_dir=str(self.out_dir), study_name=self.study_name,
                                storage=self.shown_storage(), trials=self.budget, taken=taken, joined=self.joined))
        stopped = self.stop_event.is_set()
        if not stopped and taken < self.budget:
            try:
                self.study.optimize(self._objective, catch=(NetlabError,), callbacks=[self._after_trial])
            except (_Stopped, _OverBudget):
                pass
            stopped = self.stop_event.is_set()
            trials = self.study.get_trials(deepcopy=False)
        rows = sorted_rows(trials)
        self.emit(SearchFinished(stopped=stopped, taken=count_taken(trials), trials=self.budget,
                                 rows=[r.to_dict() for r in rows]))
        return rows

    def shown_storage(self) -> str:
        return self.storage_url if self._shared else str(self.out_dir / STUDY_FILE)

    def _after_trial(self, study, trial) -> None:
        trials = self.current_trials()
        taken = count_taken(trials)
        self.emit(TrialFinished(trial=trial_row(trial).to_dict(), rows=[r.to_dict() for r in sorted_rows(trials)],
                                importances=param_importances(study, trials), taken=taken, trials=self.budget))
        if taken >= self.budget or self.stop_event.is_set():
            study.stop()

    def _check_budget(self, trial) -> None:
        """Fail ``trial`` untrained when the trials numbered before it already take the budget:
        another process started one after this one last counted (the count before a trial and
        its start are not one step, so two processes can both take the last slot)."""
        before = count_taken(t for t in self.study.get_trials(deepcopy=False) if t.number < trial.number)
        if before >= self.budget:
            trial.set_user_attr(OVER_BUDGET, f"not run: the {before} trials before it already take the "
                                             f"budget of {self.budget} (another process started one)")
            raise _OverBudget()

    def _objective(self, trial) -> float:
        import optuna

        from netlab.training.callbacks import PruningCallback

        if self.stop_event.is_set():
            raise _Stopped()
        self._check_budget(trial)
        params = {d.path: d.suggest(trial) for d in self.dimensions}
        run_dir = self.out_dir.resolve() / f"trial-{trial.number:04d}"  # found again from any directory
        for key, value in (("run_dir", str(run_dir)), ("host", socket.gethostname()), ("pid", os.getpid())):
            trial.set_user_attr(key, value)
        self.emit(TrialStarted(number=trial.number, params=params, run_dir=str(run_dir)))
        # No keras.backend.clear_session() between trials: in the window a training may run
        # beside the search, and clearing Keras's global state under it would break it. A
        # trial's model and traced functions go with its Trainer, as the lessons' runs do.
        pruning = PruningCallback(trial)
        trainer = Trainer(trial_experiment(self.experiment, params), on_event=self.on_event, run_dir=run_dir,
                          stop_event=self.stop_event, callbacks=[pruning])
        pruning.trainer = trainer
        try:
            result = trainer.run()
        except NetlabError as exc:  # NaN at a too-large rate is a result: the trial failed, the search goes on
            trial.set_user_attr("error", str(exc))
            self._write_trial_file(trial, run_dir, "failed", params, error=str(exc))
            raise
        val_loss = [v for v in result.history.get("val_loss", []) if math.isfinite(v)]
        val_accuracy = [v for v in result.history.get("val_accuracy", []) if math.isfinite(v)]
        summary = {"val_loss": min(val_loss, default=None), "val_accuracy": max(val_accuracy, default=None),
                   "epochs": len(val_loss)}
        for key, value in summary.items():
            trial.set_user_attr(key, value)
        if result.stopped:
            self._write_trial_file(trial, run_dir, "stopped", params, **summary)
            raise _Stopped()
        if pruning.pruned_epoch is not None:
            self._write_trial_file(trial, run_dir, "pruned", params, **summary)
            raise optuna.TrialPruned(f"pruned after epoch {pruning.pruned_epoch}")
        self._write_trial_file(trial, run_dir, "complete", params, **summary)
        return summary["val_loss"]

    def _write_trial_file(self, trial, run_dir: Path, state: str, params: dict, **values) -> None:
        """The run folder says what the search made of it (the Runs tab reads it)."""
        if run_dir.is_dir():
            atomic_write_json(run_dir / TRIAL_FILE, {
                "study": self.study_name, "storage": self.shown_storage(), "number": trial.number,
                "state": state, "params": params, **values})
