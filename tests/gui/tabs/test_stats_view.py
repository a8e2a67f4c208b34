"""The Statistics tab: batch-norm and activation statistics of the window's current model."""

import numpy as np
import pytest
from PIL import Image

from gui.state import CurrentModel  # noqa: E402
from tests.helpers.inspect_models import images, nested, sequential
from tests.helpers.qt import wait_for_workers

WAIT_MS = 120_000


@pytest.fixture
def image_folder(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


@pytest.fixture
def view(qtbot):
    from gui.tabs.stats_view import StatsView

    widget = StatsView()
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    widget.show()
    yield widget
    widget.cancel()
    from gui.workers import wait_for_jobs

    wait_for_jobs(60_000)


def _cells(table, row):
    return [table.item(row, column).text() for column in range(table.columnCount())]


def test_one_row_per_bn_layer_with_the_values_of_its_variables_and_it_follows_the_model(qtbot, view,
                                                                                     image_folder):
    from netlab.inspect.layers import find_layer

    view.use_folder(str(image_folder))
    model = nested()
    bn = find_layer(model, "backbone/concat_bn")
    bn.moving_mean.assign(np.linspace(-2, 2, 8).astype(np.float32))
    bn.gamma.assign(np.linspace(0.5, 1.5, 8).astype(np.float32))
    with qtbot.waitSignal(view.bn.rendered, timeout=WAIT_MS):
        view.set_model(CurrentModel.of(model, None, "nested"))
    page = view.bn
    assert [page.layers.item(r, 1).text() for r in range(page.layers.rowCount())] == \
        ["backbone/stem_bn", "backbone/concat_bn"]
    assert "6 images from" in view.state.text()
    page.layers.selectRow(1)
    assert page.channels.rowCount() == 8
    for channel in range(8):
        row = [float(v) for v in _cells(page.channels, channel)[1:]]
        moving_mean, moving_var, _, _, gamma, beta = row
        assert moving_mean == pytest.approx(float(np.asarray(bn.moving_mean)[channel]), rel=1e-5, abs=1e-7)
        assert moving_var == pytest.approx(float(np.asarray(bn.moving_variance)[channel]), rel=1e-5)
        assert gamma == pytest.approx(float(np.asarray(bn.gamma)[channel]), rel=1e-5)
        assert beta == pytest.approx(float(np.asarray(bn.beta)[channel]), abs=1e-7)
    # The plots draw the layer's own numbers, every channel.
    np.testing.assert_array_equal(page.items["moving_mean"].getData()[1], np.asarray(bn.moving_mean))
    np.testing.assert_array_equal(page.items["gamma"].getData()[1], np.asarray(bn.gamma))
    assert len(page.items["mean_shift"].getData()[1]) == 2
    assert "no labels" in view.state.text() or "no accuracies" in view.state.text()

    # Another model: the table, the plots and the activation statistics follow it.
    with qtbot.waitSignals([view.bn.rendered, view.activations.rendered], timeout=WAIT_MS):
        view.set_model(CurrentModel.of(sequential(), None, "sequential"))
    assert page.layers.rowCount() == 1 and page.layers.item(0, 1).text() == "bn1"
    assert page.channels.rowCount() == 6 and len(page.items["gamma"].getData()[1]) == 6
    stats = view.activations.shown_statistics()["this model"]
    assert [layer.layer for layer in stats.layers] == ["relu1", "conv2", "predictions"]
    assert list(view.activations.curves["this model"].getData()[1]) == stats.stds


def test_the_initializer_comparison_draws_one_curve_per_initializer(qtbot, view):
    from gui.tabs.activation_stats import INIT, INITIALIZERS

    page = view.activations
    with qtbot.waitSignal(page.rendered, timeout=WAIT_MS):
        page.mode.setCurrentText(INIT)  # needs no model: a fresh stack per initializer
    labels = [label for _, label in INITIALIZERS]
    assert list(page.curves) == labels
    stats = page.shown_statistics()
    for label in labels:
        assert list(page.curves[label].getData()[1]) == stats[label].stds
    small, xavier = stats["small 0.01"].stds, stats["Xavier"].stds
    assert small[-1] < 0.01 * small[0] and 0.2 < xavier[-1] < 1  # the lecture's plot, loosely
    assert max(stats["zeros"].stds) == 0
    assert [page.shown.itemText(i) for i in range(page.shown.count())] == labels
    page.shown.setCurrentText("He")
    assert page.heat_image.image.shape == (6, 50)  # six layers, fifty bins
    with qtbot.waitSignal(page.rendered, timeout=WAIT_MS):
        page.activation.setCurrentText("relu")
    assert "relu" in page.note.text()


@pytest.mark.slow
def test_recomputing_the_statistics_on_a_runs_images_shows_the_accuracy_before_and_after(
        qtbot, view, trained_run):
    from netlab.inspect.batchnorm import moving_statistics
    from netlab.predict.model import load_model
    from netlab.runs.folder import read_classes

    run_dir, _ = trained_run
    model = load_model(run_dir / "model.keras")  # a copy of its own: the test changes it
    with qtbot.waitSignal(view.bn.rendered, timeout=WAIT_MS):
        view.set_model(CurrentModel.of(model, read_classes(run_dir / "model.keras"), "the run", run_dir / "model.keras"))
    assert view.source.currentData() == ("run", str(run_dir))
    page = view.bn
    assert "training images of the run" in view.state.text()
    assert page.comparison.training_accuracy is not None and "%" in page.modes.text()
    before = moving_statistics(model)
    with qtbot.waitSignal(page.rendered, timeout=WAIT_MS):
        page.recompute_button.click()
    assert "recomputed" in page.recompute_result.text() and page.undo_button.isEnabled()
    assert not all(np.array_equal(a, b) for a, b in zip(before, moving_statistics(model), strict=True))
    # Recomputed on these very images: inference mode now reproduces training mode.
    assert page.comparison.max_abs_difference < 1e-3
    # The layer shown below the table is redrawn with its new statistics.
    from netlab.inspect.layers import find_layer

    shown = find_layer(model, page.selected_layer())
    np.testing.assert_array_equal(page.items["moving_mean"].getData()[1], np.asarray(shown.moving_mean))
    assert float(page.channels.item(0, 1).text()) == pytest.approx(float(shown.moving_mean[0]), rel=1e-5)
    with qtbot.waitSignal(page.rendered, timeout=WAIT_MS):
        page.undo_button.click()
    for a, b in zip(before, moving_statistics(model), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not page.undo_button.isEnabled()
    # A model from no run: the run's images are no longer offered.
    view.set_model(CurrentModel.of(sequential(), None, "another"))
    assert view.source.currentData()[0] == "dataset"


def test_the_window_has_a_statistics_tab_that_follows_the_current_model(qtbot, window, image_folder):
    stats = window.stats
    stats.use_folder(str(image_folder))
    window.current.set(sequential(), None, "a test model")  # the tab is hidden: nothing runs yet
    assert stats.bn.layers.rowCount() == 0
    with qtbot.waitSignal(stats.bn.rendered, timeout=WAIT_MS):
        window.tabs.setCurrentWidget(stats)
    assert stats.bn.layers.rowCount() == 1 and "a test model" in stats.state.text()


def test_a_new_batch_replaces_the_one_still_computing(qtbot, view):
    # Requests carry arrays; LatestJob compares a new request with the waiting one, which
    # must not compare the arrays elementwise.

    from gui.widgets.image_batch import ImageBatch
    from netlab.inspect.batchnorm import bn_statistics

    model = sequential()
    first, second = ImageBatch(images(4) * 255, None, "a"), ImageBatch(images(6, seed=1) * 255, None, "b")
    with qtbot.waitSignal(view.bn.rendered, timeout=WAIT_MS):
        view.bn.compute(model, first)
        view.bn.compute(model, second)
    expected = bn_statistics(model, second.x)[0].batch_mean
    np.testing.assert_allclose(view.bn.stats[0].batch_mean, expected, rtol=1e-6)


def test_cancel_aborts_the_running_job_and_draws_nothing_of_it(qtbot, view):
    from gui.tabs.activation_stats import INIT

    page = view.activations
    page.mode.setCurrentText(INIT)
    qtbot.waitUntil(lambda: page._init_job.running is not None, timeout=WAIT_MS)
    assert view.cancel_button.isEnabled() and view.progress.text()
    view.cancel_button.click()
    assert not view.cancel_button.isEnabled() and view.progress.text() == ""
    qtbot.waitUntil(lambda: len(page._init_job.aborted) == 1, timeout=WAIT_MS)  # the job has ended
    wait_for_workers(qtbot)  # and all it emitted has arrived
    assert page.curves == {} and page.shown_statistics() == {}
