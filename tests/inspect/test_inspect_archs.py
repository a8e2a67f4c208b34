"""Every family of the registry through the inspection core: branches (inception
modules), residual adds, dense blocks and depthwise convolutions included."""

import numpy as np
import pytest

from netlab.inspect.batchnorm import bn_statistics
from netlab.inspect.gradcam import gradcam
from netlab.inspect.layers import feature_maps, find_layer
from tests.helpers import first_of_each_family, fresh_family_model


@pytest.mark.slow
@pytest.mark.parametrize("spec", first_of_each_family(), ids=lambda s: s.name)
def test_every_family_gives_each_layers_maps_bn_statistics_and_gradcam(spec):
    side = max(spec.min_input, 32)
    model = fresh_family_model(spec)
    x = np.random.default_rng(0).uniform(0, 255, (1, side, side, 3)).astype(np.float32)
    maps = feature_maps(model, x)
    assert len(maps) >= len(model.layers) - 1  # every layer but the input
    for name, value in maps.items():
        output = find_layer(model, name).output
        output = output[0] if isinstance(output, list) else output
        assert value.shape[1:] == tuple(output.shape[1:]), name
    for stat in bn_statistics(model, x):
        np.testing.assert_array_equal(stat.moving_mean, np.asarray(find_layer(model, stat.layer).moving_mean))
        assert stat.batch_mean.shape == stat.moving_mean.shape
    cam = gradcam(model, x[0])
    assert cam.heatmap.shape == (side, side) and np.isfinite(cam.heatmap).all()
