"""The Classify tab (batch table, CSV, Cancel) and the Evaluate tab (heat map, table, gallery), offscreen."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from gui.state import CurrentModel
from gui.tabs.batch_classify import BatchClassifyView
from gui.tabs.evaluate import EvaluateView
from netlab.predict.classify import read_csv
from tests.helpers.classify import CLASSES, digit_folder, image_folder, random_image, tiny_model
from tests.helpers.qt import drop_file, wait_for_workers


@pytest.fixture(scope="module")
def model():
    return tiny_model()


@pytest.fixture
def view(qtbot, model):
    view = BatchClassifyView()
    qtbot.addWidget(view)
    view.set_model(CurrentModel.of(model, CLASSES, "tiny"))
    view.show()
    yield view
    view.cancel()
    from gui.workers import wait_for_jobs

    wait_for_jobs(60_000)


def test_the_table_fills_for_a_folder_and_exports_csv(view, qtbot, tmp_path):
    folder = image_folder(tmp_path / "images", count=7)
    view.batch_size = 3
    with qtbot.waitSignal(view.finished, timeout=60_000) as finished:
        view.classify_paths([folder])
    assert finished.args == ["done"]
    table = view.table_model
    assert table.rowCount() == 8 and table.columnCount() == 4  # file + top 3, no TTA column
    names = [table.data(table.index(r, 0)) for r in range(8)]
    broken = names.index("broken.png")
    assert table.data(table.index(broken, 1)).startswith("broken.png ")  # why it could not be read
    good = 0 if broken else 1
    assert not table.data(table.index(good, 0), Qt.DecorationRole).isNull()  # the thumbnail
    assert table.data(table.index(good, 1)).split()[0] in CLASSES
    assert view.progress.value() == view.progress.maximum() == 8
    assert "1 could not be read" in view.message.text()
    assert view.export_csv(str(tmp_path / "out.csv"))
    rows = read_csv(tmp_path / "out.csv")
    assert [r.path for r in rows] == [r.path for r in table.results]
    assert [r.top[0].label for r in rows if not r.error] == [r.top[0].label for r in table.results if not r.error]


def test_tta_adds_the_single_crop_column(view, qtbot, tmp_path):
    random_image(1).save(tmp_path / "a.png")
    view.tta.setCurrentIndex(view.tta.findData("flip"))
    with qtbot.waitSignal(view.finished, timeout=60_000):
        view.classify_paths([tmp_path / "a.png"])
    table = view.table_model
    assert table.headers()[-1] == "Single crop" and table.columnCount() == 5
    assert table.data(table.index(0, 4)).split()[0] in CLASSES


def test_cancel_stops_a_large_folder(view, qtbot, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    pixels = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    for i in range(600):
        Image.fromarray(np.roll(pixels, i, axis=1)).save(folder / f"{i:04d}.png")
    view.batch_size = 4
    view.tta.setCurrentIndex(view.tta.findData("10crop"))
    with qtbot.waitSignal(view.finished, timeout=60_000) as finished:
        view.classify_paths([folder])
        qtbot.waitSignal(view.batch_shown, timeout=60_000).wait()
        view.cancel()
    assert finished.args == ["cancelled"]
    shown = view.table_model.rowCount()
    assert 4 <= shown < 600
    assert "Cancelled after" in view.message.text() and not view.cancel_button.isEnabled()
    wait_for_workers(qtbot)  # the job has ended and all it emitted has arrived
    assert view.table_model.rowCount() == shown  # nothing arrived after the cancel


def test_an_ensemble_with_other_classes_is_one_message(view, qtbot, tmp_path, model):
    random_image(1).save(tmp_path / "a.png")
    view.extra_models.append((model, ["cat", "dog", "fox"], "other run"))
    with qtbot.waitSignal(view.failed, timeout=60_000) as failed:
        view.classify_paths([tmp_path / "a.png"])
    assert failed.args[0].startswith("ensemble: other run's classes (cat, dog, fox)")
    assert view.message.text() == failed.args[0]


def test_the_evaluate_view_renders_a_run(qtbot, trained_run):
    run_dir, result = trained_run
    view = EvaluateView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.set_model(CurrentModel.of(result.model, result.class_names, "trained", run_dir / "model.keras"))
    assert view.dataset.currentText().startswith("The run's held-out images")
    with qtbot.waitSignal(view.evaluated, timeout=120_000) as evaluated:
        view.show()  # the tab is evaluated when it is first shown
    report = evaluated.args[0]
    assert view.plot.matrix.sum() == report["samples"] > 0
    assert view.table.rowCount() == 10 and view.table.item(0, 0).text() == "0"
    assert view.gallery.count() == len(report["misclassified"]) > 0
    first = report["misclassified"][0]
    assert first["true"] in view.gallery.item(0).text() and first["predicted"] in view.gallery.item(0).text()
    with qtbot.waitSignal(view.open_image) as opened:
        view.gallery.itemClicked.emit(view.gallery.item(0))
    assert isinstance(opened.args[0], Image.Image) and opened.args[0].size == (32, 32)
    drawn = view.plot.grab().toImage()
    colours = {drawn.pixel(x, y) for x in range(0, drawn.width(), 7) for y in range(0, drawn.height(), 7)}
    assert len(colours) > 5  # a heat map, not an empty plot
    from gui.workers import wait_for_jobs

    wait_for_jobs(60_000)


def test_a_folder_dropped_on_the_window_fills_the_classify_tab(window, qtbot, tmp_path, model):
    folder = image_folder(tmp_path / "images", count=3)
    window.current.set(model, CLASSES, "tiny")
    assert window.evaluation.model is model  # the Evaluate tab follows the window's model
    with qtbot.waitSignal(window.classify.finished, timeout=60_000):
        drop_file(window, folder)
    assert window.tabs.currentWidget() is window.classify
    assert window.classify.table_model.rowCount() == 4


def test_a_model_added_to_the_ensemble_is_averaged_in(view, qtbot, tmp_path, model):
    import json

    model.save(tmp_path / "model.keras")
    (tmp_path / "classes.json").write_text(json.dumps({"class_names": CLASSES}))
    with qtbot.waitSignal(view.ensemble_changed, timeout=60_000):
        view.add_member(str(tmp_path / "model.keras"))
    assert "the current model + " in view.ensemble_label.text() and view.clear_ensemble_button.isEnabled()
    random_image(1).save(tmp_path / "a.png")
    with qtbot.waitSignal(view.finished, timeout=60_000) as finished:
        view.classify_paths([tmp_path / "a.png"])
    assert finished.args == ["done"]
    view.clear_ensemble()
    assert view.extra_models == [] and not view.clear_ensemble_button.isEnabled()


def test_the_evaluate_view_on_a_folder_and_a_folder_of_other_classes(qtbot, trained_run, tmp_path):
    _, result = trained_run
    view = EvaluateView()
    qtbot.addWidget(view)
    view.set_model(CurrentModel.of(result.model, result.class_names, "a model file"))  # no run: nothing evaluated by itself
    view.show()
    assert view.job is None and view.dataset.findData("run") < 0
    folder = digit_folder(tmp_path / "digits", {3: "3", 8: "8"}, 6, 32)
    view.add_folder(str(folder))
    with qtbot.waitSignal(view.evaluated, timeout=120_000) as evaluated:
        view.evaluate()
    report = evaluated.args[0]
    assert report["class_names"] == ["3", "8"] and view.table.rowCount() == 2
    assert all(Path(m["file"]).parent.name == m["true"] for m in report["misclassified"])
    other = digit_folder(tmp_path / "letters", {1: "a", 2: "b"}, 3, 32)
    view.add_folder(str(other))
    with qtbot.waitSignal(view.failed, timeout=120_000) as failed:
        view.evaluate()
    assert "class(es) a model file was not trained on: a, b" in failed.args[0]
    assert "\n" not in failed.args[0] and view.message.text() == failed.args[0]
    from gui.workers import wait_for_jobs

    wait_for_jobs(60_000)
