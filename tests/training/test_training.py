import csv
import json

import numpy as np
import pytest

from netlab.base.errors import TrainingError
from netlab.predict.model import load_model
from netlab.training.events import BatchEnd, EpochEnd, RunFailed, RunFinished
from netlab.training.train_eval import COLUMNS as TRAIN_EVAL_COLUMNS
from netlab.training.trainer import Trainer
from tests.helpers import tiny_experiment


def test_a_run_writes_history_events_and_a_loadable_model(trained_run):
    # The session's shared run (2 epochs, 300 digits) rather than a training of its own.
    run, result = trained_run
    events = [json.loads(line) for line in open(run / "events.jsonl")]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
    assert kinds.count("EpochEnd") == 2 and "BatchEnd" in kinds
    # Keras's metrics, the rate, and the per-epoch inference-mode measurement (on by default).
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", *TRAIN_EVAL_COLUMNS}
    assert not result.stopped
    for name in ("config.json", "classes.json", "history.csv", "events.jsonl", "model.keras"):
        assert (run / name).is_file(), name
    assert not [p for p in run.iterdir() if ".tmp" in p.name]
    rows = list(csv.DictReader(open(run / "history.csv")))
    assert len(rows) == 2
    assert [float(r["val_accuracy"]) for r in rows] == pytest.approx(result.history["val_accuracy"])
    # The saved model gives the same probabilities as the one in memory.
    loaded = load_model(run / "model.keras")
    x = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict_on_batch(x), result.model.predict_on_batch(x), atol=1e-5)


def test_batch_events_report_progress(trained_run):
    run, _ = trained_run
    batches = [BatchEnd(**{k: v for k, v in e.items() if k != "event"})
               for e in map(json.loads, open(run / "events.jsonl")) if e["event"] == "BatchEnd"]
    last = batches[-1]
    assert last.batch == last.steps == 8  # 240 training images / 32
    assert last.images_per_second > 0 and np.isfinite(last.loss)
    assert last.eta_seconds == pytest.approx(0, abs=1e-6)
    assert all(b.eta_seconds >= 0 for b in batches)


def test_stop_ends_within_one_batch_and_keeps_the_model(tmp_path):
    events = []
    exp = tiny_experiment(epochs=5)
    trainer = Trainer(exp, run_dir=tmp_path / "run")

    def on_event(event):
        events.append(event)
        if isinstance(event, BatchEnd):
            trainer.request_stop()

    trainer.on_event = on_event
    result = trainer.run()
    assert result.stopped
    assert sum(isinstance(e, BatchEnd) for e in events) == 1  # the next batch saw the stop
    assert not any(isinstance(e, EpochEnd) for e in events)  # no partial epoch logged
    assert isinstance(events[-1], RunFinished) and events[-1].stopped
    assert (tmp_path / "run" / "model.keras").is_file()


def test_nan_loss_stops_with_a_message_about_the_learning_rate():
    events = []
    exp = tiny_experiment(epochs=3, learning_rate=1e12, optimizer="sgd")
    with pytest.raises(TrainingError, match="NaN.*lower learning rate"):
        Trainer(exp, on_event=events.append).run()
    assert isinstance(events[-1], RunFailed)
    assert "lower learning rate" in events[-1].message


@pytest.mark.slow
def test_digits_reach_95_percent_in_ten_epochs():
    """The skeleton's promise: netlab train --arch simple_cnn --dataset digits --epochs 10."""
    from netlab.config import Experiment

    exp = Experiment()
    exp.training.epochs = 10
    result = Trainer(exp).run()
    assert result.history["val_accuracy"][-1] >= 0.95


def _tiny_googlenet(**options):
    from netlab.config import Experiment

    exp = Experiment()
    exp.model.arch, exp.model.options = "googlenet", options
    exp.data.dataset, exp.data.samples, exp.data.image_size = "shapes", 60, 16
    exp.training.epochs = 1
    return exp


def test_googlenet_trains_with_auxiliary_heads_and_saves_without_them(tmp_path):
    from netlab.architectures import get_arch
    from netlab.architectures.googlenet import AUX_LOSS_WEIGHT

    assert get_arch("googlenet").aux_loss_weight() == AUX_LOSS_WEIGHT == 0.3  # the paper's (Szegedy et al. 2015)
    result = Trainer(_tiny_googlenet(aux_weight=0.7), run_dir=tmp_path / "run").run()
    h = result.history
    assert {"accuracy", "val_accuracy", "aux1_predictions_loss", "aux2_predictions_loss"} <= set(h)
    # loss = main + w x each auxiliary loss, w the aux_weight option
    total = h["val_predictions_loss"][0] + 0.7 * (
        h["val_aux1_predictions_loss"][0] + h["val_aux2_predictions_loss"][0])
    assert h["val_loss"][0] == pytest.approx(total, rel=1e-4)
    saved = load_model(tmp_path / "run" / "model.keras")
    assert len(saved.outputs) == 1 and not any(layer.name.startswith("aux") for layer in saved.layers)


@pytest.mark.slow
def test_googlenet_without_auxiliary_classifiers_trains_on_the_main_loss_alone(tmp_path):
    result = Trainer(_tiny_googlenet(aux_classifiers=False), run_dir=tmp_path / "run").run()
    # GoogLeNet as in its paper has no batch norm, so no train-mode accuracy or BN gap is measured.
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr",
                                   "train_eval_loss", "train_eval_accuracy"}
    saved = load_model(tmp_path / "run" / "model.keras")
    assert not any(layer.name.startswith("aux") for layer in saved.layers)
