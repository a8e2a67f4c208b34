"""The architecture panel's knobs and the summary view, driven through the real window."""

from PySide6.QtCore import QTimer

from gui.tabs.summary import PAPER_INPUT


def test_knobs_show_only_where_they_apply(window):
    panel = window.panel.model_form
    form = panel.reg_form
    panel.norm.setCurrentText("group")
    assert form.isRowVisible(panel.groups) and not form.isRowVisible(panel.bn_momentum)
    panel.norm.setCurrentText("batch")
    assert form.isRowVisible(panel.bn_momentum) and not form.isRowVisible(panel.groups)
    panel.norm.setCurrentText("none")
    assert not form.isRowVisible(panel.bn_epsilon)
    panel.arch.setCurrentText("vgg16")  # VGG's own normalization is none
    panel.norm.setCurrentText("default")
    assert not form.isRowVisible(panel.bn_momentum)
    panel.activation.setCurrentText("relu")
    assert not form.isRowVisible(panel.activation_alpha)
    panel.activation.setCurrentText("elu")
    assert form.isRowVisible(panel.activation_alpha)


def test_family_options_follow_the_architecture(window):
    panel, form = window.panel, window.panel.model_form
    form.arch.setCurrentText("resnet18")
    assert set(form.option_widgets) == {"plain", "stem", "width"}
    form.option_widgets["plain"].setChecked(True)
    assert panel.experiment().model.options == {"plain": True}
    form.arch.setCurrentText("densenet121")
    assert {"growth_rate", "bottleneck", "compression", "stem"} <= set(form.option_widgets)
    assert panel.experiment().model.options == {}  # paper defaults are not repeated
    form.option_widgets["growth_rate"].setValue(12)
    assert panel.experiment().model.options == {"growth_rate": 12}
    form.arch.setCurrentText("simple_cnn")
    assert form.option_widgets == {} and not form.options_box.isVisibleTo(panel)


def test_every_knob_reaches_the_experiment(window):
    panel, form = window.panel, window.panel.model_form
    form.arch.setCurrentText("resnet18")
    form.head.setCurrentText("fc")
    form.pooling.setCurrentText("avg")
    form.spatial_dropout.setValue(0.1)
    form.norm.setCurrentText("group")
    form.groups.setValue(4)
    form.activation.setCurrentText("leaky_relu")
    form.activation_alpha.setValue(0.2)
    form.initializer.setCurrentText("small_gaussian")
    form.l1.setValue(1e-5)
    form.l2.setValue(5e-4)
    panel.data_form.image_size.setValue(40)
    exp = panel.experiment().validate()
    m, r = exp.model, exp.regularization
    assert (m.head, m.pooling, r.spatial_dropout, r.norm, r.groups) == ("fc", "avg", 0.1, "group", 4)
    assert (r.activation, r.activation_alpha, r.initializer) == ("leaky_relu", 0.2, "small_gaussian")
    assert (r.l1, r.l2, exp.data.image_size) == (1e-5, 5e-4, 40)
    # and back: the form shows a loaded experiment
    panel.set_experiment(exp)
    assert panel.experiment() == exp


def test_summary_follows_the_knobs(window, qtbot):
    from netlab.architectures import get_arch
    from netlab.config import ModelConfig

    with qtbot.waitSignal(window.summary.updated, timeout=60_000) as shown:
        window.panel.model_form.arch.setCurrentText("resnet18")
    params, macs, input_shape = shown.args[0]
    assert input_shape == (32, 32, 1)
    model = get_arch("resnet18").build((32, 32, 1), 10)
    assert params == sum(int(w.numpy().size) for w in model.trainable_weights)
    assert "trainable parameters" in window.size_label.text()
    with qtbot.waitSignal(window.summary.updated, timeout=60_000) as shown:
        window.panel.model_form.option_widgets["plain"].setChecked(True)
    plain = get_arch("resnet18").build((32, 32, 1), 10, model_config=ModelConfig("resnet18", options={"plain": True}))
    assert shown.args[0][0] == sum(int(w.numpy().size) for w in plain.trainable_weights) < params
    assert window.summary.table.rowCount() == len(plain.layers)


def test_big_model_summary_does_not_block_the_window(window, qtbot):
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    window.panel.model_form.arch.setCurrentText("vgg16")
    with qtbot.waitSignal(window.summary.updated, timeout=120_000) as shown:
        window.summary.input_choice.setCurrentText(PAPER_INPUT)
        # The event loop keeps turning while 138M parameters are built in a worker.
        qtbot.waitUntil(lambda: len(ticks) >= 5 and window.summary.state.text() == "computing...",
                        timeout=60_000)
    timer.stop()
    assert shown.args[0][0] == 138_357_544
    assert "trainable params | 138,357,544 | 138,357,544 | +0 (+0.00%)" in window.summary.comparison_text()


def test_googlenet_summary_shows_the_printed_table_beside_the_computed_figures(window, qtbot):
    window.summary.input_choice.setCurrentText(PAPER_INPUT)
    with qtbot.waitSignal(window.summary.updated, timeout=120_000):
        window.panel.model_form.arch.setCurrentText("googlenet")
    text = window.summary.comparison_text()
    assert "inception_3a MACs | 128,049,152 | 128,000,000" in text
    # The printed 4c params are off; the difference is shown, not hidden.
    assert "inception_4c weights | 509,440 | 474,112 | +35,328 (+7.45%)" in text
    # The paper prints no total: NetLab's count is shown as computed, with its source.
    assert "trainable params | 6,998,552 | 6,998,552 | +0 (+0.00%) | computed | NetLab's count" in text


def test_bad_configuration_shows_in_the_summary(window, qtbot):
    window.panel.model_form.arch.setCurrentText("resnet18")
    with qtbot.waitSignal(window.summary.failed, timeout=60_000) as failed:
        window.panel.data_form.image_size.setValue(8)
    assert "at least 32x32" in failed.args[0]
