"""A lesson that judges every arm at its own convergence (issue 12): the same maximum of
epochs and the same early-stopping patience for all arms, each measured at its best epoch."""

import json
from importlib import resources

import pytest

from netlab.base.errors import ConfigError
from netlab.lessons.experiments import CONVERGENCE_METRICS, ExperimentRunner, load_lesson, parse_lesson
from netlab.runs.folder import read_history


def raw_lesson(name: str = "dropout") -> dict:
    return json.loads(resources.files("netlab.resources").joinpath(f"experiments/{name}.json").read_text())


@pytest.mark.parametrize("name", ["dropout", "augmentation", "gap_head"])
def test_the_lessons_comparing_regularizers_or_heads_train_every_arm_by_one_convergence_rule(name):
    spec = load_lesson(name)
    rule = spec.convergence
    assert rule["max_epochs"] >= 3 and rule["patience"] >= 1 and rule["rule"]
    assert str(rule["max_epochs"]) in spec.question  # the paragraph states the rule the JSON applies
    assert set(CONVERGENCE_METRICS) <= set(spec.metrics)
    for arm in spec.arms:
        t = spec.config(arm, "quick", seed=0).training
        assert (t.epochs, t.early_stopping, t.patience, t.restore_best) == \
            (rule["max_epochs"], True, rule["patience"], True)
        assert spec.config(arm, "tiny", seed=0).training.epochs == 1  # the suite checks the machinery


def test_an_arm_that_changes_the_stopping_rule_is_refused_in_one_line():
    raw = raw_lesson()
    raw["arms"]["dropout"]["training.epochs"] = 300
    with pytest.raises(ConfigError, match="arm dropout sets training.epochs"):
        parse_lesson("unfair", raw)


@pytest.mark.parametrize("convergence", [{"max_epochs": 0, "patience": 3}, {"max_epochs": 10, "patience": "5"},
                                         {"max_epochs": 10, "patience": 3, "epochs": 4}, [10, 3]])
def test_a_malformed_convergence_rule_is_refused(convergence):
    raw = raw_lesson()
    raw["convergence"] = convergence
    with pytest.raises(ConfigError, match="convergence"):
        parse_lesson("broken", raw)


def test_a_lesson_without_the_rule_trains_its_fixed_epochs_without_early_stopping():
    spec = load_lesson("bn_momentum")
    assert spec.convergence is None and not set(CONVERGENCE_METRICS) & set(spec.metrics)
    assert spec.config(next(iter(spec.arms)), "quick", seed=0).training.early_stopping is False


@pytest.mark.slow
def test_each_arm_is_measured_at_its_best_epoch_and_its_stop_epoch_is_reported(tmp_path):
    raw = raw_lesson()
    # A rate high enough that validation loss soon stops improving: patience 1 ends the runs early.
    raw["convergence"] = {"max_epochs": 6, "patience": 1, "rule": "a test"}
    raw["budgets"]["tiny"]["training.learning_rate"] = 0.01
    del raw["budgets"]["tiny"]["training.epochs"]  # the tiny budget's 1 epoch would end every run
    spec = parse_lesson("dropout", raw)
    result = ExperimentRunner(spec, tmp_path, "tiny").run()
    for arm, summary in result["arms"].items():
        metrics = summary["runs"][0]["metrics"]
        history = read_history(tmp_path / arm / "seed-0")
        best, stop = int(metrics["best_epoch"]), int(metrics["stop_epoch"])
        assert stop == len(history) and 1 <= best <= stop <= 6
        assert stop == 6 or stop - best == 1  # stopped by patience, or ran to the maximum
        val_losses = [row["val_loss"] for row in history]
        assert val_losses[best - 1] == pytest.approx(min(val_losses))
        # The losses (and the restored model's accuracies) are the best epoch's, not the last one's.
        assert metrics["val_loss"] == pytest.approx(val_losses[best - 1])
        assert metrics["steps"] == stop * 2  # 51 training images (64 less 20%) in batches of 32
    assert "best epoch" in result["verdict"] and "stopped at" in result["verdict"]
