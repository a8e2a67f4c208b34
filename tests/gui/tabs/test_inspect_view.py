"""The Inspect tab on real tiny Keras models (32x32), real Qt offscreen."""

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from gui.state import CurrentModel
from tests.helpers.qt import drop_file, wait_for_workers

SIDE = 32
TIMEOUT = 60_000


def _sequential():
    import keras
    from keras import layers

    keras.utils.set_random_seed(1)
    return keras.Sequential([
        keras.Input((SIDE, SIDE, 3)),
        layers.Conv2D(6, 3, padding="same", activation="relu", name="conv1"),
        layers.MaxPooling2D(name="pool1"),
        layers.Conv2D(12, 3, padding="same", activation="relu", name="conv2"),
        layers.GlobalAveragePooling2D(name="gap"),
        layers.Dense(3, activation="softmax", name="predictions"),
    ], name="seq")


def _body(inp, width=8):
    """A branch-and-concat then a residual add: inception's and ResNet's shapes."""
    from keras import layers

    x = layers.Conv2D(width, 3, padding="same", activation="relu", name="stem_conv")(inp)
    a = layers.Conv2D(width // 2, 1, name="branch_1x1")(x)
    b = layers.Conv2D(width // 2, 3, padding="same", name="branch_3x3")(x)
    x = layers.Add(name="residual_add")([x, layers.Concatenate(name="concat")([a, b])])
    return layers.ReLU(name="out_relu")(x)


def _functional():
    import keras
    from keras import layers

    keras.utils.set_random_seed(2)
    inp = keras.Input((SIDE, SIDE, 3))
    out = layers.Dense(3, activation="softmax", name="predictions")(
        layers.GlobalAveragePooling2D(name="gap")(_body(inp)))
    return keras.Model(inp, out, name="functional")


def _nested():
    """A backbone as one layer of the model, as fine-tuning builds it."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(3)
    bb_in = keras.Input((SIDE, SIDE, 3))
    backbone = keras.Model(bb_in, _body(bb_in), name="backbone")
    inp = keras.Input((SIDE, SIDE, 3))
    x = layers.GlobalAveragePooling2D(name="gap")(backbone(inp, training=False))
    return keras.Model(inp, layers.Dense(3, activation="softmax", name="predictions")(x), name="nested")


@pytest.fixture
def picture(tmp_path):
    rng = np.random.default_rng(0)
    pixels = (rng.uniform(0, 1, (SIDE, SIDE, 3)) * 255).astype(np.uint8)
    pixels[8:24, 8:24] = 255  # a bright square: some channels respond, others do not
    path = tmp_path / "square.png"
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def view(qtbot):
    from gui.tabs.inspect_view import InspectView
    from gui.workers import wait_for_jobs

    widget = InspectView()
    widget.resize(900, 600)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    wait_for_jobs(TIMEOUT)


def _open(view, qtbot, model, image=None):
    view.set_model(CurrentModel.of(model, ["circle", "square", "cross"], "test model"))
    qtbot.waitUntil(lambda: view.structure is not None, timeout=TIMEOUT)
    if image is not None:
        with qtbot.waitSignal(view.maps_ready, timeout=TIMEOUT):
            view.show_image(image)


def _grid_shape(view, channels, tile):
    from netlab.inspect.render import grid_columns

    columns = grid_columns(channels)
    rows = -(-channels // columns)
    return rows * (tile[0] + 1) + 1, columns * (tile[1] + 1) + 1


@pytest.mark.parametrize("build, layers", [
    (_sequential, ["conv1", "pool1", "conv2", "gap", "predictions"]),
    (_functional, ["stem_conv", "branch_3x3", "concat", "residual_add", "out_relu"]),
])
def test_a_tile_per_channel_and_switching_layers_reads_the_cache(view, qtbot, picture, build, layers):
    from netlab.inspect.layers import flat_graph

    model = build()
    _open(view, qtbot, model, str(picture))
    maps = view.maps
    passes = flat_graph(model).models.copy()
    assert view.layer == layers[0]  # the first convolution by default
    for name in layers:
        view.select_layer(name)
        output = model.get_layer(name).output
        channels = output.shape[-1]
        assert view.layer == name and len(view.grid.order) == channels
        tile = tuple(output.shape[1:3]) if len(output.shape) == 4 else (1, 1)
        assert view.maps_panel.images[1].shape[:2] == _grid_shape(view, channels, tile)
    # Every layer was drawn from the one pass: no new pass, no new multi-output model.
    assert view.maps is maps and view.forward_passes == 1
    assert flat_graph(model).models == passes
    # Up/Down in the tree step through the layers.
    names = view.layer_names()
    view.select_layer(names[0])
    view.tree.setFocus()
    qtbot.keyClick(view.tree, Qt.Key_Down)
    assert view.layer == names[1]
    qtbot.keyClick(view.tree, Qt.Key_Up)
    assert view.layer == names[0] and view.forward_passes == 1


def test_channels_sort_by_mean_activation(view, qtbot, picture):
    from netlab.inspect.layers import channel_order

    model = _sequential()
    _open(view, qtbot, model, picture)
    view.select_layer("conv2")
    assert list(view.grid.order) == list(range(12))
    before = view.maps_panel.images[1].copy()
    view.sort.setCurrentIndex(1)
    expected = channel_order(view.maps.outputs["conv2"], by="mean")
    assert list(view.grid.order) == list(expected) != list(range(12))
    assert not np.array_equal(view.maps_panel.images[1], before)
    # Hovering the first tile names the most active channel.
    view._hovered(1, 1.5, 1.5)
    top = view.maps.outputs["conv2"][..., expected[0]]
    assert view.hover.text() == f"channel {expected[0]}: mean {top.mean():.3g}, max {top.max():.3g}"


def test_nested_backbone_opens_in_the_tree_and_its_layers_render(view, qtbot, picture):
    model = _nested()
    pixels = np.asarray(Image.open(picture))  # as the evaluation gallery hands images over
    _open(view, qtbot, model, pixels)
    np.testing.assert_array_equal(view.maps.input, pixels.astype(np.float32))
    root = view.tree_model.invisibleRootItem()
    tops = [root.child(i).text() for i in range(root.rowCount())]
    backbone = root.child(tops.index("backbone"))
    inner = [backbone.child(i).text() for i in range(backbone.rowCount())]
    assert inner == ["stem_conv", "branch_1x1", "branch_3x3", "concat", "residual_add", "out_relu"]
    view.select_layer("backbone/branch_3x3")
    assert view.layer == "backbone/branch_3x3" and len(view.grid.order) == 4
    assert view.maps.outputs["backbone/branch_3x3"].shape == (SIDE, SIDE, 4)
    assert view.maps_panel.images[1].shape[:2] == _grid_shape(view, 4, (SIDE, SIDE))
    assert view.forward_passes == 1


@pytest.mark.parametrize("build", [_sequential, _nested])
def test_gradcam_overlay_has_the_input_size_for_the_chosen_class(view, qtbot, picture, build):
    model = build()
    _open(view, qtbot, model, Image.open(picture))
    with qtbot.waitSignal(view.cam_ready, timeout=TIMEOUT):
        view.tabs.setCurrentIndex(2)
    cam = view.cam
    assert cam.overlay.shape == (SIDE, SIDE, 3) and cam.heatmap.shape == (SIDE, SIDE)
    assert cam.class_index == view.maps.predicted
    assert view.cam_panel.images[1].shape == (SIDE, SIDE, 3)
    other = (cam.class_index + 1) % 3
    with qtbot.waitSignal(view.cam_ready, timeout=TIMEOUT):
        view.cam_class.setCurrentIndex(other + 1)  # after "predicted class"
    assert view.cam.class_index == other
    assert view.cam_text.text().startswith(["circle", "square", "cross"][other])
    assert cam.layer == view.structure.spatial[-1] != view.layer  # the core's default
    with qtbot.waitSignal(view.cam_ready, timeout=TIMEOUT):
        view.cam_layer.setCurrentIndex(1)  # the layer selected in the tree
    assert view.cam.layer == view.layer and view.cam.overlay.shape == (SIDE, SIDE, 3)


def test_filters_first_convolution_as_rgb_tiles_then_per_input_channel(view, qtbot):
    model = _sequential()
    _open(view, qtbot, model)  # no image needed
    with qtbot.waitSignal(view.kernels_ready, timeout=TIMEOUT):
        view.tabs.setCurrentIndex(1)
    # conv1: 6 kernels 3x3 in a 3-column grid, RGB.
    assert view.kernels_panel.images[0].shape == (2 * 4 + 1, 3 * 4 + 1, 3)
    assert "RGB" in view.kernels_text.text()
    with qtbot.waitSignal(view.kernels_ready, timeout=TIMEOUT):
        view.select_layer("conv2")
    # conv2: 12 kernels over 6 input channels: a row per kernel, a column per channel.
    assert view.kernels_panel.images[0].shape == (12 * 4 + 1, 6 * 4 + 1)
    assert "6 input channels" in view.kernels_text.text()


def test_a_dropped_file_that_is_not_an_image_is_one_message(view, qtbot, tmp_path):
    _open(view, qtbot, _sequential())
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with qtbot.waitSignal(view.failed, timeout=TIMEOUT) as failed:
        drop_file(view, text)
    assert "not an image" in failed.args[0] and view.message.text() == failed.args[0]
    assert view.maps is None and view.source is None
    with qtbot.waitSignal(view.kernels_ready, timeout=TIMEOUT):  # the rest of the tab still works
        view.tabs.setCurrentIndex(1)


def test_the_window_follows_the_classify_tab_and_closing_mid_pass_is_clean(window, qtbot, picture):
    inspect = window.inspect
    window.tabs.setCurrentWidget(inspect)
    window.current.set(_functional(), ["circle", "square", "cross"], "test model")
    qtbot.waitUntil(lambda: inspect.structure is not None, timeout=TIMEOUT)
    with qtbot.waitSignal(inspect.maps_ready, timeout=TIMEOUT):
        window.classify.classify_image(str(picture))  # the classified image is inspected too
    assert inspect.maps.source.path == str(picture)
    # A click in the Evaluate tab's gallery (a PIL image) opens the image here.
    window.tabs.setCurrentWidget(window.evaluation)
    clicked = Image.open(picture).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    with qtbot.waitSignal(inspect.maps_ready, timeout=TIMEOUT):
        window.evaluation.open_image.emit(clicked)
    assert window.tabs.currentWidget() is inspect
    np.testing.assert_array_equal(inspect.maps.input, np.asarray(clicked, np.float32))
    assert inspect.forward_passes == 2
    window.current.set(_nested(), None, "another model")
    qtbot.waitUntil(lambda: inspect.structure is not None, timeout=TIMEOUT)
    maps_jobs = inspect._jobs["maps"]
    qtbot.waitUntil(lambda: maps_jobs.running is not None, timeout=TIMEOUT)
    window.close()
    wait_for_workers(qtbot, TIMEOUT)  # the jobs ended and what they emitted was delivered
    assert maps_jobs.aborted in ([True], [False])  # the pass was aborted, its result dropped
    assert inspect.maps is None and not window.isVisible()


def test_a_double_clicked_summary_row_opens_that_layer_of_the_current_model(window, qtbot, trained_run):
    run, _ = trained_run  # simple_cnn on digits, the window's default configuration
    summary = window.summary
    qtbot.waitUntil(lambda: summary.table.rowCount() > 0, timeout=TIMEOUT)
    names = [summary.table.item(row, 0).text().strip() for row in range(summary.table.rowCount())]
    row = names.index("block2_conv1_conv")
    summary.table.cellDoubleClicked.emit(row, 0)  # no model yet: said, nothing else changes
    assert "No model to look inside yet" in window.status.text()
    assert window.tabs.currentWidget() is not window.inspect
    with qtbot.waitSignal(window.model_changed, timeout=TIMEOUT):
        window.classify.open_model(str(run / "model.keras"))
    summary.table.cellDoubleClicked.emit(row, 0)
    assert window.tabs.currentWidget() is window.inspect
    qtbot.waitUntil(lambda: window.inspect.layer == "block2_conv1_conv", timeout=TIMEOUT)
