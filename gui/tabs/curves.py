"""Live loss and accuracy curves (pyqtgraph).

One PlotDataItem per curve, fed the whole array with setData (the pattern of
pyqtgraph's PanningPlot example). The per-batch curve is Keras's running
mean over the epoch so far, and is labelled so; epoch points are the real
epoch metrics.

Why it is drawn the way it is (default digits run on 2 cores, the
window offscreen, a 1 ms timer in the GUI thread, 20 s of training; numbers
vary with the machine's load, the NetLab/bare ratios less so):

- Before: p99 gap 66 ms, 89 gaps over 33 ms; with the redraw disabled p99
  4.7 ms, 1 gap. A repaint of both plots took 41 ms with nothing else
  running, and 23 ms of paint per plot while training.
- The grid was the cost: pyqtgraph draws it as each axis's tick lines
  extended across the plot, three tick levels (53 lines an axis) in a
  translucent pen, and Qt's raster engine draws a translucent
  non-antialiased cosmetic line about 8x slower than an opaque one
  (QPicture.play of the axes was 5.6 s of 10.6 s profiled in the GUI
  thread). Without the grid a repaint of both took 1.4 ms. The grid is now
  the major ticks only, in an opaque light grey: p99 16 ms.
- What remains is Python inside the paint (auto-range, the axes' tick
  layout, each item's paint()), and every Python call made from Qt's C++
  waits for the GIL, which the training thread holds in turns of up to
  5 ms (sys.getswitchinterval()). So fewer Python calls per repaint: the
  ranges are ours, set only when data leaves them (x doubles up to the
  run's epochs, y grows with a margin), which leaves auto-range out of every
  paint and the axes' tick layout cached; only curves that changed get
  setData; at most REDRAWS_PER_SECOND repaints.
- pyqtgraph itself (0.3 s to import) loads in a worker after the window's
  first paint, and the plots are built one per turn of the event loop
  (20-40 ms each): imported in the GUI thread while TensorFlow loaded in a
  worker, it stood the event loop still for 0.75-1.3 s of the window's first
  two seconds (``python -m netlab.bench window-start``).

``python -m netlab.bench window --seconds 20``, one run each, the machine
shared (load 6-7 on 2 cores), NetLab against the bare window of the same run:
before p99 22.9 vs 6.0 ms, 65 vs 14 gaps over 33 ms, window 2.16 vs 0.40 s;
after p99 11.5 vs 8.0 ms and 7.9 vs 6.2 ms, 17 vs 9 and 20 vs 0 gaps over
33 ms, window 0.92 and 0.93 vs about 0.4 s. A shorter switch interval
(sys.setswitchinterval(0.001)) did not change the gaps (21 vs 8), so it
was left at Python's default.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gui.widgets.plot_style import styled_plot
from gui.workers import import_in_turn, run_job

# pyqtgraph is imported where used, in a worker first: the window shows before it loads (see load).

TRAIN = (31, 119, 180)
VAL = (255, 127, 14)
TRAIN_EVAL = (44, 160, 44)
GAP = (148, 103, 189)
ZERO = (160, 160, 160)
METRICS = (("loss", "Loss"), ("accuracy", "Accuracy"),
           ("bn_gap", "Batch norm: train-mode minus inference-mode accuracy"))
# The series of each plot. train_eval: a fixed training subset in inference mode after
# each epoch (netlab/training/train_eval.py); gap: its BN train-mode accuracy minus that.
SERIES = {"loss": ("batch", "train", "train_eval", "val"),
          "accuracy": ("batch", "train", "train_eval", "val"), "bn_gap": ("gap",)}
GAP_PLOT_HEIGHT = 170  # a small plot under the two, shown once a run reports a gap
REDRAWS_PER_SECOND = 5
BUILD_DELAY_MS = 50


def x_span(last_x: float, epochs: int) -> int:
    """The x axis's end: doubling (1, 2, 4 ... epochs) so it moves a few times a run, not per batch."""
    span = 1
    while span < last_x:
        span *= 2
    return min(span, epochs) if epochs >= last_x else span


