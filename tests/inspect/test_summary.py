"""The model summary: MACs, receptive fields, shapes, totals and published figures.

Real Keras models throughout; the hand-built ones are tiny, the registry ones are
built at their smallest input except where a published figure needs 224x224.
"""

import json

import keras
import pytest
from keras import layers

from netlab.architectures import all_archs, get_arch
from netlab.base.errors import ConfigError
from netlab.inspect.published import compare_published, compare_table
from netlab.inspect.receptive_field import output_size
from netlab.inspect.summary import macs_by_prefix, params_by_prefix, summarize
from netlab.inspect.text import format_comparison, format_table, human


def hand_counted_model():
    x = inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, padding="valid", name="conv")(x)  # 6x6x4
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.ReLU(name="relu")(x)
    x = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, name="dw")(x)  # 6x6x8
    x = layers.Conv2D(8, 1, groups=2, name="grouped")(x)  # 6x6x8
    x = layers.SeparableConv2D(5, 3, strides=2, padding="same", name="sep")(x)  # 3x3x5
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.5, name="drop")(x)
    outputs = layers.Dense(10, name="fc")(x)
    return keras.Model(inputs, outputs, name="tiny")


def test_macs_of_a_tiny_model_match_the_hand_computed_figure():
    s = summarize(hand_counted_model())
    expected = {
        "conv": 6 * 6 * 4 * (3 * 3 * 3),  # H_out*W_out*C_out*(kh*kw*C_in)
        "dw": 6 * 6 * 4 * 3 * 3 * 2,  # H_out*W_out*C*kh*kw*depth_multiplier
        "grouped": 6 * 6 * 8 * (1 * 1 * 8 // 2),  # C_in/groups
        "sep": 3 * 3 * 8 * 3 * 3 + 3 * 3 * 8 * 5,  # depthwise + pointwise
        "fc": 5 * 10,  # in*out
    }
    for name, macs in expected.items():
        assert s.row(name).macs == macs, name
    for name in ("image", "bn", "relu", "gap", "drop"):
        assert s.row(name).macs == 0, name
    assert s.macs == sum(expected.values()) == 3888 + 2592 + 1152 + 1008 + 50
    assert s.macs_complete


def test_params_shapes_and_totals():
    model = hand_counted_model()
    s = summarize(model)
    assert [r.name for r in s.rows] == [layer.name for layer in model.layers]
    conv = s.row("conv")
    assert conv.class_name == "Conv2D"
    assert conv.output_shape == (6, 6, 4)
    assert conv.trainable_params == 3 * 3 * 3 * 4 + 4
    assert (conv.kernel, conv.strides, conv.padding) == ((3, 3), (1, 1), "valid")
    bn = s.row("bn")
    assert (bn.trainable_params, bn.non_trainable_params) == (8, 8)
    assert s.row("sep").strides == (2, 2)
    assert s.row("fc").output_shape == (10,)
    assert s.row("gap").inbound == ("sep",)
    assert s.trainable_params == sum(r.trainable_params for r in s.rows)
    assert s.params == model.count_params()
    assert s.num_outputs == 10


def test_three_3x3_convs_see_7x7():
    # Simonyan & Zisserman 2015: a stack of three 3x3 convolutions sees what one 7x7 sees.
    model = keras.Sequential(
        [
            keras.Input((16, 16, 1)),
            layers.Conv2D(1, 3, padding="same", name="c1"),
            layers.Conv2D(1, 3, padding="same", name="c2"),
            layers.Conv2D(1, 3, padding="same", name="c3"),
        ]
    )
    s = summarize(model)
    assert [s.row(n).receptive_field for n in ("c1", "c2", "c3")] == [3, 5, 7]
    assert all(s.row(n).jump == 1 for n in ("c1", "c2", "c3"))


def test_a_stride_2_pool_doubles_what_later_kernels_add():
    model = keras.Sequential(
        [
            keras.Input((16, 16, 1)),
            layers.Conv2D(1, 3, padding="same", name="c1"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Conv2D(1, 3, padding="same", name="c2"),
            layers.Conv2D(1, 3, padding="same", name="c3"),
        ]
    )
    s = summarize(model)
    # r_out = r_in + (k-1)*j_in, j_out = j_in*s
    assert [(s.row(n).receptive_field, s.row(n).jump) for n in ("c1", "pool", "c2", "c3")] == [
        (3, 1),
        (4, 2),
        (8, 2),
        (12, 2),
    ]


def test_dilation_merges_asymmetric_kernels_and_global_layers():
    x = inputs = keras.Input((32, 32, 3))
    a = layers.Conv2D(2, 3, dilation_rate=2, padding="same", name="dilated")(x)  # 5
    b = layers.Conv2D(2, (1, 7), padding="same", name="row")(x)  # 1x7
    b = layers.Conv2D(2, (7, 1), padding="same", name="col")(b)  # 7x7
    c = layers.Conv2D(2, 1, name="point")(x)
    merged = layers.Concatenate(name="concat")([a, b, c])
    added = layers.Add(name="add")([a, c])
    y = layers.GlobalMaxPooling2D(name="gmp")(merged)
    z = layers.Flatten(name="flat")(added)
    model = keras.Model(inputs, [y, z])
    s = summarize(model)
    assert s.row("dilated").receptive_field == 5
    assert s.row("dilated").dilation == (2, 2)
    assert s.row("row").receptive_field_hw == (1, 7)
    assert s.row("row").receptive_field == 7
    assert s.row("col").receptive_field_hw == (7, 7)
    assert s.row("concat").receptive_field == 7  # the largest of its inputs
    assert s.row("add").receptive_field == 5
    for name in ("gmp", "flat"):  # the whole 32x32 input, no jump any more
        assert (s.row(name).receptive_field, s.row(name).jump) == (32, None)


def test_valid_11x11_stride_4_on_227_gives_55_like_alexnet_conv1():
    # W2 = (W1 - F + 2P)/S + 1 through AlexNet's spatial sizes (Krizhevsky et al. 2012).
    assert output_size(227, 11, 0, 4) == 55
    model = keras.Sequential(
        [
            keras.Input((227, 227, 3)),
            layers.Conv2D(2, 11, strides=4, padding="valid", name="conv1"),
            layers.MaxPooling2D(3, strides=2, name="pool1"),
            layers.Conv2D(2, 5, padding="same", name="conv2"),  # P = 2
            layers.MaxPooling2D(3, strides=2, name="pool2"),
            layers.Conv2D(2, 3, padding="same", name="conv3"),  # P = 1
            layers.MaxPooling2D(3, strides=2, name="pool3"),
        ]
    )
    s = summarize(model)
    side = 227
    for name, f, p, stride in (
        ("conv1", 11, 0, 4),
        ("pool1", 3, 0, 2),
        ("conv2", 5, 2, 1),
        ("pool2", 3, 0, 2),
        ("conv3", 3, 1, 1),
        ("pool3", 3, 0, 2),
    ):
        side = output_size(side, f, p, stride)
        assert s.row(name).output_shape[:2] == (side, side), name
    assert side == 6  # 6x6x256 before AlexNet's FC layers
    assert s.row("conv1").macs == 55 * 55 * 2 * 11 * 11 * 3


def test_output_size_same_padding_and_strictness():
    # Keras "same" gives ceil(W/S); with P = (F-1)/2 the formula agrees.
    assert output_size(224, 7, 3, 2) == 112
    assert output_size(13, 3, 1, 1) == 13
    with pytest.raises(ValueError):
        output_size(224, 11, 0, 4, strict=True)  # 213/4 is not an integer
    with pytest.raises(ValueError):
        output_size(3, 5, 0, 1)


def test_resnet18_at_224_matches_the_known_figures():
    spec = get_arch("resnet18")
    s = summarize(spec.build((224, 224, 3), 1000))
    assert s.trainable_params == 11_689_512
    assert s.macs == pytest.approx(1.82e9, rel=0.01)
    assert s.row("conv5_block2_out_relu").receptive_field == 435
    assert s.row("conv5_block2_out_relu").jump == 32
    (params,) = compare_published(s, spec)
    assert (params.configured, params.reference, params.difference) == (11_689_512, 11_689_512, 0)
    assert params.kind == "published" and "torchvision resnet18" in params.note
    assert params.relative_difference == 0
    table = format_table(s)
    assert "11.7M params" in table and "1.81G MACs" in table
    assert "conv2_block1_1_conv" in table
    json.dumps(s.to_dict())


def test_compare_published_shows_a_different_head_as_a_difference():
    spec = get_arch("resnet18")
    s = summarize(spec.build((32, 32, 3), 10))
    (params,) = compare_published(s, spec)
    assert params.reference == 11_689_512
    assert params.difference == s.trainable_params - 11_689_512 < 0
    assert params.relative_difference == pytest.approx(params.difference / 11_689_512)
    assert "published" in format_comparison([params])
    own = compare_published(summarize(hand_counted_model()), get_arch("simple_cnn"))
    assert own[0].reference is None and own[0].difference is None


def test_sums_by_name_prefix_and_modules():
    s = summarize(get_arch("resnet18").build((32, 32, 3), 10))
    block = [r for r in s.rows if r.name.startswith("conv2_block1_")]
    assert macs_by_prefix(s, "conv2_block1_") == sum(r.macs for r in block) > 0
    assert params_by_prefix(s, "conv2_block1_") == sum(r.params for r in block)
    assert params_by_prefix(s, "conv2_block1_", trainable_only=True) == 2 * (3 * 3 * 64 * 64 + 128)
    modules = s.modules()
    assert modules["conv2_block1"].macs == macs_by_prefix(s, "conv2_block1_")
    assert modules["conv1"].layers == 3
    assert sum(m.macs for m in modules.values()) == s.macs
    with pytest.raises(ConfigError, match="conv9_"):
        macs_by_prefix(s, "conv9_")


# GoogLeNet Table 1 (Szegedy et al. 2015), "ops" column in millions, 224x224 input. 5a is
# left out: its convolutions compute to ~51M where the table prints 54M.
GOOGLENET_OPS = {"3a": 128, "3b": 304, "4a": 73, "4b": 88, "4c": 100, "4d": 119, "4e": 170, "5b": 71}


def test_googlenet_module_macs_match_the_ops_column():
    s = summarize(get_arch("googlenet").build((224, 224, 3), 1000))
    for module, ops in GOOGLENET_OPS.items():
        assert macs_by_prefix(s, f"inception_{module}_") == pytest.approx(ops * 1e6, rel=0.02), module
    assert macs_by_prefix(s, "inception_5a_") == pytest.approx(51e6, rel=0.01)


def test_unknown_input_size_gives_unknown_macs_not_an_error():
    x = inputs = keras.Input((None, None, 3))
    x = layers.Conv2D(4, 3, name="conv")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(2, name="fc")(x)
    s = summarize(keras.Model(inputs, outputs))
    assert s.row("conv").macs is None
    assert s.row("fc").macs == 8
    assert not s.macs_complete and s.macs == 8
    assert s.row("conv").receptive_field == 3
    assert "?" in format_table(s)


class Scale(layers.Layer):
    """A custom layer with a weight: its parameters count, its MACs are zero."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.scale


def test_plain_ops_custom_layers_and_nested_models_are_walked_through():
    inner_in = keras.Input((16, 16, 2))
    inner = keras.Model(inner_in, layers.Conv2D(2, 3, strides=2, padding="same")(inner_in), name="inner")
    x = inputs = keras.Input((16, 16, 2))
    x = layers.Conv2D(2, 3, padding="same", name="c1")(x)
    x = x * 2.0  # a keras op, not a layer
    x = inner(x)
    x = layers.Conv2D(2, 3, padding="same", name="c2")(x)
    x = Scale(name="scale")(x)
    s = summarize(keras.Model(inputs, x))
    assert (s.row("scale").macs, s.row("scale").trainable_params) == (0, 2)
    assert s.row("scale").receptive_field == 9
    assert s.row("inner").macs == 8 * 8 * 2 * 3 * 3 * 2
    assert (s.row("inner").receptive_field, s.row("inner").jump) == (5, 2)
    assert s.row("c2").receptive_field == 9
    assert len(s.rows) == 6


def test_human_units():
    assert [human(n) for n in (0, 999, 9408, 11_689_512, 1.8186e9, 999_700)] == [
        "0",
        "999",
        "9.41K",
        "11.7M",
        "1.82G",
        "1M",
    ]
    assert human(None) == "?"


def one_variant_per_body():
    """The first variant of each body function: the variants of one body share their layer kinds."""
    bodies = {}
    for spec in all_archs():
        bodies.setdefault((spec.body.__module__, spec.body.__qualname__), spec)
    return list(bodies.values())


@pytest.mark.parametrize("spec", one_variant_per_body(), ids=lambda spec: spec.name)
def test_every_architecture_summarizes(spec):
    side = max(spec.min_input, 32)
    model = spec.build((side, side, 3), 10)
    s = summarize(model)
    assert s.params == model.count_params()
    assert sum(r.params for r in s.rows) == s.params
    assert s.macs > 0 and s.macs_complete
    assert s.rows[-1].output_shape == (10,)
    assert s.rows[-1].jump is None and s.rows[-1].receptive_field >= side
    json.dumps(s.to_dict())


def test_googlenet_table_comparison_shows_printed_beside_computed():
    spec = get_arch("googlenet")
    rows = {c.quantity: c for c in compare_table(summarize(spec.build(spec.default_input, 1000)), spec)}
    assert rows["inception_3a weights"].configured == 163_328  # Table 1: 159K (K = 1024)
    assert abs(rows["inception_3a weights"].relative_difference) < 0.01
    assert rows["inception_4c weights"].relative_difference > 0.07  # the printed figure is off
    assert rows["inception_5b MACs"].reference == 71_000_000
    assert compare_table(summarize(spec.build((64, 64, 3), 10)), spec) == []  # not the table's input
