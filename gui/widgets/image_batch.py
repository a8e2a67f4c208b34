"""The batch of images the Statistics tab computes on.

Compared by identity, never by value: ``LatestJob`` compares a new request
with the one running, and ``==`` on numpy arrays is elementwise (an error
in a boolean context).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(eq=False)
class ImageBatch:
    x: np.ndarray  # float32 pixels in [0, 255] at the model's input size
    y: np.ndarray | None  # labels when the images' classes are the model's
    description: str


@dataclass(eq=False)
class SavedStatistics:
    """Moving statistics put aside by a recompute, for Undo."""

    values: list
