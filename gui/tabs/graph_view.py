"""The Graph tab: the window's current model as a graph, top to bottom.

It follows the window's current model (``gui.state.CurrentModel``). The graph
(:func:`netlab.inspect.graph.network_graph`: the papers' blocks collapsed) and its layout
(igraph's Sugiyama) are computed in a worker (``LatestJob``: a newer model or a block
opened meanwhile aborts the older job); the GUI thread only makes the scene's items
(:class:`gui.widgets.graph_canvas.GraphCanvas`). Nothing is computed while the tab is
hidden; showing it catches up.

A selected node's numbers appear in the lectures' formulas beside it (``Graph.details``); a
layer double-clicked opens in the Inspect tab (``layer_activated``); a block double-clicked
opens, and its frame's title closes it. "Colour by" paints the nodes by a measure per layer
(:meth:`GraphView.set_values`, the network's health while it trains), a block by its worst
layer. "Open in Netron" hands the model's file to Netron (Roeder's viewer) when it is installed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.state import CurrentModel
from gui.tabs.graph_jobs import Picture, lay_out, netron_available, open_in_netron, read_graph
from gui.widgets.colour_scale import WORSE, ColourScale, ScaleLegend, format_value, worst
from gui.widgets.graph_canvas import GraphCanvas
from gui.widgets.when_shown import ComputedWhenShown
from gui.workers import LatestJob, run_job
from netlab.inspect.health import MEASURES

NO_COLOUR = "none"
NETRON_MISSING = ("Netron is not installed: pip install netron (in NetLab's environment), "
                  "then press Open in Netron again.")


@dataclass
class MeasureValues:
    """One measure's values per layer, and how to read them."""

    label: str
    unit: str
    worse: str
    values: dict


