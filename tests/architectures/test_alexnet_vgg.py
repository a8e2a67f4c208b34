"""AlexNet, ZFNet and the VGG configurations of Table 1, and the LRN layer they share.

Building every variant at its min_input and its published parameter count
are tested for all architectures in test_architectures.py; here: the layer
structure the papers' tables prescribe, the stems and LRN. Models are built
with ``head="gap"`` where only the convolutions matter, which skips the
100M-weight FC layers and keeps each build well under a second.
"""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from netlab.architectures import alexnet as alexnet_module
from netlab.architectures import get_arch
from netlab.architectures import vgg as vgg_module
from netlab.architectures.layers import LocalResponseNormalization
from netlab.base.errors import ConfigError
from netlab.config import ModelConfig, RegularizationConfig


def build(arch, side, channels=3, head="gap", options=None, **regularization):
    # Zeros are the cheapest initializer; these tests look at structure only.
    regularization.setdefault("initializer", "zeros")
    model_config = ModelConfig(arch=arch, head=head, options=options or {})
    return get_arch(arch).build((side, side, channels), 10, RegularizationConfig(**regularization),
                                model_config)


def convs(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


# -- local response normalization --------------------------------------------
def test_lrn_matches_tensorflow():
    x = np.random.default_rng(0).normal(scale=30.0, size=(2, 5, 4, 16)).astype("float32")
    ours = LocalResponseNormalization()(x)
    # AlexNet's n=5, k=2, alpha=1e-4, beta=0.75 in TF's terms: alpha on the plain sum.
    theirs = tf.nn.local_response_normalization(x, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours), theirs.numpy(), rtol=1e-5, atol=1e-6)
    # Large activations really are damped (the test is not comparing identities).
    assert not np.allclose(keras.ops.convert_to_numpy(ours), x / 2.0**0.75, rtol=1e-3)


