"""Lessons over a sweep of one setting (the labeled-set size of fine-tuning vs scratch).

A lesson with a ``sweep`` trains every arm at every value of one setting
(``data.train_per_class``: 1, 2, 5, ... images per class) with the same
epochs and (at least) the same number of optimizer steps, so a run on 5 images
takes as many steps as a run on 250: an epoch passes over a small training set
several times (``data.train_repeat``, whole copies, so its statistics stay
those of the few images). Its claim compares
every arm with the baseline arm at each value, on the sweep's metric (the
validation accuracy with batch-norm statistics recomputed on each arm's own
training images: converged, whatever the steps) and, side by side, on the
accuracy as Keras evaluates by default (the moving statistics as trained).
The claim holds at a value when some arm beats the baseline by more than the
margin; the lesson "held" when it holds at the smallest value, "partly" when
only at larger ones, "not held" when at none.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from netlab.base.errors import ConfigError
from netlab.lessons.claims import Comparison

HELD, PARTLY, NOT_HELD = "held", "partly", "not held"


@dataclass
class Sweep:
    path: str  # the dotted setting swept, e.g. data.train_per_class
    values: list
    steps: int  # optimizer steps of every run, whatever the value
    baseline: str  # the arm the others are compared with
    metric: str = "val_accuracy_recomputed"  # the claim's metric: converged statistics
    default_metric: str = "val_accuracy"  # shown beside it: as Keras evaluates by default
    margin: float = 0.05  # an advantage counts when it is larger than this
    label: str = ""  # the axis' words, e.g. "labeled images per class"

    @classmethod
    def parse(cls, raw: dict, arms: dict, metrics, where: str) -> Sweep:
        try:
            sweep = cls(**raw)
        except TypeError as exc:
            raise ConfigError(f"{where}: malformed sweep ({exc})") from None
        if sweep.baseline not in arms:
            raise ConfigError(f"{where}: the sweep's baseline {sweep.baseline!r} is not an arm ({', '.join(arms)})")
        for metric in (sweep.metric, sweep.default_metric):
            if metric not in metrics:
                raise ConfigError(f"{where}: the sweep's metric {metric!r} is not measured ({', '.join(metrics)})")
        if not sweep.values or int(sweep.steps) < 1:
            raise ConfigError(f"{where}: a sweep needs values and steps >= 1")
        return sweep

    def for_budget(self, budget: dict) -> Sweep:
        """The budget's ``sweep.values`` and ``sweep.steps`` in place of the lesson's."""
        return dataclasses.replace(self, values=list(budget.get("sweep.values", self.values)),
                                   steps=int(budget.get("sweep.steps", self.steps)))

    def challengers(self, arms) -> list[str]:
        return [arm for arm in arms if arm != self.baseline]

    def describe(self, arms) -> str:
        """The claim in one line, for the window and the CLI."""
        return (f"{' or '.join(self.challengers(arms))} > {self.baseline} + {self.margin:g} in {self.metric} "
                f"at {self.label or self.path} = {', '.join(str(v) for v in self.values)}")


def cell(arm: str, value) -> str:
    """The name of one arm at one value of the sweep: ``scratch@5``."""
    return f"{arm}@{value}"


def repeat_for_steps(steps: int, train_size: int, batch_size: int, epochs: int) -> int:
    """How many times an epoch passes over ``train_size`` images so ``epochs`` give ``steps`` or more."""
    return max(1, math.ceil(steps * batch_size / (epochs * max(1, train_size))))


def steps_of(train_size: int, repeat: int, batch_size: int, epochs: int) -> int:
    """The optimizer steps a run takes."""
    return epochs * math.ceil(train_size * repeat / batch_size)


@dataclass
class SweepOutcome:
    outcome: str
    held_at: list = field(default_factory=list)
    default_held_at: list = field(default_factory=list)
    vanishes_at: object = None


def sweep_summary(sweep: Sweep, arms: list[str], cells: dict) -> dict:
    """result.json's ``sweep`` part, comparisons and verdict from the cells' means (cell -> summary)."""
    means = {name: summary["mean"] for name, summary in cells.items()}
    curves = {arm: {metric: {"mean": [means[cell(arm, v)].get(metric) for v in sweep.values],
                             "std": [cells[cell(arm, v)]["std"].get(metric) for v in sweep.values]}
                    for metric in (sweep.metric, sweep.default_metric)} for arm in arms}
    checks = {metric: [] for metric in (sweep.metric, sweep.default_metric)}
    advantage = {metric: [] for metric in checks}  # per value: the best arm's lead over the baseline
    for metric, found in checks.items():
        for value in sweep.values:
            at_value = [{**Comparison(f"{cell(arm, value)}.{metric}", ">", f"{cell(sweep.baseline, value)}.{metric}",
                                      sweep.margin).check(means), "value": value, "arm": arm}
                        for arm in sweep.challengers(arms)]
            found.extend(at_value)
            advantage[metric].append(max(c["left_value"] - c["right_value"] for c in at_value))
    outcome = judge(sweep, checks[sweep.metric], checks[sweep.default_metric])
    part = {"path": sweep.path, "label": sweep.label, "values": list(sweep.values), "steps": sweep.steps,
            "baseline": sweep.baseline, "metric": sweep.metric, "default_metric": sweep.default_metric,
            "margin": sweep.margin, "curves": curves,
            "steps_run": [max(r["metrics"].get("steps", 0) for r in cells[cell(sweep.baseline, v)]["runs"])
                          for v in sweep.values], "advantage": advantage,
            "held_at": outcome.held_at, "default_held_at": outcome.default_held_at,
            "vanishes_at": outcome.vanishes_at, "default_comparisons": checks[sweep.default_metric]}
    return {"sweep": part, "comparisons": checks[sweep.metric], "outcome": outcome.outcome,
            "held": outcome.outcome == HELD, "verdict": verdict_text(sweep, arms, curves, outcome, advantage)}


def judge(sweep: Sweep, checks: list[dict], default_checks: list[dict]) -> SweepOutcome:
    def held_at(found):
        return [v for v in sweep.values if any(c["held"] for c in found if c["value"] == v)]

    held, default = held_at(checks), held_at(default_checks)
    if not held:
        return SweepOutcome(NOT_HELD, held, default)
    last = sweep.values.index(held[-1])
    vanishes = sweep.values[last + 1] if last + 1 < len(sweep.values) else None
    return SweepOutcome(HELD if held[0] == sweep.values[0] else PARTLY, held, default, vanishes)


def _listed(values) -> str:
    return ", ".join(str(v) for v in values) if values else "none"


def verdict_text(sweep: Sweep, arms: list[str], curves: dict, outcome: SweepOutcome, advantage: dict) -> str:
    label = sweep.label or sweep.path
    head = {HELD: "Held", PARTLY: "Partly held", NOT_HELD: "Did not hold"}[outcome.outcome]
    lines = [f"{head}: an arm beats {sweep.baseline} by more than {sweep.margin:g} in {sweep.metric} "
             f"(batch-norm statistics recomputed on each arm's training images) at {label} = "
             f"{_listed(outcome.held_at)}" + (f"; the advantage vanishes from {outcome.vanishes_at}"
                                             if outcome.vanishes_at is not None else "") + "."]
    for i, value in enumerate(sweep.values):
        shown = ", ".join(f"{arm} {curves[arm][sweep.metric]['mean'][i]:.3f}±{curves[arm][sweep.metric]['std'][i]:.3f}"
                          for arm in arms)
        lines.append(f"  {value}: {shown} (best - {sweep.baseline}: {advantage[sweep.metric][i]:+.3f}; "
                     f"as Keras evaluates: {advantage[sweep.default_metric][i]:+.3f})")
    lines.append(f"As Keras evaluates by default ({sweep.default_metric}, moving statistics as trained), an arm "
                 f"is ahead by more than {sweep.margin:g} at {label} = {_listed(outcome.default_held_at)}.")
    return "\n".join(lines)
