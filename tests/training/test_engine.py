"""Optimizers, schedules, early stopping, plateau, pause, NaN, TensorBoard, devices, evaluate."""

import json
import math
import threading
import time

import numpy as np
import pytest

from netlab.base.errors import ConfigError, TrainingError
from netlab.config import OPTIMIZERS, SCHEDULES, Experiment, TrainingConfig
from netlab.models.optim import build_optimizer, build_schedule
from netlab.predict.model import load_model
from netlab.training.events import BatchEnd, EpochEnd, RunPaused, RunResumed
from netlab.training.trainer import Trainer
from tests.helpers import script_val_loss, tiny_experiment


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_optimizer_builds_with_its_settings(name):
    import keras

    t = TrainingConfig(optimizer=name, learning_rate=0.05, momentum=0.8, nesterov=True, weight_decay=0.02)
    opt = build_optimizer(t, steps_per_epoch=10)
    expected = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
                "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}[name]
    assert type(opt) is expected
    assert float(opt.learning_rate) == pytest.approx(0.05)
    if name == "sgd":
        assert opt.momentum == 0.8 and opt.nesterov
    if name == "rmsprop":
        assert opt.momentum == 0.8
    if name == "adamw":
        assert opt.weight_decay == pytest.approx(0.02)


def _lr(schedule, step):
    return schedule if isinstance(schedule, float) else float(schedule(step))


