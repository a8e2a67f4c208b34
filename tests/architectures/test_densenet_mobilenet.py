"""DenseNet and MobileNet: the structure their papers define.

Building every variant at its smallest input and comparing parameter counts
with the published ones is the registry-wide test's job; here: stage sizes,
growth, the B/C switches, the small-input forms, and what ReLU6 and the
regularization knobs do.
"""

import keras
import numpy as np
import pytest
from keras import layers

from netlab.architectures import get_arch
from netlab.architectures.blocks import Blocks
from netlab.architectures.densenet import densenet
from netlab.base.errors import ConfigError
from netlab.config import ModelConfig, RegularizationConfig

# Structure tests use one layer per dense block: the same code, built in a blink.
SHORT = (1, 1, 1, 1)


def build(arch, shape, num_classes=10, regularization=None, **options):
    return get_arch(arch).build(shape, num_classes, regularization,
                                ModelConfig(arch=arch, options=options))


def short_densenet(shape, depths=SHORT, **options):
    inputs = keras.Input(shape)
    return keras.Model(inputs, densenet(inputs, 10, Blocks(), depths, **options))


def out(model, name):
    return model.get_layer(name).output.shape


# -- DenseNet ------------------------------------------------------------------
@pytest.fixture(scope="module")
def densenet121():
    return build("densenet121", (224, 224, 3), num_classes=1000)


def test_densenet_stage_sizes_follow_table_1(densenet121):
    assert out(densenet121, "conv1_conv")[1:3] == (112, 112)
    assert out(densenet121, "pool1")[1:3] == (56, 56)
    for stage, (count, side) in enumerate(zip((6, 12, 24, 16), (56, 28, 14, 7), strict=True), start=2):
        assert out(densenet121, f"conv{stage}_block{count}_concat")[1:3] == (side, side)
    assert densenet121.output_shape == (None, 1000)


def test_densenet_grows_k_channels_per_layer_and_compresses_by_half(densenet121):
    channels = 64  # 2k after the stem
    for stage, count in enumerate((6, 12, 24, 16), start=2):
        for i in range(1, count + 1):
            # The bottleneck has 4k channels, the 3x3 conv k; the concat adds k.
            assert out(densenet121, f"conv{stage}_block{i}_1_conv")[-1] == 128
            assert out(densenet121, f"conv{stage}_block{i}_2_conv")[-1] == 32
            channels += 32
            assert out(densenet121, f"conv{stage}_block{i}_concat")[-1] == channels
        if stage < 5:
            channels //= 2
            assert out(densenet121, f"pool{stage}_conv")[-1] == channels
    assert channels == 1024
    assert out(densenet121, "post_relu")[-1] == 1024


def test_densenet161_has_k48_and_96_initial_features():
    assert get_arch("densenet161").options["growth_rate"].default == 48
    model = short_densenet((32, 32, 3), growth_rate=48)
    assert out(model, "conv1_conv")[-1] == 96
    assert out(model, "conv2_block1_concat")[-1] == 96 + 48


def test_densenet_without_bottleneck_or_compression():
    model = short_densenet((32, 32, 3), (2, 3, 1, 1), growth_rate=8, bottleneck=False,
                           compression=1.0)
    names = [layer.name for layer in model.layers]
    assert not [n for n in names if n.endswith("_1_conv")]  # no 1x1 before the 3x3
    assert out(model, "conv2_block1_2_conv")[-1] == 8
    # Without compression a transition keeps all its channels.
    assert out(model, "pool2_conv")[-1] == out(model, "conv2_block2_concat")[-1] == 16 + 2 * 8
    assert out(model, "pool3_conv")[-1] == 16 + 5 * 8
    # With it (theta = 0.5) a transition keeps floor(theta * m).
    bc = short_densenet((32, 32, 3), (2, 3, 1, 1), growth_rate=8)
    assert out(bc, "pool2_conv")[-1] == 16
    assert out(bc, "pool3_conv")[-1] == (16 + 3 * 8) // 2


def test_densenet_small_stem_keeps_four_blocks_on_small_images():
    model = short_densenet((32, 32, 3), growth_rate=4)
    assert "pool1" not in [layer.name for layer in model.layers]  # no max pool
    assert out(model, "conv1_conv")[1:] == (32, 32, 8)  # 3x3/1, 2k channels
    assert [out(model, f"conv{s}_block1_concat")[1] for s in range(2, 6)] == [32, 16, 8, 4]
    gray = short_densenet((28, 28, 1), growth_rate=4)
    assert [out(gray, f"conv{s}_block1_concat")[1] for s in range(2, 6)] == [28, 14, 7, 3]
    probs = np.asarray(gray(np.zeros((2, 28, 28, 1), "float32"), training=False))
    assert probs.shape == (2, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)


