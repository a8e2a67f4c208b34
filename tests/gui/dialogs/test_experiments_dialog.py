"""The Experiments window: a lesson's question, its arms run in the worker, the verdict."""

import json

import pytest


@pytest.fixture
def dialog(qtbot, tmp_path):
    from gui.dialogs.experiments import ExperimentsDialog

    dlg = ExperimentsDialog(tmp_path)
    qtbot.addWidget(dlg)
    dlg.show()
    yield dlg
    if dlg.thread is not None:
        dlg.thread.request_stop()
        dlg.thread.wait(60_000)


def test_picking_a_lesson_shows_its_question_reference_and_claim(dialog):
    from netlab.lessons.spec import load_lesson

    dialog.lesson.setCurrentText("residual")
    spec = load_lesson("residual")
    assert dialog.question.text() == spec.question
    assert spec.reference in dialog.reference.text() and "He et al. 2016" in dialog.reference.text()
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
    from netlab.lessons.runner import ArmFinished

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
    # Every run, the pretraining included, can be opened: its label names the swept value.
    assert dialog.run_choice.itemText(1) == "scratch at 1, seed 0"


@pytest.mark.slow
def test_any_arm_opens_in_the_runs_tab_during_and_after_the_experiment(window, qtbot):
    from pathlib import Path

    window.open_experiments()
    dialog = window.experiments
    dialog.lesson.setCurrentText("dropout")
    dialog.budget.setCurrentText("tiny")
    assert not dialog.open_button.isEnabled()  # nothing run yet
    dialog.run_button.click()
    # During: once the second run has begun, the first (finished) one opens in the Runs tab, selected.
    qtbot.waitUntil(lambda: dialog.run_choice.count() == 2, timeout=240_000)
    dialog.run_choice.setCurrentIndex(0)
    dialog.open_button.click()
    runs = window.runs
    assert window.tabs.currentWidget() is runs
    chosen = runs.selected_run()
    assert chosen.name == "no_dropout/seed-0" and chosen.path == Path(dialog.run_choice.itemData(0))
    assert chosen.epochs_done == 1 and runs.folder == Path(dialog.out_dir)
    # After: the other arm, both runs ticked and overlaid.
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=240_000)
    dialog.run_choice.setCurrentIndex(1)
    dialog.open_button.click()
    assert runs.selected_run().name == "dropout/seed-0"
    assert set(runs.ticked_names()) == set(runs.curves) == {"no_dropout/seed-0", "dropout/seed-0"}
    assert runs.selected_run().final("val_accuracy") == pytest.approx(
        dialog.result["arms"]["dropout"]["runs"][0]["metrics"]["val_accuracy"], abs=1e-4)
    runs.all_button.click()  # back to the runs root, where experiments' runs are not listed
    assert runs.folder is None and not runs.all_button.isVisible()
    assert all("/" not in run.name for run in runs.runs)


def test_the_runs_tab_shows_an_experiments_runs_and_goes_back(qtbot, tmp_path):
    from gui.tabs.runs import RunsView
    from netlab.config import Experiment
    from netlab.runs.folder import RunWriter

    def run(path, accuracies):
        writer = RunWriter(path)
        writer.write_config(Experiment())
        for epoch, acc in enumerate(accuracies):
            writer.add_epoch(epoch, {"loss": 1.0 - acc, "val_accuracy": acc})

    run(tmp_path / "runs" / "20260101-000000-simple_cnn-digits", [0.5])
    lesson = tmp_path / "runs" / "experiments" / "20260102-000000-lesson-dropout"
    run(lesson / "no_dropout" / "seed-0", [0.6, 0.7])
    run(lesson / "dropout" / "seed-0", [0.5, 0.8])
    (lesson / "dropout" / "seed-1").mkdir()  # begun: its trainer has written nothing yet
    view = RunsView(tmp_path / "runs")
    qtbot.addWidget(view)
    assert [r.name for r in view.runs] == ["20260101-000000-simple_cnn-digits"]
    assert view.show_runs(lesson, select=lesson / "dropout" / "seed-0")
    assert view.selected_run().name == "dropout/seed-0" and view.all_button.isVisibleTo(view)
    assert set(view.ticked_names()) == set(view.curves) == {"dropout/seed-0", "no_dropout/seed-0"}
    assert list(view.curves["dropout/seed-0"].getData()[1]) == [0.5, 0.8]
    assert not view.show_runs(lesson, select=lesson / "dropout" / "seed-1")
    assert view.selected_run() is None and str(lesson) in view.location.text()
    view.all_button.click()
    assert view.folder is None and not view.all_button.isVisibleTo(view)
    assert [r.name for r in view.runs] == ["20260101-000000-simple_cnn-digits"]


