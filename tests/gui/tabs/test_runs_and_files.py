"""Runs browser, overlay of ticked runs, experiment files shared with the CLI."""

import json

import pytest

from netlab.config import Experiment
from tests.helpers import tiny_experiment


def test_a_finished_run_appears_and_can_be_overlaid(window, qtbot):
    window.panel.set_experiment(tiny_experiment(epochs=2))
    with qtbot.waitSignal(window.training_finished, timeout=180_000):
        window.train_button.click()
    runs = window.runs
    assert len(runs.runs) == 1 and runs.runs[0].epochs_done == 2
    row = [runs.table.item(0, j).text() for j in range(runs.table.columnCount())]
    assert row[1:4] == ["simple_cnn", "digits", "2/2"]
    assert float(row[4]) == pytest.approx(window.result.history["val_accuracy"][-1], abs=1e-4)
    runs.set_ticked({runs.runs[0].name})
    runs.metric_choice.setCurrentText("val_loss")
    xs, ys = runs.curves[runs.runs[0].name].getData()
    assert list(xs) == [1, 2]
    assert list(ys) == pytest.approx(window.result.history["val_loss"], abs=1e-6)
    runs.metric_choice.setCurrentText("bn_gap")  # batch norm's train/inference gap, run beside run
    assert list(runs.curves[runs.runs[0].name].getData()[1]) == pytest.approx(window.result.history["bn_gap"])
    # The live curves drew the inference-mode train metric; the Statistics tab uses this run's images.
    assert window.curves.point_count("accuracy", "train_eval") == 2
    assert window.curves.point_count("bn_gap", "gap") == 2
    assert window.stats.source.currentData() == ("run", str(window.result.run_dir))
    # its model goes to the Classify tab (the window's current model)
    runs.table.selectRow(0)
    runs.model_button.click()
    qtbot.waitUntil(lambda: "model.keras" in window.classify.source_label.text(), timeout=60_000)


def test_experiment_saved_by_the_window_is_what_the_cli_reads(window, tmp_path):
    window.panel.model_form.arch.setCurrentText("resnet18")
    window.panel.model_form.dropout.setValue(0.35)
    path = tmp_path / "exp.json"
    window.save_experiment(str(path))
    loaded = Experiment.load(path)
    assert loaded == window.panel.experiment()
    assert json.loads(path.read_text())["model"]["arch"] == "resnet18"

    other = Experiment()
    other.model.arch = "mobilenet_v2"
    other.training.epochs = 7
    other.save(tmp_path / "other.json")
    window.load_experiment(str(tmp_path / "other.json"))
    assert window.panel.experiment().model.arch == "mobilenet_v2"
    assert window.panel.training_form.epochs.value() == 7


def test_a_bad_experiment_file_is_reported_and_changes_nothing(window, tmp_path):
    before = window.panel.experiment()
    bad = tmp_path / "bad.json"
    bad.write_text('{"training": {"epochs": -3}}')
    window.load_experiment(str(bad))
    assert "training.epochs" in window.error.text()
    assert window.panel.experiment() == before


def test_window_and_cli_give_the_same_result_for_the_same_config(window, qtbot, tmp_path):
    """Must hold: `netlab train --config X.json` and the window agree."""
    import csv
    import subprocess
    import sys

    window.panel.set_experiment(tiny_experiment(epochs=2))
    config = tmp_path / "exp.json"
    window.save_experiment(str(config))
    # The CLI starts first, so its TensorFlow import overlaps the window's training.
    proc = subprocess.Popen([sys.executable, "-m", "netlab", "train", "--config", str(config),
                             "--out", str(tmp_path / "cli")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        with qtbot.waitSignal(window.training_finished, timeout=180_000):
            window.train_button.click()
        _, stderr = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-2000:]
    rows = list(csv.DictReader(open(tmp_path / "cli" / "history.csv")))
    for metric in ("loss", "accuracy", "val_loss", "val_accuracy", "train_eval_accuracy", "bn_gap"):
        cli = [float(row[metric]) for row in rows]
        assert cli == pytest.approx(window.result.history[metric], rel=1e-4, abs=1e-5), metric


def test_values_beyond_the_fields_are_kept_and_reported_never_clamped(window, tmp_path):
    """Must hold: load then save gives back the same values."""
    exp = Experiment()
    exp.training.learning_rate = 1e-7  # finer than the field's 6 decimals
    exp.regularization.dropout = 0.97  # once clamped to 0.95
    exp.training.batch_size = 5000  # once clamped to 4096
    exp.regularization.bn_epsilon = 1e-8
    exp.data.augmentation.translation = 0.45
    exp.save(tmp_path / "edge.json")
    window.load_experiment(str(tmp_path / "edge.json"))
    assert "training.learning_rate = 1e-07" in window.error.text()
    assert "regularization.bn_epsilon = 1e-08" in window.error.text()
    assert "dropout" not in window.error.text()  # 0.97 and 5000 are shown as they are
    window.save_experiment(str(tmp_path / "again.json"))
    assert Experiment.load(tmp_path / "again.json") == exp
    form = window.panel.training_form
    assert form.learning_rate.styleSheet()  # marked as kept
    form.learning_rate.setValue(0.002)  # a value typed in replaces the kept one
    assert window.panel.experiment().training.learning_rate == 0.002
    assert not form.learning_rate.styleSheet()