def test_lrn_other_constants_match_tensorflow():
    x = np.random.default_rng(1).uniform(-3, 3, size=(3, 2, 2, 7)).astype("float32")
    ours = LocalResponseNormalization(size=3, alpha=0.5, beta=0.5, k=1.0)(x)
    theirs = tf.nn.local_response_normalization(x, depth_radius=1, bias=1.0, alpha=0.5, beta=0.5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_lrn_rejects_even_size():
    with pytest.raises(ValueError, match="odd"):
        LocalResponseNormalization(size=4)


def test_model_with_lrn_reloads_in_safe_mode(tmp_path):
    inputs = keras.Input((6, 6, 8))
    x = LocalResponseNormalization(size=3, alpha=2e-4, beta=0.7, k=1.5, name="lrn")(inputs)
    x = keras.layers.Conv2D(4, 3, name="conv")(x)
    outputs = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "lrn.keras"
    model.save(path)

    reloaded = keras.saving.load_model(path, safe_mode=True)
    lrn = reloaded.get_layer("lrn")
    assert isinstance(lrn, LocalResponseNormalization)
    assert (lrn.size, lrn.alpha, lrn.beta, lrn.k) == (3, 2e-4, 0.7, 1.5)
    x = np.random.default_rng(2).normal(size=(2, 6, 6, 8)).astype("float32")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_lrn_runs_on_jax():
    pytest.importorskip("jax")
    script = textwrap.dedent("""
        import numpy as np
        from netlab.architectures.layers import LocalResponseNormalization
        x = np.random.default_rng(0).normal(scale=30.0, size=(2, 3, 3, 9)).astype("float32")
        padded = np.pad(x**2, [(0, 0), (0, 0), (0, 0), (2, 2)])
        window = sum(padded[..., i:i + 9] for i in range(5))
        expected = x / (2.0 + 1e-4 * window) ** 0.75
        np.testing.assert_allclose(np.asarray(LocalResponseNormalization()(x)), expected, rtol=1e-5)
    """)
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


# -- AlexNet and ZFNet ----------------------------------------------------------
def pool_shapes(model):
    return [tuple(model.get_layer(f"pool{i}").output.shape[1:]) for i in (1, 2, 3)]


def test_alexnet_follows_krizhevsky_2012():
    model = build("alexnet", 227)
    assert [(c.filters, c.kernel_size, c.strides) for c in convs(model)] == [
        (96, (11, 11), (4, 4)), (256, (5, 5), (1, 1)),
        (384, (3, 3), (1, 1)), (384, (3, 3), (1, 1)), (256, (3, 3), (1, 1)),
    ]
    assert tuple(model.get_layer("conv1").output.shape[1:]) == (55, 55, 96)
    assert pool_shapes(model) == [(27, 27, 96), (13, 13, 256), (6, 6, 256)]
    # LRN after the first two poolings; convolutions keep their bias (no normalization).
    names = [layer.name for layer in model.layers]
    assert names.index("lrn1") == names.index("pool1") + 1
    assert names.index("lrn2") == names.index("pool2") + 1
    assert all(c.use_bias for c in convs(model))


def test_zfnet_follows_zeiler_and_fergus_2014():
    model = build("zfnet", 224)
    assert [(c.filters, c.kernel_size, c.strides) for c in convs(model)] == [
        (96, (7, 7), (2, 2)), (256, (5, 5), (2, 2)),
        (512, (3, 3), (1, 1)), (1024, (3, 3), (1, 1)), (512, (3, 3), (1, 1)),
    ]
    assert tuple(model.get_layer("conv1_pad").output.shape[1:]) == (230, 230, 3)  # pad 3
    assert pool_shapes(model) == [(55, 55, 96), (13, 13, 256), (6, 6, 512)]


def test_alexnet_paper_head_has_two_fc_layers_with_dropout():
    model = build("alexnet", 15, head="default")
    assert [model.get_layer(n).units for n in ("fc1", "fc2", "predictions")] == [4096, 4096, 10]
    assert [model.get_layer(n).rate for n in ("fc1_dropout", "fc2_dropout")] == [0.5, 0.5]


@pytest.mark.parametrize("arch", ["alexnet", "zfnet"])
def test_small_stem_keeps_the_poolings(arch):
    model = build(arch, 32)  # auto: below the paper network's minimum
    first = convs(model)[0]
    assert (first.kernel_size, first.strides) == ((3, 3), (1, 1))
    assert all(c.strides == (1, 1) for c in convs(model))
    assert [s[:2] for s in pool_shapes(model)] == [(15, 15), (7, 7), (3, 3)]
    assert [s[:2] for s in pool_shapes(build(arch, 28, channels=1))] == [(13, 13), (6, 6), (2, 2)]


@pytest.mark.parametrize("arch", ["alexnet", "zfnet"])
def test_auto_stem_uses_the_paper_network_wherever_it_runs(arch):
    smallest = alexnet_module.IMAGENET_MIN[arch]
    assert convs(build(arch, smallest))[0].kernel_size != (3, 3)
    assert pool_shapes(build(arch, smallest))[2][:2] == (1, 1)
    assert convs(build(arch, smallest - 1))[0].kernel_size == (3, 3)
    with pytest.raises(ConfigError, match="stem 'imagenet' needs inputs of at least"):
        build(arch, smallest - 1, options={"stem": "imagenet"})


def test_unknown_stem_is_a_config_error():
    for arch in ("alexnet", "vgg16"):
        with pytest.raises(ConfigError, match="model.options.stem must be one of"):
            build(arch, 32, options={"stem": "bogus"})
        build(arch, 32, options={"stem": "cifar"})  # the older name of "small" is accepted


def test_alexnet_norm_knob_adds_normalization_after_each_conv():
    model = build("alexnet", 32, norm="batch", options={"lrn": False})
    names = [layer.name for layer in model.layers]
    for i in range(1, 6):
        assert names.index(f"conv{i}_bn") == names.index(f"conv{i}") + 1
        assert not model.get_layer(f"conv{i}").use_bias  # the BN shift replaces the bias
    assert not any(isinstance(layer, LocalResponseNormalization) for layer in model.layers)


def test_spatial_dropout_after_every_stage():
    model = build("alexnet", 32, spatial_dropout=0.1)
    assert [n for n in (layer.name for layer in model.layers) if "spatial" in n] == [
        "stage1_spatial_dropout", "stage2_spatial_dropout", "stage3_spatial_dropout"]
    model = build("vgg11", 32, spatial_dropout=0.1)
    assert sum("spatial" in layer.name for layer in model.layers) == 5


# -- VGG, Table 1 ----------------------------------------------------------------
# Convolutions per block, weight layers in all (incl. the 3 FC) and the 1x1
# convolutions, read off Table 1 of Simonyan & Zisserman 2015.
TABLE_1 = {
    "vgg11": ((1, 1, 2, 2, 2), 11),
    "vgg11_lrn": ((1, 1, 2, 2, 2), 11),
    "vgg13": ((2, 2, 2, 2, 2), 13),
    "vgg16_c": ((2, 2, 3, 3, 3), 16),
    "vgg16": ((2, 2, 3, 3, 3), 16),
    "vgg19": ((2, 2, 4, 4, 4), 19),
}
BN_VARIANTS = {"vgg11_bn": "vgg11", "vgg13_bn": "vgg13", "vgg16_bn": "vgg16", "vgg19_bn": "vgg19"}


@pytest.mark.parametrize("arch", [*TABLE_1, *BN_VARIANTS])
def test_vgg_matches_table_1(arch):
    """Blocks, kernel sizes and filters of Table 1; LRN only in A-LRN, BN only in *_bn."""
    per_block, weight_layers = TABLE_1[BN_VARIANTS.get(arch, arch)]
    model = build(arch, 32)
    layers = convs(model)
    assert len(layers) + 3 == weight_layers
    for block, count in enumerate(per_block, start=1):
        in_block = [c for c in layers if c.name.startswith(f"block{block}_")]
        assert [c.name for c in in_block] == [f"block{block}_conv{i}" for i in range(1, count + 1)]
        assert {c.filters for c in in_block} == {(64, 128, 256, 512, 512)[block - 1]}
        ones = [c.name for c in in_block if c.kernel_size == (1, 1)]
        # Configuration C ends blocks 3-5 with a 1x1 convolution; all else is 3x3.
        assert ones == ([f"block{block}_conv3"] if arch == "vgg16_c" and block >= 3 else [])
        assert all(c.kernel_size == (3, 3) for c in in_block if c.name not in ones)
        assert all(c.padding == "same" and c.use_bias for c in in_block)

    spec = get_arch(arch)
    assert spec.default_norm == ("batch" if arch in BN_VARIANTS else "none")
    assert spec.default_dropout == 0.5
    lrn = [layer.name for layer in model.layers if isinstance(layer, LocalResponseNormalization)]
    assert lrn == (["block1_lrn"] if arch == "vgg11_lrn" else [])
    bn = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bn) == (len(convs(model)) if arch in BN_VARIANTS else 0)


