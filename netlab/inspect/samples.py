"""Batches of real images for an inspection: a folder, a dataset's validation
split, or the training split of the run a model came from.

Each returns ``(images, labels, description)``: float32 pixels in [0, 255]
at the model's input size, integer labels only when the images' classes are
the model's (``class_names`` equal to the dataset's), else ``None``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netlab.base.errors import ConfigError
from netlab.config import DataConfig
from netlab.data import load_dataset
from netlab.data.images import IMAGE_SUFFIXES
from netlab.data.subset import train_subset
from netlab.predict.model import image_to_array, load_image, model_input_shape
from netlab.runs.run import RunFolder


def folder_images(model, folder, limit: int, flag: str = "the folder"):
    """Up to ``limit`` images of ``folder`` (searched recursively, in name order), no labels."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{flag} {folder}: not a folder")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    if not files:
        raise ConfigError(f"{flag} {folder}: no images in it ({', '.join(sorted(IMAGE_SUFFIXES))})")
    shape = model_input_shape(model)
    x = np.stack([image_to_array(load_image(p, smallest=shape[0]), shape) for p in files])
    return x, None, f"{len(files)} images from {folder}"


def _data_config_for(model, config):
    """``config`` with the model's input size and channels, so any dataset fits the model."""
    height, _, channels = model_input_shape(model)
    config.image_size = height
    config.channels = channels
    return config


def dataset_images(model, dataset: str, limit: int, class_names=None, flag: str = "dataset"):
    """Up to ``limit`` validation images of a dataset (a built-in name or an image folder)."""
    data = load_dataset(_data_config_for(model, DataConfig(dataset=dataset)))
    x = next(data.batches("val", limit), None)
    if x is None or not len(x):
        raise ConfigError(f"{flag} {dataset}: its validation split is empty")
    y = data.labels("val")[:len(x)] if class_names is not None and list(class_names) == data.class_names \
        else None
    return np.asarray(x), y, f"{len(x)} validation images of {dataset}"


def run_training_images(model, run_dir, limit: int, class_names=None):
    """Up to ``limit`` images of the training split of the run in ``run_dir`` (its data settings,
    the fixed subset its per-epoch measurement uses, ``netlab.data.subset``)."""
    run_dir = Path(run_dir)
    if not RunFolder(run_dir).is_run:
        raise ConfigError(f"{run_dir} is not a NetLab run folder (it has no config.json)")
    experiment = RunFolder(run_dir).settings()
    data = load_dataset(_data_config_for(model, experiment.data))
    x, y = train_subset(data, min(limit, data.train_size), experiment.training.seed)
    if not len(x):
        raise ConfigError(f"the run {run_dir.name} has no readable training images")
    if class_names is None or list(class_names) != data.class_names:
        y = None
    return x, y, f"{len(x)} training images of the run {run_dir.name} ({experiment.data.dataset})"
