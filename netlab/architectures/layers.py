"""Layers the papers use that Keras does not ship.

Written with ``keras.ops`` only, so they run on every Keras backend, and
registered as serializable, so a saved model reloads with
``keras.saving.load_model(path, safe_mode=True)`` (no Python lambdas).
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="netlab")
class LocalResponseNormalization(keras.layers.Layer):
    """Local response normalization across channels (Krizhevsky et al., NIPS 2012, 3.3).

    ``b[c] = a[c] / (k + alpha * sum(a[c']**2 for c' within size//2 of c)) ** beta``,
    the sum running over ``size`` adjacent channels (clipped at the edges).
    The defaults are AlexNet's (k=2, n=5, alpha=1e-4, beta=0.75), which VGG's
    A-LRN configuration reuses. ``alpha`` multiplies the plain sum, as in the
    paper's formula and ``tf.nn.local_response_normalization`` (Caffe divides
    it by ``size`` instead). Channels last; no weights.
    """

    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=2.0, **kwargs):
        super().__init__(**kwargs)
        if size < 1 or size % 2 == 0:
            raise ValueError(f"size must be a positive odd number of channels (got {size})")
        self.size = int(size)
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.k = float(k)

    def call(self, inputs):
        # Squares summed in float32: under mixed precision a float16 square of
        # a large activation would overflow.
        x = ops.cast(inputs, "float32")
        channels = x.shape[-1]
        radius = self.size // 2
        squares = ops.pad(ops.square(x), [[0, 0]] * (len(x.shape) - 1) + [[radius, radius]])
        window_sum = squares[..., 0:channels]
        for offset in range(1, self.size):
            window_sum = window_sum + squares[..., offset:offset + channels]
        scale = ops.power(self.k + self.alpha * window_sum, -self.beta)
        return ops.cast(x * scale, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "size": self.size, "alpha": self.alpha,
                "beta": self.beta, "k": self.k}