@pytest.mark.parametrize("name", SCHEDULES)
def test_each_schedule_gives_the_rate_it_promises(name):
    steps = 10  # per epoch
    t = TrainingConfig(epochs=10, learning_rate=0.1, schedule=name, decay_rate=0.5, decay_epochs=2,
                       warmup_epochs=2, min_learning_rate=0.001)
    s = build_schedule(t, steps)
    if name in ("constant", "plateau"):  # plateau lowers a plain rate from the callback
        assert s == 0.1
    elif name == "step":
        assert [_lr(s, e * steps) for e in (0, 1, 2, 3, 4)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    elif name == "exponential":
        assert _lr(s, 10) == pytest.approx(0.1 * 0.5**0.5, rel=1e-5)
        assert _lr(s, 40) == pytest.approx(0.025, rel=1e-5)
    else:  # cosine with linear warm-up over 2 epochs, then down to min_learning_rate
        assert _lr(s, 0) == pytest.approx(0.0)
        assert _lr(s, 10) == pytest.approx(0.05, rel=1e-5)
        assert _lr(s, 20) == pytest.approx(0.1, rel=1e-5)
        assert _lr(s, 60) == pytest.approx(0.001 + 0.099 * 0.5, rel=1e-4)  # halfway down
        assert _lr(s, 100) == pytest.approx(0.001, rel=1e-4)


@pytest.mark.parametrize("field, value, message", [
    ("optimizer", "adagrad", "training.optimizer must be one of"),
    ("schedule", "linear", "training.schedule must be one of"),
    ("momentum", 1.0, r"training.momentum must be in \[0.0, 1.0\)"),
    ("decay_rate", 0.0, "training.decay_rate must be in"),
    ("warmup_epochs", 10, "training.warmup_epochs must be in"),
    ("min_learning_rate", 0.01, "training.min_learning_rate must be in"),
    ("patience", 0, "training.patience must be >= 1"),
    ("mixed_precision", "float8", "training.mixed_precision must be one of"),
])
def test_bad_training_settings_name_the_field(field, value, message):
    exp = Experiment()
    setattr(exp.training, field, value)
    with pytest.raises(ConfigError, match=message):
        exp.validate()


def test_new_settings_round_trip_through_json():
    exp = tiny_experiment(optimizer="adamw", schedule="cosine", warmup_epochs=0, early_stopping=True,
                          mixed_precision="bfloat16", xla=True, nesterov=True)
    again = Experiment.from_json(exp.to_json())
    assert again.training == exp.training


def test_adamw_cosine_warmup_trains_and_records_the_rate(tmp_path):
    exp = tiny_experiment(epochs=2, optimizer="adamw", schedule="cosine", warmup_epochs=1,
                          learning_rate=0.01)
    result = Trainer(exp, run_dir=tmp_path / "run").run()
    lr = result.history["lr"]
    assert lr[0] == pytest.approx(0.0) and lr[1] == pytest.approx(0.01, rel=1e-5)
    assert all(math.isfinite(v) for v in result.history["loss"])
    # lr is a column of history.csv too
    assert "lr" in open(tmp_path / "run" / "history.csv").readline()


def test_early_stopping_restores_the_best_epoch_and_plateau_lowers_the_rate(tmp_path, monkeypatch):
    # A scripted val_loss, read by NetLab's own callback: epoch 2 improves on 1, epoch 3 is
    # worse, epoch 4 the best of all, then two worse epochs. (A seeded run's own val_loss
    # stopped early on one CPU and not on another.)
    scripted = [2.0, 1.5, 1.7, 1.4, 1.45, 1.5, 1.0]
    script_val_loss(monkeypatch, scripted)
    exp = tiny_experiment(epochs=7, optimizer="sgd", learning_rate=0.05, schedule="plateau",
                          plateau_patience=1, decay_rate=0.1, early_stopping=True, patience=2,
                          train_eval=False, tensorboard=False)
    exp.data.max_samples = 100
    snapshots = []
    trainer = Trainer(exp, run_dir=tmp_path / "run")
    trainer.on_event = lambda e: isinstance(e, EpochEnd) and snapshots.append(trainer.model.get_weights())
    result = trainer.run()
    h = result.history
    # Patience counts from the latest best (epoch 4), not the first: the run ends after epoch 6.
    assert result.stopped_early and h["val_loss"] == scripted[:6] and len(snapshots) == 6
    assert result.best_epoch == 4 and result.best_val_loss == 1.4
    # The model returned and model.keras are epoch 4's weights, not the last epoch's.
    assert not all(np.array_equal(a, b) for a, b in zip(snapshots[3], snapshots[5], strict=True))
    for got, want in zip(result.model.get_weights(), snapshots[3], strict=True):
        np.testing.assert_array_equal(got, want)
    on_disk = load_model(tmp_path / "run" / "model.keras")
    for got, want in zip(on_disk.get_weights(), snapshots[3], strict=True):
        np.testing.assert_array_equal(got, want)
    # Plateau (patience 1): an epoch without a better val_loss makes the next one's rate a
    # tenth; epoch 4's improvement lowers nothing (an epoch's rate is the one it began with).
    assert h["lr"] == pytest.approx([0.05, 0.05, 0.05, 0.005, 0.005, 0.0005], rel=1e-5)
    finished = json.loads(open(tmp_path / "run" / "events.jsonl").readlines()[-1])
    assert finished["event"] == "RunFinished" and finished["best_epoch"] == 4 and finished["stopped_early"]


def test_pause_holds_training_and_resume_continues():
    events, paused, resume_called = [], threading.Event(), threading.Event()
    went_on_alone = []  # RunResumed emitted before resume() was called
    trainer = Trainer(tiny_experiment())

    def on_event(event):
        events.append(event)
        if isinstance(event, BatchEnd) and RunPaused not in map(type, events):
            trainer.pause()  # the first BatchEnd: pause
        if isinstance(event, RunPaused):
            paused.set()
        if isinstance(event, RunResumed) and not resume_called.is_set():
            went_on_alone.append(event)

    trainer.on_event = on_event
    results = []
    training = threading.Thread(target=lambda: results.append(trainer.run()))
    training.start()
    held_for = 0.0
    try:
        assert paused.wait(120), "the run never paused"
        seen_paused = time.perf_counter()
        assert type(events[-1]) is RunPaused and trainer.paused  # held: nothing after it
        held_for = time.perf_counter() - seen_paused
    finally:  # resume from this thread, as the window's Resume button does
        resume_called.set()
        trainer.resume()
        training.join(120)
    assert not training.is_alive() and results, "the run did not finish after resume()"
    assert not went_on_alone, "the run went on before resume() was called"
    kinds = [type(e) for e in events]
    at = kinds.index(RunPaused)
    assert kinds[at + 1] is RunResumed and kinds.count(RunPaused) == 1  # nothing ran in between
    assert events[at + 1].paused_seconds >= held_for  # the whole hold is counted
    assert not results[0].stopped and len(results[0].history["loss"]) == 1


def test_stop_while_paused_ends_the_run():
    trainer = Trainer(tiny_experiment(epochs=3))

    def on_event(event):
        if isinstance(event, RunPaused):
            trainer.request_stop()

    trainer.on_event = on_event
    trainer.pause()
    result = trainer.run()
    assert result.stopped and result.history == {}


def test_nan_loss_leaves_the_last_good_epoch_on_disk(tmp_path):
    run = tmp_path / "run"
    snapshots = []
    trainer = Trainer(tiny_experiment(epochs=3), run_dir=run)

    def on_event(event):
        if isinstance(event, EpochEnd) and event.epoch == 0:
            snapshots.append(trainer.model.get_weights())
            # Poison the weights: epoch 2's loss is NaN.
            trainer.model.set_weights([np.full_like(w, np.nan) for w in snapshots[0]])

    trainer.on_event = on_event
    with pytest.raises(TrainingError, match=r"NaN.*lower learning rate.*epoch 1, the last good one"):
        trainer.run()
    saved = load_model(run / "model.keras")
    for got, want in zip(saved.get_weights(), snapshots[0], strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(open(run / "history.csv").readlines()) == 2  # header + epoch 1
    assert json.loads((run / "checkpoint.json").read_text())["epoch"] == 1


def test_tensorboard_logs_are_written(tmp_path):
    # tensorboard is a dependency (pyproject.toml): no skip when it is missing, a failure.
    # This run also switches the per-epoch inference-mode measurement off (one training less).
    # The logs are written before EpochEnd is emitted, so the window's redraw of the
    # epoch's points never runs beside them.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    steps_at_epoch_end = []

    def on_event(event):
        if isinstance(event, EpochEnd):
            written = EventAccumulator(str(tmp_path / "run" / "tensorboard" / "activations")).Reload()
            steps_at_epoch_end.append({e.step for tag in written.Tags()["tensors"] for e in written.Tensors(tag)})

    Trainer(tiny_experiment(train_eval=False), run_dir=tmp_path / "run", on_event=on_event).run()
    assert steps_at_epoch_end == [{1}]
    from netlab.training.train_eval import COLUMNS

    header = open(tmp_path / "run" / "history.csv").readline().strip().split(",")
    assert "val_loss" in header and not set(COLUMNS) & set(header)
    logs = list((tmp_path / "run" / "tensorboard").rglob("events.out.tfevents.*"))
    assert logs, "no TensorBoard event file"
    # Each activation layer's histogram, per epoch (netlab/training/activation_logs.py).
    from netlab.inspect.activations import activation_layers
    from netlab.predict.model import load_model

    events = EventAccumulator(str(tmp_path / "run" / "tensorboard" / "activations")).Reload()
    tags = events.Tags()["tensors"] + events.Tags()["histograms"]
    model = load_model(tmp_path / "run" / "model.keras")
    assert sorted(tags) == sorted(f"activations/{name}" for name in activation_layers(model))


def test_mixed_precision_policy_is_restored_after_the_run():
    import keras

    from netlab.training.device import training_precision

    before = keras.mixed_precision.global_policy().name
    with training_precision("bfloat16"):
        layer = keras.layers.Dense(2)
        assert layer.compute_dtype == "bfloat16" and layer.variable_dtype == "float32"
    assert keras.mixed_precision.global_policy().name == before


@pytest.mark.slow
def test_bfloat16_run_trains_and_keeps_a_float32_softmax(tmp_path):
    import keras

    before = keras.mixed_precision.global_policy().name
    result = Trainer(tiny_experiment(mixed_precision="bfloat16"), run_dir=tmp_path / "run").run()
    assert keras.mixed_precision.global_policy().name == before
    assert result.model.layers[-1].compute_dtype == "float32"
    assert math.isfinite(result.history["val_loss"][0])
    load_model(tmp_path / "run" / "model.keras")


def test_devices_and_strategy_on_this_machine(capsys):
    import tensorflow as tf

    from netlab.cli.main import main
    from netlab.training.device import distribution_strategy, list_devices

    devices = list_devices()
    assert any(d["type"] == "CPU" for d in devices)
    strategy = distribution_strategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        assert isinstance(strategy, tf.distribute.MirroredStrategy)
    else:  # the default strategy: a scope that changes nothing, one replica
        assert strategy.num_replicas_in_sync == 1
    assert main(["devices", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == devices


def test_evaluate_a_run_folder(trained_run, capsys):
    from netlab.cli.main import main
    from netlab.predict.evaluate import evaluate

    run_dir, result = trained_run
    report = evaluate(run_dir)
    assert report["split"] in ("validation", "test") and report["samples"] > 0
    matrix = np.array(report["confusion_matrix"])
    assert matrix.sum() == report["samples"] and matrix.shape == (10, 10)
    assert report["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum())
    assert report["split"] == "validation"  # the shared run has no test split
    assert report["accuracy"] == pytest.approx(result.history["val_accuracy"][-1], abs=1e-6)
    assert report["loss"] == pytest.approx(result.history["val_loss"][-1], rel=1e-3)
    assert main(["evaluate", str(run_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["per_class_accuracy"]) == set(result.class_names)
