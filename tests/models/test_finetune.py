"""Fine-tuning (Yosinski et al. 2014): bottom-up loading, freezing with batch-norm, the base's rate, the CLI."""

import json

import numpy as np
import pytest

from tests.helpers import tiny_experiment
from tests.helpers.finetune import nested_keras_file, place_imagenet_weights


def _cnn(mid=16, channels=3, classes=5):
    import keras

    return keras.Sequential([
        keras.Input((16, 16, channels)), keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(8, 3, name="c1"), keras.layers.BatchNormalization(name="bn1"),
        keras.layers.Conv2D(mid, 3, name="c2"), keras.layers.Conv2D(8, 3, name="c3"),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(classes, activation="softmax", name="cls"),
    ])


def test_bottom_up_stops_at_a_mismatch_in_the_middle():
    from netlab.models.transfer import LOADED, MISMATCH, NEW, transfer_weights

    source, target = _cnn(mid=16), _cnn(mid=12)  # c2 differs: 16 filters vs 12
    before_c3 = target.get_layer("c3").get_weights()[0].copy()
    rows = transfer_weights(source, target)
    assert [(r.name, r.status) for r in rows] == [
        ("c1", LOADED), ("bn1", LOADED), ("c2", MISMATCH), ("c3", NEW), ("cls", NEW)]
    np.testing.assert_array_equal(target.get_layer("c1").get_weights()[0], source.get_layer("c1").get_weights()[0])
    # c3 has the same shape in both, but sits above the skipped c2: never loaded.
    np.testing.assert_array_equal(target.get_layer("c3").get_weights()[0], before_c3)
    assert not np.array_equal(before_c3, source.get_layer("c3").get_weights()[0])
    assert [r.params for r in rows][:2] == [3 * 3 * 3 * 8 + 8, 4 * 8]


def test_load_up_to_stops_there_and_a_first_layer_that_cannot_fit_is_an_error():
    from netlab.base.errors import NetlabError
    from netlab.models.transfer import LOADED, NEW, transfer_weights

    rows = transfer_weights(_cnn(), _cnn(), load_up_to="bn1")
    assert [r.status for r in rows] == [LOADED, LOADED, NEW, NEW, NEW]
    with pytest.raises(NetlabError, match="first layer c1"):
        transfer_weights(_cnn(channels=3), _cnn(channels=1))


