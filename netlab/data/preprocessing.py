"""Preprocessing (CS231n notes) and augmentation (Krizhevsky et al. 2012) as layers inside the model.

``preprocessing_layers(data_config, dataset)`` is what the trainer puts right
after the model's input: first the random augmentation layers (active only in
training: Keras's random layers pass images through unchanged at inference),
then the normalization, whose statistics come from the training split only and
are stored in the layers themselves, so a saved model applies the same
normalization to a raw [0, 255] image with no side file.

- ``scale``: x / 255 (``Rescaling``).
- ``center``: (x - per-channel mean) / 255: zero-centred, same scale as
  ``scale`` ("rule of thumb for images: center only", CS231n).
- ``standardize``: (x - per-channel mean) / per-channel std (``Normalization``).
- ``pca_whiten``: ZCA whitening of the flattened image -- PCA whitening
  rotated back into pixel space, so convolutions still see an image (as done
  for CIFAR). A D x D matrix, so small inputs only (``PCA_MAX_DIMS``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from netlab.base.errors import ConfigError

if TYPE_CHECKING:  # netlab.config's validate() reads this module: no import back at run time
    from netlab.config import AugmentationConfig

# Keras, and netlab.data.layers that imports it, are imported inside functions: Experiment.validate()
# reads PCA_MAX_DIMS here, and the window and the command validate before TensorFlow loads.

# PCA whitening works on the flattened image: a D x D matrix, D = H * W * C.
PCA_MAX_DIMS = 32 * 32 * 3

# Added to the eigenvalues before whitening (pixels in [0, 1]): directions of
# tiny variance (mostly noise) are not blown up.
PCA_EPSILON = 1e-2
# A channel whose pixels barely vary is divided by at least this std (pixel levels).
MIN_STD = 1.0


# -- statistics of the training split ------------------------------------------------
def channel_statistics(dataset, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and variance of the training images (float64, pixel levels)."""
    total = total_sq = None
    count = 0
    for batch in dataset.batches("train", batch_size):
        pixels = batch.reshape(-1, batch.shape[-1]).astype(np.float64)
        total = pixels.sum(0) if total is None else total + pixels.sum(0)
        total_sq = (pixels**2).sum(0) if total_sq is None else total_sq + (pixels**2).sum(0)
        count += len(pixels)
    if not count:
        raise ConfigError("data.preprocessing: the training split has no images to compute statistics on")
    mean = total / count
    return mean, np.maximum(total_sq / count - mean**2, 0.0)


def pca_statistics(dataset, scale: float = 1.0 / 255, epsilon: float = PCA_EPSILON,
                   batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and ZCA whitening matrix (D, D) of the flattened training images."""
    total = gram = None
    count = 0
    for batch in dataset.batches("train", batch_size):
        flat = batch.reshape(len(batch), -1).astype(np.float64) * scale
        total = flat.sum(0) if total is None else total + flat.sum(0)
        gram = flat.T @ flat if gram is None else gram + flat.T @ flat
        count += len(flat)
    mean = total / count
    covariance = gram / count - np.outer(mean, mean)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    eigenvalues = np.maximum(eigenvalues, 0.0)
    whitening = (eigenvectors / np.sqrt(eigenvalues + epsilon)) @ eigenvectors.T
    return mean, whitening


# -- layers ------------------------------------------------------------------------------
def normalization_layers(kind: str, dataset) -> list:
    """The layers that turn raw [0, 255] pixels into the network's input range."""
    import keras

    if kind == "scale":
        return [keras.layers.Rescaling(1.0 / 255, name="rescale")]
    if kind in ("center", "standardize"):
        mean, variance = channel_statistics(dataset)
        if kind == "center":
            variance = np.full_like(mean, 255.0**2)
        else:
            variance = np.maximum(variance, MIN_STD**2)
        return [keras.layers.Normalization(axis=-1, mean=mean.tolist(), variance=variance.tolist(),
                                           name=kind)]
    if kind == "pca_whiten":
        dims = math.prod(dataset.input_shape)
        if dims > PCA_MAX_DIMS:
            shape = "x".join(str(d) for d in dataset.input_shape)
            raise ConfigError(
                f"data.preprocessing: pca_whiten is for small inputs (at most {PCA_MAX_DIMS} values, "
                f"e.g. 32x32x3); {shape} = {dims}. Use a smaller data.image_size or 'standardize'"
            )
        from netlab.data.layers import PCAWhitening

        mean, whitening = pca_statistics(dataset)
        layer = PCAWhitening(name="pca_whiten")
        layer.build((None, *dataset.input_shape))
        layer.set_statistics(mean, whitening)
        return [layer]
    raise ConfigError(f"data.preprocessing: unknown preprocessing {kind!r}")


def augmentation_layers(augmentation: AugmentationConfig, image_shape, seed: int = 0) -> list:
    """Keras random layers for the knobs that are on; identity at inference."""
    import keras

    layers = keras.layers
    a = augmentation
    height, width = int(image_shape[0]), int(image_shape[1])
    out = []
    if a.flip:
        out.append(layers.RandomFlip("horizontal", seed=seed, name="augment_flip"))
    if a.crop:
        # Random crop of a zero-padded image = a shift by whole pixels with a black border.
        pad_h = a.crop * height if a.crop < 1 else a.crop
        pad_w = a.crop * width if a.crop < 1 else a.crop
        out.append(layers.RandomTranslation(pad_h / height, pad_w / width, fill_mode="constant",
                                            interpolation="nearest", fill_value=0.0, seed=seed + 1,
                                            name="augment_crop"))
    if a.rotation:
        out.append(layers.RandomRotation(a.rotation / 360.0, fill_mode="reflect", seed=seed + 2,
                                         name="augment_rotation"))
    if a.zoom:
        out.append(layers.RandomZoom((-a.zoom, a.zoom), fill_mode="reflect", seed=seed + 3,
                                     name="augment_zoom"))
    if a.translation:
        out.append(layers.RandomTranslation(a.translation, a.translation, fill_mode="reflect",
                                            seed=seed + 4, name="augment_translation"))
    if a.contrast:
        out.append(layers.RandomContrast(a.contrast, value_range=(0, 255), seed=seed + 5,
                                         name="augment_contrast"))
    return out


def preprocessing_layers(data_config, dataset) -> list:
    """Augmentation (training only), then normalization with training-split statistics."""
    return (augmentation_layers(data_config.augmentation, dataset.input_shape, data_config.seed)
            + normalization_layers(data_config.preprocessing, dataset))


def augmentation_preview(image: np.ndarray, config, n: int = 8, seed: int = 0) -> np.ndarray:
    """``n`` augmented versions of one image, (n, H, W, C) float32 pixels in [0, 255].

    ``config`` is an AugmentationConfig or a DataConfig; ``image`` is (H, W),
    (H, W, C) in [0, 255]. The same seed gives the same grid.
    """
    import keras

    augmentation = getattr(config, "augmentation", config)
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3:
        raise ValueError(f"augmentation_preview takes one (H, W, C) image (got shape {image.shape})")
    batch = np.repeat(image[None], n, axis=0)
    for layer in augmentation_layers(augmentation, image.shape, seed):
        batch = layer(batch, training=True)
    batch = keras.ops.convert_to_numpy(batch)
    return np.clip(batch, 0, 255).astype(np.float32)
