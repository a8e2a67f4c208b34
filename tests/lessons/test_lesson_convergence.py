"""A lesson that judges every arm at its own convergence: the same maximum of
epochs and the same early-stopping patience for all arms, each measured at its best epoch."""

import json
from importlib import resources

import pytest

from netlab.base.errors import ConfigError
from netlab.lessons.runner import LessonRunner
from netlab.lessons.spec import CONVERGENCE_METRICS, load_lesson, parse_lesson
from netlab.runs.folder import read_history
from tests.helpers import script_val_loss


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
def test_each_arm_is_measured_at_its_best_epoch_and_its_stop_epoch_is_reported(tmp_path, monkeypatch):
    # Every run's val_loss is scripted, read by the Trainer's own callback: best at epoch 2, worse
    # at 3, so patience 1 ends each run after epoch 3 (a seeded run's own val_loss stops early
    # on one CPU and runs to the maximum on another).
    script_val_loss(monkeypatch, [2.0, 1.5, 1.7, 1.8, 1.9, 2.0])
    raw = raw_lesson()
    raw["convergence"] = {"max_epochs": 6, "patience": 1, "rule": "a test"}
    del raw["budgets"]["tiny"]["training.epochs"]  # the tiny budget's 1 epoch would end every run
    spec = parse_lesson("dropout", raw)
    result = LessonRunner(spec, tmp_path, "tiny").run()
    for arm, summary in result["arms"].items():
        metrics = summary["runs"][0]["metrics"]
        history = read_history(tmp_path / arm / "seed-0")
        assert (metrics["best_epoch"], metrics["stop_epoch"]) == (2, 3) and len(history) == 3
        # The losses and the restored model's accuracies are the best epoch's, not the last one's.
        assert metrics["val_loss"] == 1.5 and history[1]["val_loss"] == 1.5
        assert metrics["val_accuracy"] == pytest.approx(history[1]["val_accuracy"], abs=1e-6)
        assert metrics["steps"] == 3 * 2  # 51 training images (64 less 20%) in batches of 32
    assert "best epoch 2.0 (stopped at 3.0)" in result["verdict"]
