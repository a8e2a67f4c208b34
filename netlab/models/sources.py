"""Where fine-tuning's weights come from: a run folder, a ``.keras`` file, or ``imagenet:ARCH``.

A source is opened into its *base*: the model from its input up to the
features its classifier read (the input of its last Dense layer, or its whole
output when it ends without one). The classifier itself is dropped; the
fine-tuned model puts a new one on top for the new classes (Yosinski et al. 2014:
the features transfer, the classifier does not). A NetLab run's model keeps its preprocessing inside, so the
base takes raw pixels in [0, 255], as every NetLab model does; ImageNet
backbones get the preprocessing their weights expect put inside them too.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netlab.base.errors import ModelLoadError, NetlabError
from netlab.base.user_paths import checked_path
from netlab.predict.model import open_model

# Keras is imported inside functions: the window and `netlab --help` import this module at start-up
# and show before Keras loads.

IMAGENET_PREFIX = "imagenet:"
# keras.applications name -> (its module's attribute, the input preprocessing its weights expect).
# "tf": pixels to [-1, 1]; "torch": [0, 1] then ImageNet mean/std; "caffe": RGB->BGR minus the mean.
IMAGENET_ARCHS = {
    "vgg16": ("VGG16", "caffe"), "vgg19": ("VGG19", "caffe"),
    "resnet50": ("ResNet50", "caffe"), "resnet101": ("ResNet101", "caffe"),
    "resnet152": ("ResNet152", "caffe"),
    "densenet121": ("DenseNet121", "torch"), "densenet169": ("DenseNet169", "torch"),
    "densenet201": ("DenseNet201", "torch"),
    "inceptionv3": ("InceptionV3", "tf"), "mobilenet": ("MobileNet", "tf"),
    "mobilenetv2": ("MobileNetV2", "tf"),
}
# Every other keras.applications model is a backbone too, named as Keras spells it
# (imagenet:EfficientNetB0), its preprocessing read off its module's preprocess_input.
# This copy of the names is for the window's list, shown before TensorFlow has loaded;
# the core checks names against keras.applications itself (and a test holds the two equal).
KERAS_APPLICATIONS = (
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
    "DenseNet121", "DenseNet169", "DenseNet201",
    "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4",
    "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
    "EfficientNetV2L", "EfficientNetV2M", "EfficientNetV2S",
    "InceptionResNetV2", "InceptionV3", "MobileNet", "MobileNetV2", "MobileNetV3Large", "MobileNetV3Small",
    "NASNetLarge", "NASNetMobile", "ResNet101", "ResNet101V2", "ResNet152", "ResNet152V2",
    "ResNet50", "ResNet50V2", "VGG16", "VGG19", "Xception",
)
# Registry architectures whose name is not their keras.applications name squeezed.
_REGISTRY_TO_IMAGENET = {"mobilenet_v1": "mobilenet"}
# One ImageNet backbone built at a time: Keras's get_file writes straight to the cache
# path, so two threads fetching the same file at once would corrupt it.
_imagenet_lock = threading.Lock()
# The registry architecture an ImageNet source loads into (--into-arch), and the options its
# weights need there (each pair proven by a parity test in tests/models/test_finetune.py).
IMAGENET_REGISTRY = {
    "resnet50": ("resnet50", {"layout": "keras"}), "resnet101": ("resnet101", {"layout": "keras"}),
    "resnet152": ("resnet152", {"layout": "keras"}), "mobilenetv2": ("mobilenet_v2", {"stem": "imagenet"}),
    "mobilenet": ("mobilenet_v1", {"stem": "imagenet"}),
    "vgg16": ("vgg16", {}), "vgg19": ("vgg19", {}), "inceptionv3": ("inception_v3", {}),
    "densenet121": ("densenet121", {"layout": "keras"}),
    "densenet169": ("densenet169", {"layout": "keras"}), "densenet201": ("densenet201", {"layout": "keras"}),
}
_IMAGENET_MEAN = (123.68, 116.779, 103.939)  # RGB, on [0, 255]
_IMAGENET_STD = (0.229, 0.224, 0.225)  # on [0, 1]


@dataclass
class Source:
    """An opened source: its base (no classifier) and what is known about it."""

    name: str  # as the user gave it
    base: object  # keras.Model, input -> features
    class_names: list[str] | None  # the source's classes (a run folder's classes.json)
    dropped_head: str | None  # the name of the classifier layer that was removed
    head_weights: list | None = None  # its [kernel, bias], for classes the new data shares with it

    @property
    def input_shape(self) -> tuple:
        return tuple(self.base.inputs[0].shape[1:])

    @property
    def channels(self) -> int:
        return int(self.input_shape[-1])


def keras_models_dir() -> Path:
    """The folder Keras's get_file keeps downloaded weights in (KERAS_HOME/models, else ~/.keras/models)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def open_source(text: str, image_side: int | None = None) -> Source:
    """Open a source of weights, or raise a NetlabError that says why not and what to do."""
    if text.startswith(IMAGENET_PREFIX):
        return _imagenet_source(text, image_side)
    path = checked_path(text, "fine-tuning source", ModelLoadError)
    if not path.exists():
        raise ModelLoadError(f"fine-tuning source {text}: no such file or folder (give a NetLab run "
                             f"folder, a .keras file, or imagenet:ARCH with ARCH one of "
                             f"{', '.join(IMAGENET_ARCHS)} or any keras.applications model, e.g. "
                             "imagenet:EfficientNetB0)")
    opened = open_model(path)
    base, head = split_head(opened.model)
    weights = opened.model.get_layer(head).get_weights() if head else None
    return Source(text, base, opened.class_names, head, weights)


