"""What makes a resumed run the run that was never interrupted.

Three sources of randomness move while a run trains:

- the order of the training images: a function of (training.seed, epoch)
  (``netlab.data.pipeline``), so it needs no saving;
- the model's random layers (dropout, the augmentation layers): each draws from
  a Keras ``SeedGenerator`` whose state (seed, counter) advances every batch.
  ``save_weights`` does not store it, so the checkpoint does
  (``seed_generator_states``) and resume puts it back;
- floating-point reductions whose order varies between runs (several threads,
  cuDNN's algorithm choice). ``training.deterministic`` turns on TensorFlow's
  op determinism for the run (``op_determinism``); slower, above all on a GPU
  and for image folders (their decoding then runs serially), so it is off by
  default. On a CPU runs are usually identical without it; the resume tests
  and ``python -m netlab.bench faults`` turn it on to compare to 1e-6.
"""

from __future__ import annotations

import contextlib

from netlab.base.errors import TrainingError

# TensorFlow is imported inside op_determinism: `netlab --help` imports this module and must not load it.


def seed_generators(model) -> list:
    """The state variables of every SeedGenerator in the model, in the model's own order."""
    return [v for v in model.variables if v.name == "seed_generator_state"]


def seed_generator_states(model) -> list[list[int]]:
    """[seed, counter] of each SeedGenerator, for checkpoint.json."""
    return [[int(x) for x in v.numpy()] for v in seed_generators(model)]


def restore_seed_generator_states(model, states: list | None) -> None:
    """Put the checkpoint's SeedGenerator states back (None: an older checkpoint without them)."""
    if states is None:
        return
    variables = seed_generators(model)
    if len(states) != len(variables):
        raise TrainingError(
            f"the checkpoint holds {len(states)} random-generator states but the model has "
            f"{len(variables)} random layers; start a new run instead"
        )
    for variable, state in zip(variables, states, strict=True):
        variable.assign([int(x) for x in state])


@contextlib.contextmanager
def op_determinism(enabled: bool):
    """TensorFlow's op determinism on for the block when ``enabled``; the previous setting after it."""
    if not enabled:
        yield
        return
    import tensorflow as tf

    # TensorFlow exports only the switch that turns it on; the window trains many
    # runs in one process, so the run puts the previous setting back itself.
    from tensorflow.python.framework import config as tf_config

    before = tf_config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    try:
        yield
    finally:
        if not before:
            tf_config.disable_op_determinism()
