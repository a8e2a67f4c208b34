"""Robust image decoding for datasets: any mode PIL opens becomes 8-bit L or RGB.

The same conversion rules as ``netlab.predict.load_image`` (EXIF rotation
applied; transparency over white; 16-bit scaled down), so a model sees the
same pixels in training as when a person drops the file on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

# Decompression bombs: refuse images with more pixels than this (about 16k x 16k).
MAX_PIXELS = 268_000_000

IMAGE_SUFFIXES = frozenset(
    ".jpg .jpeg .jpe .jfif .png .bmp .gif .tif .tiff .webp .ppm .pgm .pbm .pnm .ico .tga".split()
)
# Modes whose pixels carry no colour: a folder of only these trains on 1 channel.
GRAYSCALE_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


@dataclass(frozen=True)
class SkippedFile:
    """A file of an image folder that is not used, and why (for the run log)."""

    path: str
    reason: str


def probe_image(path: str | Path) -> str:
    """Cheap check of one file: its PIL mode, or raise OSError/ValueError saying why not.

    Opens the header and runs PIL's ``verify()`` (CRCs for PNG, structure for
    others) without decoding pixels; a file damaged deeper inside is caught
    when it is decoded and skipped then.
    """
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with Image.open(path) as img:
        mode = img.mode
        img.verify()
    return mode


def to_8bit(img: Image.Image) -> Image.Image:
    """8-bit L or RGB from any PIL mode (16-bit, float, palette, CMYK, alpha...)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(img, dtype=np.float64)
        # As predict.load_image: values above 255 are scaled by the image's maximum.
        top = arr.max() if arr.max() > 255 else 255.0
        return Image.fromarray(np.clip(arr / top * 255, 0, 255).astype(np.uint8), mode="L")
    if img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scaled = (arr - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(arr)
        return Image.fromarray(scaled.astype(np.uint8), mode="L")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (img.mode == "P" and "transparency" in img.info):
        # Transparent pixels over white, as an image viewer shows them.
        grey = img.mode in ("LA", "La")
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(background, rgba)
        return flat.convert("L" if grey else "RGB")
    if img.mode in ("L", "RGB"):
        return img
    if img.mode == "1":
        return img.convert("L")
    return img.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV ...


def decode_image(path: str | Path, size: int, channels: int) -> np.ndarray:
    """(size, size, channels) uint8 pixels of one file; raises on an unreadable file.

    The image is squashed to a square (bilinear), like ``predict.image_to_array``.
    """
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with Image.open(path) as img:
        # JPEG: let libjpeg decode at a reduced scale when the target is much smaller.
        img.draft("RGB" if channels == 3 else "L", (size, size))
        img = ImageOps.exif_transpose(img)
        img.load()
        img = to_8bit(img)
    img = img.convert("L" if channels == 1 else "RGB")
    if img.size != (size, size):
        img = img.resize((size, size), Image.Resampling.BILINEAR)
    arr = np.asarray(img, dtype=np.uint8)
    return arr[..., None] if channels == 1 else arr
