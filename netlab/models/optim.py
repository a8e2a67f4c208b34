"""Optimizers and learning-rate schedules from a TrainingConfig.

Every schedule but reduce-on-plateau is a Keras ``LearningRateSchedule`` of
the optimizer's step counter, so the schedule position is the optimizer's
``iterations`` variable and travels with the optimizer state in a checkpoint.
Reduce-on-plateau keeps the rate in the optimizer's ``learning_rate``
variable (also in the checkpoint) and the Trainer's callback lowers it.
"""

from __future__ import annotations

import keras


def build_schedule(t, steps_per_epoch: int):
    """A float (constant, plateau) or a keras LearningRateSchedule (learning-rate decay)."""
    schedules = keras.optimizers.schedules
    lr = float(t.learning_rate)
    steps_per_epoch = max(int(steps_per_epoch), 1)
    if t.schedule in ("constant", "plateau"):
        return lr
    if t.schedule in ("step", "exponential"):
        # step: lr x decay_rate every decay_epochs (staircase); exponential: the same curve, smooth.
        return schedules.ExponentialDecay(
            lr, decay_steps=t.decay_epochs * steps_per_epoch, decay_rate=t.decay_rate,
            staircase=t.schedule == "step",
        )
    if t.schedule == "cosine":
        warmup = t.warmup_epochs * steps_per_epoch
        decay = max((t.epochs - t.warmup_epochs) * steps_per_epoch, 1)
        alpha = t.min_learning_rate / lr
        if warmup == 0:
            return schedules.CosineDecay(lr, decay_steps=decay, alpha=alpha)
        # Linear warm-up from 0 to lr, then half a cosine down to alpha x lr.
        return schedules.CosineDecay(0.0, decay_steps=decay, alpha=alpha, warmup_target=lr,
                                     warmup_steps=warmup)
    raise ValueError(f"unknown schedule {t.schedule!r}")


def build_optimizer(t, steps_per_epoch: int):
    lr = build_schedule(t, steps_per_epoch)
    if t.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=t.momentum, nesterov=t.nesterov)
    if t.optimizer == "adam":
        return keras.optimizers.Adam(lr)
    if t.optimizer == "adamw":
        return keras.optimizers.AdamW(lr, weight_decay=t.weight_decay)
    if t.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr, momentum=t.momentum)
    raise ValueError(f"unknown optimizer {t.optimizer!r}")


def current_learning_rate(optimizer) -> float:
    """The rate the next step uses (a schedule evaluated at the optimizer's step)."""
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def set_learning_rate(optimizer, value: float) -> None:
    """Set a plain (non-schedule) learning rate, e.g. after a plateau."""
    optimizer.learning_rate = float(value)
