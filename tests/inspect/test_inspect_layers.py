import gc
import weakref

import numpy as np
import pytest

from netlab.base.errors import ConfigError
from netlab.inspect import layers as inspect_layers
from netlab.inspect.layers import channel_order, feature_maps, find_layer, layer_infos, layer_tree
from tests.helpers.inspect_models import functional, images, nested, sequential


def _keras_output_shape(layer):
    shape = layer.output.shape if not isinstance(layer.output, list) else layer.output[0].shape
    return tuple(shape[1:])


@pytest.mark.parametrize("build", [sequential, functional, nested])
def test_feature_map_shapes_equal_each_layers_output_shape(build):
    model = build()
    maps = feature_maps(model, images(2))
    infos = layer_infos(model)
    assert list(maps) == [i.name for i in infos]
    for info in infos:
        expected = _keras_output_shape(find_layer(model, info.name))
        assert maps[info.name].shape == (2, *expected), info.name
    # The last layer's map is the model's own prediction.
    np.testing.assert_allclose(maps[infos[-1].name], model(images(2), training=False), atol=1e-5)


def test_nested_backbone_layers_are_named_outer_inner_and_computed_inside():
    model = nested()
    maps = feature_maps(model, images(3), ["backbone/concat", "backbone/residual_add", "backbone"])
    assert maps["backbone/concat"].shape == (3, 16, 16, 8)
    # The backbone's output is its last layer's, and equals calling the backbone itself.
    backbone = model.get_layer("backbone")
    np.testing.assert_allclose(maps["backbone"], backbone(images(3), training=False), atol=1e-5)
    inner = backbone.get_layer("concat")
    reference = keras_sub_output(backbone, inner)(images(3), training=False)
    np.testing.assert_allclose(maps["backbone/concat"], reference, atol=1e-5)
    tree = layer_tree(model)
    node = next(n for n in tree if n.name == "backbone")
    assert node.info.nested and [c.name for c in node.children][:2] == ["backbone/stem_conv", "backbone/stem_bn"]


def keras_sub_output(model, layer):
    import keras

    return keras.Model(model.input, layer.output)


def test_the_multi_output_model_is_built_once_and_dropped_with_the_model():
    model = functional()
    feature_maps(model, images(1), ["concat"])
    graph = inspect_layers.flat_graph(model)
    built = graph.models[("outputs", ("concat",))]
    feature_maps(model, images(1), ["concat"])
    assert graph.models[("outputs", ("concat",))] is built
    assert model in inspect_layers._cache
    alive = weakref.ref(model)
    del model, graph, built
    gc.collect()
    assert alive() is None  # the cache kept no strong reference to the model


def test_unknown_layer_lists_the_available_ones():
    with pytest.raises(ConfigError, match="no layer 'nope'.*backbone/stem_conv"):
        feature_maps(nested(), images(1), ["nope"])


def test_wrong_image_shape_is_one_clear_error():
    with pytest.raises(ConfigError, match=r"takes images of shape \(16, 16, 3\)"):
        feature_maps(sequential(), np.zeros((2, 8, 8, 3)))


def test_channel_order_puts_the_most_active_channel_first():
    maps = np.zeros((4, 4, 3))
    maps[..., 0], maps[..., 1], maps[..., 2] = 1.0, 3.0, 2.0
    assert list(channel_order(maps)) == [1, 2, 0]
    assert list(channel_order(maps[None], by="max")) == [1, 2, 0]


def test_a_nested_sequential_backbone_and_head_open_too():
    import keras
    from keras import layers

    backbone = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3, name="c1"),
                                 layers.MaxPooling2D(name="pool")], name="features")
    head = keras.Sequential([keras.Input((7, 7, 4)), layers.Flatten(name="flat"),
                             layers.Dense(2, name="out")], name="head")
    inp = keras.Input((16, 16, 3))
    model = keras.Model(inp, head(backbone(inp)))
    maps = feature_maps(model, images(2))
    assert {k: v.shape[1:] for k, v in maps.items()} == {
        "features": (7, 7, 4), "features/c1": (14, 14, 4), "features/pool": (7, 7, 4),
        "head": (2,), "head/flat": (196,), "head/out": (2,)}
    np.testing.assert_allclose(maps["head/out"], model(images(2)), atol=1e-5)


def test_an_aborted_job_stops_at_an_abort_point():
    import threading

    from netlab.base.abort import JobAborted, abortable

    flag = threading.Event()
    flag.set()
    model = nested()
    with abortable(flag), pytest.raises(JobAborted):
        feature_maps(model, images(1))
    assert feature_maps(model, images(1), ["gap"])["gap"].shape == (1, 8)  # not left half-built
