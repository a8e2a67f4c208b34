"""The Fine-tune tab: the experiment's finetune section, the core's layer report, the freeze cut,
training from learned weights, the summary of the fine-tuned model. Nothing downloads: ImageNet
weights are placed in Keras's cache (or missing, offline)."""

import functools
import http.server
import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from netlab.config import Experiment
from tests.helpers import tiny_experiment
from tests.helpers.finetune import nested_keras_file, place_imagenet_weights


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """Keras's cache in tmp_path/keras, empty; a cache miss is the offline error, never a download."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("NETLAB_OFFLINE", "1")
    return tmp_path / "keras"


@pytest.fixture
def source_file(tmp_path):
    """A tiny .keras classifier: scaling, a nested RGB backbone (conv, BN, conv, BN), GAP, Dense."""
    nested_keras_file(tmp_path / "src.keras")
    return tmp_path / "src.keras"


def _experiment(source, **finetune):
    exp = tiny_experiment(epochs=2)
    exp.data.max_samples, exp.data.image_size = 96, 32
    exp.finetune.source = str(source)
    for key, value in finetune.items():
        setattr(exp.finetune, key, value)
    return exp


def _core_report(exp):
    from netlab.data.input_spec import input_spec
    from netlab.models.finetune import finetune_report

    return finetune_report(exp, input_spec(exp.validate().data))


def _show(window, qtbot, exp):
    form = window.panel.finetune_form
    with qtbot.waitSignal(form.report_ready, timeout=60_000) as ready:
        window.panel.set_experiment(exp)
    return ready.args[0]


def test_the_tab_round_trips_an_experiment_file_losslessly(window, tmp_path, offline, source_file):
    form = window.panel.finetune_form
    cases = [
        _experiment(source_file, freeze="b_conv2", load_up_to="b_bn2", base_lr_mult=0.25, head_epochs=1),
        Experiment(),  # off, every other setting at its default
        _experiment(source_file, cache_features=True),
    ]
    other = Experiment()  # an ImageNet source that is not the Model tab's architecture's, kept as it is
    other.model.arch, other.finetune.source, other.finetune.into_arch = "mobilenet_v2", "imagenet:resnet50", True
    cases.append(other)
    off = Experiment()  # off, with fine-tuning settings that must survive a save all the same
    off.finetune.freeze, off.finetune.base_lr_mult, off.finetune.load_up_to = "none", 0.5, "b_bn1"
    cases.append(off)
    for i, exp in enumerate(cases):
        exp.save(tmp_path / f"{i}.json")
        window.load_experiment(str(tmp_path / f"{i}.json"))
        assert window.error.text() == ""
        assert form.enabled.isChecked() == (exp.finetune.source is not None)
        window.save_experiment(str(tmp_path / f"{i}.again.json"))
        assert Experiment.load(tmp_path / f"{i}.again.json") == exp, i
    window.load_experiment(str(tmp_path / "0.json"))
    assert form.kind.currentText() == "a .keras file" and form.source.currentText() == str(source_file)
    assert (form.freeze.currentText(), form.head_epochs.value(), form.base_lr_mult.value()) == ("b_conv2", 1, 0.25)

    # Switched on with ImageNet weights: the source follows the Model tab's architecture.
    window.panel.set_experiment(Experiment())
    form.enabled.setChecked(True)
    form.kind.setCurrentText("ImageNet weights")  # none for simple_cnn: asked for, never trained from scratch
    assert window.panel.experiment().finetune.source == "" and form.state.text() == "Choose the weights to start from."
    window.panel.model_form.arch.setCurrentText("mobilenet_v1")
    assert window.panel.experiment().finetune.source == "imagenet:mobilenet"
    window.panel.model_form.arch.setCurrentText("densenet121")
    assert window.panel.experiment().finetune.source == "imagenet:densenet121"
    form.enabled.setChecked(False)
    assert window.panel.experiment().finetune.source is None


def test_the_table_shows_the_core_report_and_the_slider_moves_the_cut(window, qtbot, offline, source_file):
    from netlab.models.transfer import BN_NOTE

    exp = _experiment(source_file)  # freeze = base
    shown = _show(window, qtbot, exp)
    form = window.panel.finetune_form
    expected = _core_report(exp)
    model = form.table_model
    assert shown.to_dict() == expected.to_dict()
    assert [[model.text(i, j) for j in (1, 2, 3, 4)] for i in range(model.rowCount())] == [
        [r.name, "trainable" if r.trainable else ("frozen, inference mode" if BN_NOTE in r.note else "frozen"),
         r.status, f"{r.params:,}"] for r in expected.rows]
    assert [model.text(i, 1) for i in range(model.rowCount())] == [
        "b_conv1", "b_bn1", "b_conv2", "b_bn2", "finetune_head"]
    assert model.text(1, 2) == "frozen, inference mode"
    assert f"{expected.trainable_params:,}" in form.total.text()
    assert (form.cut.minimum(), form.cut.maximum(), form.cut.value()) == (0, 4, 4)

    with qtbot.waitSignal(form.report_ready, timeout=60_000) as ready:
        form.cut.setValue(2)  # b_conv1 and b_bn1 frozen, from b_conv2 up trainable
    assert window.panel.experiment().finetune.freeze == "b_conv2"
    exp.finetune.freeze = "b_conv2"
    moved = _core_report(exp)
    assert ready.args[0].trainable_params == moved.trainable_params > expected.trainable_params
    assert f"{moved.trainable_params:,}" in form.total.text()
    assert [model.text(i, 2) for i in range(model.rowCount())] == [
        "frozen", "frozen, inference mode", "trainable", "trainable", "trainable"]
    with qtbot.waitSignal(form.report_ready, timeout=60_000) as ready:
        form.cut.setValue(0)
    assert window.panel.experiment().finetune.freeze == "none"
    assert all(row.trainable for row in ready.args[0].rows)
    # A double-click on a row puts the cut there (Qt 6's test double-click needs its first press).
    rect = form.table.visualRect(model.index(1, 1))
    with qtbot.waitSignal(form.report_ready, timeout=60_000) as ready:
        qtbot.mouseClick(form.table.viewport(), Qt.LeftButton, pos=rect.center())
        qtbot.mouseDClick(form.table.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.panel.experiment().finetune.freeze == "b_bn1" and form.cut.value() == 1
    assert [row.trainable for row in ready.args[0].rows] == [False, True, True, True, True]


@pytest.mark.slow  # a MobileNetV2 built, its weights written to the cache and read back (~9 s)
def test_offline_imagenet_is_the_core_line_and_cached_weights_fill_the_table(window, qtbot, offline):
    exp = tiny_experiment()
    exp.data.image_size = 32
    exp.model.arch, exp.finetune.source = "mobilenet_v2", "imagenet:mobilenetv2"
    form = window.panel.finetune_form
    with qtbot.waitSignal(form.report_failed, timeout=60_000) as failed:
        window.panel.set_experiment(exp)
    text = failed.args[0]
    assert "\n" not in text and "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5" in text
    assert str(offline / "models") in text and form.state.text() == text
    assert form.table_model.rowCount() == 0

    place_imagenet_weights(offline)
    with qtbot.waitSignal(form.report_ready, timeout=120_000) as ready:
        form.request_report(window.panel.experiment())
    report = ready.args[0]
    assert form.table_model.rowCount() == len(report.rows) == 105  # 104 MobileNetV2 layers + the head
    assert form.cut.maximum() == 104 and any("replicated" in note for note in report.notes)


def test_training_with_finetuning_keeps_the_frozen_layers_and_the_summary_shows_the_model(
        window, qtbot, offline, source_file):
    import json

    from netlab.models.transfer import weighted_layers
    from netlab.predict.model import load_model
    from netlab.runs.catalog import list_runs

    exp = _experiment(source_file, freeze="b_conv2")
    exp.training.epochs = 1
    with qtbot.waitSignal(window.summary.updated, timeout=60_000):
        _show(window, qtbot, exp)
    names = [window.summary.table.item(i, 0).text() for i in range(window.summary.table.rowCount())]
    assert "finetune_head" in names and any(name.endswith("/b_conv1") for name in names)
    conv1 = names.index(next(name for name in names if name.endswith("/b_conv1")))
    assert window.summary.table.item(conv1, 3).text() == "0"  # frozen: no trainable parameters
    assert window.summary.totals.text().startswith(f"Fine-tuned from {source_file}")

    with qtbot.waitSignal(window.training_finished, timeout=180_000) as finished:
        window.train_button.click()
    assert finished.args[0] is not None, window.error.text()
    (run,) = list_runs(window.runs.root)
    assert "-finetune-digits" in run.path.name
    assert json.loads((run.path / "config.json").read_text())["finetune"]["freeze"] == "b_conv2"
    mine = {layer.name: layer for layer in weighted_layers(load_model(run.path / "model.keras"))}
    theirs = {layer.name: layer for layer in weighted_layers(load_model(source_file))}
    for name in ("b_conv1", "b_bn1"):  # frozen: bit-identical, BN moving statistics included
        for a, b in zip(mine[name].get_weights(), theirs[name].get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(mine["b_conv2"].get_weights()[0], theirs["b_conv2"].get_weights()[0])

    # The run is now a source to start from: listed under "a past run", its report in the table.
    form = window.panel.finetune_form
    with qtbot.waitSignal(form.report_ready, timeout=60_000) as ready:
        form.kind.setCurrentText("a past run")
    assert form.source.currentText() == str(run.path)
    assert window.panel.experiment().finetune.source == str(run.path)
    assert ready.args[0].source == str(run.path) and ready.args[0].rows[0].status == "loaded"


def test_a_jobs_download_progress_reaches_the_status_bar(window, qtbot, tmp_path):
    """Weights fetched by the tab's jobs go through Keras's get_file; here from a loopback server."""
    import keras

    from gui.downloads import reporting
    from gui.workers import run_job

    served = tmp_path / "served"
    served.mkdir()
    (served / "weights.h5").write_bytes(bytes(range(256)) * 4000)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "cache").mkdir()

    def fetch():
        with reporting():
            return keras.utils.get_file("weights.h5", origin=f"http://127.0.0.1:{server.server_address[1]}/"
                                        "weights.h5", cache_dir=str(tmp_path / "cache"))

    try:
        run_job(fetch, owner=window)
        qtbot.waitUntil(lambda: window.status.text() == "Downloading weights.h5: 1.0 of 1.0 MB (100%)",
                        timeout=30_000)
    finally:
        server.shutdown()


def test_the_source_list_offers_every_keras_applications_model(window, qtbot, offline):
    """EfficientNet, ConvNeXt, ... are listed after NetLab's counterparts; one picked is the core's
    source (offline here: the core's line naming Keras's file for it)."""
    from netlab.models.sources import imagenet_choices

    exp = tiny_experiment()
    exp.data.image_size = 32
    exp.finetune.source = "imagenet:MobileNetV3Small"
    form = window.panel.finetune_form
    with qtbot.waitSignal(form.report_failed, timeout=60_000) as failed:
        window.panel.set_experiment(exp)
    assert "\n" not in failed.args[0] and "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5" in failed.args[0]
    assert form.kind.currentText() == "ImageNet weights"
    items = [form.source.itemText(i) for i in range(form.source.count())]
    assert items == imagenet_choices() and {"imagenet:EfficientNetB0", "imagenet:ConvNeXtTiny"} <= set(items)
    assert "MobileNetV3Small with ImageNet weights" in form.source_note.text()
    window.save_experiment(str(offline.parent / "picked.json"))
    assert Experiment.load(offline.parent / "picked.json").finetune.source == "imagenet:MobileNetV3Small"
    # A backbone picked by name stays when the Model tab's architecture changes (a counterpart follows it).
    with qtbot.waitSignal(form.report_failed, timeout=60_000):
        window.panel.model_form.arch.setCurrentText("mobilenet_v1")
    assert window.panel.experiment().finetune.source == "imagenet:MobileNetV3Small"


def test_with_cached_features_the_table_and_the_summary_show_the_whole_model(window, qtbot, offline, source_file):
    """With cached features the trainer trains the head alone; the report and the Summary tab still
    describe the whole fine-tuned model (they had read the head model and failed)."""
    exp = _experiment(source_file, cache_features=True)
    with qtbot.waitSignal(window.summary.updated, timeout=60_000):
        report = _show(window, qtbot, exp)
    assert [row.name for row in report.rows] == ["b_conv1", "b_bn1", "b_conv2", "b_bn2", "finetune_head"]
    assert any(note.startswith("cached features") for note in report.notes)
    assert window.panel.finetune_form.state.text().startswith(f"From {source_file}")
    names = [window.summary.table.item(i, 0).text() for i in range(window.summary.table.rowCount())]
    assert "finetune_head" in names and any(name.endswith("/b_conv1") for name in names)
    assert window.summary.totals.text().startswith(f"Fine-tuned from {source_file}")
