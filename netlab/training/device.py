"""Which device trains: a readable name for the window and the CLI."""

from __future__ import annotations


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
