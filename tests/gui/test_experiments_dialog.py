"""The Experiments window (issue 12): a lesson's question, its arms run in the worker, the verdict."""

import json

import pytest


@pytest.fixture
def dialog(qtbot, tmp_path):
    from gui.views.experiments import ExperimentsDialog

    dlg = ExperimentsDialog(tmp_path)
    qtbot.addWidget(dlg)
    dlg.show()
    yield dlg
    if dlg.thread is not None:
        dlg.thread.request_stop()
        dlg.thread.wait(60_000)


def test_picking_a_lesson_shows_its_question_seed_and_claim(dialog):
    from netlab.training.experiments import load_lesson

    dialog.lesson.setCurrentText("residual")
    spec = load_lesson("residual")
    assert dialog.question.text() == spec.question
    assert spec.seed in dialog.seed.text()
    assert all(arm in dialog.arms.text() for arm in spec.arms)


def test_the_menu_opens_the_experiments_window(window):
    menu = next(a.menu() for a in window.menuBar().actions() if "xperiments" in a.text())
    menu.actions()[0].trigger()
    assert window.experiments.isVisible() and window.experiments.lesson.count() >= 4
    window.experiments.close()


@pytest.mark.slow
def test_running_a_lesson_overlays_the_arms_and_shows_the_verdict(dialog, qtbot, tmp_path):
    dialog.lesson.setCurrentText("dropout")
    dialog.budget.setCurrentText("tiny")
    with qtbot.waitSignal(dialog.finished_experiment, timeout=240_000) as blocker:
        dialog.run_button.click()
    result = blocker.args[0]
    assert result is not None and result["complete"]
    assert {key[0] for key in dialog.curves} == {"no_dropout", "dropout"}
    assert dialog.progress.value() == dialog.progress.maximum()
    assert dialog.verdict.text().startswith(result["verdict"])
    folder = next((tmp_path / "experiments").iterdir())
    assert json.loads((folder / "result.json").read_text())["held"] == result["held"]
    qtbot.waitUntil(lambda: dialog.thread is None, timeout=10_000)
    assert dialog.run_button.isEnabled()


def test_only_a_sweep_lesson_shows_the_accuracy_vs_n_plot(dialog):
    dialog.lesson.setCurrentText("finetune-vs-scratch")
    assert dialog.sweep_plot.widget.isVisible()
    assert "frozen_base or full_finetune > scratch + 0.05" in dialog.arms.text()
    dialog.lesson.setCurrentText("dropout")
    assert not dialog.sweep_plot.widget.isVisible()


@pytest.mark.slow
def test_the_accuracy_vs_n_plot_gets_each_run_then_the_result(dialog, finetune_lesson):
    """The real events of the lesson's tiny run, in their order, then its result."""
    from netlab.training.experiments import ArmFinished

    result, events, _ = finetune_lesson
    sweep = result["sweep"]
    dialog.lesson.setCurrentText("finetune-vs-scratch")
    finished = [e for e in events if isinstance(e, ArmFinished) and e.value is not None]
    for event in events:
        dialog._on_event(event)
        if event is finished[0]:  # the first run is on the plot as soon as it ends
            xs, ys = dialog.sweep_plot.points(event.arm)
            assert (xs, ys) == ([float(event.value)], [event.metrics[sweep["metric"]]])
    for arm in sweep["curves"]:
        xs, ys = dialog.sweep_plot.points(arm)
        assert xs == [float(v) for v in sweep["values"]]
        assert ys == pytest.approx(sweep["curves"][arm][sweep["metric"]]["mean"])
    # Pretraining drew a curve too, outside the arms.
    assert {key[0] for key in dialog.curves} == {"pretrain", *sweep["curves"]}
    dialog._on_result(result)
    for arm in sweep["curves"]:
        for metric in (sweep["metric"], sweep["default_metric"]):
            xs, ys = dialog.sweep_plot.points(arm, metric)
            assert xs == [float(v) for v in sweep["values"]]
            assert ys == pytest.approx(sweep["curves"][arm][metric]["mean"])
    assert len(dialog.sweep_plot.bars) == len(sweep["curves"])
    assert dialog.verdict.text().startswith(result["verdict"])
