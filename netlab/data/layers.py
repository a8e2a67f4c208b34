"""Keras layers of the data path that Keras does not ship: PCA (ZCA) whitening.

Registered as ``netlab>PCAWhitening`` so a saved model loads in safe mode
once this module is imported (``netlab.data.preprocessing`` imports it).
"""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="netlab")
class PCAWhitening(keras.layers.Layer):
    """y = (x * scale - mean) @ W on the flattened image, reshaped back to (H, W, C).

    ``mean`` and ``W`` are non-trainable weights (set from the training split by
    ``netlab.data.preprocessing``), so they are saved in the model file and stay
    fixed while the network trains or is fine-tuned.
    """

    def __init__(self, scale: float = 1.0 / 255, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def build(self, input_shape):
        self.image_shape = tuple(int(d) for d in input_shape[1:])
        dims = math.prod(self.image_shape)
        self.mean = self.add_weight(shape=(dims,), initializer="zeros", trainable=False, name="mean")
        self.whitening = self.add_weight(shape=(dims, dims), initializer="identity", trainable=False,
                                         name="whitening")

    def set_statistics(self, mean, whitening) -> None:
        self.mean.assign(ops.convert_to_tensor(mean, dtype=self.mean.dtype))
        self.whitening.assign(ops.convert_to_tensor(whitening, dtype=self.whitening.dtype))

    def call(self, inputs):
        flat = ops.reshape(ops.cast(inputs, self.compute_dtype), (-1, self.mean.shape[0]))
        mean = ops.cast(self.mean, self.compute_dtype)
        whitening = ops.cast(self.whitening, self.compute_dtype)
        out = ops.matmul(flat * self.scale - mean, whitening)
        return ops.reshape(out, (-1, *self.image_shape))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
