"""A run's health.csv: a row per health measurement and layer (step, epoch, layer, measures).

The rows of an epoch are written when the epoch ends, the whole file at once
(atomically, as history.csv is): a resumed run keeps the rows of the epochs its
checkpoint holds and measures the rest again.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from netlab.base.atomic import atomic_write_text, disk_full_as_error
from netlab.runs.csv_rows import read_rows
from netlab.runs.files import HEALTH_FILE

KEYS = ("step", "epoch", "layer")  # epoch: 1-based, as in history.csv


class HealthLog:
    """The rows so far; ``add`` collects a measurement, ``write`` rewrites the file with them.

    ``keep_epochs``: a resumed run's completed epochs; the file's rows of later
    epochs (cut short by the stop) are dropped.
    """

    def __init__(self, run_dir: str | Path, keep_epochs: int = 0):
        self.path = Path(run_dir) / HEALTH_FILE
        self.rows: list[dict] = []
        if keep_epochs > 0 and self.path.is_file():
            self.rows = [row for row in read_health(run_dir) if row["epoch"] <= keep_epochs]

    def add(self, step: int, epoch: int, values: dict[str, dict[str, float]]) -> None:
        """One measurement (``epoch`` 0-based): ``values[layer][measure]``."""
        for layer, measures in values.items():
            self.rows.append({"step": step, "epoch": epoch + 1, "layer": layer, **measures})

    def write(self) -> None:
        columns = list(dict.fromkeys(key for row in self.rows for key in (*KEYS, *row)))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        with disk_full_as_error(self.path):
            atomic_write_text(self.path, buffer.getvalue())


def read_health(run_dir: str | Path) -> list[dict]:
    """health.csv's rows: step and epoch as ints, the layer's name, its measures as floats (a
    measure that does not apply to the layer is left out); FileNotFoundError when there is none."""
    def convert(row):
        return {"step": int(row["step"]), "epoch": int(row["epoch"]), "layer": row["layer"],
                **{k: float(v) for k, v in row.items() if k not in KEYS and k and v}}

    return read_rows(Path(run_dir) / HEALTH_FILE, convert,
                     "; remove that line or the file (training the run again writes it anew)")
