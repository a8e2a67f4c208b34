"""The network's health over a run: per-layer curves of one measure (netlab/inspect/health.py).

Fed live by the running training's HealthMeasured events (the window passes
them on, as it passes BatchEnd to the curves), or from a run's health.csv when
a model of a run is opened. The data is a Qt-free :class:`gui.state.HealthHistory`;
this view only draws it: a measure picked in a combo, the layers in a list with
check boxes (the WORST layers by the newest value checked when the measure
changes). Warnings reach the window's notice area as every run's notices do.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.state import HealthHistory
from gui.widgets.plot_style import styled_plot
from netlab.base.errors import NetlabError
from netlab.inspect.health import MEASURES
from netlab.runs.run import RunFolder

# pyqtgraph is imported when the first curve is drawn: the window shows before it loads
# (gui/tabs/curves.py's docstring).

WORST = 5
LOG_SCALE = ("gradient_norm", "gradient_ratio", "update_ratio")
COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


class HealthView(QWidget):
    # The history changed (a measurement, a run's file read, cleared): the Graph tab recolours.
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.history = HealthHistory()
        self.plot = None
        self.combo = QComboBox()
        for name, spec in MEASURES.items():
            self.combo.addItem(spec.label, name)
        self.combo.currentIndexChanged.connect(self._measure_changed)
        self.layer_list = QListWidget()
        self.layer_list.itemChanged.connect(lambda item: self.redraw())
        self.note = QLabel("Health is measured while a run trains (training.health), or read from a run's "
                           "health.csv when one of its models is opened.")
        self.note.setWordWrap(True)
        side = QVBoxLayout()
        side.addWidget(self.combo)
        side.addWidget(self.layer_list)
        self.body = QHBoxLayout()
        self.body.addLayout(side, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(self.body, 1)

    @property
    def measure(self) -> str:
        return self.combo.currentData()

    def latest(self, measure: str) -> dict[str, float]:
        """The newest value per layer of ``measure`` (the graph colours its nodes by it)."""
        return self.history.latest(measure)

    # -- data in -------------------------------------------------------------------
    def clear(self) -> None:
        self.history.clear()
        self._fill_layers()
        self.changed.emit()

    def add_measurement(self, event) -> None:
        """A HealthMeasured event of the running training."""
        new_layers = not self.history.series
        self.history.add(event.step, event.values)
        if new_layers:
            self._fill_layers()
        else:
            self.redraw()
        self.changed.emit()

    def set_model(self, current) -> None:
        """A run's model opened: its health.csv, when it has one."""
        if current.run_dir is None:
            return
        try:
            rows = RunFolder(current.run_dir).health()
        except FileNotFoundError:  # trained with health off, or before it existed
            self.note.setText(f"{current.run_dir} has no health measurements.")
            return
        except NetlabError as exc:  # a damaged file: its message says which line
            self.note.setText(str(exc))
            return
        self.history = HealthHistory.from_rows(rows)
        self.note.setText(f"Health of {current.run_dir}: {len(rows)} rows.")
        self._fill_layers()
        self.changed.emit()

    # -- drawing -------------------------------------------------------------------
    def _measure_changed(self) -> None:
        self._fill_layers()

    def _fill_layers(self) -> None:
        """The measure's layers, the WORST by their newest value checked."""
        measure = self.measure
        spec = MEASURES[measure]
        checked = set(self.history.worst(measure, WORST, highest=spec.above))
        self.layer_list.blockSignals(True)
        self.layer_list.clear()
        for layer in self.history.layers(measure):
            item = QListWidgetItem(layer)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if layer in checked else Qt.Unchecked)
            self.layer_list.addItem(item)
        self.layer_list.blockSignals(False)
        self.redraw()

    def checked_layers(self) -> list[str]:
        return [self.layer_list.item(i).text() for i in range(self.layer_list.count())
                if self.layer_list.item(i).checkState() == Qt.Checked]

    def redraw(self) -> None:
        layers = self.checked_layers()
        if not layers and self.plot is None:
            return
        import pyqtgraph as pg

        if self.plot is None:
            self.plot = styled_plot(pg, bottom="step (batches trained)", legend=(-10, 10))
            self.plot.getAxis("left").enableAutoSIPrefix(False)  # 0.4 of the units, not "400 (x0.001)"
            self.body.addWidget(self.plot, 3)
        measure = self.measure
        self.plot.clear()
        spec = MEASURES[measure]
        percent = spec.unit == "%"
        self.plot.setLabel("left", f"{spec.label} (%)" if percent else spec.label)
        self.plot.setLogMode(y=measure in LOG_SCALE)
        series = self.history.series.get(measure, {})
        for i, layer in enumerate(layers):
            steps, values = series.get(layer, ([], []))
            if percent:
                values = [100 * value for value in values]
            colour = COLOURS[i % len(COLOURS)]  # a dot per measurement: a run may have only a few
            self.plot.plot(steps, values, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                           symbolBrush=colour, symbolPen=None, name=layer)

    def curve_count(self) -> int:
        """How many layers' curves are drawn."""
        return 0 if self.plot is None else len(self.plot.listDataItems())
