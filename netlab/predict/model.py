"""Classify images: robust image loading, safe model loading (open_model: with its classes and run), top-k.

Models are opened with Keras's safe mode on: a model file that would run
arbitrary code on load (a Lambda layer) is refused; nothing is unpickled.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from netlab.base.errors import ConfigError, ImageLoadError, ModelLoadError
from netlab.base.user_paths import checked_path
from netlab.data.images import load_reduced, open_image, to_8bit
from netlab.runs.folder import read_classes
from netlab.runs.run import RunFolder

# Keras, and netlab.architectures.layers and netlab.data.layers that import it, are imported inside
# functions: the window and `netlab --help` import this module at start-up and show before Keras loads.


def load_image(path: str | Path, smallest: int | None = None) -> Image.Image:
    """Open an image file for classification, or raise ImageLoadError saying why.

    EXIF rotation is applied; palette, 16-bit, CMYK, RGBA and grayscale images
    come back as 8-bit RGB or L. With ``smallest`` (the model's input side) an
    image far larger than that is decoded reduced (``images.load_reduced``);
    images over ``images.MAX_PIXELS`` are refused before they are decoded.
    """
    path = checked_path(path, error=ImageLoadError)  # a name the file system refuses, in one line
    if path.is_dir():
        raise ImageLoadError(f"{path} is a folder; give an image file")
    if not path.is_file():
        raise ImageLoadError(f"{path}: no such file")
    try:
        with open_image(path) as img:
            img = load_reduced(img, smallest)
    except UnidentifiedImageError:
        raise ImageLoadError(f"{path.name} is not an image NetLab can read (PNG, JPEG, BMP, GIF, TIFF, WebP...)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageLoadError(f"{path.name} could not be decoded (damaged or truncated?): {exc}") from None
    return to_8bit(img)


def model_file(path: str | Path, best: bool = False) -> Path:
    """The model file a path names: itself, or a run folder's model.keras (best.keras with ``best``)."""
    path = checked_path(path, "the model", ModelLoadError)
    if path.is_dir():
        folder = RunFolder(path)
        model = folder.model_file(best)
        if not model.is_file():
            raise ModelLoadError(folder.why_no_model(best) or f"{path} is a folder without a {model.name}: "
                                 "give a .keras file or a NetLab run folder")
        return model
    return path


@dataclass
class OpenedModel:
    """A model opened for use, with what NetLab knows of it."""

    model: object
    path: Path  # its .keras file
    class_names: list[str] | None  # its run's classes.json (beside the file), None when unknown
    run: RunFolder | None  # the run the file lies in, None for a file of no run

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(height, width, channels); ModelLoadError for a model that does not take images."""
        return model_input_shape(self.model)

    @property
    def name(self) -> str:
        """How a listing names it: the folder of a model.keras (a run's), else the file."""
        return self.path.parent.name if self.path == RunFolder(self.path.parent).model_path else self.path.name


def open_model(path: str | Path, best: bool = False) -> OpenedModel:
    """Open a .keras file, or a run folder's model.keras (best.keras with ``best``), in safe mode,
    with its class names and its run; ModelLoadError saying why it cannot be."""
    path = model_file(path, best)
    return OpenedModel(load_model(path), path, read_classes(path), RunFolder.of_model(path))


def load_model(path: str | Path):
    """Open a .keras model file (or a run folder's model.keras) in safe mode,
    or raise ModelLoadError saying why."""
    path = model_file(path)
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such model file")
    if path.suffix != ".keras":
        raise ModelLoadError(f"{path.name}: NetLab opens Keras 3 model files (.keras)")
    # A .keras file is a zip archive; Keras calls anything else "File not found".
    if not zipfile.is_zipfile(path):
        raise ModelLoadError(f"{path.name} is not a Keras model file (not a .keras zip archive: "
                             "damaged, cut short, or another format renamed?)")
    import keras

    import netlab.architectures.layers  # noqa: F401  (registers NetLab's custom layers: LRN)
    import netlab.data.layers  # noqa: F401  (and PCA whitening)

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except ValueError as exc:
        if "Lambda" in str(exc) or "safe_mode" in str(exc):
            raise ModelLoadError(
                f"{path.name} contains a Lambda layer (code that would run on load); "
                "NetLab opens models in Keras safe mode only and refuses it"
            ) from None
        raise ModelLoadError(f"{path.name} could not be loaded: {exc}") from None
    except (OSError, KeyError, TypeError, AttributeError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelLoadError(f"{path.name} is not a readable Keras model file (damaged?): {exc}") from None


@dataclass
class Prediction:
    label: str
    index: int
    probability: float


def model_input_shape(model) -> tuple[int, int, int]:
    shape = model.input_shape
    if isinstance(shape, list):
        shape = shape[0]
    if len(shape) != 4:
        raise ModelLoadError(f"the model takes inputs of shape {shape}, not images (height, width, channels)")
    return shape[1], shape[2], shape[3]


def image_to_array(img: Image.Image, input_shape) -> np.ndarray:
    """Resize and convert an image to the model's input: float32 pixels in [0, 255]."""
    height, width, channels = input_shape
    if channels not in (1, 3):
        raise ModelLoadError(f"the model expects {channels}-channel images; NetLab feeds 1 or 3")
    img = img.convert("L" if channels == 1 else "RGB")
    if height is not None and width is not None:
        img = img.resize((width, height), Image.Resampling.BILINEAR)
    arr = np.asarray(img, dtype=np.float32)
    return arr[..., None] if channels == 1 else arr


def class_names_for(model, class_names=None) -> list[str]:
    n = int(model.output_shape[-1])
    if class_names and len(class_names) == n:
        return list(class_names)
    return [f"class {i}" for i in range(n)]


def predict_images(model, images, class_names=None, top: int = 3) -> list[list[Prediction]]:
    """Top-``top`` predictions for each PIL image."""
    if top < 1:
        raise ConfigError(f"top must be at least 1 (got {top})")
    shape = model_input_shape(model)
    batch = np.stack([image_to_array(img, shape) for img in images])
    # An eager call: no tf.function is traced for a handful of images.
    probabilities = np.asarray(model(batch, training=False), dtype=np.float64)
    if probabilities.ndim != 2:
        raise ModelLoadError(f"the model's output has shape {probabilities.shape}, not class probabilities")
    names = class_names_for(model, class_names)
    results = []
    for row in probabilities:
        if not all(math.isfinite(p) for p in row):
            raise ModelLoadError("the model produced NaN probabilities (its weights are broken)")
        order = np.argsort(row)[::-1][:top]
        results.append([Prediction(names[i], int(i), float(row[i])) for i in order])
    return results
