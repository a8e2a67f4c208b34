"""A lesson's claim: comparisons of arms' mean metrics, and the verdict made from them.

The verdict is "inconclusive" when no arm learned beyond guessing: a claim
about how arms learn cannot be judged on runs at chance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # netlab.lessons.spec imports this module: no import back at run time
    from netlab.lessons.spec import LessonSpec

OPS = {"<": lambda a, b: a < b, ">": lambda a, b: a > b}


@dataclass
class Comparison:
    """``left op right + margin``, each side ``ARM.METRIC`` (the arm's mean over seeds) or a number."""

    left: str | float
    op: str
    right: str | float
    margin: float = 0.0

    def value(self, side, means: dict) -> float:
        if isinstance(side, int | float):
            return float(side)
        arm, metric = side.split(".", 1)
        return float(means[arm][metric])

    def check(self, means: dict) -> dict:
        left, right = self.value(self.left, means), self.value(self.right, means)
        held = bool(OPS[self.op](left, right + self.margin))
        return {"left": self.left, "op": self.op, "right": self.right, "margin": self.margin,
                "left_value": left, "right_value": right, "held": held, "text": self.text(left, right)}

    def text(self, left: float, right: float) -> str:
        margin = f" {'+' if self.margin >= 0 else '-'} {abs(self.margin):g}" if self.margin else ""
        sign = self.op if OPS[self.op](left, right + self.margin) else {"<": ">=", ">": "<="}[self.op]
        return f"{self.left} {shown(self.left, left)} {sign} {self.right} {shown(self.right, right)}{margin}"


# Metrics that count things: written whole (296,682, not 296682.000); every other to three places.
COUNTS = ("params", "macs", "receptive_field", "best_epoch", "stop_epoch", "epochs_to_target", "steps", "classes", "val_images")


def is_count(metric: str, value: float) -> bool:
    return metric in COUNTS and float(value).is_integer()


def shown(side, value: float) -> str:
    """A side's value as a lesson writes it: ``ARM.METRIC`` of a count whole, else to three places."""
    metric = side.split(".", 1)[-1] if isinstance(side, str) else ""
    if is_count(metric, value):
        return f"{int(value):,}"
    return f"{value:.3f}" if value == 0 or abs(value) >= 0.01 else f"{value:.3g}"  # a gradient norm of 2.1e-05


INCONCLUSIVE = "inconclusive"
CHANCE_SES = 3  # an arm has learned when its validation accuracy is this many standard errors above chance


def chance_ceiling(run_metrics: dict) -> float:
    """The validation accuracy a run must pass to have learned anything: chance (1 / classes)
    plus CHANCE_SES binomial standard errors of guessing on its validation images."""
    p, n = 1.0 / run_metrics["classes"], max(run_metrics["val_images"], 1)
    return p + CHANCE_SES * math.sqrt(p * (1.0 - p) / n)


def at_chance(arms: dict) -> str | None:
    """When no arm has learned (each one's mean validation accuracy at most the ceiling of
    guessing), why the claim cannot be judged on these runs; else None."""
    ceilings, accuracies = [], []
    for arm, summary in arms.items():
        runs = [r["metrics"] for r in summary["runs"] if "classes" in r["metrics"]]
        if not runs or "val_accuracy" not in summary["mean"]:
            return None
        ceiling = max(chance_ceiling(m) for m in runs)
        if summary["mean"]["val_accuracy"] > ceiling:
            return None
        ceilings.append((runs[0]["classes"], runs[0]["val_images"], ceiling))
        accuracies.append(f"{arm} {summary['mean']['val_accuracy']:.3f}")
    classes, images, ceiling = max(ceilings, key=lambda c: c[2])
    return (f"no arm learned beyond guessing (val_accuracy {', '.join(accuracies)}; chance is "
            f"{1 / classes:.3f} for {classes} classes, and {CHANCE_SES} standard errors above it "
            f"{ceiling:.3f} on {images} validation images), so this budget cannot test the claim")


def verdict(spec: LessonSpec, checks: list[dict], held: bool, means: dict | None = None,
            inconclusive: str | None = None) -> str:
    head = f"Inconclusive: {inconclusive}. The comparison as measured" if inconclusive else \
        "Held" if held else "Did not hold"
    text = f"{head}: " + "; ".join(c["text"] for c in checks) + "."
    if spec.convergence and means:
        epochs = ", ".join(f"{arm} best epoch {m['best_epoch']:.1f} (stopped at {m['stop_epoch']:.1f})"
                           for arm, m in means.items() if "best_epoch" in m)
        text += (f" Each arm judged at its lowest val_loss (early stopping, patience "
                 f"{spec.convergence['patience']}, the same maximum of epochs for all; mean over seeds): {epochs}.")
    return text
