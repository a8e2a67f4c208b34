"""Any keras.applications model as a fine-tuning backbone by name, and cached features
with two phases. Weights come from weights=None models placed in Keras's cache: nothing downloads."""

import json

import numpy as np
import pytest

from tests.helpers import tiny_experiment
from tests.helpers.finetune import nested_keras_file


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
    from netlab.cli.main import main
    from netlab.models.sources import (
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
    code = main(["finetune", "imagenet:ConvNeXtTiny", "--into-arch", "--dataset", "digits", "--report"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no counterpart of imagenet:ConvNeXtTiny" in err
    assert "imagenet:inceptionv3" in err and "imagenet:vgg19" in err  # the mapping covers them now


@pytest.mark.slow  # EfficientNetB0 built three times and trained an epoch (~25 s of CPU)
def test_efficientnet_b0_fine_tunes_end_to_end_through_the_cli(tmp_path, monkeypatch, capsys):
    from netlab.cli.main import main
    from netlab.models.transfer import weighted_layers
    from netlab.predict.model import load_model
    from netlab.runs.catalog import read_run

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


def _two_phase(source, cache, run_dir=None, stop_after=None):
    """Two phases on digits: the head alone for 1 epoch, then from b_conv2 up at the base's rate."""
    from netlab.training.events import EpochEnd
    from netlab.training.trainer import Trainer

    exp = tiny_experiment(epochs=3)
    exp.data.max_samples, exp.data.image_size = 96, 32
    ft = exp.finetune
    ft.source, ft.freeze, ft.head_epochs, ft.base_lr_mult, ft.cache_features = source, "b_conv2", 1, 0.5, cache
    trainer = Trainer(exp, run_dir=run_dir)
    if stop_after is not None:
        trainer.on_event = lambda e: isinstance(e, EpochEnd) and e.epoch == stop_after and trainer.request_stop()
    return trainer.run()


@pytest.mark.slow  # four short fine-tuning runs (~10 s of CPU)
def test_cached_features_serve_the_head_only_phase_of_two_phases(tmp_path, capsys):
    """Cached features for the head-only epochs, then the whole model on the images from the cut up:
    the same run as without the cache (float tolerance), stopped in the cached phase it resumes into
    the second, and the report says so."""
    from netlab.cli.main import main
    from netlab.models.transfer import weighted_layers
    from netlab.predict.model import load_model
    from netlab.training.trainer import Trainer

    nested_keras_file(tmp_path / "src.keras")
    source = str(tmp_path / "src.keras")
    plain, cached = _two_phase(source, False), _two_phase(source, True)
    assert cached.finetune.head_phase.epochs == 1 and plain.finetune.head_phase is None
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(cached.history[key], plain.history[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(cached.model.get_weights(), plain.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    layers = {layer.name: layer for layer in weighted_layers(cached.model)}
    start = {layer.name: layer for layer in weighted_layers(load_model(source))}
    np.testing.assert_array_equal(layers["b_conv1"].get_weights()[0], start["b_conv1"].get_weights()[0])
    assert not np.allclose(layers["b_conv2"].get_weights()[0], start["b_conv2"].get_weights()[0])  # phase 2

    run = tmp_path / "run"
    assert _two_phase(source, True, run, stop_after=0).stopped  # after the cached epoch
    resumed = Trainer.resume_run(run).run()
    np.testing.assert_allclose(resumed.history["val_loss"], plain.history["val_loss"], rtol=1e-5, atol=1e-6)
    for a, b in zip(resumed.model.get_weights(), plain.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)

    assert main(["finetune", source, "--dataset", "digits", "--max-samples", "60", "--epochs", "3",
                 "--head-epochs", "1", "--freeze", "b_conv2", "--cache-features", "--report", "--json"]) == 0
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert any(note.startswith("cached features for the 1 head-only epoch") for note in notes), notes
    assert main(["finetune", source, "--dataset", "digits", "--max-samples", "60", "--cache-features",
                 "--freeze", "b_conv2", "--report"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "or two phases" in err
