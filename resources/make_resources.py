"""Regenerate the icons and sample images in this folder: ``python -m netlab.resources.make_resources``.

Everything here is drawn by this script or taken from data whose license
allows it (README.md in this folder says which); the output is deterministic,
so running it again rewrites the same files.

- ``icons/netlab-N.png``: the application and main-window icon, three stacked
  feature maps shrinking towards a classifier, drawn with Pillow.
- ``icons/experiments-N.png``: the Experiments window's icon, two training
  curves overlaid.
- ``samples/digits/CLASS/*.png``: scikit-learn's bundled handwritten digits
  (BSD-3-Clause), as the ``digits`` dataset makes them (32x32 grayscale), taken
  from the validation split of the default settings (seed 0), so a model trained
  on digits with those settings has not trained on them.
- ``samples/shapes/CLASS/*.png``: new images from the ``shapes`` dataset's own
  generator (``netlab.data.sources.draw_shape``) with a seed the dataset never uses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
DIGITS_PER_CLASS = 2
SHAPES_PER_CLASS = 3
SHAPES_SEED = 20260  # the shapes dataset draws from its config's seed (0 by default)
DRAW = 1024  # icons are drawn large, then downsampled (anti-aliasing)


def _rounded_tile(fill) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGBA", (DRAW, DRAW), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle([24, 24, DRAW - 24, DRAW - 24], radius=200, fill=fill)
    return img, draw


def netlab_icon() -> Image.Image:
    """Three feature maps, each smaller and further right, then one output dot."""
    img, draw = _rounded_tile((28, 52, 92, 255))
    maps = (((100, 250, 560), (86, 180, 233)), ((350, 330, 400), (0, 158, 115)), ((560, 400, 260), (240, 228, 66)))
    for (x, y, side), colour in maps:
        for k in (2, 1, 0):  # a little stack: the map's channels
            off = k * side // 10
            shade = tuple(int(c * (0.55 + 0.2 * (2 - k))) for c in colour)
            draw.rounded_rectangle([x + off, y - off, x + off + side, y - off + side], radius=side // 10,
                                   fill=shade + (255,), outline=(255, 255, 255, 255), width=10)
    draw.ellipse([870, 480, 950, 560], fill=(230, 159, 0, 255), outline=(255, 255, 255, 255), width=10)
    return img


def experiments_icon() -> Image.Image:
    """Two curves rising to different heights: the arms of a lesson, overlaid."""
    img, draw = _rounded_tile((245, 245, 240, 255))
    draw.line([(170, 160), (170, 860), (880, 860)], fill=(60, 60, 60, 255), width=28, joint="curve")
    xs = np.linspace(200, 860, 40)
    for top, colour in ((0.85, (31, 119, 180, 255)), (0.55, (255, 127, 14, 255))):
        ys = 830 - top * 640 * (1 - np.exp(-(xs - 200) / 160))
        draw.line(list(zip(xs.tolist(), ys.tolist())), fill=colour, width=48, joint="curve")
    return img


def write_icon(image: Image.Image, name: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for size in ICON_SIZES:
        image.resize((size, size), Image.Resampling.LANCZOS).save(folder / f"{name}-{size}.png", optimize=True)


def write_digits(folder: Path) -> None:
    from netlab.config import DataConfig
    from netlab.data import load_dataset

    data = load_dataset(DataConfig(dataset="digits"))
    for label, name in enumerate(data.class_names):
        for k, i in enumerate(np.flatnonzero(data.y_val == label)[:DIGITS_PER_CLASS]):
            pixels = np.clip(np.rint(data.x_val[i, ..., 0]), 0, 255).astype(np.uint8)
            (folder / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels, mode="L").save(folder / name / f"digit-{name}-{k + 1}.png", optimize=True)


def write_shapes(folder: Path) -> None:
    from netlab.data.sources import SHAPE_CLASSES, draw_shape

    rng = np.random.default_rng(SHAPES_SEED)
    for name in SHAPE_CLASSES:
        (folder / name).mkdir(parents=True, exist_ok=True)
        for k in range(SHAPES_PER_CLASS):
            pixels = np.clip(np.rint(draw_shape(name, 32, rng)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels, mode="RGB").save(folder / name / f"{name}-{k + 1}.png", optimize=True)


def main() -> None:
    write_icon(netlab_icon(), "netlab", HERE / "icons")
    write_icon(experiments_icon(), "experiments", HERE / "icons")
    write_digits(HERE / "samples" / "digits")
    write_shapes(HERE / "samples" / "shapes")


if __name__ == "__main__":
    main()
