"""A colour scale for values drawn on a graph's nodes (a health measure per layer), and its legend.

The scale runs from pale yellow (the healthy end) to dark red (the end where a measure
warns: many dead units, a vanishing gradient), ColorBrewer's sequential YlOrRd (Harrower &
Brewer 2003), so the eye goes to the worst layers. Values spread over more than two decades
(gradient norms) are placed on a log scale; fractions (dead units) never are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

# ColorBrewer YlOrRd, 9 classes: the healthy end first.
STOPS = ((255, 255, 204), (255, 237, 160), (254, 217, 118), (254, 178, 76), (253, 141, 60),
         (252, 78, 42), (227, 26, 28), (189, 0, 38), (128, 0, 38))
WORSE = ("high", "low")  # which end of a measure is the bad one
LOG_SPAN = 100.0  # positive values spanning more than this ratio are scaled by their logarithm


def worst(values: Iterable[float], worse: str = "high") -> float | None:
    """The worst of ``values`` (a block's colour is its worst layer's), None for none."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    return max(finite) if worse == "high" else min(finite)


def format_value(value: float, unit: str = "") -> str:
    """A value as the legend and the details show it: fractions with unit "%" as percents."""
    if unit == "%":
        return f"{value * 100:.0f}%"
    return f"{value:.3g}"


@dataclass(frozen=True)
class ColourScale:
    """Maps a value to a colour between ``low`` and ``high`` (the values' range)."""

    low: float
    high: float
    log: bool = False
    worse: str = "high"

    @classmethod
    def of(cls, values: Iterable[float], worse: str = "high", unit: str = "") -> ColourScale:
        """The scale spanning ``values``: log when they are positive and span over two decades,
        unless they are fractions (``unit`` "%")."""
        if worse not in WORSE:
            raise ValueError(f"worse is one of {WORSE} (got {worse!r})")
        finite = [v for v in values if v is not None and math.isfinite(v)]
        low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
        log = unit != "%" and low > 0 and high / low > LOG_SPAN
        return cls(low, high, log, worse)

    def position(self, value: float) -> float:
        """Where ``value`` sits on the scale, 0 (healthy end) to 1 (worst end)."""
        if self.log:
            low, high, value = math.log10(self.low), math.log10(self.high), math.log10(max(value, self.low))
        else:
            low, high = self.low, self.high
        t = 0.5 if high == low else min(max((value - low) / (high - low), 0.0), 1.0)
        return t if self.worse == "high" else 1.0 - t

    def colour(self, value: float) -> QColor:
        return colour_at(self.position(value))


def colour_at(t: float) -> QColor:
    """The scale's colour at ``t`` in [0, 1], interpolated between its stops."""
    x = min(max(t, 0.0), 1.0) * (len(STOPS) - 1)
    i = min(int(x), len(STOPS) - 2)
    f = x - i
    a, b = STOPS[i], STOPS[i + 1]
    return QColor(*(round(a[k] + (b[k] - a[k]) * f) for k in range(3)))


class ScaleLegend(QWidget):
    """The scale as a bar, lowest value left and highest right, with the measure's name; hidden
    while nothing is coloured."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.scale: ColourScale | None = None
        self.unit = ""
        self.setMinimumWidth(180)
        self.setFixedHeight(30)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.hide()

    def set_scale(self, scale: ColourScale | None, label: str = "", unit: str = "") -> None:
        self.scale, self.unit = scale, unit
        if scale is not None:
            self.setToolTip(f"{label}: {self.texts()[0]} to {self.texts()[1]}"
                            f"{' (log scale)' if scale.log else ''}; white: not measured")
        self.setVisible(scale is not None)
        self.update()

    def texts(self) -> tuple[str, str]:
        """The labels at the bar's left (lowest value) and right (highest value) ends."""
        high = format_value(self.scale.high, self.unit) + (" (log)" if self.scale.log else "")
        return format_value(self.scale.low, self.unit), high

    def paintEvent(self, event) -> None:
        if self.scale is None:
            return
        painter = QPainter(self)
        left, right = self.texts()
        metrics = painter.fontMetrics()
        bar = QRectF(metrics.horizontalAdvance(left) + 6, 4, 0, self.height() - 8)
        bar.setRight(self.width() - metrics.horizontalAdvance(right) - 6)
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for k in range(11):  # low to high, each the colour its value gets
            t = k / 10
            gradient.setColorAt(t, colour_at(t if self.scale.worse == "high" else 1 - t))
        painter.fillRect(bar, gradient)
        painter.setPen(QColor("#666"))
        painter.drawRect(bar)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(QRectF(0, 0, bar.left() - 3, self.height()), Qt.AlignRight | Qt.AlignVCenter, left)
        painter.drawText(QRectF(bar.right() + 3, 0, self.width(), self.height()), Qt.AlignLeft | Qt.AlignVCenter,
                         right)
