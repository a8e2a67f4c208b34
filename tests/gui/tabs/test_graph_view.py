"""The Graph tab on a real tiny Keras model (16x16), real Qt offscreen."""

import sys

import pytest
from PySide6.QtCore import QPointF, Qt

from gui.state import CurrentModel
from gui.widgets.colour_scale import colour_at
from netlab.inspect.graph import network_graph
from tests.helpers.qt import wait_for_workers

TIMEOUT = 60_000
SIDE = 16


@pytest.fixture(scope="module")
def model():
    """A stem convolution, an inception module (two branches and their concatenation), a head."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    inp = keras.Input((SIDE, SIDE, 3))
    x = layers.Conv2D(8, 5, strides=2, padding="same", name="conv1")(inp)
    a = layers.Conv2D(4, 1, activation="relu", name="inception_3a_1x1")(x)
    b = layers.Conv2D(4, 3, padding="same", activation="relu", name="inception_3a_3x3")(x)
    x = layers.Concatenate(name="inception_3a_output")([a, b])
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inp, layers.Dense(3, activation="softmax", name="predictions")(x), name="tiny")


@pytest.fixture
def view(qtbot, model):
    from gui.tabs.graph_view import GraphView

    widget = GraphView()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    with qtbot.waitSignal(widget.drawn, timeout=TIMEOUT):
        widget.set_model(CurrentModel.of(model, None, "tiny"))
    yield widget
    wait_for_workers(qtbot)


def _edges_drawn(view) -> int:
    return len(view.canvas.edge_items)


def test_draws_the_graphs_nodes_and_edges_and_a_block_opens_and_closes(qtbot, view, model):
    graph = network_graph(model)
    assert set(view.canvas.items_by_id) == {n.id for n in graph.nodes}
    assert "inception_3a" in view.canvas.items_by_id  # the module collapsed into one node
    assert _edges_drawn(view) == len(graph.edges)
    assert view.scene_seconds is not None

    block = view.canvas.items_by_id["inception_3a"]
    press = view.canvas.mapFromScene(block.mapToScene(block.marker_rect().center()))
    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT):
        qtbot.mouseClick(view.canvas.viewport(), Qt.LeftButton, pos=press)  # its "+" marker
    opened = graph.expanded(["inception_3a"])
    assert set(view.canvas.items_by_id) == {n.id for n in opened.nodes}
    assert {"inception_3a_1x1", "inception_3a_3x3", "inception_3a_output"} <= set(view.canvas.items_by_id)
    assert _edges_drawn(view) == len(opened.edges) > len(graph.edges)
    assert list(view.canvas.frames) == ["inception_3a"]

    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT):
        view.toggle_block("inception_3a")
    assert set(view.canvas.items_by_id) == {n.id for n in graph.nodes}
    assert not view.canvas.frames


def test_find_selects_and_centres_a_layer_opening_its_block(qtbot, view):
    view.canvas.zoom(2.0)
    view.canvas.centerOn(0, 0)
    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT):
        assert view.find("3x3")  # inside the closed module: opened first
    assert view.canvas.selected_id() == "inception_3a_3x3"
    item = view.canvas.items_by_id["inception_3a_3x3"]
    centre = view.canvas.mapToScene(view.canvas.viewport().rect().center())
    assert (centre - item.scenePos()).manhattanLength() < 30
    assert "inception_3a_3x3" in view.names.stringList()

    assert view.find("gap")
    assert view.canvas.selected_id() == "gap"
    assert not view.find("no_such_layer")
    assert "no layer or block named 'no_such_layer'" in view.message.text()


def test_details_show_a_convolutions_formula_numbers_and_double_click_asks_inspect(qtbot, view):
    view.find("conv1")
    text = view.details.toPlainText()
    # 16 px input, F = 5, "same" at stride 2 pads 3 in all: (16 - 5 + 3)/2 + 1 = 8
    assert "(16 - 5 + 3)/2 + 1 = 8" in text
    assert "(5\u00b75\u00b73)\u00b78 + 8 = 608" in text  # (F*F*D1)*D2 + D2
    assert "8\u00b78\u00b78\u00b7(5\u00b75\u00b73) = 38,400" in text  # multiply-adds
    assert "receptive field: r = r_in + (F - 1)\u00b7j_in = 1 + (5 - 1)\u00b71 = 5 pixels" in text

    item = view.canvas.items_by_id["conv1"]
    with qtbot.waitSignal(view.layer_activated, timeout=1000) as activated:
        qtbot.mouseDClick(view.canvas.viewport(), Qt.LeftButton,
                          pos=view.canvas.mapFromScene(item.scenePos() + QPointF(-20, 0)))
    assert activated.args == ["conv1"]


def test_colour_by_fills_nodes_from_values_a_block_by_its_worst_layer(qtbot, view):
    view.set_values("dead_fraction", {"conv1": 0.005, "inception_3a_1x1": 0.25, "inception_3a_3x3": 1.0,
                                      "predictions": 0.5025}, label="dead units", unit="%")
    fills = {node_id: item.fill for node_id, item in view.canvas.items_by_id.items()}
    assert fills["conv1"] == colour_at(0.0)
    assert fills["predictions"] == colour_at(0.5)  # fractions on a linear scale, whatever their span
    assert fills["inception_3a"] == colour_at(1.0)  # its worst layer, 100% dead
    assert fills["gap"] is None  # not measured
    assert view.legend.isVisible() and view.legend.texts() == ("0%", "100%")
    view.find("inception_3a")
    assert "dead units: 100% (its worst layer)" in view.details.toPlainText()

    # A measure whose low end is the bad one; a live update of a measure not shown recolours nothing.
    view.set_values("gradient_ratio", {"conv1": 1e-6, "inception_3a_1x1": 1e-3, "predictions": 1.0}, worse="low")
    assert view.canvas.items_by_id["conv1"].fill == colour_at(1.0)
    assert view.canvas.items_by_id["inception_3a"].fill == colour_at(0.5)  # six decades: a log scale
    view.set_values("dead_fraction", {"conv1": 1.0}, select=False)
    assert view.canvas.items_by_id["conv1"].fill == colour_at(1.0)
    view.colour_by.setCurrentIndex(0)  # none
    assert all(item.fill is None for item in view.canvas.items_by_id.values())
    assert not view.legend.isVisible()
    assert view.colour_by.count() == 3
    view.clear_values()  # another model's values are not this one's
    assert view.colour_by.count() == 1 and not view.measures


def test_open_in_netron_without_netron_says_how_to_get_it(view, monkeypatch):
    monkeypatch.setitem(sys.modules, "netron", None)  # as if not installed: its import fails
    view.netron_button.click()
    assert "pip install netron" in view.message.text()
