"""GoogLeNet against Table 1 of its paper (Szegedy et al. 2015); Inception v3 against the Keras reference."""

import keras
import numpy as np
import pytest

from netlab.architectures import get_arch
from netlab.architectures import googlenet as gnet
from netlab.base.errors import ConfigError
from netlab.config import ModelConfig, RegularizationConfig
from tests.helpers import trainable_count

# Table 1 of the GoogLeNet paper at 224x224x3: layer -> output size.
GOOGLENET_SHAPES = {
    "conv1_relu": (112, 112, 64),
    "pool1": (56, 56, 64),
    "conv2_3x3_reduce_relu": (56, 56, 64),
    "conv2_3x3_relu": (56, 56, 192),
    "pool2": (28, 28, 192),
    "inception_3a_concat": (28, 28, 256),
    "inception_3b_concat": (28, 28, 480),
    "pool3": (14, 14, 480),
    "inception_4a_concat": (14, 14, 512),
    "inception_4b_concat": (14, 14, 512),
    "inception_4c_concat": (14, 14, 512),
    "inception_4d_concat": (14, 14, 528),
    "inception_4e_concat": (14, 14, 832),
    "pool4": (7, 7, 832),
    "inception_5a_concat": (7, 7, 832),
    "inception_5b_concat": (7, 7, 1024),
    "global_pool": (1024,),  # the table's "avg pool 7x7/1 -> 1x1x1024"
    "head_dropout": (1024,),
    "predictions": (1000,),
}

# The table's params column (K = 1024 weights; biases not counted) and the exact
# weight counts of the table's own filter numbers. The column is rounded, and for
# conv1, 4c and 5a it is simply off: conv1 is 7*7*3*64 = 9408 weights (9.2K, not
# 2.7K); 4c is 497.5K, not 463K; 5a is 1018K, not 1072K.
TABLE_PARAMS_K = {
    "conv1": (2.7, 9_408),
    "conv2": (112, 114_688),
    "inception_3a": (159, 163_328),
    "inception_3b": (380, 388_096),
    "inception_4a": (364, 375_552),
    "inception_4b": (437, 448_512),
    "inception_4c": (463, 509_440),
    "inception_4d": (580, 604_672),
    "inception_4e": (840, 867_328),
    "inception_5a": (1072, 1_042_432),
    "inception_5b": (1388, 1_442_816),
    "fc": (1000, 1_024_000),
}
TABLE_OFF = {"conv1", "inception_4c", "inception_5a"}


def _kernels(model, prefix):
    return sum(
        int(np.prod(w.shape))
        for layer in model.layers
        if layer.name.startswith(prefix)
        for w in layer.trainable_weights
        if w.path.endswith("kernel")
    )


@pytest.fixture(scope="module")
def googlenet_train():
    return get_arch("googlenet").build((224, 224, 3), 1000, aux=True)


@pytest.fixture(scope="module")
def googlenet_infer():
    return get_arch("googlenet").build((224, 224, 3), 1000)


# -- GoogLeNet --------------------------------------------------------------
def test_googlenet_output_sizes_follow_table_1(googlenet_infer):
    for name, shape in GOOGLENET_SHAPES.items():
        assert tuple(googlenet_infer.get_layer(name).output.shape[1:]) == shape, name


def test_googlenet_branch_filters_follow_table_1(googlenet_infer):
    m = googlenet_infer
    for module, filters in gnet.INCEPTION_MODULES.items():
        p = f"inception_{module}"
        convs = ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool_proj")
        kernels = (1, 1, 3, 1, 5, 1)
        for branch, kernel, n in zip(convs, kernels, filters, strict=True):
            conv = m.get_layer(f"{p}_{branch}_conv")
            assert conv.filters == n and tuple(conv.kernel_size) == (kernel, kernel), conv.name
        pool = m.get_layer(f"{p}_pool")
        assert isinstance(pool, keras.layers.MaxPooling2D) and pool.strides == (1, 1)
        assert (
            m.get_layer(f"{p}_concat").output.shape[-1] == filters[0] + filters[2] + filters[4] + filters[5]
        )


def test_googlenet_module_layers_share_the_module_prefix(googlenet_infer):
    names = {layer.name for layer in googlenet_infer.layers if layer.name.startswith("inception_3a_")}
    convs = ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool_proj")
    expected = {f"inception_3a_{c}_{kind}" for c in convs for kind in ("conv", "relu")}
    assert names == expected | {"inception_3a_pool", "inception_3a_concat"}
    # No layer of the model is left outside a module except the stem, pools and head.
    others = {layer.name for layer in googlenet_infer.layers if not layer.name.startswith("inception_")}
    assert others == {
        "image",
        "conv1_conv",
        "conv1_relu",
        "pool1",
        "conv2_3x3_reduce_conv",
        "conv2_3x3_reduce_relu",
        "conv2_3x3_conv",
        "conv2_3x3_relu",
        "pool2",
        "pool3",
        "pool4",
        "global_pool",
        "head_dropout",
        "predictions",
    }