@pytest.mark.slow
def test_closing_while_a_lesson_runs_stops_it_then_closes_without_waiting_in_the_gui(dialog, qtbot):
    dialog.lesson.setCurrentText("dropout")
    dialog.budget.setCurrentText("tiny")
    results = []
    dialog.finished_experiment.connect(results.append)
    dialog.run_button.click()
    qtbot.waitUntil(lambda: dialog.run_choice.count() > 0, timeout=120_000)  # the first arm has begun
    dialog.close()
    assert dialog.isVisible() and dialog.thread is not None  # the close returned at once: it stops after its batch
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=120_000)
    assert dialog.thread is None  # its slot for the thread's end is what closed it
    assert results and results[0]["complete"] is False  # stopped: no verdict


@pytest.mark.slow
def test_a_stopped_lesson_continues_with_its_finished_run_kept_and_drawn(dialog, qtbot):
    dialog.lesson.setCurrentText("bn_momentum")
    dialog.budget.setCurrentText("tiny")
    assert not dialog.continue_button.isEnabled()
    dialog.run_button.click()
    qtbot.waitUntil(lambda: dialog.run_choice.count() == 2, timeout=120_000)  # the first run has finished
    with qtbot.waitSignal(dialog.finished_experiment, timeout=120_000) as stopped:
        dialog.stop_button.click()
    assert stopped.args[0]["complete"] is False
    qtbot.waitUntil(lambda: dialog.thread is None, timeout=10_000)
    assert dialog.continue_button.isEnabled() and "Continue" in dialog.status.text()
    folder = dialog.out_dir
    dialog.lesson.setCurrentText("dropout")  # another lesson chosen meanwhile: Continue goes on with the stopped one
    assert dialog.status.text() == "bn_momentum was stopped: Continue goes on with it."
    assert dialog.run_choice.count() == 0 and dialog.curves == {}  # its results are not shown under dropout
    with qtbot.waitSignal(dialog.finished_experiment, timeout=120_000) as finished:
        dialog.continue_button.click()
    result = finished.args[0]
    assert result["complete"] and result["name"] == "bn_momentum" and dialog.out_dir == folder
    assert dialog.lesson.currentText() == "bn_momentum" and not dialog.continue_button.isEnabled()
    first = result["arms"]["momentum_099"]["runs"][0]["metrics"]
    assert first == stopped.args[0]["arms"]["momentum_099"]["runs"][0]["metrics"]  # kept, not retrained
    curve = dialog.points[("momentum_099", 0, None)]  # drawn from the kept run's history.csv
    assert curve and curve[-1] == pytest.approx(first["val_accuracy"], abs=0.05)
    assert {key[0] for key in dialog.curves} == {"momentum_099", "momentum_09"}


def _longest_verdict_result(out_dir):
    """The initialization lesson's result as its tiny budget gives it (no arm beyond chance): the longest
    verdict of the lessons, an inconclusive note, four comparisons and five arms' lines, made by the
    core's own result code from one run's metrics per arm."""
    from netlab.lessons.runner import LessonRunner
    from netlab.lessons.spec import load_lesson

    spec = load_lesson("initialization")
    metrics = {"train_accuracy": 0.118, "val_accuracy": 0.077, "gap": 0.041, "loss": 2.303, "val_loss": 2.303,
               "act_std_first": 0.09, "act_std_last": 0.04, "act_std_ratio": 0.4, "classes": 10, "val_images": 13}
    runs = {arm: [{"seed": 0, "run_dir": str(out_dir / arm / "seed-0"), "metrics": metrics}] for arm in spec.arms}
    result = LessonRunner(spec, out_dir, "tiny")._result(runs, {arm: arm for arm in spec.arms}, [0])
    assert result["verdict"].startswith("Inconclusive: no arm learned beyond guessing") and len(result["verdict"]) > 500
    return result