def test_frozen_base_epoch_keeps_weights_and_bn_statistics_and_moves_the_head(tmp_path):
    import keras

    from netlab.data.input_spec import load_described
    from netlab.models.finetune import base_of, build_for_trainer
    from netlab.models.sources import open_source
    from netlab.models.transfer import weighted_layers

    nested_keras_file(tmp_path / "src.keras")
    exp = tiny_experiment(batch_size=32)
    exp.data.max_samples = 128
    exp.finetune.source = str(tmp_path / "src.keras")
    exp.validate()
    data = load_described(exp.data)
    model = build_for_trainer(exp, data, 4).model
    source_layers = weighted_layers(open_source(exp.finetune.source).base)
    base_layers = weighted_layers(base_of(model))
    for mine, theirs in zip(base_layers, source_layers, strict=True):  # all loaded
        for a, b in zip(mine.get_weights(), theirs.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    head_before = model.get_layer("finetune_head").get_weights()[0].copy()
    model.fit(data.train_pipeline(32, seed=0), epochs=1, verbose=0)
    bns = [layer for layer in base_layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bns) == 2
    for mine, theirs in zip(base_layers, source_layers, strict=True):
        for a, b in zip(mine.get_weights(), theirs.get_weights(), strict=True):  # bit-identical
            assert np.array_equal(a, b), mine.name
    assert not np.allclose(model.get_layer("finetune_head").get_weights()[0], head_before)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_base_rate_multiplier_scales_the_base_step(optimizer):
    import keras

    from netlab.models.layer_rates import with_base_rate

    x = np.random.default_rng(0).uniform(0, 255, (8, 16, 16, 3)).astype("float32")
    y = np.arange(8) % 5

    def one_step(mult):
        keras.utils.set_random_seed(1)
        model = _cnn()
        names = [f"{layer.name}/{w.name}" for layer in model.layers for w in layer.weights]
        before = [np.array(w) for layer in model.layers for w in layer.weights]
        plain = keras.optimizers.SGD(1.0, momentum=0.0) if optimizer == "sgd" else keras.optimizers.Adam(0.01)
        base_vars = [v for name in ("c1", "bn1", "c2", "c3") for v in model.get_layer(name).trainable_weights]
        model.compile(optimizer=with_base_rate(plain, base_vars, mult), loss="sparse_categorical_crossentropy")
        model.train_on_batch(x, y)
        after = [np.array(w) for layer in model.layers for w in layer.weights]
        return {n: a - b for n, a, b in zip(names, after, before, strict=True)}

    full, tenth = one_step(1.0), one_step(0.1)
    base = [n for n in full if n.startswith(("c1", "c2", "c3")) or n.endswith(("gamma", "beta"))]
    assert base
    for name in base:
        assert np.abs(full[name]).max() > 0, name
        np.testing.assert_allclose(tenth[name], 0.1 * full[name], rtol=1e-3, atol=1e-6, err_msg=name)
    head = [n for n in full if n.startswith("cls")]
    for name in head:
        np.testing.assert_allclose(tenth[name], full[name], rtol=1e-5, err_msg=name)


def test_finetune_config_round_trips_and_is_checked():
    from netlab.config import ConfigError, Experiment

    exp = tiny_experiment(epochs=3)
    exp.finetune.source = "imagenet:mobilenetv2"
    exp.finetune.freeze = "none"
    exp.finetune.head_epochs = 1
    exp.finetune.base_lr_mult = 0.25
    again = Experiment.from_json(exp.to_json()).validate()
    assert again.finetune == exp.finetune
    exp.finetune.head_epochs = 3
    with pytest.raises(ConfigError, match="finetune.head_epochs"):
        exp.validate()
    exp.finetune.head_epochs, exp.finetune.base_lr_mult = 0, -1.0
    with pytest.raises(ConfigError, match="finetune.base_lr_mult"):
        exp.validate()
    exp.finetune.base_lr_mult, exp.training.mixed_precision = 0.1, "float16"
    with pytest.raises(ConfigError, match="mixed_precision must be off when fine-tuning"):
        exp.validate()
    exp.finetune.source = None  # without a source the section is inert
    exp.validate()


def test_cli_finetunes_a_nested_backbone_on_grayscale_digits(tmp_path, capsys):
    from netlab.cli.main import main
    from netlab.predict.model import load_model

    nested_keras_file(tmp_path / "src.keras")
    args = [str(tmp_path / "src.keras"), "--dataset", "digits", "--max-samples", "120", "--freeze", "b_conv2"]
    assert main(["finetune", *args, "--report", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert any("grayscale" in note for note in report["notes"])
    layers = {row["name"]: row for row in report["layers"]}
    assert layers["b_conv1"]["status"] == "loaded" and not layers["b_conv1"]["trainable"]
    assert "inference mode" in layers["b_bn1"]["note"]
    assert layers["b_conv2"]["trainable"] and layers["finetune_head"]["status"] == "new"
    # Loading only the first conv but freezing the whole base leaves random frozen layers: said so.
    assert main(["finetune", *args[:-2], "--load-up-to", "b_conv1", "--report", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [row["status"] for row in report["layers"]][:3] == ["loaded", "new", "new"]
    assert any("keep their random start (b_bn1, b_conv2, b_bn2)" in note for note in report["notes"])

    out = tmp_path / "run"
    assert main(["finetune", *args, "--epochs", "2", "--head-epochs", "1", "--out", str(out)]) == 0
    assert "4 of 5 layers loaded" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert config["finetune"]["freeze"] == "b_conv2" and config["finetune"]["head_epochs"] == 1
    model = load_model(out / "model.keras")
    assert model.input_shape == (None, 32, 32, 1) and model.output_shape == (None, 10)
    # The second phase trained the unfrozen conv, the first kept the frozen one.
    from netlab.models.transfer import weighted_layers

    mine = {layer.name: layer for layer in weighted_layers(model)}
    theirs = {layer.name: layer for layer in weighted_layers(load_model(tmp_path / "src.keras"))}
    for name in ("b_conv1", "b_bn1"):
        for a, b in zip(mine[name].get_weights(), theirs[name].get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(mine["b_conv2"].get_weights()[0], theirs["b_conv2"].get_weights()[0])


def test_cli_mismatched_source_is_one_line(tmp_path, capsys):
    from netlab.cli.main import main

    nested_keras_file(tmp_path / "src.keras")  # an 8-filter RGB first conv; simple_cnn's differs
    code = main(["finetune", str(tmp_path / "src.keras"), "--dataset", "digits", "--max-samples", "60",
                 "--into-arch", "--report"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("netlab: error:") and "first layer" in err
    code = main(["finetune", str(tmp_path / "nothing.keras"), "--dataset", "digits", "--report"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no such file" in err
    code = main(["finetune", str(tmp_path / "src.keras"), "--dataset", "digits", "--max-samples", "60",
                 "--freeze", "conv9", "--report"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "freeze: no layer 'conv9'" in err and "b_conv1" in err


def test_imagenet_source_reads_keras_cache_and_grayscale_is_replicated(tmp_path, monkeypatch, capsys):
    from netlab.cli.main import main
    from netlab.models.sources import open_source
    from netlab.models.transfer import weighted_layers

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("NETLAB_OFFLINE", "1")  # a cache miss would be an error, never a download
    placed = place_imagenet_weights(tmp_path / "keras")
    source = open_source("imagenet:mobilenetv2", image_side=32)
    loaded = {layer.name: layer for layer in weighted_layers(source.base)}
    np.testing.assert_array_equal(loaded["Conv1"].get_weights()[0], placed.get_layer("Conv1").get_weights()[0])
    assert main(["finetune", "imagenet:mobilenetv2", "--dataset", "digits", "--image-size", "32",
                 "--max-samples", "60", "--report", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert any("replicated" in note for note in report["notes"])
    rows = report["layers"]
    assert all(r["status"] == "loaded" and not r["trainable"] for r in rows[:-1])
    assert rows[-1]["name"] == "finetune_head" and rows[-1]["trainable"]


def test_imagenet_weights_offline_name_the_file_and_folder(tmp_path, monkeypatch, capsys):
    from netlab.cli.main import main

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    monkeypatch.setenv("NETLAB_OFFLINE", "1")
    code = main(["finetune", "imagenet:mobilenetv2", "--dataset", "digits", "--image-size", "32", "--report"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5" in err
    assert str(tmp_path / "empty" / "models") in err


def test_a_finetune_that_fails_at_start_leaves_no_folder_and_can_run_again(tmp_path, monkeypatch, capsys):
    """The error says "then run again": the same command must not then find "a NetLab run" there."""
    from netlab.cli.main import main

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    monkeypatch.setenv("NETLAB_OFFLINE", "1")
    out = tmp_path / "runs" / "ft"
    argv = ["finetune", "imagenet:mobilenetv2", "--dataset", "digits", "--image-size", "32",
            "--max-samples", "60", "--epochs", "1", "--out", str(out)]
    for _ in range(2):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "could not be downloaded" in err and "already holds" not in err
        assert not out.exists()
    out.mkdir()  # a folder the run did not create stays
    assert main(argv) == 2
    capsys.readouterr()
    assert out.is_dir()


def test_the_head_only_phase_leaves_the_base_alone_then_the_base_trains(tmp_path):
    from netlab.data.input_spec import load_described
    from netlab.models.finetune import base_of, build_for_trainer, phase_callback
    from netlab.models.transfer import weighted_layers

    nested_keras_file(tmp_path / "src.keras")
    exp = tiny_experiment(epochs=2)
    exp.data.max_samples, exp.data.image_size = 96, 32
    exp.finetune.source, exp.finetune.freeze, exp.finetune.head_epochs = str(tmp_path / "src.keras"), "none", 1
    data = load_described(exp.validate().data)
    model = build_for_trainer(exp, data, 3).model
    conv1 = weighted_layers(base_of(model))[0]
    start = conv1.get_weights()[0].copy()
    switch = phase_callback(exp, model)
    model.fit(data.train_pipeline(32, seed=0), epochs=1, verbose=0, callbacks=[switch])
    np.testing.assert_array_equal(conv1.get_weights()[0], start)
    model.fit(data.train_pipeline(32, seed=1), epochs=2, initial_epoch=1, verbose=0, callbacks=[switch])
    assert not np.array_equal(conv1.get_weights()[0], start)


def test_a_two_phase_finetune_stopped_after_the_head_phase_resumes_into_the_second(tmp_path):
    from netlab.cli.main import main
    from netlab.config import Experiment
    from netlab.models.transfer import weighted_layers
    from netlab.predict.model import load_model
    from netlab.training.events import EpochEnd
    from netlab.training.trainer import Trainer

    nested_keras_file(tmp_path / "src.keras")
    exp = tiny_experiment(epochs=2)
    exp.data.max_samples, exp.data.image_size = 96, 32
    exp.finetune.source, exp.finetune.freeze, exp.finetune.head_epochs = str(tmp_path / "src.keras"), "none", 1
    exp.save(tmp_path / "ft.json")
    # `netlab train --config` carries the finetune section; stop it after the head-only epoch.
    run = tmp_path / "run"
    trainer = Trainer(Experiment.load(tmp_path / "ft.json"), run_dir=run)
    trainer.on_event = lambda e: isinstance(e, EpochEnd) and e.epoch == 0 and trainer.request_stop()
    assert trainer.run().stopped
    theirs = {layer.name: layer for layer in weighted_layers(load_model(tmp_path / "src.keras"))}

    def conv1(path):
        return {layer.name: layer for layer in weighted_layers(load_model(path))}["b_conv1"].get_weights()[0]

    assert (run / "history.csv").read_text().count("\n") == 2  # header + the head-only epoch
    assert main(["resume", str(run)]) == 0
    assert (run / "history.csv").read_text().count("\n") == 3  # header + 2 epochs
    assert not np.array_equal(conv1(run / "model.keras"), theirs["b_conv1"].get_weights()[0])


def test_a_run_on_the_same_classes_keeps_its_classifier_rows_by_name(trained_run, tmp_path):
    """A run folder source whose classes.json holds every class of the data: the head starts from its rows."""
    import shutil

    from netlab.data.input_spec import load_described
    from netlab.models.finetune import build_for_trainer
    from netlab.models.transfer import LOADED
    from netlab.predict.model import load_model

    run_dir, _ = trained_run
    exp = tiny_experiment()
    exp.finetune.source = str(run_dir)
    data = load_described(exp.validate().data)
    built = build_for_trainer(exp, data, 1)
    assert built.report.rows[-1].status == LOADED
    source_head = [layer for layer in load_model(run_dir).layers if layer.weights][-1]
    np.testing.assert_array_equal(built.model.get_layer("finetune_head").get_weights()[0],
                                  source_head.get_weights()[0])
    # Without its classes.json the names are unknown: a new classifier.
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(run_dir / "model.keras", bare / "model.keras")
    exp.finetune.source = str(bare)
    assert build_for_trainer(exp, data, 1).report.rows[-1].status == "new"


def test_netlab_mobilenet_v2_with_keras_applications_weights_gives_the_same_outputs():
    """Parity: NetLab's registry MobileNetV2 holding a keras.applications MobileNetV2's weights
    (weights=None, moving statistics randomized so they count) classifies raw pixels as the
    Keras model classifies preprocess_input's output."""
    import keras

    from netlab.models.transfer import LOADED, registry_model_with_keras_weights

    keras.utils.set_random_seed(0)
    ref = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=10, alpha=0.35)
    rng = np.random.default_rng(0)
    for layer in ref.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma, beta + rng.normal(0, 0.1, beta.shape).astype("float32"),
                               rng.normal(0, 0.1, mean.shape).astype("float32"),
                               rng.uniform(0.5, 2, var.shape).astype("float32")])
    model, rows = registry_model_with_keras_weights(ref, "mobilenet_v2", "tf",
                                                    {"stem": "imagenet", "alpha": 0.35})
    assert all(r.status == LOADED for r in rows) and len(rows) == 105
    images = rng.uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    expected = ref.predict(keras.applications.mobilenet_v2.preprocess_input(images.copy()), verbose=0)
    got = model.predict(images, verbose=0)
    assert np.abs(got - expected).max() <= 1e-4
    # The logits too: each model's features times the (shared) classifier weights.
    from netlab.models.sources import split_head

    kernel, bias = ref.get_layer("predictions").get_weights()
    ref_features = keras.Model(ref.inputs, ref.get_layer("predictions").input).predict(
        keras.applications.mobilenet_v2.preprocess_input(images.copy()), verbose=0)
    features = split_head(model)[0].predict(images, verbose=0)
    assert np.abs(features @ kernel + bias - (ref_features @ kernel + bias)).max() <= 1e-4
    assert np.abs(expected - expected.mean(axis=1, keepdims=True)).max() > 1e-3  # not a flat output


@pytest.mark.slow  # VGG16's fully connected head is 33M parameters even at 32x32
def test_netlab_vgg16_with_keras_applications_weights_gives_the_same_outputs():
    """Parity in caffe mode (RGB->BGR minus the mean, inside NetLab's model) and through the FC head."""
    import keras

    from netlab.models.sources import split_head
    from netlab.models.transfer import LOADED, registry_model_with_keras_weights

    keras.utils.set_random_seed(0)
    ref = keras.applications.VGG16(weights=None, input_shape=(32, 32, 3), classes=10)
    model, rows = registry_model_with_keras_weights(ref, "vgg16", "caffe")
    assert all(r.status == LOADED for r in rows) and len(rows) == 16
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    prepared = keras.applications.vgg16.preprocess_input(images.copy())
    kernel, bias = ref.get_layer("predictions").get_weights()
    ref_features = keras.Model(ref.inputs, ref.get_layer("predictions").input).predict(prepared, verbose=0)
    features = split_head(model)[0].predict(images, verbose=0)
    assert np.abs(ref_features).max() > 1e-3
    assert np.abs(features @ kernel + bias - (ref_features @ kernel + bias)).max() <= 1e-4
    assert np.abs(model.predict(images, verbose=0) - ref.predict(prepared, verbose=0)).max() <= 1e-4


def test_cached_features_train_the_same_model_as_the_uncached_path(trained_run):
    """A NetLab run's base ends in dropout, frozen fc1, dropout: they run in the head (same seeds) on
    cached features."""
    from netlab.models.feature_cache import split_for_cache
    from netlab.training.trainer import Trainer

    run_dir, _ = trained_run

    def finetune(cache):
        exp = tiny_experiment(epochs=2)
        exp.data.max_samples = 120
        exp.finetune.source, exp.finetune.cache_features = str(run_dir), cache
        return Trainer(exp).run()

    plain, cached = finetune(False), finetune(True)
    assert [layer.name for layer in cached.model.layers] == [layer.name for layer in plain.model.layers]
    head, cache = split_for_cache(cached.model)
    assert [layer.name for layer in head.layers[1:]] == ["head_dropout", "fc1", "fc1_relu", "fc1_dropout",
                                                       "finetune_head"]
    assert cache.point == "head_dropout" and not cache.bottom.trainable_weights
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(cached.history[key], plain.history[key], rtol=1e-5, err_msg=key)
    for a, b in zip(cached.model.get_weights(), plain.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    start = load_head_kernel(run_dir)
    assert not np.allclose(cached.model.get_layer("finetune_head").get_weights()[0], start)


def load_head_kernel(run_dir):
    from netlab.predict.model import load_model

    return [layer for layer in load_model(run_dir).layers if layer.weights][-1].get_weights()[0]


def test_cached_features_refuse_what_cannot_be_computed_once(tmp_path, capsys):
    import keras

    from netlab.base.errors import ConfigError
    from netlab.cli.main import main
    from netlab.models.feature_cache import split_for_cache

    nested_keras_file(tmp_path / "src.keras")
    args = ["finetune", str(tmp_path / "src.keras"), "--dataset", "digits", "--max-samples", "60",
            "--cache-features", "--report"]
    assert main([*args, "--freeze", "none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs finetune.freeze base" in err, err
    exp = tiny_experiment()
    exp.finetune.source, exp.finetune.cache_features, exp.data.augmentation.flip = "x.keras", True, True
    with pytest.raises(ConfigError, match="needs data augmentation off"):
        exp.validate()
    # A dropout inside a residual branch: not on the one-input chain below the head, so not movable into it.
    inner = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, name="c1")(inner)
    y = keras.layers.Dropout(0.5, name="mid_dropout")(keras.layers.Conv2D(4, 3, padding="same", name="c2")(x))
    base = keras.Model(inner, keras.layers.Add()([x, y]), name="base")
    base.trainable = False
    inputs = keras.Input((8, 8, 3))
    out = keras.layers.Dense(2, name="finetune_head")(keras.layers.GlobalAveragePooling2D()(base(inputs)))
    with pytest.raises(ConfigError, match="layer mid_dropout is random while training"):
        split_for_cache(keras.Model(inputs, out))


@pytest.mark.slow  # two networks of 8-24M parameters built and compared, per case
@pytest.mark.parametrize(("imagenet", "attribute", "module", "side"), [
    ("resnet50", "ResNet50", "resnet", 32), ("densenet121", "DenseNet121", "densenet", 32),
    ("vgg19", "VGG19", "vgg19", 32), ("inceptionv3", "InceptionV3", "inception_v3", 75)])
def test_netlab_registry_model_with_keras_applications_weights_gives_the_same_outputs(imagenet, attribute,
                                                                                      module, side):
    """NetLab's ResNet differs from keras.applications' (no conv bias, stride on the 3x3, 'same' padding),
    its DenseNet in padding and BN epsilon: their layout="keras" option, which imagenet:ARCH selects,
    takes the weights position by position."""
    import keras

    from netlab.models.sources import (
        IMAGENET_REGISTRY,
        imagenet_spec,
        registry_options,
        split_head,
    )
    from netlab.models.transfer import LOADED, registry_model_with_keras_weights

    source = f"imagenet:{imagenet}"
    arch, options = IMAGENET_REGISTRY[imagenet]
    if imagenet == "resnet50":
        assert registry_options(source, arch, {}) == {"layout": "keras"}
        assert registry_options(source, arch, {"layout": "netlab"}) == {"layout": "netlab"}
    keras.utils.set_random_seed(0)
    ref = getattr(keras.applications, attribute)(weights=None, input_shape=(side, side, 3), classes=10)
    rng = np.random.default_rng(0)
    for layer in ref.layers:  # moving statistics away from 0/1, so they count
        if isinstance(layer, keras.layers.BatchNormalization):
            weights = layer.get_weights()  # [gamma,] beta, mean, variance (Inception's BN has no gamma)
            layer.set_weights([*weights[:-3], weights[-3] + rng.normal(0, 0.1, weights[-3].shape).astype("float32"),
                               rng.normal(0, 0.1, weights[-2].shape).astype("float32"),
                               rng.uniform(0.5, 2, weights[-1].shape).astype("float32")])
    model, rows = registry_model_with_keras_weights(ref, arch, imagenet_spec(source)[2],
                                                    registry_options(source, arch, {}))
    assert all(r.status == LOADED for r in rows), [r for r in rows if r.status != LOADED][:1]
    images = rng.uniform(0, 255, (2, side, side, 3)).astype("float32")
    prepared = getattr(keras.applications, module).preprocess_input(images.copy())
    kernel, bias = ref.get_layer("predictions").get_weights()
    ref_features = keras.Model(ref.inputs, ref.get_layer("predictions").input).predict(prepared, verbose=0)
    features = split_head(model)[0].predict(images, verbose=0)
    assert np.abs(ref_features).max() > 1e-3
    assert np.abs(features @ kernel + bias - (ref_features @ kernel + bias)).max() <= 1e-4
    assert np.abs(model.predict(images, verbose=0) - ref.predict(prepared, verbose=0)).max() <= 1e-4


def test_netlab_mobilenet_v1_base_with_keras_applications_weights_gives_the_same_features():
    """keras.applications' MobileNet classifies with a 1x1 conv where NetLab has a Dense: the bases
    (all their layers loaded) give the same pooled features, so the same classifier gives the same logits."""
    import keras

    from netlab.models.sources import IMAGENET_REGISTRY, split_head
    from netlab.models.transfer import LOADED, registry_model_with_keras_weights

    keras.utils.set_random_seed(0)
    ref = keras.applications.MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.25,
                                       pooling="avg")
    rng = np.random.default_rng(0)
    for layer in ref.layers:  # moving statistics away from 0/1, so they count
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma, beta + rng.normal(0, 0.1, beta.shape).astype("float32"),
                               rng.normal(0, 0.1, mean.shape).astype("float32"),
                               rng.uniform(0.5, 2, var.shape).astype("float32")])
    arch, options = IMAGENET_REGISTRY["mobilenet"]
    model, rows = registry_model_with_keras_weights(ref, arch, "tf", {**options, "alpha": 0.25})
    assert [r.status for r in rows] == [LOADED] * (len(rows) - 1) + ["new"]  # all but the classifier
    images = rng.uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    expected = ref.predict(keras.applications.mobilenet.preprocess_input(images.copy()), verbose=0)
    got = split_head(model)[0].predict(images, verbose=0)
    assert np.abs(expected).max() > 1e-2
    assert np.abs(got - expected).max() <= 1e-4
