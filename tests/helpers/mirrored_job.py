"""The several-device test (tests/training/test_mirrored.py), run as a script in its own process: TensorFlow's
devices must be configured before anything else touches TensorFlow.

    python mirrored_job.py CONFIG RUN_DIR REPORT [SINGLE_RUN_DIR]

Splits the CPU into two logical devices and trains CONFIG into RUN_DIR through the
real Trainer under a MirroredStrategy over both (one replica each, as on a machine
with two GPUs); with SINGLE_RUN_DIR it then trains the same config on one device
(the default strategy) for comparison. Writes REPORT (JSON): the replicas, every
BatchNormalization layer's moving statistics as each replica holds them and as
model.keras holds them; how far the
replicas' statistics were apart after any batch; the saved model's validation
loss and accuracy computed on one device; both runs' TensorBoard scalars; and
which strategy distribution_strategy() gives with the two CPUs, outside the
scope (GPUs only: the default) and inside it (the caller's). Beside REPORT it
writes first_steps.npz: each run's trainable weights before its first batch and
after its second (keys "<mirrored|single>/<before|after>/<index>").
"""

import json
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

# Before anything else touches TensorFlow: two logical CPUs, as a machine with two GPUs has two devices.
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

from netlab.config import Experiment  # noqa: E402
from netlab.data.input_spec import load_described  # noqa: E402
from netlab.predict.model import load_model  # noqa: E402
from netlab.training.device import distribution_strategy  # noqa: E402
from netlab.training.trainer import Trainer  # noqa: E402

STATISTICS = ("moving_mean", "moving_variance")


def batch_norm_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]


def replica_values(variable):
    """Each replica's copy of a Keras variable (one value under the default strategy)."""
    inner = variable.value  # the tf.Variable; a MirroredVariable under MirroredStrategy
    return [v.numpy().tolist() for v in getattr(inner, "values", (inner,))]


def validation_metrics(model, experiment):
    """Loss and accuracy of ``model`` on the run's validation split, on one device, in NumPy."""
    data = load_described(experiment.data)
    probabilities = np.concatenate([np.asarray(model(x, training=False)) for x, _ in
                                    data.val_pipeline(experiment.training.batch_size)], dtype=np.float64)
    labels = np.asarray(data.y_val)
    loss = -np.mean(np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0)))
    return {"val_loss": float(loss), "val_accuracy": float(np.mean(probabilities.argmax(-1) == labels))}


def replica_spread(model) -> float:
    """The largest difference between two replicas' copies of any BN moving statistic."""
    spread = 0.0
    for layer in batch_norm_layers(model):
        for name in STATISTICS:
            values = np.array(replica_values(getattr(layer, name)))
            spread = max(spread, float(np.ptp(values, axis=0).max()))
    return spread


class ReplicaSpread(keras.callbacks.Callback):
    """After every batch, how far the replicas' BN statistics are apart (at each epoch's end
    the per-epoch measurement has already put replica 0's back on every replica)."""

    def __init__(self):
        super().__init__()
        self.largest = 0.0

    def on_train_batch_end(self, batch, logs=None):
        self.largest = max(self.largest, replica_spread(self.model))


class FirstSteps(keras.callbacks.Callback):
    """The trainable weights before the first batch and after the second, before the runs can
    drift apart: two optimizer steps (the first moves only the zero-initialized classifier, the
    second every layer), which two replicas with global-batch statistics take as one device does."""

    def __init__(self):
        super().__init__()
        self.weights = {}

    def on_train_batch_begin(self, batch, logs=None):
        self.weights.setdefault("before", [w.numpy() for w in self.model.trainable_weights])

    def on_train_batch_end(self, batch, logs=None):
        if batch == 1:
            self.weights.setdefault("after", [w.numpy() for w in self.model.trainable_weights])


def tensorboard_scalars(run_dir):
    """{sub-folder: sorted (tag, step)} of the run's TensorBoard logs."""
    found = {}
    for path in sorted(Path(run_dir, "tensorboard").rglob("events.out.*")):
        entries = found.setdefault(path.parent.name, [])
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            entries.extend([value.tag, event.step] for value in event.summary.value)
    return {folder: sorted(entries) for folder, entries in found.items()}


def main(config, run_dir, report, single_run_dir=None):
    experiment = Experiment.load(config)
    devices = [device.name for device in tf.config.list_logical_devices("CPU")]
    default_replicas = distribution_strategy().num_replicas_in_sync  # GPUs only: 1 here
    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        keeps_callers = distribution_strategy() is strategy
        spread, first_step = ReplicaSpread(), FirstSteps()
        result = Trainer(experiment, run_dir=run_dir, callbacks=[spread, first_step]).run()
    steps = {"mirrored": first_step.weights}
    saved = load_model(f"{run_dir}/model.keras")
    out = {
        "devices": devices,
        "default_replicas": default_replicas,
        "keeps_callers_strategy": keeps_callers,
        "replicas": strategy.num_replicas_in_sync,
        "saved_validation": validation_metrics(saved, experiment),
        "spread_during_training": spread.largest,
        "tensorboard": tensorboard_scalars(run_dir),
        "synchronized": [layer.synchronized for layer in batch_norm_layers(result.model)],
        "replica_statistics": {
            f"{layer.name}/{name}": replica_values(getattr(layer, name))
            for layer in batch_norm_layers(result.model) for name in STATISTICS
        },
        "saved_statistics": {
            f"{layer.name}/{name}": getattr(layer, name).numpy().tolist()
            for layer in batch_norm_layers(saved) for name in STATISTICS
        },
    }
    if single_run_dir is not None:
        first_step = FirstSteps()
        Trainer(experiment, run_dir=single_run_dir, callbacks=[first_step]).run()
        steps["single"] = first_step.weights
        out["single_tensorboard"] = tensorboard_scalars(single_run_dir)
    np.savez(Path(report).with_name("first_steps.npz"), **{
        f"{run}/{when}/{i}": value for run, found in steps.items()
        for when, weights in found.items() for i, value in enumerate(weights)})
    with open(report, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
