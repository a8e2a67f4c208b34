"""The window's one current model (gui/state.py): who sets it, and every tab following it."""

import pytest

from gui.state import CurrentModel
from netlab.config import Experiment
from netlab.runs.folder import RunWriter
from tests.helpers.classify import CLASSES, SIDE, tiny_model

TIMEOUT = 60_000


@pytest.fixture
def run_model(tmp_path):
    """A run folder as the trainer writes it (config.json, classes.json) holding a real tiny model.keras."""
    run_dir = tmp_path / "runs" / "tiny-run"
    writer = RunWriter(run_dir)
    writer.write_config(Experiment())
    writer.write_classes(CLASSES, (SIDE, SIDE, 3))
    tiny_model().save(run_dir / "model.keras")
    return run_dir / "model.keras"


def test_observers_hear_every_change_in_order_and_can_leave(tmp_path):
    current, heard = CurrentModel(), []
    assert current.model is None and current.input_shape is None and current.run_dir is None
    current.subscribe(lambda c: heard.append(("first", c.source)))
    leave = current.subscribe(lambda c: heard.append(("second", c.source)))
    model = tiny_model()
    current.set(model, CLASSES, "a", tmp_path / "model.keras")
    leave()
    current.set(model, None, "b")
    assert heard == [("first", "a"), ("second", "a"), ("first", "b")]
    assert current.class_names is None and current.path is None


def test_a_model_file_names_its_run_folder_and_its_input(run_model, tmp_path):
    current = CurrentModel.of(tiny_model(), CLASSES, "in a run", run_model)
    assert current.run_dir == run_model.parent
    assert current.input_shape == (SIDE, SIDE, 3)
    assert current.class_names == CLASSES
    current.set(tiny_model(), CLASSES, "a loose file", tmp_path / "loose.keras")  # no config.json beside it
    assert current.run_dir is None


def _run_item(view):
    """The Statistics tab's entry for the run's own training images, or None."""
    items = [view.source.itemData(i) for i in range(view.source.count())]
    return next((data for data in items if data[0] == "run"), None)


def test_a_model_opened_in_the_classify_tab_reaches_every_tab(window, qtbot, run_model):
    from gui.tabs.evaluate import RUN_DATA

    with qtbot.waitSignal(window.model_changed, timeout=TIMEOUT) as changed:
        window.classify.open_model(str(run_model))  # loaded in a worker, like the File menu's
    current = changed.args[0]
    assert current is window.current
    assert current.path == run_model and current.run_dir == run_model.parent
    assert current.class_names == CLASSES and current.input_shape == (SIDE, SIDE, 3)
    for view in (window.classify, window.evaluation, window.inspect, window.stats):
        assert view.model is current.model, view
    for label in (window.classify.source_label, window.evaluation.source_label, window.inspect.source_label):
        assert label.text() == "Model: model.keras"
    # The model came from a run: Evaluate offers the run's held-out images, Statistics its training images.
    assert window.evaluation.run_dir == run_model.parent
    assert window.evaluation.dataset.findData(RUN_DATA) >= 0
    assert _run_item(window.stats) == ("run", str(run_model.parent))
    qtbot.waitUntil(lambda: window.inspect.structure is not None, timeout=TIMEOUT)
    assert window.inspect.structure.model is current.model

    # Another model, outside any run, set in the one place: every tab follows, the run's data goes.
    other = tiny_model(seed=1)
    window.current.set(other, CLASSES, "another model")
    for view in (window.classify, window.evaluation, window.inspect, window.stats):
        assert view.model is other, view
    assert window.evaluation.run_dir is None and window.evaluation.dataset.findData(RUN_DATA) < 0
    assert _run_item(window.stats) is None
    assert window.inspect.source_label.text() == "Model: another model"