def test_vgg_lrn_follows_the_first_convolution():
    names = [layer.name for layer in build("vgg11_lrn", 32).layers]
    assert names[names.index("block1_conv1") + 1:names.index("block1_pool")] == [
        "block1_conv1_relu", "block1_lrn"]


def test_vgg_head_is_fc_4096_4096_with_dropout():
    model = build("vgg11", 32, head="default")
    assert tuple(model.get_layer("flatten").output.shape[1:]) == (512,)  # 32 -> 1 after 5 poolings
    assert [model.get_layer(n).units for n in ("fc1", "fc2", "predictions")] == [4096, 4096, 10]
    assert [model.get_layer(n).rate for n in ("fc1_dropout", "fc2_dropout")] == [0.5, 0.5]


def test_vgg_stems():
    pools = ["block1_pool", "block2_pool", "block3_pool", "block4_pool", "block5_pool"]
    model = build("vgg16", 32)
    assert [model.get_layer(n).output.shape[1] for n in pools] == [16, 8, 4, 2, 1]
    model = build("vgg16", 28, channels=1)  # auto: small form, block 1 keeps full resolution
    names = {layer.name for layer in model.layers}
    assert "block1_pool" not in names
    assert [model.get_layer(n).output.shape[1] for n in pools[1:]] == [14, 7, 3, 1]
    assert get_arch("vgg16").min_input == vgg_module.SMALL_MIN == 16
    with pytest.raises(ConfigError, match="stem 'imagenet'"):
        build("vgg16", 28, channels=1, options={"stem": "imagenet"})
    assert "block1_pool" not in {layer.name for layer in build("vgg16", 64, options={"stem": "small"}).layers}
