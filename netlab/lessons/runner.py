"""Running a lesson (netlab/lessons/spec.py): its arms trained alike, its claim checked.

Every arm trains with the same budget, the same seeds and the same data split,
and is measured the same way (netlab/lessons/metrics.py).

:class:`LessonRunner` trains the arms in sequence with the Trainer into
``OUT/ARM/seed-N/`` run folders, reports plain events, stops on request and
writes ``OUT/result.json``: per arm the mean and spread of each metric, each
comparison with its numbers, whether the claim held and a verdict made from
those numbers (netlab/lessons/claims.py; a sweep's in netlab/lessons/sweep.py).
A lesson's runs that finished before an interruption are kept on resume.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from netlab.base.atomic import atomic_write_text
from netlab.base.errors import ConfigError, DivergedError
from netlab.data.input_spec import load_described
from netlab.lessons.arithmetic import ARITHMETIC, arithmetic_result
from netlab.lessons.claims import INCONCLUSIVE, at_chance, verdict
from netlab.lessons.metrics import (
    activation_metrics,
    bn_recompute_metrics,
    epochs_to,
    health_metrics,
    run_metrics,
    summarize,
)
from netlab.lessons.spec import BUDGETS, PRETRAIN, LessonSpec
from netlab.lessons.sweep import cell, repeat_for_steps, steps_of, sweep_summary
from netlab.runs.files import LESSON_FILE, lesson_in, lesson_resume_command
from netlab.runs.folder import new_run_dir
from netlab.training.events import Event
from netlab.training.trainer import Trainer, TrainResult

RESULT_FILE = "result.json"
RUN_METRICS_FILE = "lesson-metrics.json"  # in each finished run's folder: its settings and metrics


# -- events -----------------------------------------------------------------
@dataclass
class LessonStarted(Event):
    name: str
    budget: str
    arms: list = field(default_factory=list)
    seeds: list = field(default_factory=list)
    out_dir: str = ""
    sweep: list = field(default_factory=list)  # the swept values (a sweep lesson), else empty
    total: int = 0  # runs in all, a pretraining run included


@dataclass
class ArmStarted(Event):
    """One run of one arm begins; the Trainer's own events for it follow."""

    arm: str
    seed: int
    index: int  # 0-based position among all runs
    total: int
    run_dir: str = ""
    value: object = None  # the swept setting's value for this run (a sweep lesson)
    kept: bool = False  # finished before an interruption, same settings: its metrics are read, not retrained


@dataclass
class ArmFinished(Event):
    arm: str
    seed: int
    index: int
    total: int
    metrics: dict = field(default_factory=dict)
    value: object = None


@dataclass
class LessonFinished(Event):
    result: dict = field(default_factory=dict)
    result_path: str = ""


