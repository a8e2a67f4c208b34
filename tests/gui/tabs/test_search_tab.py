"""The Search tab: a study in the worker, its trials table, plots, and a trial's settings loaded."""

import json

import pytest

from tests.helpers import tiny_experiment


@pytest.fixture
def view(qtbot, tmp_path):
    from gui.tabs.search import SearchView

    def form_experiment():
        exp = tiny_experiment(train_eval=False, tensorboard=False)
        exp.regularization.norm = "none"
        return exp

    search_view = SearchView(form_experiment, tmp_path / "runs")
    qtbot.addWidget(search_view)
    search_view.show()
    yield search_view
    if search_view.thread is not None:
        search_view.thread.request_stop()
        search_view.thread.wait(60_000)


@pytest.mark.slow
def test_the_search_tab_runs_a_two_trial_study_and_fills_its_table(view, qtbot, tmp_path):
    from netlab.runs.catalog import list_runs

    view.trials.setValue(2)
    view.trial_epochs.setValue(1)
    view.sampler.setCurrentText("random")
    view.space.setPlainText(json.dumps({
        "training.learning_rate": {"low": 1e-3, "high": 1e-2, "log": True},
        "regularization.dropout": {"choices": [0.0, 0.25]}}))
    with qtbot.waitSignal(view.finished, timeout=300_000) as blocker, \
            qtbot.waitSignal(view.started) as started:
        view.start_button.click()
    assert started.args[0].search.trials == 2 and started.args[0].search.sampler == "random"
    assert blocker.args[0] is not None, view.error.text()
    qtbot.waitUntil(lambda: view.thread is None, timeout=10_000)
    assert view.table.rowCount() == 2 and view.continue_button.isEnabled()
    headers = [view.table.horizontalHeaderItem(j).text() for j in range(view.table.columnCount())]
    assert headers[:3] == ["trial", "state", "val accuracy"] and {"learning_rate", "dropout"} <= set(headers)
    accuracies = [float(view.table.item(i, 2).text()) for i in range(2)]
    assert accuracies == sorted(accuracies, reverse=True)
    assert {view.table.item(i, 1).text() for i in range(2)} == {"complete"}
    # The history plot holds both trials, the importance plot a bar per setting (fANOVA);
    # the trials are runs the Runs tab lists.
    assert len(view.history_points.data) == 2
    assert set(view.importances) == {"training.learning_rate", "regularization.dropout"}
    assert sorted(view.importance_bars.opts["width"]) == sorted(view.importances.values())
    assert len(list_runs(tmp_path / "runs")) == 2
    # "Load this trial's settings": the form's experiment with the selected trial's settings.
    view.table.selectRow(1)
    with qtbot.waitSignal(view.settings_chosen) as chosen:
        view.load_button.click()
    exp, row = chosen.args[0], view.rows[1]
    assert exp.training.learning_rate == row["params"]["training.learning_rate"]
    assert exp.regularization.dropout == row["params"]["regularization.dropout"]
    assert exp.training.epochs == 1  # the form's epochs, not the trial's


def test_a_bad_space_is_one_line_in_the_tab_and_nothing_starts(view):
    view.space.setPlainText('{"training.momentum": {"low": 0.5, "high": 3}}')
    view.start_button.click()
    assert view.thread is None
    assert view.error.text().startswith("search.space.training.momentum: 3.0 is refused")
    view.space.setPlainText("{not json")
    view.start_button.click()
    assert view.error.text().startswith("search.space is not valid JSON")


@pytest.mark.parametrize("text", ["[]", "1", "null", '"x"'])
def test_a_space_that_is_json_but_not_an_object_is_one_line_in_the_tab(view, text):
    # It parsed, so the tab handed it to validate(); .items() on it raised AttributeError in the
    # GUI thread and nothing was shown.
    view.space.setPlainText(text)
    view.start_button.click()
    assert view.thread is None and view.start_button.isEnabled()
    assert view.error.text().startswith("search.space must be a JSON object of settings")
    assert f"(got {json.loads(text)!r})" in view.error.text()


def test_the_window_has_a_search_tab_whose_trial_settings_reach_the_form(window):
    from netlab.search.trials import apply_params

    assert window.tabs.indexOf(window.search) >= 0 and window.tabs.tabText(window.tabs.indexOf(window.search)) == "Search"
    window.tabs.setCurrentWidget(window.search)  # shown: its fields come from the form's experiment
    assert window.search.trials.value() == window.panel.experiment().search.trials
    trial = apply_params(window.panel.experiment(), {"training.learning_rate": 0.0042,
                                                    "regularization.dropout": 0.3})
    window.search.settings_chosen.emit(trial)
    exp = window.panel.experiment()
    assert exp.training.learning_rate == pytest.approx(0.0042) and exp.regularization.dropout == pytest.approx(0.3)
    # A search started in the tab leaves its section in the form's experiment (File > Save writes it).
    exp.search.trials, exp.search.space = 5, {"training.batch_size": {"choices": [16, 32]}}
    window.search.started.emit(exp)
    assert window.panel.experiment().search.trials == 5
    assert window.panel.experiment().search.space == {"training.batch_size": {"choices": [16, 32]}}


@pytest.mark.slow
def test_closing_the_window_during_a_search_goes_at_once_and_stops_the_search(window, qtbot):
    exp = tiny_experiment(train_eval=False, tensorboard=False)
    exp.regularization.norm = "none"
    window.panel.set_experiment(exp)
    view = window.search
    view.trials.setValue(4)
    view.trial_epochs.setValue(3)
    with qtbot.waitSignal(view.started, timeout=60_000):
        view.start_button.click()
    window.close()
    assert not window.isVisible() and view.thread is not None  # the window went at once...
    assert view.thread.stop_event.is_set()  # ...having asked the search to stop
    qtbot.waitUntil(lambda: view.thread is None, timeout=120_000)
    assert "Stopped" in view.status.text()
