"""Tiny real models and image folders for the classification and evaluation tests."""

import keras
import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

SIDE = 16
CLASSES = ["cat", "dog", "owl"]


def tiny_model(seed=0, classes=3):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((SIDE, SIDE, 3)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(classes, activation="softmax"),
    ])


def random_image(seed, size=(20, 24)):
    pixels = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def image_folder(root, count=5):
    """``count`` images, some in a sub-folder, a broken PNG and a text file that is not an image."""
    (root / "sub").mkdir(parents=True)
    for i in range(count):
        random_image(i).save(root / ("sub" if i % 2 else "") / f"img{i}.png")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00garbage")
    (root / "notes.txt").write_text("not an image")
    return root


def digit_folder(root, classes, per_class, side, offset=0):
    """Real scikit-learn digits written as PNGs into root/<name>/, named as ``classes`` maps them."""
    digits = load_digits()
    for digit, name in classes.items():
        (root / name).mkdir(parents=True)
        indices = np.flatnonzero(digits.target == digit)[offset:offset + per_class]
        for i in indices:
            pixels = (digits.images[i] * (255 / 16)).astype(np.uint8)
            Image.fromarray(pixels, mode="L").resize((side, side), Image.Resampling.BILINEAR).save(
                root / name / f"{i}.png")
    return root
