"""Any keras.applications model as a fine-tuning backbone by name (issue 10), and cached features
with two phases. Weights come from weights=None models placed in Keras's cache: nothing downloads."""

import json

import numpy as np
import pytest

from tests.conftest import tiny_experiment
from tests.core.test_finetune import _nested_keras_file


def _place(keras_home, attribute, file_name, side=32):
    """A weights=None keras.applications model's weights where Keras's cache keeps ``file_name``."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format  # the .h5 layout keras.applications reads

    keras.utils.set_random_seed(5)
    backbone = getattr(keras.applications, attribute)(include_top=False, weights=None, input_shape=(side, side, 3))
    folder = keras_home / "models"
    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / file_name, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, backbone)
    return backbone


def test_keras_applications_names_their_preprocessing_and_a_wrong_name_is_one_line(capsys):
    from netlab.cli import main
    from netlab.training.finetune_sources import (
        IMAGENET_ARCHS,
        KERAS_APPLICATIONS,
        imagenet_choices,
        imagenet_spec,
        keras_application_names,
        preprocessing_mode,
    )

    assert set(KERAS_APPLICATIONS) == set(keras_application_names())  # the window's list is Keras's
    choices = imagenet_choices()
    assert len(choices) == len(set(choices)) == len(KERAS_APPLICATIONS)  # each model once
    assert choices[:len(IMAGENET_ARCHS)] == [f"imagenet:{a}" for a in IMAGENET_ARCHS]
    assert {"imagenet:EfficientNetB0", "imagenet:ConvNeXtTiny", "imagenet:Xception"} <= set(choices)
    # The probe of each module's preprocess_input agrees with the registered table...
    for attribute, mode in IMAGENET_ARCHS.values():
        assert preprocessing_mode(attribute) == mode, attribute
    # ...and reads the families that scale inside the model, or expect [-1, 1].
    assert imagenet_spec("imagenet:EfficientNetB0") == ("EfficientNetB0", "EfficientNetB0", "inside")
    assert imagenet_spec("imagenet:ConvNeXtTiny")[2] == "inside"
    assert imagenet_spec("imagenet:MobileNetV3Small")[2] == "inside"
    assert imagenet_spec("imagenet:Xception")[2] == imagenet_spec("imagenet:ResNet50V2")[2] == "tf"
    assert imagenet_spec("imagenet:ResNet50") == ("resnet50", "ResNet50", "caffe")  # registered: any case
    code = main(["finetune", "imagenet:efficientnetb0", "--dataset", "digits", "--report"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "case-sensitive" in err
    assert "close: imagenet:EfficientNetB0," in err
    code = main(["finetune", "imagenet:ConvNextTiny", "--dataset", "digits", "--report"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "imagenet:ConvNeXtTiny" in err


@pytest.mark.slow  # EfficientNetB0 built three times and trained an epoch (~25 s of CPU)
def test_efficientnet_b0_fine_tunes_end_to_end_through_the_cli(tmp_path, monkeypatch, capsys):
    from netlab.cli import main
    from netlab.predict import load_model
    from netlab.training.catalog import read_run
    from netlab.training.finetune import weighted_layers

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("NETLAB_OFFLINE", "1")  # a cache miss is an error, never a download
    data = ["--dataset", "digits", "--image-size", "32", "--max-samples", "60"]
    assert main(["finetune", "imagenet:EfficientNetB0", *data, "--report"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "efficientnetb0_notop.h5" in err and str(tmp_path / "keras" / "models") in err

    placed = _place(tmp_path / "keras", "EfficientNetB0", "efficientnetb0_notop.h5")
    assert main(["finetune", "imagenet:EfficientNetB0", *data, "--freeze", "block7a_expand_conv",
                 "--report", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = report["layers"]
    cut = [r["name"] for r in rows].index("block7a_expand_conv")
    assert all(r["status"] == "loaded" for r in rows[:-1]) and rows[-1]["name"] == "finetune_head"
    assert not any(r["trainable"] for r in rows[:cut]) and all(r["trainable"] for r in rows[cut:])
    assert not any(r["name"].startswith("imagenet_") for r in rows)  # EfficientNet scales inside itself
    assert any("replicated" in note for note in report["notes"])  # grayscale digits, RGB backbone

    # A 1-epoch fit with the base frozen: the saved model opens in safe mode, the base holds the
    # placed weights bit for bit, the head has learned.
    run = tmp_path / "run"
    assert main(["finetune", "imagenet:EfficientNetB0", *data, "--epochs", "1", "--batch-size", "16",
                 "--out", str(run)]) == 0
    assert "imagenet:EfficientNetB0, fine-tuned" in capsys.readouterr().out
    model = load_model(run)
    layers = {layer.name: layer for layer in weighted_layers(model)}
    for name in ("stem_conv", "block3a_expand_conv", "top_conv"):
        np.testing.assert_array_equal(layers[name].get_weights()[0], placed.get_layer(name).get_weights()[0])
    bn, theirs = layers["top_bn"].get_weights(), placed.get_layer("top_bn").get_weights()
    for mine, placed_weight in zip(bn, theirs, strict=True):  # moving statistics did not move
        np.testing.assert_array_equal(mine, placed_weight)
    assert np.abs(model.get_layer("finetune_head").get_weights()[1]).max() > 0  # zeros at the start
    assert read_run(run).arch == "imagenet:EfficientNetB0, fine-tuned"  # the Runs tab's label


@pytest.mark.slow  # a MobileNetV3Small built and trained twice (~15 s)
def test_cached_features_on_a_keras_applications_backbone_equal_the_uncached_path(tmp_path, monkeypatch):
    from netlab.training.trainer import Trainer

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("NETLAB_OFFLINE", "1")
    _place(tmp_path / "keras", "MobileNetV3Small", "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5")

    def finetune(cache):
        exp = tiny_experiment(epochs=1)
        exp.data.max_samples, exp.data.image_size = 60, 32
        exp.finetune.source, exp.finetune.cache_features = "imagenet:MobileNetV3Small", cache
        return Trainer(exp).run()

    plain, cached = finetune(False), finetune(True)
    for key in ("loss", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(cached.history[key], plain.history[key], rtol=1e-5, err_msg=key)
    head = [m.model.get_layer("finetune_head").get_weights()[0] for m in (plain, cached)]
    np.testing.assert_allclose(head[1], head[0], atol=1e-6)
    assert np.abs(head[0]).max() > 0


def test_cached_features_and_two_phases_are_one_clear_line_and_its_advice_works(tmp_path, capsys):
    """Cached features serve a base frozen for the whole run; two phases unfreeze it. The error's
    advice: a cached head-only run, then that run fine-tuned with the cut, keeping its trained head."""
    from netlab.cli import main
    from netlab.config import Experiment
    from netlab.errors import ConfigError

    _nested_keras_file(tmp_path / "src.keras")
    source = str(tmp_path / "src.keras")
    data = ["--dataset", "digits", "--max-samples", "60"]
    for freeze in (["--freeze", "b_conv2"], []):
        code = main(["finetune", source, *data, "--epochs", "3", "--head-epochs", "1", "--cache-features",
                     *freeze, "--report"])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "does not combine with finetune.head_epochs" in err, err
    exp = Experiment.from_dict({"training": {"epochs": 3}, "finetune": {
        "source": source, "freeze": "none", "head_epochs": 1, "cache_features": True}})
    with pytest.raises(ConfigError, match="does not combine"):
        exp.validate()

    # The report of a cached run describes the whole model (it had read the head model and failed).
    assert main(["finetune", source, *data, "--cache-features", "--report", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in report["layers"]][:2] == ["b_conv1", "b_bn1"]
    assert any(note.startswith("cached features") for note in report["notes"])

    head_run = tmp_path / "head"
    assert main(["finetune", source, *data, "--epochs", "1", "--cache-features", "--out", str(head_run)]) == 0
    capsys.readouterr()
    assert main(["finetune", str(head_run), *data, "--freeze", "b_conv2", "--report", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["layers"]
    assert [(r["name"], r["trainable"]) for r in rows[:3]] == [
        ("b_conv1", False), ("b_bn1", False), ("b_conv2", True)]
    assert rows[-1]["name"] == "finetune_head" and rows[-1]["status"] == "loaded"  # the trained head kept
