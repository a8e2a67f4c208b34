"""Precomputed bottom features: a frozen base as a fixed feature extractor (Donahue et al. 2014).

With the whole base frozen and no augmentation, everything below the new
classifier computes the same thing for an image every epoch. The fine-tuned
model is cut at the *cache point*: ``bottom`` maps images to the features
there and runs once over the training and validation images; ``head`` is the
layers above it, and trains on those features.

The head is made of the full model's own layer objects (called again on a new
input), so training it trains the full model: the run's model.keras is the
whole fine-tuned model, as without the cache.

The cache point is the classifier's input, unless a random layer (dropout)
sits on the chain of one-input layers below it -- a NetLab run's base ends in
dropout, fc1, dropout -- then it is the lowest such layer's input, and the
layers above it (frozen ones included) run in the head. The cached run equals
the uncached one up to float rounding: each epoch's order is the pipeline's
``epoch_indices(seed, epoch)``, and a dropout is the same layer with the same
seed generator, drawn once per step as before. A random layer off that chain
(in a residual branch, say) cannot be cached around: that is a clear error, as
are augmentation and an unfrozen base (config.py refuses those before anything loads).

Two-phase fine-tuning uses the cache for its head-only epochs (``CachedHeadPhase``): the
head trains on the cached features, then the whole model trains on the images from the
freeze cut up. The whole model is the one checkpointed, so a run stopped in either phase resumes.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from netlab.base.errors import ConfigError
from netlab.base.model_layers import all_layers
from netlab.data.pipeline import epoch_indices, make_dataset, over_epochs

FLAG = "finetune.cache_features (--cache-features)"


@dataclass
class _Step:
    layer: object  # a layer on the top chain
    input: object  # its input KerasTensor
    path: tuple  # the nested models it sits in, outermost first: (model, the tensor it was called on)


@dataclass
class FeatureCache:
    """The bottom model and where it cuts; kept on the head model (a plain object, never tracked by Keras)."""

    bottom: object  # keras.Model: images -> features
    point: str  # the layer whose input is cached, for messages
    _run: object = None  # the bottom as one traced function

    def features(self, data, split: str, batch_size: int):
        """(features, labels) of a split, in the pipeline's unshuffled order, as numpy arrays."""
        if self._run is None:  # traced once, for every batch size and both splits
            spec = tf.TensorSpec((None, *self.bottom.inputs[0].shape[1:]), tf.float32)
            self._run = tf.function(lambda x: self.bottom(x, training=False), input_signature=[spec])
        features, labels = [], []
        for images, y in data.pipeline(split, batch_size):
            features.append(self._run(images).numpy())
            labels.append(y.numpy())
        shape = tuple(int(d) for d in self.bottom.outputs[0].shape[1:])
        if not features:
            return np.zeros((0, *shape), np.float32), np.zeros(0, np.int32)
        return np.concatenate(features), np.concatenate(labels)

    def pipelines(self, data, batch_size: int, seed: int, epochs: range):
        """(train, val) tf.data pipelines of cached features, in the uncached pipelines' order."""
        x, y = self.features(data, "train", batch_size)
        features, labels, kept, n = tf.constant(x), tf.constant(y), len(x), data.train_size

        def one_epoch(epoch):
            return tf.data.Dataset.from_tensor_slices(epoch_indices(kept, n, seed, epoch)).batch(batch_size)

        train = over_epochs(epochs, one_epoch).map(
            lambda index: (tf.gather(features, index), tf.gather(labels, index)))
        val = make_dataset(*self.features(data, "val", batch_size), batch_size, shuffle=False)
        return train.prefetch(tf.data.AUTOTUNE), val


@dataclass
class CachedHeadPhase:
    """Two-phase fine-tuning's first phase on cached features: ``head`` trains on ``cache``'s
    features for the first ``epochs`` epochs; the whole model then trains on the images."""

    head: object  # keras.Model: cached features -> classes (the whole model's own top layers)
    cache: FeatureCache
    epochs: int

    def fit_plan(self, data, batch_size: int, seed: int, start: int) -> tuple:
        """(model, train pipeline, val pipeline, initial epoch, end epoch) of the phase from ``start``."""
        train, val = self.cache.pipelines(data, batch_size, seed, range(start, self.epochs))
        return self.head, train, val, start, self.epochs


def is_random(layer) -> bool:
    """Whether the layer draws random numbers while training (dropout, noise, augmentation)."""
    return any(v.name == "seed_generator_state" for v in layer.variables)


def _producer(tensor):
    """(the layer that made ``tensor``, its input tensors)."""
    history = tensor._keras_history
    node = history.operation._inbound_nodes[history.node_index]
    return history.operation, list(node.input_tensors)


def _top_chain(model):
    """The one-input layers from the classifier down to the first layer with several inputs (or the input).

    Nested models (a backbone) are walked through layer by layer; each step
    records the nested models it sits in, with the tensor each was called on.
    """
    steps, path = [], ()
    tensor = model.outputs[0]
    while True:
        layer, inputs = _producer(tensor)
        if isinstance(layer, keras.layers.InputLayer):
            if not path:
                return steps
            tensor, path = path[-1][1], path[:-1]  # out of a nested model, on to what fed it
            continue
        if len(inputs) != 1:
            return steps
        if isinstance(layer, keras.Model):
            if len(layer.outputs) != 1:
                return steps
            path, tensor = (*path, (layer, inputs[0])), layer.outputs[0]
            continue
        steps.append(_Step(layer, inputs[0], path))
        tensor = inputs[0]


def _bottom_model(model, tensor, path):
    """The model from the images to ``tensor``, which lies inside the nested models of ``path``."""
    for nested, called_on in reversed(path):
        tensor = keras.Model(nested.input, tensor, name=f"{nested.name}_bottom")(called_on)
    return keras.Model(model.input, tensor, name=f"{model.name}_bottom")


def split_for_cache(model):
    """(head model, FeatureCache): ``model`` cut for training its head on precomputed features."""
    steps = _top_chain(model)
    random = [i for i, step in enumerate(steps) if is_random(step.layer)]
    top = random[-1] if random else 0  # steps[0] is the classifier
    cut = steps[top]
    bottom = _bottom_model(model, cut.input, cut.path)
    moving = [layer.name for layer in all_layers(bottom) if is_random(layer)]
    if moving:
        raise ConfigError(f"{FLAG}: the base's layer {moving[-1]} is random while training (dropout, noise), "
                          "so its output changes every epoch and cannot be computed once; train without "
                          "cached features")
    if bottom.trainable_weights:
        names = sorted({w.path.split("/")[0] for w in bottom.trainable_weights})
        raise ConfigError(f"{FLAG} needs the whole base frozen; trainable below the head: "
                          f"{', '.join(names[:5])}")
    features = keras.Input(tuple(cut.input.shape[1:]), name="cached_features")
    x = features
    for step in reversed(steps[:top + 1]):
        x = step.layer(x)
    head = keras.Model(features, x, name=f"{model.name}_head")
    return head, FeatureCache(bottom, cut.layer.name)
