"""A lesson's claim: comparisons of arms' mean metrics (netlab/lessons/runner.py)."""

from __future__ import annotations

from dataclasses import dataclass

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
COUNTS = ("params", "best_epoch", "stop_epoch", "steps", "classes", "val_images")


def is_count(metric: str, value: float) -> bool:
    return metric in COUNTS and float(value).is_integer()


def shown(side, value: float) -> str:
    """A side's value as a lesson writes it: ``ARM.METRIC`` of a count whole, else to three places."""
    metric = side.split(".", 1)[-1] if isinstance(side, str) else ""
    return f"{int(value):,}" if is_count(metric, value) else f"{value:.3f}"
