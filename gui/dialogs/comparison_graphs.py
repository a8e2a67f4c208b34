"""The arithmetic lesson's comparisons drawn: one comparison's two networks side by side.

Under the Lessons window's question, for a lesson that lists comparisons (``"kind":
"arithmetic"``, netlab/lessons/arithmetic.py): a picker of its comparisons, the chosen one's
claims with their numbers ("Multiply-adds: reduced 5.3M vs direct 112.9M: 0.047x"), and its two
sides' graphs, every layer shown, each titled with the parameters, multiply-adds and receptive
field that the lesson's own counter gives. Both graphs are drawn at one scale, so the deeper
side also looks deeper. Building the two Keras models, counting them and laying out their
graphs runs in a worker (:func:`draw_comparison`); the GUI thread only builds the scenes. A
click on a layer shows its numbers in the lectures' formulas (``Graph.details``) below.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.widgets.graph_canvas import GraphCanvas
from gui.workers import LatestJob
from netlab.base.abort import abort_point
from netlab.lessons.arithmetic import comparison_models, millions, run_comparison

# netlab.inspect.graph (the summary's walk, igraph) is imported in the job: the window shows
# before it loads (see gui/app.py).

METRIC_NAMES = {"macs": "multiply-adds", "params": "parameters", "receptive_field": "receptive field"}
DETAILS_HINT = "Click a layer for its numbers in the lectures' formulas."
CANVAS_MIN_HEIGHT = 260  # three layers' boxes at a readable zoom
MIN_ZOOM = 0.75  # the boxes' 11 px text still reads; a taller graph than that scrolls (drag it)
WINDOW_HEIGHT = 900  # the window grows to this (as the screen allows): seven layers fit at MIN_ZOOM
DETAILS_LINES = 3  # a convolution's formulas, wrapped


@dataclass(eq=False)
class SidePicture:
    """One side of a comparison: its counted numbers and its graph, laid out."""

    name: str
    numbers: dict  # netlab.lessons.arithmetic.count()'s: params, macs, receptive_field, ...
    graph: object  # netlab.inspect.graph.Graph, every layer shown
    layout: object  # netlab.inspect.graph.GraphLayout


@dataclass(eq=False)
class ComparisonPicture:
    name: str  # the comparison's
    sides: tuple[SidePicture, SidePicture]
    checks: list[dict]  # the claim's checks, as the lesson's result.json lists them


def draw_comparison(comparison) -> ComparisonPicture:
    """Worker job: the comparison's two models built, counted and checked as the lesson does,
    and their graphs laid out with every layer shown (a few layers each)."""
    from netlab.inspect.graph import layout, network_graph

    models = comparison_models(comparison)
    abort_point()
    counted = run_comparison(comparison, models)
    sides = []
    for side, model in zip(comparison.sides, models, strict=True):
        abort_point()
        graph = network_graph(model, "all")
        sides.append(SidePicture(side["name"], counted["sides"][side["name"]], graph, layout(graph)))
    return ComparisonPicture(comparison.name, tuple(sides), counted["checks"])


def _value(metric: str, value) -> str:
    if metric == "macs":
        return millions(value)
    return f"{int(value):,}" if metric == "params" else f"{value:g}"


def check_line(check: dict) -> str:
    """One claim with its numbers: "Multiply-adds: reduced 5.3M vs direct 112.9M: 0.047x (claim: < 0.1x; held)"."""
    (left, metric), (right, _) = check["left"].split(".", 1), check["right"].split(".", 1)
    lv, rv = check["left_value"], check["right_value"]
    held = "held" if check["held"] else "did not hold"
    if check["op"] == "=" and check["factor"] == 1:
        ratio, claim = "", "the same"
    else:
        ratio, claim = (f": {lv / rv:.3f}x" if rv else ""), f"{check['op']} {check['factor']:g}x"
    return (f"{METRIC_NAMES[metric].capitalize()}: {left} {_value(metric, lv)} vs {right} {_value(metric, rv)}"
            f"{ratio} (claim: {claim}; {held})")


def side_title(side: SidePicture) -> str:
    """The side's name and numbers, as the lesson's verdict states them."""
    n = side.numbers
    field = "the whole input" if n["receptive_field"] is None else n["receptive_field"]
    return (f"<b>{side.name}</b>: {millions(n['macs'])} multiply-adds, {n['params']:,} parameters, "
            f"receptive field {field}")


class SideCanvas(GraphCanvas):
    """A graph canvas that says when it was resized (both are fitted again, at one scale)."""

    resized = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # a few boxes: bars only take room
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.resized.emit()


class ComparisonGraphs(QWidget):
    """A comparison picker, the chosen comparison's claims, and its two networks drawn."""

    drawn = Signal()  # both sides' scenes built

    def __init__(self, parent=None):
        super().__init__(parent)
        self.comparisons: list = []
        self.picture: ComparisonPicture | None = None
        self._job = LatestJob(self, 0, self._picture_ready, self._fail,
                              on_start=lambda: self.state.setText("building and counting the two networks..."))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.picker = QComboBox()
        self.picker.setToolTip("The comparison whose two networks are drawn")
        self.picker.currentIndexChanged.connect(self.show_comparison)
        self.state = QLabel("")
        for widget in (QLabel("Comparison"), self.picker):
            row.addWidget(widget)
        row.addWidget(self.state, 1)
        layout.addLayout(row)
        self.claims = QLabel("")  # the claims with their numbers, one a line
        self.claims.setWordWrap(True)
        self.claims.setMinimumHeight(2 * self.claims.fontMetrics().lineSpacing())  # two claims, at most
        self.claims.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        layout.addWidget(self.claims)
        grid = QGridLayout()
        self.titles = [QLabel(""), QLabel("")]
        self.canvases = [SideCanvas(), SideCanvas()]
        for column, (title, canvas) in enumerate(zip(self.titles, self.canvases)):
            title.setWordWrap(True)
            title.setMinimumHeight(2 * title.fontMetrics().lineSpacing())
            title.setAlignment(Qt.AlignLeft | Qt.AlignBottom)  # one line sits on its graph
            canvas.setMinimumHeight(CANVAS_MIN_HEIGHT)
            canvas.resized.connect(self._fit)
            canvas.node_selected.connect(lambda node_id, side=column: self._show_details(side, node_id))
            grid.addWidget(title, 0, column)
            grid.addWidget(canvas, 1, column)
        grid.setRowStretch(1, 1)
        layout.addLayout(grid, 1)
        self.details = QLabel(DETAILS_HINT)
        self.details.setWordWrap(True)
        self.details.setMinimumHeight(DETAILS_LINES * self.details.fontMetrics().lineSpacing())
        layout.addWidget(self.details)

    def show_comparisons(self, comparisons) -> None:
        """A lesson's comparisons (none: nothing shown); the first is drawn."""
        self.comparisons = list(comparisons)
        self.setVisible(bool(self.comparisons))
        self.picker.blockSignals(True)
        self.picker.clear()
        self.picker.addItems([c.title for c in self.comparisons])
        self.picker.blockSignals(False)
        if self.comparisons:
            self._grow_window()
            self.show_comparison(0)
        else:
            self._job.cancel()
            self._clear()

    def _grow_window(self) -> None:
        """Make the window tall enough for both graphs at a readable zoom, as far as the screen allows."""
        window = self.window()
        if window is self or window.height() >= WINDOW_HEIGHT:
            return
        screen = window.screen().availableGeometry()
        frame = window.frameGeometry().height() - window.height()  # the title bar
        height = min(WINDOW_HEIGHT, screen.height() - frame)
        if height <= window.height():  # a small screen: no room to grow
            return
        window.resize(window.width(), height)
        bottom = window.frameGeometry().bottom()
        if bottom > screen.bottom():  # grown off the screen: moved up
            window.move(window.x(), max(screen.top(), window.y() - (bottom - screen.bottom())))

    def show_comparison(self, index: int) -> None:
        """Build, count and lay out the comparison at ``index`` in the worker, then draw it."""
        if not 0 <= index < len(self.comparisons):
            return
        if self.picker.currentIndex() != index:
            self.picker.setCurrentIndex(index)  # comes back here through the signal
            return
        self._clear()
        self._job.request(draw_comparison, self.comparisons[index])

    def _clear(self) -> None:
        self.picture = None
        for title, canvas in zip(self.titles, self.canvases):
            title.setText("")
            canvas.clear()
        self.claims.setText("")
        self.claims.setStyleSheet("")
        self.details.setText(DETAILS_HINT)
        self.state.setText("")

    def _picture_ready(self, picture: ComparisonPicture) -> None:
        index = self.picker.currentIndex()
        if not 0 <= index < len(self.comparisons) or self.comparisons[index].name != picture.name:
            return
        self.picture = picture
        self.state.setText("")
        self.claims.setText("\n".join(check_line(c) for c in picture.checks))
        for side, title, canvas in zip(picture.sides, self.titles, self.canvases):
            title.setText(side_title(side))
            canvas.show_graph(side.graph, side.layout)
        self._fit()
        self.drawn.emit()

    def _fit(self) -> None:
        """Both graphs at one scale, the larger of the two fitted (never magnified), tops aligned."""
        shown = [c for c in self.canvases if not c.graph_rect.isEmpty()]
        if not shown:
            return
        scale = min(min(c.viewport().width() / c.graph_rect.width(), c.viewport().height() / c.graph_rect.height())
                    for c in shown)
        scale = max(min(scale, 1.0), MIN_ZOOM)
        for canvas in shown:
            canvas.resetTransform()
            canvas.zoom(scale)
            rect = canvas.graph_rect
            canvas.centerOn(rect.center().x(), rect.top() + canvas.viewport().height() / (2 * scale))

    def _show_details(self, side: int, node_id: str) -> None:
        if not node_id or self.picture is None:
            return
        lines = self.picture.sides[side].graph.details(node_id)
        self.details.setText(lines[0] + ": " + "; ".join(lines[1:]))

    def _fail(self, text: str) -> None:
        self.state.setText("")
        self.claims.setText(text)
        self.claims.setStyleSheet("color: #b00020;")