# -- the runner ---------------------------------------------------------------
class LessonRunner:
    """Trains every arm x seed in sequence, then judges the claim; ``request_stop`` from any thread."""

    def __init__(self, spec: LessonSpec, out_dir: str | Path, budget: str = "quick",
                 on_event: Callable[[Event], None] | None = None, resume: bool = False):
        """``resume``: ``out_dir`` holds this lesson at this budget, stopped; each run that finished
        there with the same settings is kept (its metrics read back), the others train again."""
        if budget not in BUDGETS:
            raise ConfigError(f"budget must be one of {', '.join(BUDGETS)} (got {budget!r})")
        self.spec, self.out_dir, self.budget = spec, Path(out_dir), budget
        self.on_event = on_event
        self.resume = resume
        self.stop_event = threading.Event()

    def request_stop(self) -> None:
        self.stop_event.set()

    def emit(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def plan(self) -> list[tuple[str, int, object, Path]]:
        """(arm, seed, swept value or None, run folder) of every run, in order: the pretraining
        first, then each value (smallest first) for every seed and arm."""
        spec, seeds, sweep = self.spec, self.spec.seeds_for(self.budget), self.spec.sweep_for(self.budget)
        jobs = [(PRETRAIN, seeds[0], None, spec.pretrain_dir(self.out_dir, seeds[0]))] if spec.pretrain else []
        if sweep is None:
            return jobs + [(arm, s, None, self.out_dir / arm / f"seed-{s}") for arm in spec.arms for s in seeds]
        return jobs + [(arm, s, v, self.out_dir / cell(arm, v) / f"seed-{s}")
                       for v in sweep.values for s in seeds for arm in spec.arms]

    def run(self) -> dict:
        if self.spec.kind == ARITHMETIC:
            return self._run_arithmetic()
        spec, seeds, sweep = self.spec, self.spec.seeds_for(self.budget), self.spec.sweep_for(self.budget)
        jobs = self.plan()
        # Every configuration is checked before anything trains; the pretraining is plan()'s first run.
        source = jobs[0][3] if spec.pretrain else None
        configs = [spec.config(arm, self.budget, s, v, source) for arm, s, v, _ in jobs]
        if self.resume:
            check_resumable(self.out_dir, spec.name, self.budget)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.out_dir / LESSON_FILE, json.dumps({"name": spec.name, "budget": self.budget}) + "\n")
        self.emit(LessonStarted(spec.name, self.budget, list(spec.arms), seeds, str(self.out_dir),
                                list(sweep.values) if sweep else [], len(jobs)))
        # result.json's arms, in plan() order: each arm, or each arm at each swept value.
        names = [arm if value is None else cell(arm, value) for arm, _, value, _ in jobs]
        arm_of = dict(zip(names, (job[0] for job in jobs)))
        runs: dict[str, list[dict]] = {name: [] for name in names}
        keep = self.resume
        for index, ((arm, seed, value, run_dir), exp) in enumerate(zip(jobs, configs, strict=True)):
            if self.stop_event.is_set():
                break
            settings = _settings(exp, source)
            metrics = kept_metrics(run_dir, settings) if keep else None
            # A pretraining trained again is a new source: the runs fine-tuned from the old one go too.
            keep = keep and (metrics is not None or arm != PRETRAIN)
            self.emit(ArmStarted(arm, seed, index, len(jobs), str(run_dir), value, kept=metrics is not None))
            if metrics is None:
                metrics = self._run_one(exp, run_dir, sweep.steps if sweep and arm != PRETRAIN else None,
                                        probe=arm != PRETRAIN)
                if metrics is None:  # stopped mid-run: an unfinished arm is not compared
                    break
                atomic_write_text(run_dir / RUN_METRICS_FILE,
                                  json.dumps({"settings": settings, "metrics": metrics}, indent=2) + "\n")
            runs[names[index]].append({"seed": seed, "run_dir": str(run_dir), "metrics": metrics})
            self.emit(ArmFinished(arm, seed, index, len(jobs), metrics, value))
        result = self._result(runs, arm_of, seeds, sweep)
        path = self.out_dir / RESULT_FILE
        atomic_write_text(path, json.dumps(result, indent=2) + "\n")
        self.emit(LessonFinished(result, str(path)))
        return result

    def _run_arithmetic(self) -> dict:
        """Nothing trains: both sides of each comparison are built and counted (well under a second)."""
        spec = self.spec
        self.out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.out_dir / LESSON_FILE, json.dumps({"name": spec.name, "budget": self.budget}) + "\n")
        self.emit(LessonStarted(spec.name, self.budget, spec.parts, [], str(self.out_dir), [], 0))
        result = {**arithmetic_result(spec), "budget": self.budget}
        path = self.out_dir / RESULT_FILE
        atomic_write_text(path, json.dumps(result, indent=2) + "\n")
        self.emit(LessonFinished(result, str(path)))
        return result

    def _run_one(self, exp, run_dir: Path, steps: int | None = None, probe: bool = True) -> dict | None:
        # The same split the Trainer loads (same config, same seed); a repeated split would
        # measure the same accuracies and batch-norm moments, so it is loaded once, unrepeated.
        data = load_described(exp.data)
        t = exp.training
        if steps is not None:  # the same optimizer steps on 5 images as on 250
            repeat = repeat_for_steps(steps, data.train_size, t.batch_size, t.epochs)
            exp = dataclasses.replace(exp, data=dataclasses.replace(exp.data, train_repeat=repeat)).validate()
        trainer = Trainer(exp, on_event=self.on_event, run_dir=run_dir, stop_event=self.stop_event,
                          overwrite=True)
        probes = self.spec.probes if probe else []
        act = activation_metrics(trainer, data) if "activations" in probes else {}
        try:
            result, diverged = trainer.run(), 0.0
        except DivergedError:  # an outcome to compare (a learning rate too high), not a failure
            result, diverged = TrainResult(model=trainer.model, history=trainer.history), 1.0
        if result.stopped:
            return None
        restored = bool(self.spec.convergence) and t.early_stopping and t.restore_best and not diverged
        metrics = {**run_metrics(result, data, restored), **act, "diverged": diverged}
        epochs = int(metrics.get("stop_epoch", t.epochs))  # early stopping trains fewer steps
        metrics["steps"] = float(steps_of(data.train_size, exp.data.train_repeat, t.batch_size, epochs))
        metrics["classes"], metrics["val_images"] = data.num_classes, data.val_size  # what chance is
        if self.spec.target_accuracy is not None:
            metrics["epochs_to_target"] = epochs_to(result.history, self.spec.target_accuracy)
        if "health" in probes:  # before the statistics are recomputed: the weights as trained
            metrics.update(health_metrics(run_dir, result.model, data, t.seed))
        if "bn_recompute" in probes:
            metrics.update(bn_recompute_metrics(result.model, data))
        return metrics

    def _result(self, runs: dict, arm_of: dict, seeds: list[int], sweep=None) -> dict:
        spec = self.spec
        pretrain = runs.pop(PRETRAIN, None)
        complete = all(len(r) == len(seeds) for r in runs.values()) and (pretrain is None or len(pretrain) == 1)
        arms = {name: self._summary(arm_of[name], arm_runs) for name, arm_runs in runs.items()}
        result = {"name": spec.name, "title": spec.title, "question": spec.question, "reference": spec.reference,
                  "budget": self.budget, "seeds": seeds, "arms": arms, "complete": complete}
        if pretrain is not None:
            result[PRETRAIN] = self._summary(PRETRAIN, pretrain)
        if not complete:
            result.update(comparisons=[], held=None,
                          verdict="Stopped before every arm had trained: no verdict.")
            return result
        if sweep is not None:
            result.update(sweep_summary(sweep, list(spec.arms), arms))
            inconclusive = at_chance(arms)  # every arm at every value: what the sweep compares
            if inconclusive:  # held stays as measured, as for a paired lesson
                result.update(outcome=INCONCLUSIVE,
                              verdict=f"Inconclusive: {inconclusive}. As measured: {result['verdict']}")
            return result
        means = {arm: a["mean"] for arm, a in arms.items()}
        checks = [c.check(means) for c in spec.claim]
        held = all(c["held"] for c in checks)
        inconclusive = at_chance(arms)
        result.update(comparisons=checks, held=held, verdict=verdict(spec, checks, held, means, inconclusive))
        if inconclusive:
            result["outcome"] = INCONCLUSIVE
        return result

    def _summary(self, arm: str, arm_runs: list[dict]) -> dict:
        """One arm's (or one cell's: the arm at a swept value) runs, and the mean and spread of each
        metric over its seeds."""
        spec = self.spec
        overrides = spec.pretrain if arm == PRETRAIN else spec.arms[arm]
        summary = {"runs": arm_runs, "overrides": overrides, "mean": {}, "std": {}}
        for metric in spec.metrics:
            values = [r["metrics"][metric] for r in arm_runs if metric in r["metrics"]]
            if values:
                summary["mean"][metric], summary["std"][metric] = summarize(values)
        return summary


