"""Devices: which one trains (a readable name for the window and the CLI), GPU memory
growth, mixed precision, several GPUs through tf.distribute.MirroredStrategy and
several machines through MultiWorkerMirroredStrategy (netlab/training/multi_worker.py)."""

from __future__ import annotations

import contextlib


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

    Build and compile the model inside ``strategy.scope()``; fit() then splits
    each batch across the replicas and averages the gradients.
    """
    if cluster is not None:
        from netlab.training.multi_worker import multi_worker_strategy

        return multi_worker_strategy()
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([gpu.name for gpu in gpus])
    return tf.distribute.get_strategy()


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
