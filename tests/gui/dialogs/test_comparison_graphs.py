"""The arithmetic lesson in the Lessons window: each comparison's two networks drawn, with their counts."""

import pytest
from PySide6.QtCore import Qt

from netlab.inspect.graph import network_graph
from netlab.lessons.arithmetic import comparison_models, count, millions
from netlab.lessons.spec import load_lesson


@pytest.fixture
def dialog(qtbot, tmp_path):
    from gui.dialogs.experiments import ExperimentsDialog

    dlg = ExperimentsDialog(tmp_path)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def expected(comparison) -> list[tuple[dict, int]]:
    """Each side's count() and the number of nodes of its graph with every layer shown."""
    return [(count(model), len(network_graph(model, "all").nodes)) for model in comparison_models(comparison)]


def test_picking_the_arithmetic_lesson_draws_both_networks_titled_with_their_counts(dialog, qtbot):
    graphs = dialog.comparison_graphs
    assert not graphs.isVisible()  # a lesson that trains: its curves
    with qtbot.waitSignal(graphs.drawn, timeout=60_000):
        dialog.lesson.setCurrentText("arithmetic")
    assert graphs.isVisible() and not dialog.plots.isVisible()
    comparisons = load_lesson("arithmetic").comparisons
    assert graphs.picker.count() == len(comparisons)
    sides = expected(comparisons[0])
    assert [len(canvas.items_by_id) for canvas in graphs.canvases] == [nodes for _, nodes in sides] == [3, 5]
    for (numbers, _), title in zip(sides, graphs.titles):
        assert (f"{millions(numbers['macs'])} multiply-adds, {numbers['params']:,} parameters, "
                f"receptive field {numbers['receptive_field']}") in title.text()
    # GoogLeNet's 5x5 branch, counted: the claim's numbers as the lesson states them.
    assert "Multiply-adds: reduced 5.3M vs direct 112.9M: 0.047x (claim: < 0.1x; held)" in graphs.claims.text()


def test_another_comparison_is_drawn_and_a_clicked_layer_shows_its_formulas(dialog, qtbot):
    graphs = dialog.comparison_graphs
    with qtbot.waitSignal(graphs.drawn, timeout=60_000):
        dialog.lesson.setCurrentText("arithmetic")
    with qtbot.waitSignal(graphs.drawn, timeout=30_000):
        graphs.picker.setCurrentIndex(1)  # three stacked 3x3 against one 7x7
    sides = expected(load_lesson("arithmetic").comparisons[1])
    assert [len(canvas.items_by_id) for canvas in graphs.canvases] == [nodes for _, nodes in sides] == [3, 7]
    assert f"{sides[1][0]['params']:,} parameters" in graphs.titles[1].text()
    assert "Receptive field: three_3x3 7 vs one_7x7 7 (claim: the same; held)" in graphs.claims.text()

    canvas = graphs.canvases[1]
    box = canvas.items_by_id["three_3x3_2_conv"]
    qtbot.mouseClick(canvas.viewport(), Qt.LeftButton, pos=canvas.mapFromScene(box.scenePos()))
    assert canvas.selected_id() == "three_3x3_2_conv"
    assert graphs.details.text().startswith("three_3x3_2_conv: Conv2D")
    assert "(3·3·256)·256 + 256 = 590,080" in graphs.details.text()  # (F·F·D1)·D2 + D2

    dialog.lesson.setCurrentText("dropout")  # a lesson that trains: the curves again
    assert not graphs.isVisible() and dialog.plots.isVisible()
