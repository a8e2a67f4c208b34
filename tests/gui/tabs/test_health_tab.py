"""The Health tab: per-layer curves from a finished run's health.csv, and live measurements."""

import math

from gui.state import CurrentModel, HealthHistory
from gui.tabs.health import WORST, HealthView
from netlab.config import Experiment
from netlab.runs.files import CONFIG_FILE, MODEL_FILE
from netlab.runs.health_log import HealthLog
from netlab.training.events import HealthMeasured


def finished_run(folder):
    """A run folder with a health.csv of 3 measurements of 7 layers (written as a run writes it)."""
    folder.mkdir()
    Experiment().save(folder / CONFIG_FILE)
    log = HealthLog(folder)
    for step in (1, 5, 9):
        log.add(step, 0, {f"conv{i}": {"gradient_norm": 10.0 ** -i * step, "dead_fraction": i / 10}
                          for i in range(7)})
    log.write()
    return folder


def test_a_finished_runs_health_is_drawn_per_layer(qtbot, tmp_path):
    view = HealthView()
    qtbot.addWidget(view)
    run = finished_run(tmp_path / "run")
    view.set_model(CurrentModel.of(None, None, "a run", run / MODEL_FILE))
    view.combo.setCurrentIndex(view.combo.findData("dead_fraction"))
    assert view.layer_list.count() == 7
    # The layers with the most dead units are checked and drawn.
    assert set(view.checked_layers()) == {f"conv{i}" for i in range(7 - WORST, 7)}
    assert view.curve_count() == WORST
    curve = next(item for item in view.plot.listDataItems() if item.name() == "conv6")
    assert list(curve.getOriginalDataset()[0]) == [1, 5, 9]
    assert math.isclose(view.latest("gradient_norm")["conv2"], 0.09)  # the newest: step 9
    view.combo.setCurrentIndex(view.combo.findData("gradient_norm"))
    assert set(view.checked_layers()) == {f"conv{i}" for i in range(WORST)}  # the largest gradients


def test_live_measurements_extend_the_curves(qtbot):
    view = HealthView()
    qtbot.addWidget(view)
    view.combo.setCurrentIndex(view.combo.findData("dead_fraction"))
    for step in (1, 2, 3):
        view.add_measurement(HealthMeasured(step=step, epoch=0, values={"relu1": {"dead_fraction": step / 4}}))
    assert view.checked_layers() == ["relu1"]
    curve = view.plot.listDataItems()[0]
    assert list(curve.getOriginalDataset()[1]) == [25.0, 50.0, 75.0]  # fractions drawn as percents
    assert view.latest("dead_fraction") == {"relu1": 0.75}
    view.clear()
    assert view.latest("dead_fraction") == {} and view.layer_list.count() == 0


def test_history_worst_puts_nan_last():
    history = HealthHistory()
    history.add(1, {"a": {"dead_fraction": math.nan}, "b": {"dead_fraction": 0.2}, "c": {"dead_fraction": 0.9}})
    assert history.worst("dead_fraction", 3) == ["c", "b", "a"]
    assert history.worst("dead_fraction", 1, highest=False) == ["b"]


def test_the_graph_is_coloured_by_the_health_the_window_measured(window):
    """The window passes each measurement on to the Graph tab's Colour by list."""
    window.health.add_measurement(HealthMeasured(step=1, epoch=0, values={
        "conv": {"gradient_norm": 0.5, "gradient_ratio": 0.01}, "relu": {"dead_fraction": 0.75}}))
    colour_by = window.graph_view.colour_by
    measures = {colour_by.itemData(i) for i in range(colour_by.count())}
    assert {"gradient_norm", "dead_fraction"} <= measures
    assert window.graph_view.measures["dead_fraction"].values == {"relu": 0.75}