def split_head(model):
    """(base, name of the dropped classifier): the model cut below its last Dense layer.

    Walks back from the output over weightless layers (softmax, dropout); a
    model that does not end in a Dense layer is all base (a headless backbone).
    """
    import keras

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    index = len(layers) - 1
    while index >= 0 and not layers[index].weights and isinstance(
            layers[index], keras.layers.Activation | keras.layers.Softmax | keras.layers.Dropout):
        index -= 1
    if index < 1 or not isinstance(layers[index], keras.layers.Dense):
        return model, None
    head = layers[index]
    features = head.input
    if len(model.outputs) != 1:
        raise ModelLoadError(f"{model.name} has {len(model.outputs)} outputs; NetLab fine-tunes "
                             "single-output classifiers")
    return keras.Model(model.input, features, name=f"{model.name}_base"), head.name


def imagenet_preprocessing(mode: str) -> list:
    """The layers that turn [0, 255] RGB into what a keras.applications model's weights expect
    (none for "inside": EfficientNet, ConvNeXt, MobileNetV3 take [0, 255] and scale it themselves)."""
    from keras import layers

    if mode == "inside":
        return []
    if mode == "tf":
        return [layers.Rescaling(1 / 127.5, offset=-1.0, name="imagenet_scale")]
    if mode == "torch":
        return [layers.Rescaling(1 / 255.0, name="imagenet_scale"),
                layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[s * s for s in _IMAGENET_STD],
                                     name="imagenet_normalize")]
    # caffe: RGB -> BGR and the BGR mean subtracted, as a fixed 1x1 linear map on the channels
    # (a frozen Dense on the last axis; no Lambda, so the model opens in safe mode).
    return [layers.Dense(3, trainable=False, name="imagenet_bgr_mean")]


def set_caffe_weights(layer) -> None:
    kernel = np.zeros((3, 3), np.float32)
    for rgb, bgr in ((0, 2), (1, 1), (2, 0)):
        kernel[rgb, bgr] = 1.0
    bias = -np.array(_IMAGENET_MEAN[::-1], np.float32)
    layer.set_weights([kernel, bias])


