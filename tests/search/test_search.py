"""Learning-rate finder and hyperparameter search on Optuna (netlab/search/study.py)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netlab.base.errors import ConfigError
from netlab.training.lr_finder import find_lr
from tests.helpers import script_val_loss, tiny_experiment

ROOT = Path(__file__).resolve().parents[2]


def test_lr_finder_sweeps_up_and_suggests_a_rate_in_range():
    lrs, losses, suggestion = find_lr(tiny_experiment(), min_lr=1e-5, max_lr=100.0, steps=30)
    assert len(lrs) == len(losses) >= 10
    assert all(b > a for a, b in zip(lrs, lrs[1:]))
    assert lrs[0] == pytest.approx(1e-5)
    # Falls once the rate is large enough, rises again when it is too large.
    lowest = losses.index(min(losses))
    assert min(losses) < losses[0]
    assert 0 < lowest and losses[-1] > min(losses)
    assert 1e-5 <= suggestion <= 100.0 and suggestion == pytest.approx(lrs[lowest] / 10)


def test_lr_finder_refuses_a_backwards_range():
    with pytest.raises(ConfigError, match="first rate must be below its last"):
        find_lr(tiny_experiment(), min_lr=1.0, max_lr=0.1)


def search_experiment(**search):
    """The tiny experiment, no batch norm (its early moving statistics blur one epoch's val_loss),
    no per-epoch extras: a trial of one epoch takes a second or two."""
    exp = tiny_experiment(train_eval=False, tensorboard=False)
    exp.regularization.norm = "none"
    for key, value in search.items():
        setattr(exp.search, key, value)
    return exp


@pytest.mark.parametrize("space, expected", [
    ({"training.lr": {"low": 1e-4, "high": 1e-2}}, "search.space.training.lr: unknown setting 'training.lr'"),
    ({"training.momentum": {"low": 0.5, "high": 1.5}},
     r"search.space.training.momentum: 1.5 is refused: training.momentum must be in \[0.0, 1.0\)"),
    ({"training.learning_rate": {"low": 0, "high": 0.1, "log": True}}, "a log-scale range needs low > 0"),
    ({"training.learning_rate": {"low": 0.1, "high": 0.01}}, "low must be below high"),
    ({"training.batch_size": {"low": 16.5, "high": 64}}, "low must be a whole number"),
    ({"training.learning_rate": [1e-4, 1e-2]}, "search.space.training.learning_rate must be an object"),
    ({"training.learning_rate": {"low": 1e-4, "hi": 1e-2}}, "unknown key 'hi'"),
    ({"regularization.norm": {"choices": ["batch", "bogus"]}},
     "search.space.regularization.norm: 'bogus' is refused: regularization.norm must be one of"),
    ({"regularization.norm": {"low": 0, "high": 1}}, "a str setting is searched with {\"choices\""),
    ({"model.options": {"choices": [{}]}}, "model.options is not a setting a search can vary"),
    ({"training.batch_size": {"choices": [16, 24.5]}}, "batch_size: each choice must be a whole number .got 24.5"),
    ({"data.image_size": {"choices": [32, "big"]}}, "image_size: each choice must be a whole number or null"),
])
def test_a_bad_search_space_entry_is_one_clear_line(space, expected):
    exp = tiny_experiment()
    exp.search.space = space
    with pytest.raises(ConfigError, match=expected) as info:
        exp.validate()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("space", [[], 1, None, "x", [{"training.learning_rate": {"low": 1e-4, "high": 1e-2}}]])
def test_a_space_that_is_json_but_not_an_object_is_one_config_error(space):
    """What the Search tab's text can parse to: refused by validate() itself (the tab sets the space
    without the typed reading a JSON file gets), never an AttributeError from .items()."""
    exp = tiny_experiment()
    exp.search.space = space
    with pytest.raises(ConfigError, match="search.space must be a JSON object of settings") as info:
        exp.validate()
    assert f"(got {space!r}"[:20] in str(info.value) and "\n" not in str(info.value)


def test_the_cli_reads_the_space_and_refuses_a_bad_one_in_one_line(tmp_path, capsys):
    from netlab.cli.main import main

    bad = json.dumps({"training.momentum": {"low": 0.5, "high": 2}})
    assert main(["search", "--space", bad, "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "training.momentum: 2.0 is refused" in err
    assert not (tmp_path / "s").exists()  # refused before anything was written
    # The old short form still reads: a knob name and a [low, high] pair (rates on a log scale).
    from netlab.config.search_space import space_from_flag

    assert space_from_flag({"learning_rate": [1e-4, 1e-1], "regularization.dropout": {"low": 0, "high": 0.5}}) == {
        "training.learning_rate": {"low": 1e-4, "high": 1e-1, "log": True},
        "regularization.dropout": {"low": 0, "high": 0.5}}
    # A storage that cannot be opened: one line, and no empty search folder left behind.
    assert main(["search", "--storage", "nosuchdb://host/study", "--out", str(tmp_path / "s"),
                 "--max-samples", "300"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("netlab: error: cannot open the study storage nosuchdb://host/study: ")
    assert err.count("\n") == 0 and not (tmp_path / "s").exists()
    assert main(["search", "--resume", str(tmp_path), "--lr", "0.1"]) == 2
    assert "--resume continues the search with its own settings; leave out --lr" in capsys.readouterr().err


def test_grid_values_of_a_range_a_step_and_choices():
    from netlab.config.search_space import parse_dimension

    assert parse_dimension("x", {"low": 1e-4, "high": 1e-2, "log": True}, float).grid(3) == pytest.approx(
        [1e-4, 1e-3, 1e-2])
    assert parse_dimension("x", {"low": 16, "high": 64, "step": 16}, int).grid(3) == [16, 32, 48, 64]
    assert parse_dimension("x", {"choices": ["batch", "none"]}, str).grid(3) == ["batch", "none"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Fixed parameter")  # the enqueued sane rate lies outside the bad range
def test_pruning_stops_a_trial_with_a_clearly_too_large_rate(tmp_path, monkeypatch):
    from netlab.runs.catalog import list_runs
    from netlab.search.study import Search
    from netlab.search.trials import TrialFinished

    # What the pruner reads is scripted: the first trial, at a sane rate, improves from 2.3; any
    # rate from the bad range is in the thousands from its first epoch (as Adam at 0.5 once
    # trained). A real run's numbers would be a seeded trajectory, one CPU's and not another's.
    script_val_loss(monkeypatch, lambda exp, epoch: 2.3 - 0.1 * epoch if exp.training.learning_rate < 0.005
                    else 5000.0 + epoch)
    exp = search_experiment(trials=2, trial_epochs=2, prune_after_trials=1, seed=0,
                            space={"training.learning_rate": {"low": 0.01, "high": 0.02}})
    events = []
    search = Search(exp, tmp_path / "search", on_event=events.append)
    search.study.enqueue_trial({"training.learning_rate": 3e-3})
    rows = search.run()
    by_number = {r.number: r for r in rows}
    sane, bad = by_number[0], by_number[1]
    assert sane.state == "complete" and sane.epochs == 2
    assert bad.state == "pruned" and bad.epochs == 1  # stopped after its first epoch of two
    assert (sane.val_loss, bad.val_loss) == (pytest.approx(2.2), 5000.0)  # each its best epoch's: the objective
    assert [r.number for r in rows] == sorted(by_number, key=lambda n: -by_number[n].val_accuracy)
    # The run folder says pruned (not failed): its outcome, its one epoch, its settings.
    run = Path(bad.run_dir)
    trial = json.loads((run / "trial.json").read_text())
    assert trial["state"] == "pruned" and trial["params"] == bad.params
    assert len((run / "history.csv").read_text().strip().splitlines()) == 2  # header + epoch 1
    logged = [json.loads(line)["event"] for line in (run / "events.jsonl").read_text().splitlines()]
    assert "RunPruned" in logged and "RunFailed" not in logged
    assert json.loads((run / "config.json").read_text())["training"]["learning_rate"] == bad.params[
        "training.learning_rate"]
    assert [e.trial["number"] for e in events if isinstance(e, TrialFinished)] == [0, 1]
    # The Runs tab lists both trials of the search folder, the pruned one marked.
    listed = {r.name: r for r in list_runs(tmp_path)}
    assert set(listed) == {"search/trial-0000", "search/trial-0001"}
    assert listed["search/trial-0001"].trial_state == "pruned"


def _search_process(*args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "netlab", "search", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition, process, timeout=300):
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.slow
def test_a_killed_search_resumes_and_completes_its_budget(tmp_path, capsys):
    from netlab.search.study import Search

    exp = search_experiment(trials=3, trial_epochs=1, pruner="none")  # close losses: the median pruner may cut one
    exp.save(tmp_path / "exp.json")
    out = tmp_path / "search"
    process = _search_process("--config", str(tmp_path / "exp.json"), "--out", str(out))
    try:  # killed while its second trial trains: the first is complete, the second running
        _wait_for(lambda: (out / "trial-0001" / "config.json").is_file(), process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    search = Search(None, out, resume=True)
    assert [t.state.name for t in search.study.get_trials()] == ["COMPLETE", "RUNNING"]
    assert search.taken() == 1  # the killed trial does not count (--budget 2 runs one more)
    rows = search.run()
    states = {r.number: r.state for r in rows}
    assert states[1] == "interrupted"  # the killed trial: failed, not counted
    assert sorted(s for n, s in states.items() if n != 1) == ["complete"] * 3  # the budget: 3 more than the kill
    assert search.taken() == 3 and len(rows) == 4
    assert json.loads((out / "trial-0003" / "trial.json").read_text())["state"] == "complete"

    from netlab.cli.main import main
    assert main(["search", "--resume", str(out), "--budget", "3"]) == 2  # a total it has: nothing to run
    assert "has taken 3: give more than 3" in capsys.readouterr().err


@pytest.mark.slow
def test_two_processes_on_one_sqlite_study_never_run_a_trial_twice(tmp_path):
    from netlab.search.study import Search

    out = tmp_path / "search"
    search = Search(search_experiment(trials=4, trial_epochs=1, pruner="none"), out)  # created, not run
    processes = [_search_process("--resume", str(out)) for _ in range(2)]
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-2000:]
    from netlab.search.trials import OVER_BUDGET

    everything = search.study.get_trials()
    assert sorted(t.number for t in everything) == list(range(len(everything)))
    # Two processes asking at the same instant may start one trial more: it is failed untrained.
    trials = [t for t in everything if t.state.name == "COMPLETE"]
    assert len(trials) == 4 and all(OVER_BUDGET in t.user_attrs for t in everything if t not in trials)
    assert len(everything) <= 5
    # Both worked, each trial ran once: its own number, settings and run folder.
    assert {t.user_attrs["pid"] for t in trials} == {p.pid for p in processes}
    assert len({t.params["training.learning_rate"] for t in trials}) == len(trials)
    folders = {t.user_attrs["run_dir"] for t in trials}
    assert len(folders) == len(trials)
    for t in trials:
        assert json.loads((Path(t.user_attrs["run_dir"]) / "trial.json").read_text())["number"] == t.number


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Heartbeat of storage")  # the other process's ask(), outside optimize
def test_a_trial_whose_earlier_trials_took_the_budget_is_not_trained(tmp_path):
    """Two processes on one study both count before their next trial: when the other process
    takes the last slot in between, this one's trial is failed untrained, not budget + 1."""
    from netlab.search.study import Search
    from netlab.search.trials import TrialFinished, TrialStarted

    out = tmp_path / "search"
    events = []
    search = Search(search_experiment(trials=2, trial_epochs=1, pruner="none"), out, on_event=events.append)
    other = Search(None, out, resume=True)  # another process's view of the same SQLite study

    def other_takes_the_last_slot(event):
        events.append(event)
        if isinstance(event, TrialFinished) and event.trial["number"] == 0:
            other.study.ask()  # the other process starts trial 1 once this one has counted 1 of 2

    search.on_event = other_takes_the_last_slot
    rows = search.run()
    assert [e.number for e in events if isinstance(e, TrialStarted)] == [0]  # trial 2 never trained
    states = {r.number: r.state for r in rows}
    assert states == {0: "complete", 1: "running", 2: "over budget"}
    assert "budget of 2" in next(r.error for r in rows if r.number == 2)
    assert search.taken() == 2 and not (out / "trial-0002").exists()
