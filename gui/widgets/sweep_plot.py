"""Accuracy against the swept setting (labeled images per class), one line per arm.

A sweep lesson (netlab/lessons/sweep.py) trains each arm at each value;
this plot puts every finished run's accuracy at its value as it arrives, and
the arm's mean over its seeds as a line: solid for the accuracy with batch-norm
statistics recomputed (the claim's), dashed for Keras's default evaluation.
When the lesson ends the lines are redrawn from result.json's numbers, with
the random seeds' spread as error bars. The x axis is logarithmic (1, 2, 5, 10, 50).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from gui.widgets.plot_style import key_text, styled_plot


class SweepPlot:
    """Owns a styled PlotWidget (``widget``); ``start``, ``add_run`` and ``show_result`` feed it."""

    def __init__(self, colours):
        self.colours = colours
        self.widget = styled_plot(pg, bottom="labeled images per class", left="validation accuracy")
        self.widget.setLogMode(x=True, y=False)
        self.widget.setYRange(0, 1)
        self.arms: list[str] = []
        self.metric, self.default_metric = "val_accuracy_recomputed", "val_accuracy"
        self.values: dict[tuple[str, str], dict] = {}  # (arm, metric) -> value -> [per seed]
        self.lines: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.bars: list[pg.ErrorBarItem] = []

    def start(self, arms, values=(), label: str = "", metric: str | None = None,
              default_metric: str | None = None) -> None:
        self.widget.clear()
        self.arms, self.values, self.lines, self.bars = list(arms), {}, {}, []
        self.metric = metric or self.metric
        self.default_metric = default_metric or self.default_metric
        if label:
            self.widget.setLabel("bottom", label)
        self.widget.getAxis("bottom").setTicks([log_ticks(values)] if values else None)
        # The key is the title: a legend covers the curves of a small plot (plot_style.key_text).
        key = key_text(*((arm, self.colours[i % len(self.colours)]) for i, arm in enumerate(self.arms)))
        self.widget.setTitle(key + ("; dashed: as Keras evaluates" if key else ""), size="9pt")
        self.widget.setToolTip("Solid: validation accuracy with batch-norm statistics recomputed on each "
                               "run's training images; dashed: as trained (Keras's default); bars: the "
                               "seeds' spread")
        if len(values):  # the view is in log10 units
            low, high = math.log10(min(values)), math.log10(max(values))
            self.widget.setXRange(low - 0.08 * (high - low or 1), high + 0.08 * (high - low or 1), padding=0)
        for i, arm in enumerate(self.arms):
            colour = self.colours[i % len(self.colours)]
            for metric, style in ((self.metric, Qt.SolidLine), (self.default_metric, Qt.DashLine)):
                self.lines[arm, metric] = self.widget.plot(
                    [], [], pen=pg.mkPen(colour, width=2, style=style), symbol="o", symbolSize=6,
                    symbolBrush=colour if style == Qt.SolidLine else None, symbolPen=colour)

    def add_run(self, arm: str, value, metrics: dict) -> None:
        """One finished run of ``arm`` at ``value``: its accuracies join the arm's means."""
        if arm not in self.arms:
            return
        for metric in (self.metric, self.default_metric):
            if metric in metrics:
                self.values.setdefault((arm, metric), {}).setdefault(value, []).append(float(metrics[metric]))
                found = self.values[arm, metric]
                xs = sorted(found)
                self.lines[arm, metric].setData(xs, [float(np.mean(found[x])) for x in xs])

    def show_result(self, sweep: dict) -> None:
        """result.json's ``sweep``: the means, with the random seeds' spread as error bars."""
        self.start(list(sweep["curves"]), sweep["values"], sweep.get("label", ""), sweep["metric"],
                   sweep["default_metric"])
        xs = [float(v) for v in sweep["values"]]
        for i, arm in enumerate(self.arms):
            for metric in (self.metric, self.default_metric):
                curve = sweep["curves"][arm][metric]
                self.lines[arm, metric].setData(xs, curve["mean"])
            curve = sweep["curves"][arm][self.metric]
            # In log mode the item's x is log10 of the value.
            bar = pg.ErrorBarItem(x=np.log10(xs), y=np.asarray(curve["mean"]), height=2 * np.asarray(curve["std"]),
                                  beam=0.03, pen=pg.mkPen(self.colours[i % len(self.colours)]))
            self.widget.addItem(bar)
            self.bars.append(bar)

    def points(self, arm: str, metric: str | None = None) -> tuple[list[float], list[float]]:
        """The (x, y) data of an arm's line (the claim's metric by default), before the log transform."""
        line = self.lines[arm, metric or self.metric]
        if line.xData is None:
            return [], []
        return [float(x) for x in line.xData], [float(y) for y in line.yData]


def log_ticks(values) -> list[tuple[float, str]]:
    """Ticks at the swept values themselves (1, 2, 5, 10, 50) on the log axis."""
    return [(math.log10(v), str(v)) for v in values if v > 0]