def imagenet_spec(text: str) -> tuple[str, str, str]:
    """(arch, keras.applications attribute, preprocessing mode) of ``imagenet:ARCH``.

    ARCH is a registered counterpart (any case: imagenet:resnet50, imagenet:ResNet50)
    or any other keras.applications model as Keras spells it (imagenet:EfficientNetB0).
    """
    name = text[len(IMAGENET_PREFIX):].strip()
    arch = name.lower().replace("_", "").replace("-", "")
    if arch in IMAGENET_ARCHS:
        return (arch, *IMAGENET_ARCHS[arch])
    names = keras_application_names()
    if name not in names:
        close = _close_names(name, names)
        raise NetlabError(f"{text}: keras.applications has no model {name!r} (names are case-sensitive, "
                          f"as Keras spells them); " + (f"close: {close}" if close else
                                                        "e.g. imagenet:EfficientNetB0, imagenet:ConvNeXtTiny"))
    return name, name, preprocessing_mode(name)


def keras_application_names() -> list[str]:
    """The model constructors keras.applications has, as Keras spells them."""
    import keras

    return sorted(n for n in dir(keras.applications) if n[:1].isupper() and callable(getattr(keras.applications, n)))


def _close_names(name: str, names: list[str]) -> str:
    by_lower = {n.lower(): n for n in names}
    close = [by_lower[n] for n in difflib.get_close_matches(name.lower(), list(by_lower), n=4, cutoff=0.6)]
    return ", ".join(IMAGENET_PREFIX + n for n in close)


def imagenet_choices() -> list[str]:
    """Every ``imagenet:ARCH`` there is, for a list: the registered counterparts, then the other
    keras.applications models."""
    covered = {attr for attr, _ in IMAGENET_ARCHS.values()}
    return [IMAGENET_PREFIX + a for a in IMAGENET_ARCHS] + [
        IMAGENET_PREFIX + n for n in KERAS_APPLICATIONS if n not in covered]


def _mode_outputs(x):
    return {"inside": x, "tf": x / 127.5 - 1.0,
            "torch": (x / 255.0 - np.array([0.485, 0.456, 0.406])) / np.array(_IMAGENET_STD),
            "caffe": x[..., ::-1] - np.array(_IMAGENET_MEAN[::-1])}


def preprocessing_mode(attr: str) -> str:
    """The preprocessing a keras.applications model's weights expect, read off what its module's
    preprocess_input does to a few pixels: tf, torch, caffe, or inside (the model scales [0, 255] itself)."""
    import keras

    module = importlib.import_module(getattr(keras.applications, attr).__module__)
    probe = np.array([[[[0.0, 128.0, 255.0], [10.0, 20.0, 30.0]]]], np.float32)
    got = np.asarray(module.preprocess_input(probe.copy()), np.float64)
    for mode, expected in _mode_outputs(probe.astype(np.float64)).items():
        if got.shape == expected.shape and np.allclose(got, expected, atol=1e-3):
            return mode
    raise NetlabError(f"imagenet:{attr}: its preprocess_input is none of those NetLab puts inside a "
                      "model (tf, torch, caffe, or the model's own)")


def imagenet_source_for(arch: str) -> str | None:
    """``imagenet:NAME`` for a registry architecture with a keras.applications counterpart, else None."""
    name = _REGISTRY_TO_IMAGENET.get(arch, arch.replace("_", ""))
    return IMAGENET_PREFIX + name if name in IMAGENET_ARCHS else None


def _offline_error(text: str, cached: Path, origin: str | None) -> NetlabError:
    source = origin or "Keras's applications weights release"
    return NetlabError(
        f"{text}: the ImageNet weights are not in Keras's cache and could not be downloaded "
        f"(offline?). Put the file {cached.name} (from {source}) in {cached.parent}, then run again")


