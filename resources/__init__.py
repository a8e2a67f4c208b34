"""Data NetLab ships that is not code, read with importlib.resources so an installed package finds it.

- ``experiments/*.json``: the lessons (netlab/lessons/spec.py)
- ``pretrained_models.json``: GluonCV's model-zoo table of pretrained ImageNet models (netlab/inspect/published.py)
- ``icons/NAME-SIZE.png``: the application's and windows' icons
- ``netlab.desktop``: the Linux desktop entry (``netlab gui --install-desktop-entry``)
- ``samples/DATASET/CLASS/*.png``: a few images per built-in dataset, to drop on a model

Where each file comes from and under which license: README.md in this folder;
``python -m netlab.resources.make_resources`` draws the icons and samples again.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

IMAGE_SUFFIXES = (".png",)


def _folder(*parts: str):
    return resources.files(__name__).joinpath(*parts)


def icon_files(name: str) -> dict[int, bytes]:
    """An icon's PNG data by pixel size (``icons/NAME-SIZE.png``); empty for an unknown name."""
    found = {}
    for item in _folder("icons").iterdir():
        stem, _, size = item.name.removesuffix(".png").rpartition("-")
        if item.name.endswith(".png") and stem == name and size.isdigit():
            found[int(size)] = item.read_bytes()
    return dict(sorted(found.items()))


def sample_datasets() -> list[str]:
    """The datasets that have sample images."""
    return sorted(item.name for item in _folder("samples").iterdir() if item.is_dir())


def samples_folder(dataset: str | None = None) -> Path:
    """The sample images' folder on disk (one dataset's, or all), ``CLASS/*.png`` under each dataset.

    A file to drag must be a file: pip installs NetLab's wheel as plain files (never zipped).
    """
    return Path(str(_folder("samples", *([dataset] if dataset else []))))


def sample_images(dataset: str) -> list[Path]:
    """A dataset's sample images, sorted (``samples/DATASET/CLASS/NAME.png``)."""
    return sorted(p for p in samples_folder(dataset).rglob("*") if p.suffix in IMAGE_SUFFIXES)