def test_densenet_rejects_bad_options():
    with pytest.raises(ConfigError, match="29x29"):
        short_densenet((16, 16, 3), stem="imagenet")
    with pytest.raises(ConfigError, match=r"compression must be in \(0, 1\]"):
        build("densenet121", (32, 32, 3), compression=0.0)
    with pytest.raises(ConfigError, match="stem"):
        short_densenet((32, 32, 3), stem="huge")
    with pytest.raises(ConfigError, match="growth_rate"):
        build("densenet121", (32, 32, 3), growth_rate="32")


# -- MobileNet -----------------------------------------------------------------
def test_mobilenet_v1_layout_and_width_multiplier():
    model = build("mobilenet_v1", (224, 224, 3), alpha=0.5)
    depthwise = [layer for layer in model.layers if isinstance(layer, layers.DepthwiseConv2D)]
    assert len(depthwise) == 13
    assert out(model, "conv1")[1:] == (112, 112, 16)
    assert out(model, "conv_pw_1")[1:] == (112, 112, 32)
    assert out(model, "conv_pw_13_relu")[1:] == (7, 7, 512)
    # A separable conv: depthwise has 3x3 weights per channel, pointwise mixes channels.
    assert model.get_layer("conv_dw_2").kernel.shape == (3, 3, 32, 1)
    assert model.get_layer("conv_pw_2").kernel.shape == (1, 1, 32, 64)


def test_mobilenet_v2_blocks_residuals_and_channels():
    model = build("mobilenet_v2", (224, 224, 3), alpha=0.35)
    adds = [layer.name for layer in model.layers if isinstance(layer, layers.Add)]
    # Stride 1 and equal channels: 1 + 2 + 3 + 2 + 2 blocks of Table 2's rows.
    assert len(adds) == 10 and "block_2_add" in adds and "block_1_add" not in adds
    assert "block_0_expand" not in [layer.name for layer in model.layers]  # t = 1
    convs = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)
             and not isinstance(layer, layers.DepthwiseConv2D)]
    assert all(layer.filters % 8 == 0 for layer in convs)
    assert out(model, "block_1_expand")[-1] == 6 * out(model, "block_0_project")[-1]
    assert out(model, "block_16_project")[1:3] == (7, 7)
    assert out(model, "conv_last")[-1] == 1280  # not thinned below alpha = 1


def test_mobilenet_v2_uses_relu6_unless_the_activation_knob_says_otherwise():
    relu6 = build("mobilenet_v2", (32, 32, 3))
    activations = [layer for layer in relu6.layers if isinstance(layer, layers.ReLU)]
    assert {layer.max_value for layer in activations} == {6.0}
    # conv1, block 0's depthwise, expand + depthwise in blocks 1-16, conv_last:
    # none after a projection (the linear bottleneck).
    assert len(activations) == 1 + 1 + 16 * 2 + 1
    elu = build("mobilenet_v2", (32, 32, 3), regularization=RegularizationConfig(activation="elu"))
    assert not [layer for layer in elu.layers if isinstance(layer, layers.ReLU)]
    assert [layer for layer in elu.layers if isinstance(layer, layers.ELU)]


@pytest.mark.parametrize("arch", ["mobilenet_v1", "mobilenet_v2"])
def test_mobilenet_small_form_ends_at_4x4(arch):
    last = "conv_pw_13_relu" if arch == "mobilenet_v1" else "conv_last_relu6"
    assert out(build(arch, (32, 32, 3), alpha=0.25), last)[1:3] == (4, 4)
    gray = build(arch, (28, 28, 1), alpha=0.25)
    assert out(gray, last)[1:3] == (4, 4)
    assert gray(np.zeros((2, 28, 28, 1), "float32"), training=False).shape == (2, 10)
    assert out(build(arch, (64, 64, 3), alpha=0.25, stem="imagenet"), last)[1:3] == (2, 2)


@pytest.mark.parametrize("arch, stages", [("densenet121", 4), ("mobilenet_v1", 5), ("mobilenet_v2", 5)])
def test_spatial_dropout_closes_every_stage(arch, stages):
    reg = RegularizationConfig(spatial_dropout=0.1, norm="group", l2=1e-4)
    if arch == "densenet121":
        inputs = keras.Input((32, 32, 3))
        model = keras.Model(inputs, densenet(inputs, 10, Blocks(reg), SHORT, growth_rate=4, stem="imagenet"))
    else:
        model = build(arch, (32, 32, 3), regularization=reg, alpha=0.25, stem="imagenet")
    drops = [layer for layer in model.layers if isinstance(layer, layers.SpatialDropout2D)]
    assert len(drops) == stages
    assert not [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    assert model.losses  # L2 reached the convolutions