@contextlib.contextmanager
def _announced_once_bytes_arrive():
    """Keras's "Downloading data from URL" line, from this thread, is held until the download prints
    its progress: offline, the error that names the file and its URL is the only line."""
    from keras.src.utils import io_utils

    original, me, held = io_utils.print_msg, threading.get_ident(), []

    def print_msg(message, line_break=True):
        if threading.get_ident() == me and not held and str(message).startswith("Downloading data from"):
            held.append((message, line_break))
            return
        if threading.get_ident() == me:
            while held:
                original(*held.pop())
        original(message, line_break)

    io_utils.print_msg = print_msg
    try:
        yield
        while held:  # downloaded without a progress line
            original(*held.pop())
    finally:
        io_utils.print_msg = original


@contextlib.contextmanager
def _cache_first(text: str):
    """While this thread builds a keras.applications model: a weights file already in Keras's cache
    is used as it is (no hash check, no network); a missing one downloads through Keras (its progress
    reported as any download), and offline the NetlabError names the file and the folder for it."""
    from keras.src.utils import file_utils

    original, me = file_utils.get_file, threading.get_ident()

    def get_file(fname=None, origin=None, *args, **kwargs):
        if threading.get_ident() != me:  # another thread's download (a dataset): Keras's own way
            return original(fname, origin, *args, **kwargs)
        subdir = kwargs.get("cache_subdir", "datasets")
        cached = Path(kwargs.get("cache_dir") or keras_models_dir().parent) / subdir / fname
        if cached.is_file():
            return str(cached)
        if os.environ.get("NETLAB_OFFLINE"):
            raise _offline_error(text, cached, origin)
        try:
            with _announced_once_bytes_arrive():
                return original(fname, origin, *args, **kwargs)
        except Exception as exc:  # Keras's get_file raises a bare Exception when the URL fails
            if "URL fetch failure" in str(exc) or isinstance(exc, OSError):
                raise _offline_error(text, cached, origin) from None
            raise

    file_utils.get_file = get_file
    try:
        yield
    finally:
        file_utils.get_file = original


def _imagenet_source(text: str, image_side: int | None) -> Source:
    import keras

    arch, attr, mode = imagenet_spec(text)
    side = image_side or 224
    constructor = getattr(keras.applications, attr)
    try:
        with _imagenet_lock, _cache_first(text), warnings.catch_warnings():
            # MobileNets at another size than their weights' load the 224-pixel ones and say so; the
            # convolutions' weights fit any size.
            warnings.filterwarnings("ignore", message=".*Weights for input shape", category=UserWarning)
            backbone = constructor(include_top=False, weights="imagenet", input_shape=(side, side, 3))
    except (ValueError, OSError) as exc:  # too small an input for the architecture, a damaged file
        raise NetlabError(f"{text}: {' '.join(str(exc).split())}") from None
    inputs = keras.Input((side, side, 3), name="image")
    x = inputs
    prep = imagenet_preprocessing(mode)
    for layer in prep:
        x = layer(x)
    if mode == "caffe":
        set_caffe_weights(prep[0])
    outputs = backbone(x)
    base = keras.Model(inputs, outputs, name=f"imagenet_{arch.lower()}")
    return Source(text, base, None, None)


def model_label(arch: str, source: str | None, into_arch: bool = False) -> str:
    """What a run trains, in a few words: the architecture, or the fine-tuned source (its model is the
    source's layers, not ``arch``, unless loaded into NetLab's architecture)."""
    if not source:
        return arch
    short = source if source.startswith(IMAGENET_PREFIX) else Path(source).name
    return f"{arch} from {short}" if into_arch else f"{short}, fine-tuned"


def registry_options(source_name: str, arch: str, options: dict) -> dict:
    """``options`` for NetLab's ``arch`` holding ``source_name``'s weights: the layout ImageNet weights
    need (ResNet's keras layout) filled in where the experiment does not set it."""
    if not source_name.startswith(IMAGENET_PREFIX):
        return dict(options)
    counterpart, needed = IMAGENET_REGISTRY.get(imagenet_spec(source_name)[0], (None, {}))
    return {**needed, **options} if counterpart == arch else dict(options)