def test_googlenet_params_per_module_against_table_1(googlenet_infer):
    for prefix, (table_k, exact) in TABLE_PARAMS_K.items():
        if prefix == "fc":
            weights = int(np.prod(googlenet_infer.get_layer("predictions").kernel.shape))
        else:
            weights = _kernels(googlenet_infer, prefix if prefix.startswith("conv") else f"{prefix}_")
        assert weights == exact, prefix
        close = abs(weights / 1024 - table_k) / table_k <= 0.02
        assert close == (prefix not in TABLE_OFF), (prefix, weights / 1024, table_k)


def test_googlenet_total_params(googlenet_infer, googlenet_train):
    spec = get_arch("googlenet")
    assert trainable_count(googlenet_infer) == spec.params.count == gnet.table_param_count() == 6_998_552
    assert trainable_count(googlenet_train) == gnet.table_param_count(aux=True) == 13_378_280
    assert googlenet_infer.get_layer("head_dropout").rate == pytest.approx(0.4)
    assert googlenet_infer.get_layer("conv1_conv").use_bias  # no normalization by default


def test_googlenet_aux_classifiers_only_for_training(googlenet_infer, googlenet_train):
    assert gnet.AUX_LOSS_WEIGHT == 0.3
    assert len(googlenet_infer.outputs) == 1
    assert not any(layer.name.startswith("aux") for layer in googlenet_infer.layers)
    assert googlenet_train.output_names == ["predictions", "aux1_predictions", "aux2_predictions"]
    assert [tuple(o.shape[1:]) for o in googlenet_train.outputs] == [(1000,)] * 3
    for aux, source_channels in (("aux1", 512), ("aux2", 528)):  # after 4a and 4d
        pool = googlenet_train.get_layer(f"{aux}_pool")
        assert isinstance(pool, keras.layers.AveragePooling2D)
        assert tuple(pool.input.shape[1:]) == (14, 14, source_channels)
        assert tuple(pool.output.shape[1:]) == (4, 4, source_channels)
        assert googlenet_train.get_layer(f"{aux}_1x1_conv").filters == 128
        assert googlenet_train.get_layer(f"{aux}_fc").units == 1024
        assert googlenet_train.get_layer(f"{aux}_dropout").rate == pytest.approx(0.7)


def test_googlenet_cifar_stem_trains_on_32x32():
    model = get_arch("googlenet").build((32, 32, 3), 10, aux=True)
    sizes = {
        n: model.get_layer(n).output.shape[1]
        for n in (
            "conv2_3x3_conv",
            "inception_3a_concat",
            "inception_4a_concat",
            "aux1_pool",
            "inception_5b_concat",
        )
    }
    assert sizes == {
        "conv2_3x3_conv": 32,
        "inception_3a_concat": 32,
        "inception_4a_concat": 16,
        "aux1_pool": 4,
        "inception_5b_concat": 8,
    }
    outputs = model(np.zeros((2, 32, 32, 3), "float32"))
    assert [tuple(o.shape) for o in outputs] == [(2, 10)] * 3
    np.testing.assert_allclose(np.sum(outputs[0], axis=-1), 1.0, rtol=1e-5)


def test_googlenet_stem_choice_and_limits():
    spec = get_arch("googlenet")
    assert spec.build((65, 65, 3), 10).get_layer("inception_3a_concat").output.shape[1] == 9
    model = spec.build((spec.min_input,) * 2 + (3,), 10, aux=True)
    assert model.get_layer("aux1_pool").output.shape[1] == 1
    with pytest.raises(ConfigError, match="at least"):
        spec.build((spec.min_input - 1,) * 2 + (3,), 10)
    with pytest.raises(ConfigError, match="stem 'imagenet' needs inputs of at least 65x65"):
        spec.build((64, 64, 3), 10, model_config=ModelConfig("googlenet", options={"stem": "imagenet"}))
    with pytest.raises(ConfigError, match="stem"):
        spec.build((32, 32, 3), 10, model_config=ModelConfig("googlenet", options={"stem": "tiny"}))


def test_googlenet_regularization_knobs_reach_every_module():
    reg = RegularizationConfig(norm="batch", spatial_dropout=0.1, dropout=0.25)
    model = get_arch("googlenet").build((32, 32, 3), 10, regularization=reg, aux=True)
    assert not model.get_layer("inception_4c_5x5_conv").use_bias
    assert isinstance(model.get_layer("inception_4c_5x5_bn"), keras.layers.BatchNormalization)
    for stage in (3, 4, 5):
        assert isinstance(
            model.get_layer(f"inception_{stage}_spatial_dropout"), keras.layers.SpatialDropout2D
        )
    assert model.get_layer("head_dropout").rate == pytest.approx(0.25)
    assert model.get_layer("aux2_dropout").rate == pytest.approx(0.25)


