"""Keras's built-in datasets: MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100.

Keras downloads each into its cache (``~/.keras/datasets``, or ``$KERAS_HOME``)
on first use and reads it from there afterwards. Offline, the download fails
and a DataError says which file to fetch and exactly where to put it, so the
dataset can be copied in from another machine.
"""

from __future__ import annotations

import gzip
import os
import pickle
import socket
from dataclasses import dataclass

import numpy as np
from PIL import Image

from netlab.base.errors import DataError
from netlab.data.dataset import DataSource
from netlab.data.registry import register_source

# Keras is imported inside functions: the window and `netlab --help` import this module at start-up
# and show before Keras loads.

# A download that has not started within this many seconds is offline
# (set around Keras's call only; the previous default is restored after).
CONNECT_TIMEOUT_S = 20.0

_TF_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class KerasDataset:
    name: str
    module: str  # keras.datasets.<module>
    # (URL, name the file must have) relative to the Keras cache's "datasets" folder,
    # as keras.utils.get_file stores them (Keras 3).
    files: tuple[tuple[str, str], ...]
    class_names: tuple[str, ...]


FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                   "truck")
# The 100 fine labels of CIFAR-100 in label order (its meta file's fine_label_names).
CIFAR100_CLASSES = tuple("""
apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly
camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup
dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower
leopard lion lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid
otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray
road rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar
sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip turtle
wardrobe whale willow_tree wolf woman worm
""".split())
assert len(CIFAR100_CLASSES) == 100

KERAS_DATASETS = {
    d.name: d for d in (
        KerasDataset("mnist", "mnist", ((_TF_DATASETS + "mnist.npz", "mnist.npz"),),
                     tuple(str(i) for i in range(10))),
        KerasDataset("fashion_mnist", "fashion_mnist", tuple(
            (_TF_DATASETS + f, os.path.join("fashion-mnist", f)) for f in (
                "train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")), FASHION_CLASSES),
        # Keras 3 stores the downloaded archive under "<fname>_archive" and extracts beside it.
        KerasDataset("cifar10", "cifar10", (("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                                             "cifar-10-batches-py-target_archive"),), CIFAR10_CLASSES),
        KerasDataset("cifar100", "cifar100", (("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                                               "cifar-100-python-target_archive"),), CIFAR100_CLASSES),
    )
}


def keras_datasets_dir() -> str:
    """The folder Keras downloads datasets into (what keras.utils.get_file uses)."""
    try:
        from keras.src.backend.config import keras_home

        base = keras_home()
    except ImportError:  # a Keras without that accessor: its documented default
        base = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    base = os.path.expanduser(base)
    if not os.access(base, os.W_OK):  # Keras falls back to /tmp/.keras then
        base = os.path.join("/tmp", ".keras")
    return os.path.join(base, "datasets")


def expected_files(name: str) -> list[tuple[str, str]]:
    """(URL, absolute path) of each file Keras needs for dataset ``name``."""
    folder = keras_datasets_dir()
    return [(url, os.path.join(folder, target)) for url, target in KERAS_DATASETS[name].files]


def download_help(name: str) -> str:
    lines = [f"  {url}\n    save as {path}" for url, path in expected_files(name)]
    return ("Download it on a machine with internet access and copy it here:\n" + "\n".join(lines)
            + "\n(then NetLab reads it from there without downloading).")


def load_keras_arrays(name: str):
    """Official (x_train, y_train), (x_test, y_test) of a Keras dataset, as uint8 (N, H, W, C)."""
    import keras

    module = getattr(keras.datasets, KERAS_DATASETS[name].module)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(CONNECT_TIMEOUT_S)
    try:
        (x_train, y_train), (x_test, y_test) = module.load_data()
    except Exception as exc:  # Keras raises a bare Exception on a URL fetch failure
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"the {name} dataset could not be downloaded ({reason}). {download_help(name)}"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
    if x_train.ndim == 3:  # MNIST, Fashion-MNIST: grayscale without a channel axis
        x_train, x_test = x_train[..., None], x_test[..., None]
    return x_train, y_train.reshape(-1), x_test, y_test.reshape(-1)


# The smallest cached file holding a test image of each dataset, and how to read
# one image from it (for the augmentation preview: never the whole dataset).
_SAMPLE_FILES = {
    "mnist": "mnist.npz",
    "fashion_mnist": os.path.join("fashion-mnist", "t10k-images-idx3-ubyte.gz"),
    "cifar10": os.path.join("cifar-10-batches-py-target", "cifar-10-batches-py", "test_batch"),
    "cifar100": os.path.join("cifar-100-python-target", "cifar-100-python", "test"),
}


def first_test_image(name: str) -> np.ndarray:
    """The first test image of a downloaded Keras dataset, (H, W, C) uint8, read from one file.

    Raises DataError when the dataset is not in Keras's cache yet: a preview
    never starts a download (CIFAR is 170 MB); training does.
    """
    path = os.path.join(keras_datasets_dir(), _SAMPLE_FILES[name])
    if not os.path.isfile(path):
        raise DataError(f"the {name} dataset is not downloaded yet, so there is no image to preview: "
                        "training downloads it first")
    if name == "mnist":
        with np.load(path) as arrays:
            return np.asarray(arrays["x_test"][0], np.uint8)[..., None]
    if name == "fashion_mnist":
        with gzip.open(path, "rb") as f:
            f.read(16)  # IDX header: magic, count, rows, columns
            return np.frombuffer(f.read(28 * 28), np.uint8).reshape(28, 28, 1)
    with open(path, "rb") as f:  # the CIFAR python batches: {b"data": (N, 3072) uint8, ...}
        batch = pickle.load(f, encoding="bytes")  # noqa: S301 - Keras's own cache, as keras.datasets reads it
    return np.asarray(batch[b"data"][0], np.uint8).reshape(3, 32, 32).transpose(1, 2, 0)


def resize_images(x: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of (N, h, w, C) images to (N, size, size, C) float32 (PIL, per channel)."""
    if x.shape[1] == size and x.shape[2] == size:
        return x.astype(np.float32)
    out = np.empty((len(x), size, size, x.shape[-1]), dtype=np.float32)
    for i, img in enumerate(x):
        for c in range(x.shape[-1]):
            out[i, ..., c] = np.asarray(Image.fromarray(img[..., c].astype(np.float32), mode="F").resize(
                (size, size), Image.Resampling.BILINEAR))
    return np.clip(out, 0, 255)


def _loader(name: str):
    def load_arrays(config, size: int):
        x_train, y_train, x_test, y_test = load_keras_arrays(name)
        classes = list(KERAS_DATASETS[name].class_names)
        return (resize_images(x_train, size), y_train.astype(np.int32), classes,
                resize_images(x_test, size), y_test.astype(np.int32))

    return load_arrays


for _name, _description, _size, _channels in (
    ("mnist", "70,000 handwritten digits (MNIST), 28x28 grayscale; downloaded by Keras on first use",
     28, 1),
    ("fashion_mnist", "70,000 clothing images in 10 classes (Fashion-MNIST), 28x28 grayscale; "
     "downloaded by Keras on first use", 28, 1),
    ("cifar10", "60,000 32x32 colour images in 10 classes (CIFAR-10); downloaded by Keras on first use",
     32, 3),
    ("cifar100", "60,000 32x32 colour images in 100 classes (CIFAR-100, fine labels); "
     "downloaded by Keras on first use", 32, 3),
):
    register_source(DataSource(_name, _description, image_size=_size, channels=_channels,
                               load_arrays=_loader(_name), download=True,
                               class_names=KERAS_DATASETS[_name].class_names))
