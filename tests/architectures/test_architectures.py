"""Tests over the whole registry: a new architecture is tested the moment it is registered."""

import numpy as np
import pytest

from netlab.architectures import all_archs, arch_names, get_arch
from netlab.base.errors import ConfigError
from netlab.config import ModelConfig, RegularizationConfig

SPECS = all_archs()


def trainable(model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_registry_lists_the_skeleton_architectures():
    assert {"simple_cnn", "resnet18"} <= set(arch_names())
    for spec in SPECS:
        assert spec.family and spec.paper and spec.min_input >= 1


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@pytest.mark.parametrize("channels", [1, 3])
def test_builds_and_runs_at_its_smallest_input(spec, channels):
    side = spec.min_input
    model = spec.build((side, side, channels), 5)
    x = np.random.default_rng(0).uniform(0, 1, (2, side, side, channels)).astype("float32")
    y = np.asarray(model(x, training=False))
    assert y.shape == (2, 5)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_refuses_an_input_below_its_smallest(spec):
    side = spec.min_input - 1
    if side < 1:
        pytest.skip("accepts any input")
    with pytest.raises(ConfigError, match=f"at least {spec.min_input}x{spec.min_input}"):
        spec.build((side, side, 3), 5)


@pytest.mark.parametrize(
    "spec", [s for s in SPECS if s.params], ids=lambda s: s.name
)
def test_trainable_parameters_match_the_reference_count(spec):
    """Published (torchvision, Keras) or NetLab's own computed count: exact either way."""
    model = spec.build(spec.default_input, 1000)
    assert trainable(model) == spec.params.count


@pytest.mark.parametrize("norm", ["batch", "group", "layer", "none"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "prelu", "elu", "selu", "tanh"])
def test_knobs_reach_the_layers(norm, activation):
    reg = RegularizationConfig(norm=norm, activation=activation, l2=1e-4, dropout=0.2)
    model = get_arch("simple_cnn").build((16, 16, 3), 4, reg)
    names = [layer.__class__.__name__ for layer in model.layers]
    expected_norm = {"batch": "BatchNormalization", "group": "GroupNormalization",
                     "layer": "GroupNormalization", "none": None}[norm]
    if expected_norm:
        assert names.count(expected_norm) == 6
    else:
        assert "BatchNormalization" not in names and "GroupNormalization" not in names
    assert sum(1 for layer in model.layers if layer.name.endswith(f"_{activation}")) == 7
    assert len(model.losses) == 8  # L2 on 6 convs + 2 dense
    dropouts = [layer.rate for layer in model.layers if layer.__class__.__name__ == "Dropout"]
    assert dropouts == [0.2, 0.2]


def test_plain_resnet_has_no_shortcuts_and_same_conv_count():
    spec = get_arch("resnet18")
    residual = spec.build((32, 32, 3), 10)
    plain = spec.build((32, 32, 3), 10, model_config=ModelConfig(arch="resnet18", options={"plain": True}))
    def kinds(m):
        return [layer.__class__.__name__ for layer in m.layers]
    assert kinds(residual).count("Add") == 8 and kinds(plain).count("Add") == 0
    convs = [layer.name for layer in plain.layers if layer.__class__.__name__ == "Conv2D"]
    assert len(convs) == 17  # 16 in the blocks + the stem; no projection shortcuts
