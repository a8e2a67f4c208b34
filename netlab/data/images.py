"""Robust image decoding for datasets: any mode PIL opens becomes 8-bit L or RGB.

The same conversion rules as ``netlab.predict.model.load_image`` (EXIF rotation
applied; transparency over white; 16-bit scaled down), so a model sees the
same pixels in training as when a person drops the file on it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from netlab.base.errors import ImageLoadError

# The one limit on the images NetLab opens (10,000 x 10,000), checked from the
# file's header before any pixel is decoded. PNG, TIFF, BMP... cannot be decoded
# at a reduced scale (only JPEG can), so it also bounds the one full decode such
# an image needs: 300 MB for RGB.
MAX_PIXELS = 100_000_000
# Pillow's own decompression-bomb check (a warning above MAX_IMAGE_PIXELS, an
# error above twice that) only backs ours up, far above it: NetLab refuses
# those sizes anyway, with its own message that names the image's size.
Image.MAX_IMAGE_PIXELS = 10 * MAX_PIXELS
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
# An image is decoded reduced when both its sides exceed the size wanted by more
# than this factor; the final resize then starts from at least twice that size
# (Pillow's ``reducing_gap`` of ``thumbnail``), so the reduction costs no quality.
REDUCING_GAP = 2.0
# Modes whose pixels Image.reduce may average (not palette indices, not 1-bit or 16-bit).
REDUCIBLE_MODES = frozenset({"L", "LA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "I", "F"})
# EXIF orientation -> the transpose that shows the image upright (as ImageOps.exif_transpose).
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90,
}

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
    with open_image(path) as img:
        mode = img.mode
        img.verify()
    return mode


def too_large_message(name: str, size: tuple[int, int] | None = None) -> str:
    limit = f"{MAX_PIXELS / 1e6:.0f} megapixels ({MAX_PIXELS:,} pixels)"
    what = f"{size[0]:,} x {size[1]:,} pixels" if size else f"over {2 * Image.MAX_IMAGE_PIXELS:,} pixels"
    return f"{name} is too large ({what}); NetLab opens images of at most {limit}: scale it down first"


@contextlib.contextmanager
def open_image(path: str | Path) -> Iterator[Image.Image]:
    """Image.open, refusing an image over MAX_PIXELS from its header (nothing decoded yet)."""
    name = Path(path).name
    try:
        img = Image.open(path)
    except Image.DecompressionBombError:  # absurdly large: Pillow stops before we see the size
        raise ImageLoadError(too_large_message(name)) from None
    with img:
        if img.width * img.height > MAX_PIXELS:
            raise ImageLoadError(too_large_message(name, img.size))
        yield img


def load_reduced(img: Image.Image, smallest: int | None, mode: str | None = None) -> Image.Image:
    """Decode an opened image upright, reduced when it is far larger than needed.

    ``smallest`` is the side the caller will resize to (the model's input).
    JPEG is decoded reduced by libjpeg itself (``draft``: 1/2, 1/4 or 1/8
    scale, never below ``smallest``), so a 40-megapixel photo never exists in
    memory at full size; other formats are decoded once and then reduced by an
    integer factor (``Image.reduce``, a box filter) that keeps both sides at
    least ``REDUCING_GAP`` times ``smallest``, before any conversion copies them.
    """
    if smallest is None:
        img.load()
        return ImageOps.exif_transpose(img)
    # libjpeg's reduced scales are a proper downscale (a smaller inverse DCT), so
    # they need no gap: the smallest scale that still covers ``smallest``.
    img.draft(mode, (smallest, smallest))
    img.load()
    wanted = int(smallest * REDUCING_GAP)
    factor = min(img.size) // wanted
    if factor < 2:
        return ImageOps.exif_transpose(img)
    # reduce() returns a new image without the file's EXIF: read the orientation first.
    orientation = img.getexif().get(0x0112)
    if img.mode not in REDUCIBLE_MODES:  # palette, 1-bit, 16-bit: to 8-bit pixels first
        img = to_8bit(img)
    img = img.reduce(factor)
    transpose = _ORIENTATION_TRANSPOSE.get(orientation)
    return img.transpose(transpose) if transpose is not None else img


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
    with open_image(path) as img:
        img = to_8bit(load_reduced(img, size, "RGB" if channels == 3 else "L"))
    img = img.convert("L" if channels == 1 else "RGB")
    if img.size != (size, size):
        img = img.resize((size, size), Image.Resampling.BILINEAR)
    arr = np.asarray(img, dtype=np.uint8)
    return arr[..., None] if channels == 1 else arr
