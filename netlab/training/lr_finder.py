"""The learning-rate finder (the learning-rate range test of Smith 2017).

A short sweep: the rate grows exponentially from ``min_lr`` to ``max_lr`` over
``steps`` batches while the loss is recorded; the loss falls once the rate is
large enough to learn and blows up when it is too large. The suggestion is a
tenth of the rate at the lowest (smoothed) loss, a conservative choice inside
the falling part of the curve. The model is thrown away afterwards.

Run under ``netlab.base.abort.abortable`` (the window's worker), the sweep stops
at the next batch once its abort flag is set, raising JobAborted.
"""

from __future__ import annotations

import copy
import math

from netlab.base.abort import abort_point
from netlab.base.errors import ConfigError
from netlab.data.input_spec import load_described
from netlab.training.trainer import Trainer

# Keras is imported inside find_lr: `netlab --help` imports this module and must not load it.

SMOOTHING = 0.9  # exponential moving average of the batch losses
DIVERGE_FACTOR = 4.0  # stop the sweep once the loss is this many times its best


def find_lr(experiment, min_lr: float = 1e-6, max_lr: float = 1.0, steps: int = 50):
    """Return (lrs, losses, suggestion): the rates tried, the smoothed losses, a suggested rate."""
    if not (0 < min_lr < max_lr) or math.isinf(max_lr):
        raise ConfigError(f"lr-find: the sweep's first rate must be below its last, both above 0 "
                          f"(got --start-lr {min_lr:g}, --end-lr {max_lr:g})")
    if steps < 5:
        raise ConfigError(f"lr-find: steps must be >= 5 (got {steps})")
    import keras

    exp = copy.deepcopy(experiment).validate()
    exp.training.schedule = "constant"  # the sweep sets the rate itself
    exp.training.learning_rate = min_lr
    exp.finetune.cache_features = False  # a sweep of a few batches: the model takes images, not features
    keras.utils.set_random_seed(exp.training.seed)
    data = load_described(exp.data)
    abort_point()
    trainer = Trainer(exp)
    train_model, _, optimizer = trainer.build_model(data, steps)
    dataset = data.train_pipeline(exp.training.batch_size, seed=exp.training.seed,
                                  num_outputs=len(train_model.outputs)).repeat()
    ratio = (max_lr / min_lr) ** (1.0 / (steps - 1))
    lrs, losses = [], []
    average, best = 0.0, math.inf
    for step, (x, y) in enumerate(dataset.take(steps)):
        abort_point()  # the window's Cancel: stop between batches
        lr = min_lr * ratio**step
        optimizer.learning_rate = lr
        loss = float(train_model.train_on_batch(x, y, return_dict=True)["loss"])
        if not math.isfinite(loss):
            break
        average = SMOOTHING * average + (1 - SMOOTHING) * loss
        smoothed = average / (1 - SMOOTHING ** (step + 1))  # bias-corrected
        lrs.append(lr)
        losses.append(smoothed)
        best = min(best, smoothed)
        if step > 5 and smoothed > DIVERGE_FACTOR * best:
            break
    if not losses:
        raise ConfigError(f"lr-find: the loss was NaN from the first batch at {min_lr:g}; lower min_lr")
    at_min = lrs[losses.index(min(losses))]
    suggestion = min(max(at_min / 10.0, min_lr), max_lr)
    return lrs, losses, suggestion
