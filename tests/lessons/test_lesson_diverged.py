"""A run whose loss becomes NaN is an outcome a lesson compares (a learning rate too high), not a failure."""

import pytest

from netlab.lessons.runner import LessonRunner
from netlab.lessons.spec import parse_lesson

LESSON = {
    "title": "t", "question": "q", "reference": "r",
    "base": {"model": {"arch": "simple_cnn"}, "regularization": {"norm": "none", "dropout": 0.0},
             "data": {"dataset": "digits", "max_samples": 64, "image_size": 16},
             "training": {"epochs": 1, "batch_size": 32, "optimizer": "sgd", "momentum": 0.0}},
    # A rate of 1e38 overflows float32 weights at the first step on any machine: the loss is NaN/Inf.
    "arms": {"sane": {"training.learning_rate": 0.01}, "absurd": {"training.learning_rate": 1e38}},
    "seeds": 1,
    "claim": [{"left": "absurd.diverged", "op": ">", "right": "sane.diverged"}],
}


@pytest.mark.slow
def test_a_diverged_run_is_counted_and_measured_and_the_lesson_goes_on(tmp_path):
    result = LessonRunner(parse_lesson("diverges", LESSON), tmp_path, "tiny").run()
    assert result["complete"] and result["held"] is True
    absurd, sane = result["arms"]["absurd"]["mean"], result["arms"]["sane"]["mean"]
    assert (absurd["diverged"], sane["diverged"]) == (1.0, 0.0)
    assert 0.0 <= absurd["train_accuracy"] <= 1.0  # measured as the trainer left it, not skipped
