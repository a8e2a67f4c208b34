"""Devices: which one trains (a readable name for the window and the CLI), GPU memory
growth, mixed precision, several GPUs through tf.distribute.MirroredStrategy and
several machines through MultiWorkerMirroredStrategy (netlab/training/multi_worker.py)."""

from __future__ import annotations

import contextlib

from netlab.base.model_layers import batch_norms
from netlab.training.multi_worker import multi_worker_strategy

# Keras and TensorFlow are imported inside functions: `netlab --help` imports this module and must
# not load them.


def describe_device() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    names = []
    for gpu in gpus:
        try:
            names.append(tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name))
        except (ValueError, RuntimeError):
            names.append(gpu.name)
    return "GPU: " + ", ".join(names)


def enable_memory_growth() -> None:
    """Let TensorFlow take GPU memory as needed instead of all of it at start."""
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialized; nothing to change
            pass


def list_devices() -> list[dict]:
    """Every CPU and GPU TensorFlow sees: name, type and (GPUs) the card's name."""
    import tensorflow as tf

    devices = []
    for device in tf.config.list_physical_devices():
        if device.device_type not in ("CPU", "GPU"):
            continue
        entry = {"name": device.name, "type": device.device_type, "description": device.device_type}
        if device.device_type == "GPU":
            try:
                details = tf.config.experimental.get_device_details(device)
            except (ValueError, RuntimeError):
                details = {}
            entry["description"] = details.get("device_name", device.name)
            if "compute_capability" in details:
                entry["compute_capability"] = ".".join(map(str, details["compute_capability"]))
        devices.append(entry)
    return devices


def distribution_strategy(cluster=None):
    """MirroredStrategy (one replica per GPU) when several GPUs are visible, else the default strategy;
    with a ``cluster`` (multi_worker.Cluster) MultiWorkerMirroredStrategy over its machines.
    Called inside a strategy's scope, that strategy (the several-device test trains under a
    MirroredStrategy over two logical CPUs: tests/helpers/mirrored_job.py).

    Build and compile the model inside ``strategy.scope()``; fit() then splits
    each batch across the replicas and averages the gradients. With more than one
    replica, call synchronize_batch_norm on the model.
    """
    if cluster is not None:
        return multi_worker_strategy()
    import tensorflow as tf

    if tf.distribute.has_strategy():
        return tf.distribute.get_strategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([gpu.name for gpu in gpus])
    return tf.distribute.get_strategy()


def synchronize_batch_norm(model) -> int:
    """Every BatchNormalization layer of ``model`` (nested models included) on the global batch's
    statistics; returns how many. Call before the first fit(): the flag is read when the step is traced.

    Under any strategy with several replicas (GPUs, workers) Keras 3 keeps one
    copy of the moving statistics per replica and updates each from its own
    share of the batch, never averaging them: the copies drift apart and a save
    keeps the first replica's. Synchronized, every replica normalizes with the
    global batch's statistics (an all-reduce per layer and step) and all hold
    the same moving statistics, those one device would compute.
    """
    norms = batch_norms(model)
    for layer in norms:
        layer.synchronized = True
    return len(norms)


# TrainingConfig.mixed_precision -> Keras dtype policy. Weights stay float32;
# NetLab's classifier layers are float32 so the softmax is computed in full precision.
PRECISION_POLICIES = {"off": None, "float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}


@contextlib.contextmanager
def training_precision(mode: str = "off"):
    """Set the global dtype policy for building a model; restore the previous one after."""
    import keras

    policy = PRECISION_POLICIES.get(mode)
    if policy is None:
        yield
        return
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)