def _show_result(dialog, result, out_dir):
    """The lesson's run as the window gets it: each arm's run begins, draws its curve, then the result."""
    from netlab.lessons.runner import ArmStarted, LessonStarted
    from netlab.training.events import EpochEnd

    dialog.lesson.setCurrentText(result["name"])
    dialog.shown_lesson = result["name"]  # what start() says when the lesson's thread begins
    arms = list(result["arms"])
    dialog._on_event(LessonStarted(result["name"], "tiny", arms, [0], str(out_dir), [], len(arms)))
    for i, arm in enumerate(arms):
        dialog._on_event(ArmStarted(arm, 0, i, len(arms), str(out_dir / arm / "seed-0")))
        dialog._on_event(EpochEnd(epoch=0, epochs=1, metrics={"val_accuracy": 0.077}))
    dialog._on_result(result)


@pytest.mark.parametrize("font_scale", [1.0, 1.4])
def test_a_long_verdict_leaves_the_plot_its_height_at_the_default_size(dialog, qtbot, tmp_path, font_scale):
    """At 900x640 the initialization lesson's verdict squeezed the accuracy plot to a 50 px strip
    (its axis title clipped, its ticks on top of each other): 190 px here at the default font, 68 px
    with an empty drawing area at a font 1.4 times as large."""
    from gui.dialogs.experiments import PLOT_MIN_HEIGHT

    font = dialog.font()
    font.setPointSizeF(font.pointSizeF() * font_scale)
    dialog.setFont(font)
    result = _longest_verdict_result(tmp_path / "lesson")
    _show_result(dialog, result, tmp_path / "lesson")
    assert dialog.size().width() == 900 and dialog.size().height() == 640
    verdict = dialog.verdict
    # Laid out again with the verdict: the label as tall as its text at its width.
    qtbot.waitUntil(lambda: verdict.isVisible() and verdict.height() >= verdict.heightForWidth(verdict.width()) > 100)
    assert dialog.plot.height() >= PLOT_MIN_HEIGHT >= 200
    # The plot's own drawing area, inside its axes, is still a plot.
    assert dialog.plot.getPlotItem().getViewBox().sceneBoundingRect().height() >= 140
    # The verdict and the question are whole in their panes, which scroll.
    assert dialog.verdict.text().startswith(result["verdict"])
    assert dialog.verdict_pane.verticalScrollBar().maximum() > 0
    assert dialog.lesson_pane.widget().height() > dialog.lesson_pane.viewport().height()
    # Everything still fits in the window: nothing is pushed below its bottom edge.
    bottom = dialog.open_button.mapTo(dialog, dialog.open_button.rect().bottomLeft()).y()
    assert bottom < dialog.height()


def test_another_lesson_clears_the_results_of_the_one_shown(dialog, tmp_path):
    """Choosing another lesson showed its question above the previous lesson's verdict and runs."""
    result = _longest_verdict_result(tmp_path / "lesson")
    _show_result(dialog, result, tmp_path / "lesson")
    assert dialog.run_choice.count() == 5 and dialog.curves and dialog.open_button.isEnabled()
    dialog.lesson.setCurrentText("initialization")  # the same lesson chosen again keeps its results
    assert dialog.verdict.text().startswith(result["verdict"]) and dialog.run_choice.count() == 5
    dialog.lesson.setCurrentText("dropout")
    assert dialog.verdict.text() == "" and not dialog.verdict_pane.isVisibleTo(dialog)
    assert dialog.run_choice.count() == 0 and not dialog.open_button.isEnabled()
    assert dialog.curves == {} and dialog.plot.getPlotItem().listDataItems() == []
    assert dialog.result is None and dialog.progress.value() == 0 and dialog.status.text() == ""
    dialog.lesson.setCurrentText("initialization")  # cleared: going back does not bring them back
    assert dialog.verdict.text() == "" and dialog.run_choice.count() == 0


def test_the_arithmetic_lesson_shows_its_numbers_without_curves(dialog, qtbot):
    """Nothing trains: no curves, the comparisons named, Run gives the counted numbers."""
    dialog.lesson.setCurrentText("arithmetic")
    assert "A 1x1 reduction before a 5x5 convolution" in dialog.arms.text()
    with qtbot.waitSignal(dialog.finished_experiment, timeout=60_000) as blocker:
        dialog.run_button.click()
    assert blocker.args[0]["held"] is not None
    assert "direct: 112.9M multiply-adds" in dialog.verdict.text() and not dialog.curves
