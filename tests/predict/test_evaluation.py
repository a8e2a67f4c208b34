"""Evaluation results: confusion matrix, precision/recall/F1, the most confident mistakes."""

import json

import numpy as np
import pytest

from netlab.cli.main import main
from netlab.predict.evaluate import evaluate_arrays, evaluation
from netlab.predict.metrics import MistakeCollector, per_class_metrics
from tests.helpers.classify import tiny_model

NAMES = ["cat", "dog", "owl"]


@pytest.fixture(scope="module")
def data():
    """50 noisy colour patches (a tiny untrained model answers them with all three classes)."""
    rng = np.random.default_rng(7)
    x = (rng.uniform(0, 204, (50, 1, 1, 3)) + rng.uniform(0, 50, (50, 16, 16, 3))).astype(np.float32)
    y = rng.integers(0, 3, 50)
    return x, y


def test_confusion_matrix_sums_to_the_samples_and_matches_a_hand_count(data):
    x, y = data
    model = tiny_model(seed=2)
    report = evaluate_arrays(model, x, y, NAMES, batch_size=16, mistakes=5)
    probabilities = np.asarray(model.predict_on_batch(x))
    predicted = probabilities.argmax(axis=1)
    hand = [[0] * 3 for _ in range(3)]
    for truth, guess in zip(y, predicted, strict=True):
        hand[truth][guess] += 1
    assert report["confusion_matrix"] == hand
    assert np.sum(report["confusion_matrix"]) == report["samples"] == 50
    assert len(set(predicted)) == 3  # the model is not one constant answer
    for i, row in enumerate(report["per_class"]):
        hits = sum(1 for t, g in zip(y, predicted, strict=True) if t == g == i)
        guessed, actual = int((predicted == i).sum()), int((y == i).sum())
        assert row["class"] == NAMES[i] and row["support"] == actual
        assert row["recall"] == pytest.approx(hits / actual)
        assert row["precision"] == (pytest.approx(hits / guessed) if guessed else None)
        assert row["recall"] == report["per_class_accuracy"][NAMES[i]]
    # The five wrong answers given with the highest probability, most confident first.
    wrong = np.flatnonzero(predicted != y)
    confidence = probabilities[np.arange(50), predicted]
    expected = wrong[np.argsort(-confidence[wrong], kind="stable")][:5]
    listed = report["misclassified"]
    assert [m["index"] for m in listed] == expected.tolist()
    for m in listed:
        assert m["true"] == NAMES[y[m["index"]]] and m["predicted"] == NAMES[predicted[m["index"]]]
        assert m["confidence"] == pytest.approx(confidence[m["index"]], abs=1e-6)


def test_mistake_images_are_those_samples(data):
    x, y = data
    result = evaluation(tiny_model(seed=2), ((x[i:i + 8], y[i:i + 8]) for i in range(0, 50, 8)), NAMES,
                        mistakes=3, keep_images=True)
    assert len(result.images) == len(result.report["misclassified"]) == 3
    for m, image in zip(result.report["misclassified"], result.images, strict=True):
        assert image.dtype == np.uint8
        np.testing.assert_array_equal(image, x[m["index"]].astype(np.uint8))


def test_per_class_metrics_by_hand():
    confusion = [[3, 1, 0], [0, 0, 0], [2, 0, 4]]
    rows = per_class_metrics(confusion, ["a", "b", "c"], other=[1, 0, 0])
    assert rows[0] == {"class": "a", "precision": 0.6, "recall": 0.6, "f1": pytest.approx(0.6), "support": 5}
    assert rows[1]["precision"] == 0.0 and rows[1]["recall"] is None and rows[1]["f1"] is None
    assert rows[2]["precision"] == 1.0 and rows[2]["recall"] == pytest.approx(4 / 6)


def test_the_collector_keeps_the_most_confident_across_batches():
    rng = np.random.default_rng(1)
    probabilities = rng.dirichlet(np.ones(4), 200)
    labels = rng.integers(0, 4, 200)
    collector = MistakeCollector(7)
    for start in range(0, 200, 30):
        collector.add(probabilities[start:start + 30], labels[start:start + 30])
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    best = wrong[np.argsort(-probabilities[wrong, predicted[wrong]])][:7]
    assert [m.index for m, _ in collector.mistakes()] == best.tolist()


def test_evaluate_json_lists_per_class_metrics_and_mistakes(trained_run, capsys):
    run_dir, _ = trained_run
    assert main(["evaluate", str(run_dir), "--json", "--mistakes", "4"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert np.sum(report["confusion_matrix"]) == report["samples"]
    assert [row["class"] for row in report["per_class"]] == report["class_names"]
    assert len(report["misclassified"]) == 4
    confidences = [m["confidence"] for m in report["misclassified"]]
    assert confidences == sorted(confidences, reverse=True)
    assert all(m["true"] != m["predicted"] for m in report["misclassified"])
    assert main(["evaluate", str(run_dir), "--mistakes", "2"]) == 0
    text = capsys.readouterr().out
    assert "precision" in text and "most confidently misclassified" in text
