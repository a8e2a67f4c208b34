"""A lower learning rate for the pretrained base than for the new head (CS231n notes, "Transfer Learning").

Keras 3 has no per-variable learning rate. Scaling the base's *gradients* is
the same thing only for plain SGD: Adam and RMSprop divide by a running
gradient magnitude, so a scaled gradient gives the same step. The honest way
is to scale the *rate* each variable's update uses: every Keras optimizer
calls ``update_step(gradient, variable, learning_rate)`` once per variable,
so these subclasses multiply ``learning_rate`` by ``base_lr_mult`` for the
base's variables and leave the head's alone. The base's step is then exactly
``base_lr_mult`` times the step it would take at the full rate, for SGD with
or without momentum, Adam, AdamW and RMSprop alike. (AdamW's decoupled weight
decay is applied apart from update_step, at the full rate.)
"""

from __future__ import annotations

import keras


class BaseRateMixin:
    base_lr_mult: float = 1.0
    base_keys: frozenset = frozenset()

    def set_base(self, variables, mult: float) -> None:
        """The base's variables (Keras variables) and their rate multiplier."""
        self.base_keys = frozenset(self._var_key(v) for v in variables)
        self.base_lr_mult = float(mult)

    def update_step(self, gradient, variable, learning_rate):
        # A Python-level test at trace time: the traced step holds the multiplication or not.
        if self.base_lr_mult != 1.0 and self._var_key(variable) in self.base_keys:
            learning_rate = learning_rate * self.base_lr_mult
        return super().update_step(gradient, variable, learning_rate)


@keras.saving.register_keras_serializable("netlab")
class BaseRateSGD(BaseRateMixin, keras.optimizers.SGD):
    pass


@keras.saving.register_keras_serializable("netlab")
class BaseRateAdam(BaseRateMixin, keras.optimizers.Adam):
    pass


@keras.saving.register_keras_serializable("netlab")
class BaseRateAdamW(BaseRateMixin, keras.optimizers.AdamW):
    pass


@keras.saving.register_keras_serializable("netlab")
class BaseRateRMSprop(BaseRateMixin, keras.optimizers.RMSprop):
    pass


_BY_CLASS = {keras.optimizers.SGD: BaseRateSGD, keras.optimizers.Adam: BaseRateAdam,
             keras.optimizers.AdamW: BaseRateAdamW, keras.optimizers.RMSprop: BaseRateRMSprop}


def with_base_rate(optimizer, base_variables, mult: float):
    """The same optimizer (same settings, schedule included), its base's rate times ``mult``."""
    cls = _BY_CLASS[type(optimizer)]
    new = cls.from_config(optimizer.get_config())
    new.set_base(base_variables, mult)
    return new