class CurvesView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.plots = {}  # metric -> PlotWidget, once built (just after the first paint)
        self.items = {}  # (metric, kind) -> PlotDataItem
        self._epochs = 0  # of the run being drawn, when known
        self._build_scheduled = False
        self._build_ended = False
        self._when_built: list = []  # callbacks waiting for the plots (when_built)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(1000 // REDRAWS_PER_SECOND)
        self._timer.timeout.connect(self.flush)
        self.clear()

    # -- building the plots, after the window is on screen ------------------------
    def showEvent(self, event) -> None:
        """Shown for the first time: load pyqtgraph, then build the plots (unless ``load`` began it)."""
        super().showEvent(event)
        if not self._build_scheduled:
            # Not 0 ms: a zero timer would fire inside the processEvents() that
            # paints the window (gui/app.py), and the import would share the GIL with that paint.
            QTimer.singleShot(BUILD_DELAY_MS, self.load)

    def load(self) -> None:
        """Import pyqtgraph in a worker (0.3 s), then build the plots in the GUI thread, one per turn."""
        if self._build_scheduled:
            return
        self._build_scheduled = True
        run_job(import_in_turn, "pyqtgraph", on_result=lambda _: self._build_next(),
                on_error=lambda _: self._built(), owner=self, needs_tensorflow=False)

    def when_built(self, callback) -> None:
        """Call ``callback`` once the plots are built (or could not be: no pyqtgraph), now if they are."""
        if self._build_ended:
            callback()
        else:
            self._when_built.append(callback)

    def _built(self) -> None:
        self._build_ended = True
        callbacks, self._when_built = self._when_built, []
        for callback in callbacks:
            callback()

    def _build_next(self) -> None:
        """One plot per turn of the event loop (each some tens of ms), then the data drawn."""
        import pyqtgraph as pg

        missing = [(metric, title) for metric, title in METRICS if metric not in self.plots]
        if missing:
            self._build_plot(pg, *missing[0])
        if len(missing) > 1:
            QTimer.singleShot(0, self._build_next)
        elif missing:
            self._ranges = {}
            self._dirty = set(self.items)
            self.flush()
            self._built()

    def _build_plot(self, pg, metric: str, title: str) -> None:
        # Loss falls and accuracy rises: keep each legend where the curves are not.
        legend = None if metric == "bn_gap" else (-10, 10) if metric == "loss" else (-10, -10)
        plot = styled_plot(pg, title, bottom="epoch", legend=legend)
        if metric == "bn_gap":
            self._build_gap_plot(pg, plot)
            self.plots[metric] = plot
            return
        # connect="finite": a NaN between epochs breaks the running-mean
        # line, since Keras restarts the mean at every epoch.
        self.items[(metric, "batch")] = plot.plot(
            [], [], pen=pg.mkPen(TRAIN + (110,), width=1), connect="finite",
            name="train, per batch (running mean)")
        self.items[(metric, "train")] = plot.plot(
            [], [], pen=pg.mkPen(TRAIN, width=2), symbol="o", symbolSize=6,
            symbolBrush=TRAIN, name="train, epoch (running mean)")
        self.items[(metric, "train_eval")] = plot.plot(
            [], [], pen=pg.mkPen(TRAIN_EVAL, width=2), symbol="t", symbolSize=7,
            symbolBrush=TRAIN_EVAL, name="train, inference mode")
        self.items[(metric, "val")] = plot.plot(
            [], [], pen=pg.mkPen(VAL, width=2), symbol="s", symbolSize=6,
            symbolBrush=VAL, name="validation (epoch)")
        self._layout.addWidget(plot, 3)
        self.plots[metric] = plot

    def _build_gap_plot(self, pg, plot) -> None:
        """Batch norm's train/inference gap per epoch: small, hidden until a run reports one."""
        plot.setFixedHeight(GAP_PLOT_HEIGHT)
        plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen(ZERO)))
        self.items[("bn_gap", "gap")] = plot.plot(
            [], [], pen=pg.mkPen(GAP, width=2), symbol="d", symbolSize=7, symbolBrush=GAP)
        plot.setToolTip("Accuracy on the same training images with batch norm on batch statistics "
                        "minus with its moving averages (dropout off in both). Far from 0: the "
                        "moving statistics do not describe the data yet (Ioffe & Szegedy 2015).")
        plot.setVisible(self.point_count("bn_gap", "gap") > 0)
        self._layout.addWidget(plot, 0)

    # -- data ---------------------------------------------------------------
    def clear(self) -> None:
        self.data = {(metric, kind): ([], []) for metric, kinds in SERIES.items() for kind in kinds}
        self._bounds = {metric: (math.inf, -math.inf) for metric, _ in METRICS}
        self._ranges = {}  # metric -> (x range, y range) last set on the plot
        self._dirty = set(self.items)
        self._epochs = 0
        for plot in self.plots.values():
            plot.enableAutoRange()
        if "bn_gap" in self.plots:
            self.plots["bn_gap"].setVisible(False)
        self.flush()

    def set_epochs(self, epochs: int) -> None:
        """The run's length: where the x axis stops growing."""
        self._epochs = epochs

    def add_batch(self, event) -> None:
        x = event.epoch + event.batch / event.steps
        xs = self.data[("loss", "batch")][0]
        if xs and x > event.epoch + 1e-9 and xs[-1] <= event.epoch:  # first point of a new epoch
            for metric in ("loss", "accuracy"):
                self._append(metric, "batch", float("nan"), float("nan"))
        self._append("loss", "batch", x, event.loss)
        if event.accuracy is not None:
            self._append("accuracy", "batch", x, event.accuracy)
        self._schedule()

    def add_epoch(self, event) -> None:
        x = event.epoch + 1
        m = event.metrics
        for metric in ("loss", "accuracy"):
            for kind, key in (("train", metric), ("train_eval", f"train_eval_{metric}"),
                              ("val", f"val_{metric}")):
                if key in m:
                    self._append(metric, kind, x, m[key])
        if "bn_gap" in m:
            self._append("bn_gap", "gap", x, m["bn_gap"])
            if "bn_gap" in self.plots and not self.plots["bn_gap"].isVisible():
                self.plots["bn_gap"].setVisible(True)
        self._schedule()

    def point_count(self, metric: str, kind: str) -> int:
        """Points drawn (epoch-separating gaps not counted)."""
        return sum(1 for x in self.data[(metric, kind)][0] if x == x)

    def _append(self, metric, kind, x, y) -> None:
        xs, ys = self.data[(metric, kind)]
        xs.append(x)
        ys.append(y)
        self._dirty.add((metric, kind))
        if math.isfinite(y):
            lo, hi = self._bounds[metric]
            if metric == "bn_gap":  # a gap is read against zero: keep it in view
                lo, hi = min(lo, 0.0), max(hi, 0.0)
            self._bounds[metric] = (min(lo, y), max(hi, y))

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    # -- drawing -----------------------------------------------------------
    def flush(self) -> None:
        """Draw what changed now (a timed redraw may be pending)."""
        self._timer.stop()
        if len(self.plots) < len(METRICS):  # drawn once they are all built
            return
        for key in self._dirty:
            xs, ys = self.data[key]
            self.items[key].setData(xs, ys)
        self._dirty = set()
        self._keep_in_view()

    def finish(self) -> None:
        """The run ended: draw everything and fit the plots to the data."""
        self.flush()
        for plot in self.plots.values():
            plot.enableAutoRange()

    def _keep_in_view(self) -> None:
        """Widen a plot's ranges only when data leaves them (why: the module docstring)."""
        for metric, plot in self.plots.items():
            lo, hi = self._bounds[metric]
            if not math.isfinite(lo):
                continue
            last_x = max((xs[-1] for (m, _), (xs, _) in self.data.items() if m == metric and xs
                          and math.isfinite(xs[-1])), default=0.0)
            x_range, y_range = self._ranges.get(metric, ((0.0, 0.0), (math.inf, -math.inf)))
            if last_x > x_range[1]:
                x_range = (0.0, float(x_span(last_x, self._epochs)))
                plot.setXRange(*x_range, padding=0.02)
            if lo < y_range[0] or hi > y_range[1]:
                # A margin of a quarter of the span below and above, so a loss that
                # keeps falling moves the axis now and then, not at every batch.
                margin = 0.25 * (hi - lo) or 0.05 * abs(hi) or 0.05
                y_range = (lo - margin if lo < y_range[0] else y_range[0],
                           hi + margin if hi > y_range[1] else y_range[1])
                plot.setYRange(*y_range, padding=0)
            self._ranges[metric] = (x_range, y_range)