class GraphView(ComputedWhenShown, QWidget):
    layer_activated = Signal(str)  # a layer double-clicked: show it in the Inspect tab
    drawn = Signal()  # a graph's scene has been built
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = None
        self.path: Path | None = None
        self.picture: Picture | None = None
        self.measures: dict[str, MeasureValues] = {}
        self.scene_seconds: float | None = None  # the last scene's building time (the benchmark reads it)
        self._focus: tuple[str, bool] | None = None  # (node id, select it) once the next layout is drawn
        self._job = LatestJob(self, 0, self._picture_ready, self._fail,
                              on_start=lambda: self.state.setText("laying out the graph..."))
        self._build()

    @property
    def graph(self):
        return self.picture.graph if self.picture is not None else None

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.source_label = QLabel("No model yet: train one or open a .keras file.")
        top.addWidget(self.source_label, 1)
        self.state = QLabel("")  # what is being computed
        top.addWidget(self.state)
        layout.addLayout(top)
        layout.addLayout(self._toolbar())
        self.canvas = GraphCanvas()
        self.canvas.node_selected.connect(self._show_details)
        self.canvas.node_activated.connect(self.layer_activated)
        self.canvas.block_toggled.connect(self.toggle_block)
        splitter = QSplitter(Qt.Vertical)  # the formulas' lines are long: the panel spans the width
        splitter.addWidget(self.canvas)
        splitter.addWidget(self._details_panel())
        splitter.setSizes([560, 150])
        splitter.setStretchFactor(0, 1)
        layout.addWidget(splitter, 1)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        layout.addWidget(self.message)

    def _toolbar(self) -> QHBoxLayout:
        """Find a layer, every layer or blocks, fit, colour by (and its scale), Netron."""
        row = QHBoxLayout()
        self.find_edit = QLineEdit()
        self.find_edit.setPlaceholderText("Find a layer...")
        self.find_edit.setMinimumWidth(170)
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.setToolTip("A layer's or block's name: centred and selected (Enter)")
        self.names = QStringListModel(self)
        completer = QCompleter(self.names, self)
        completer.setCaseSensitivity(Qt.CaseInsensitive)
        completer.setFilterMode(Qt.MatchContains)
        completer.activated.connect(self.find)
        self.find_edit.setCompleter(completer)
        self.find_edit.returnPressed.connect(lambda: self.find(self.find_edit.text()))
        row.addWidget(self.find_edit)
        self.every_layer = QCheckBox("Every layer")
        self.every_layer.setToolTip("Open every block (else open one with its + marker or a double-click)")
        self.every_layer.toggled.connect(self.show_every_layer)
        row.addWidget(self.every_layer)
        fit = QPushButton("Fit")
        fit.setToolTip("The whole graph in view (keys: + and - zoom, 0 fits; drag to pan)")
        fit.clicked.connect(lambda: self.canvas.fit())
        row.addWidget(fit)
        row.addWidget(QLabel("Colour by"))
        self.colour_by = QComboBox()
        self.colour_by.addItem(NO_COLOUR, None)
        self.colour_by.setToolTip("A measure per layer (the network's health while it trains); "
                                  "a block takes its worst layer's colour")
        self.colour_by.currentIndexChanged.connect(lambda _: self._recolour())
        row.addWidget(self.colour_by)
        self.legend = ScaleLegend()
        row.addWidget(self.legend)
        row.addStretch(1)
        self.netron_button = QPushButton("Open in Netron")
        self.netron_button.setToolTip("Open the model in Netron, a viewer for model files (pip install netron)")
        self.netron_button.clicked.connect(self.open_netron)
        row.addWidget(self.netron_button)
        return row

    def _details_panel(self) -> QWidget:
        """The selected node's numbers in the formulas, and what can be done with it."""
        panel = QWidget()
        row = QHBoxLayout(panel)
        row.setContentsMargins(0, 0, 0, 0)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a node: its numbers in the formulas of the lectures.")
        row.addWidget(self.details, 1)
        buttons = QVBoxLayout()
        self.block_button = QPushButton("Open block")
        self.block_button.setEnabled(False)
        self.block_button.clicked.connect(self._toggle_selected_block)
        buttons.addWidget(self.block_button)
        self.inspect_button = QPushButton("Show in Inspect")
        self.inspect_button.setEnabled(False)
        self.inspect_button.clicked.connect(lambda: self.layer_activated.emit(self.canvas.selected_id()))
        buttons.addWidget(self.inspect_button)
        buttons.addStretch(1)
        row.addLayout(buttons)
        return panel

    # -- the model ------------------------------------------------------------------------
    def set_model(self, current: CurrentModel) -> None:
        """Follow the window's current model."""
        self.model, self.path, self.picture = current.model, current.path, None
        self._focus = None
        self.clear_values()
        self.message.setText("")
        self.details.setPlainText("")
        self.names.setStringList([])
        self.canvas.clear()
        self.source_label.setText(f"Model: {current.source}" if current.model is not None
                                  else "No model yet: train one or open a .keras file.")
        if current.model is None:
            self._job.cancel()
            self.state.setText("")
            return
        self.refresh()

    def _compute(self) -> None:
        """Read the model's graph (refresh(): now if the tab is visible, else when it is shown)."""
        self._job.request(read_graph, self.model, "all" if self.every_layer.isChecked() else "none")

    def _picture_ready(self, picture: Picture) -> None:
        if picture.model is not self.model:
            return
        self.state.setText("")
        self.draw(picture)

    def draw(self, picture: Picture) -> None:
        """Build the scene of a laid-out graph (the GUI thread's whole share of the work)."""
        started = time.perf_counter()
        first = self.picture is None
        self.picture = picture
        graph = picture.graph
        self.canvas.show_graph(graph, picture.layout)
        self._recolour()
        self.names.setStringList(sorted({n.id for n in (*graph.layers, *graph.blocks)}))
        self.scene_seconds = time.perf_counter() - started
        if first:
            self.canvas.show_top()
        if self._focus is not None:
            (node_id, select), self._focus = self._focus, None
            if node_id in self.canvas.items_by_id and select:
                self.canvas.select(node_id)
            else:
                self.canvas.centre_on_block(node_id)
        self.drawn.emit()

    def _fail(self, text: str) -> None:
        self.state.setText("")
        self.message.setText(text)
        self.failed.emit(text)

    # -- blocks ---------------------------------------------------------------------------
    def toggle_block(self, block_id: str) -> None:
        """Open a collapsed block (its layers shown, framed), or close an open one."""
        graph = self.graph
        if graph is None:
            return
        if block_id in graph.open_blocks:
            self._relayout(graph.collapsed([block_id]), (block_id, True))
        else:
            self._relayout(graph.expanded([block_id]), (block_id, False))

    def show_every_layer(self, every: bool = True) -> None:
        """Open every block (``every``), or close them all."""
        graph = self.graph
        if graph is not None and (graph.open_blocks == {b.id for b in graph.blocks}) != every:
            selected = self.canvas.selected_id()
            self._relayout(graph.expanded_all() if every else graph.collapsed(graph.open_blocks),
                           (selected, True) if selected else None)
        if self.every_layer.isChecked() != every:
            self.every_layer.blockSignals(True)
            self.every_layer.setChecked(every)
            self.every_layer.blockSignals(False)

    def _relayout(self, graph, focus: tuple[str, bool] | None) -> None:
        self._focus = focus
        self._job.request(lay_out, self.model, graph)

    def _toggle_selected_block(self) -> None:
        node_id = self.canvas.selected_id()
        if node_id and self.graph.node(node_id).is_block:
            self.toggle_block(node_id)
        elif node_id and self.graph.node(node_id).block:  # a layer of an open block: close it
            self.toggle_block(self.graph.node(node_id).block)

    # -- find -----------------------------------------------------------------------------
    def find(self, text: str) -> bool:
        """Centre and select the layer or block named ``text`` (its id, its own name, or the
        first whose id contains it); a layer inside a closed block opens that block first."""
        graph, text = self.graph, text.strip()
        if graph is None or not text:
            return False
        node = _lookup(graph, text)
        if node is None:
            self.message.setText(f"{graph.name} has no layer or block named {text!r}.")
            return False
        self.message.setText("")
        if node.id in self.canvas.items_by_id:
            self.canvas.select(node.id)
        elif node.is_block:  # open: its frame
            self.canvas.centre_on_block(node.id)
        else:  # inside a closed block
            self._relayout(graph.expanded([node.block]), (node.id, True))
        return True

    # -- details --------------------------------------------------------------------------
    def _show_details(self, node_id: str) -> None:
        graph = self.graph
        if not node_id or graph is None:
            self.details.setPlainText("")
            self.block_button.setEnabled(False)
            self.inspect_button.setEnabled(False)
            return
        node = graph.node(node_id)
        lines = graph.details(node_id)
        measure = self.colour_by.currentData()
        if measure is not None:
            lines.append(self._value_line(measure, node))
        self.details.setPlainText("\n".join(lines))
        self.block_button.setEnabled(node.is_block or node.block is not None)
        self.block_button.setText("Open block" if node.is_block else "Close its block")
        self.inspect_button.setEnabled(not node.is_block)

    # -- colour by ------------------------------------------------------------------------
    def set_health(self, latest) -> None:
        """Every health measure joins the Colour by list: ``latest(measure)`` -> {layer: newest value}."""
        for name, spec in MEASURES.items():
            self.set_values(name, latest(name), label=spec.label, unit=spec.unit,
                            worse="high" if spec.above else "low", select=False)

    def set_values(self, measure: str, values: dict, *, label: str | None = None, unit: str = "",
                   worse: str = "high", select: bool = True) -> None:
        """Values of ``measure`` per layer id (nested layers ``outer/inner``); ``worse``: which end
        is the bad one ("high": dead units; "low": a vanishing gradient ratio); ``unit`` "%" shows
        fractions as percents. The measure joins the Colour by list; ``select`` colours the nodes
        by it now, else they are recoloured only when it is the measure chosen (live updates)."""
        if worse not in WORSE:
            raise ValueError(f"worse is one of {WORSE} (got {worse!r})")
        self.measures[measure] = MeasureValues(label or measure, unit, worse, dict(values))
        index = self.colour_by.findData(measure)
        if index < 0:
            self.colour_by.addItem(label or measure, measure)
            index = self.colour_by.count() - 1
        if select and self.colour_by.currentIndex() != index:
            self.colour_by.setCurrentIndex(index)  # recolours
        elif self.colour_by.currentData() == measure:
            self._recolour()

    def clear_values(self) -> None:
        """Forget every measure's values (another model's would be misread as this one's)."""
        self.measures.clear()
        self.colour_by.blockSignals(True)
        while self.colour_by.count() > 1:
            self.colour_by.removeItem(1)
        self.colour_by.blockSignals(False)
        self._recolour()

    def _recolour(self) -> None:
        measure = self.colour_by.currentData()
        chosen = self.measures.get(measure) if measure is not None else None
        if chosen is None or self.graph is None:
            self.canvas.set_fills({})
            self.legend.set_scale(None)
            return
        scale = ColourScale.of(chosen.values.values(), chosen.worse, chosen.unit)
        fills = {}
        for node in self.graph.nodes:
            value = self._node_value(chosen, node)
            fills[node.id] = None if value is None else scale.colour(value)
        self.canvas.set_fills(fills)
        self.legend.set_scale(scale, chosen.label, chosen.unit)
        self._show_details(self.canvas.selected_id())

    def _node_value(self, chosen: MeasureValues, node) -> float | None:
        """A layer's value, or a block's worst layer's."""
        ids = node.children if node.is_block else (node.id,)
        return worst((chosen.values[i] for i in ids if i in chosen.values), chosen.worse)

    def _value_line(self, measure: str, node) -> str:
        chosen = self.measures[measure]
        value = self._node_value(chosen, node)
        text = "not measured" if value is None else format_value(value, chosen.unit)
        return f"{chosen.label}: {text}" + (" (its worst layer)" if node.is_block and value is not None else "")

    # -- Netron ---------------------------------------------------------------------------
    def open_netron(self) -> None:
        """Open the model in Netron, or say how to get it."""
        if self.model is None:
            self.message.setText("No model to open in Netron: train one or open a .keras file first.")
            return
        if not netron_available():
            self.message.setText(NETRON_MISSING)
            return
        self.message.setText("")
        self.state.setText("starting Netron...")
        run_job(open_in_netron, self.model, self.path, on_result=self.state.setText, on_error=self._fail,
                owner=self)


def _lookup(graph, text: str):
    """A node by id, else by its own name, else the first (in graph order) whose id contains ``text``."""
    nodes = (*graph.layers, *graph.blocks)
    for match in (lambda n: n.id == text, lambda n: n.name == text,
                  lambda n: text.lower() in n.id.lower()):
        found = next((n for n in nodes if match(n)), None)
        if found is not None:
            return found
    return None

