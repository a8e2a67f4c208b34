"""Walking a Keras model's layers with nested models opened (a keras.applications
backbone is one layer of a fine-tuned model)."""

from __future__ import annotations

# Keras is imported inside functions: netlab.training.device uses this module, and
# `netlab --help` imports that one without loading Keras.


def all_layers(model):
    """Every layer of ``model``, each nested model followed by its own layers."""
    import keras

    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from all_layers(layer)


def batch_norms(model):
    """Every BatchNormalization layer of ``model``, nested models opened."""
    import keras

    return [layer for layer in all_layers(model) if isinstance(layer, keras.layers.BatchNormalization)]