def _settings(exp, source: Path | None) -> dict:
    """What a run was trained with, independent of where the lesson's folder is."""
    settings = exp.to_dict()
    if source is not None and settings["finetune"]["source"] == str(source):
        settings["finetune"]["source"] = "@" + PRETRAIN
    return settings


def kept_metrics(run_dir: Path, settings: dict) -> dict | None:
    """A finished run's metrics, when it was trained with ``settings``; else None (train it again)."""
    try:
        saved = json.loads((Path(run_dir) / RUN_METRICS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("settings") != settings:
        return None
    return saved.get("metrics") if isinstance(saved.get("metrics"), dict) else None


def check_resumable(out_dir: Path, name: str, budget: str) -> None:
    """``out_dir`` holds lesson ``name`` at ``budget``; else one line saying what it holds."""
    held = lesson_in(out_dir)
    if held is None:
        raise ConfigError(f"{out_dir} holds no lesson to go on with (no readable {LESSON_FILE})")
    if held["name"] != name or held["budget"] != budget:
        raise ConfigError(f"{out_dir} holds lesson {held['name']} at the {held['budget']} budget, not {name} "
                          f"at {budget}: {lesson_resume_command(out_dir)}")


def default_out_dir(name: str, root: str | Path = "runs") -> Path:
    """ROOT/experiments/<time>-lesson-NAME, a fresh folder."""
    return new_run_dir(Path(root) / "experiments", "lesson", name)


def read_result(out_dir: str | Path) -> dict:
    return json.loads((Path(out_dir) / RESULT_FILE).read_text("utf-8"))