# -- Inception v3 -----------------------------------------------------------
V3_SHAPES = {
    "conv1_relu": (149, 149, 32),
    "conv2_relu": (147, 147, 32),
    "conv3_relu": (147, 147, 64),
    "pool1": (73, 73, 64),
    "conv4_relu": (73, 73, 80),
    "conv5_relu": (71, 71, 192),
    "pool2": (35, 35, 192),
    "mixed0": (35, 35, 256),
    "mixed1": (35, 35, 288),
    "mixed2": (35, 35, 288),
    "mixed3": (17, 17, 768),
    **{f"mixed{i}": (17, 17, 768) for i in range(4, 8)},
    "mixed8": (8, 8, 1280),
    "mixed9": (8, 8, 2048),
    "mixed10": (8, 8, 2048),
    "global_pool": (2048,),
    "predictions": (1000,),
}


@pytest.fixture(scope="module")
def inception_v3_model():
    return get_arch("inception_v3").build((299, 299, 3), 1000)


def test_inception_v3_grid_sizes(inception_v3_model):
    for name, shape in V3_SHAPES.items():
        assert tuple(inception_v3_model.get_layer(name).output.shape[1:]) == shape, name


def test_inception_v3_params_counted_like_keras(inception_v3_model):
    m = inception_v3_model
    assert trainable_count(m) == get_arch("inception_v3").params.count == 23_817_352
    bns = [layer for layer in m.layers if isinstance(layer, keras.layers.BatchNormalization)]
    convs = [layer for layer in m.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(bns) == len(convs) == 94
    assert not any(bn.scale for bn in bns) and not any(conv.use_bias for conv in convs)
    assert len(m.outputs) == 1


def test_inception_v3_factorized_convolutions(inception_v3_model):
    m = inception_v3_model
    # Figure 5: the 3x3dbl branch is two 3x3 convs.
    assert tuple(m.get_layer("mixed0_3x3dbl_2_conv").kernel_size) == (3, 3)
    # Figure 6, n = 7: 1 x 7 followed by 7 x 1.
    assert tuple(m.get_layer("mixed4_7x7_1x7_conv").kernel_size) == (1, 7)
    assert tuple(m.get_layer("mixed4_7x7_7x1_conv").kernel_size) == (7, 1)
    assert m.get_layer("mixed5_7x7_reduce_conv").filters == 160
    # Figure 7: parallel 1x3 and 3x1, concatenated.
    assert m.get_layer("mixed9_3x3_concat").output.shape[-1] == 768


def test_inception_v3_module_prefixes(inception_v3_model):
    names = [layer.name for layer in inception_v3_model.layers]
    stem_and_head = {"image", "pool1", "pool2", "global_pool", "predictions"} | {
        f"conv{i}_{kind}" for i in range(1, 6) for kind in ("conv", "bn", "relu")
    }
    modules = {f"mixed{i}" for i in range(11)}
    for name in names:
        if name in stem_and_head or name in modules:
            continue
        module = name.split("_")[0]
        assert module in modules, name
    assert len([n for n in names if n.startswith("mixed1_")]) == len(
        [n for n in names if n.startswith("mixed0_")]
    )


def test_inception_v3_cifar_stem_keeps_the_grids_of_299():
    model = get_arch("inception_v3").build((32, 32, 3), 10)
    sizes = {n: model.get_layer(n).output.shape[1] for n in ("mixed0", "mixed3", "mixed8", "mixed10")}
    assert sizes == {"mixed0": 32, "mixed3": 15, "mixed8": 7, "mixed10": 7}
    assert trainable_count(model) == 23_817_352 - 990 * (2048 + 1)  # same layers, 10 classes instead of 1000


def test_inception_v3_stem_limits():
    spec = get_arch("inception_v3")
    # 75x75 is Keras's smallest input for the ImageNet stem; "auto" takes it there.
    model = spec.build((75, 75, 3), 10)
    assert [model.get_layer(n).output.shape[1] for n in ("mixed0", "mixed3", "mixed8")] == [7, 3, 1]
    with pytest.raises(ConfigError, match="at least 75x75"):
        spec.build((74, 74, 3), 10, model_config=ModelConfig("inception_v3", options={"stem": "imagenet"}))
    with pytest.raises(ConfigError, match="at least"):
        spec.build((spec.min_input - 1,) * 2 + (3,), 10)
