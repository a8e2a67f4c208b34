"""The checks a careful practitioner makes when a run starts.

- The first batch's loss of a fresh classifier should be near log(C): it
  predicts 1/C for every class (the registry's classifiers start at zero, see
  ``Blocks.classifier``). Far off means wrong labels, a broken input scale or
  an initialization that blows up.
- Batch norm below a batch size of 8 estimates its statistics from too few
  images (Wu & He 2018, Fig. 1); group or layer norm does not depend on the batch.
- A fine-tuning run with a frozen base should run the base's batch norm in
  inference mode, or its moving statistics drift on the new data.

Each returns plain ``Notice`` events; the trainer emits them, the window and
the CLI show them.
"""

from __future__ import annotations

import math

from netlab.base.model_layers import batch_norms
from netlab.training.events import Notice

FIRST_LOSS_TOLERANCE = 0.2  # relative to log(C)
MIN_BN_BATCH = 8


def first_loss_notice(loss: float, num_classes: int) -> Notice:
    expected = math.log(num_classes)
    text = f"first loss {loss:.2f}, expected ≈ {expected:.2f} for {num_classes} classes"
    if abs(loss - expected) <= FIRST_LOSS_TOLERANCE * expected:
        return Notice(text=text, level="info", check="first_loss")
    return Notice(text=f"{text}: far off; check the labels, the input scale and the initialization",
                  level="warning", check="first_loss")


def setup_notices(experiment, model) -> list[Notice]:
    """Warnings about the configuration and the built model, before the first batch."""
    notices = []
    norms = batch_norms(model)
    batch_size = experiment.training.batch_size
    if batch_size < MIN_BN_BATCH and any(layer.trainable for layer in norms):
        notices.append(Notice(
            text=f"batch norm with a batch size of {batch_size}: its statistics come from fewer than "
                 f"{MIN_BN_BATCH} images (Wu & He 2018, Fig. 1); group or layer norm does not depend on the batch",
            level="warning", check="bn_batch_size"))
    ft = experiment.finetune
    if ft.source and ft.freeze == "base" and norms and all(layer.trainable for layer in norms):
        notices.append(Notice(
            text="the base is frozen but none of its batch norm layers is: their moving statistics "
                 "will drift on the new data (freeze them to keep inference mode)",
            level="warning", check="frozen_bn"))
    return notices
