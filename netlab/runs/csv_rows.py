"""Reading a run's CSV files (history.csv, health.csv): a damaged row is an error naming its line."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from netlab.base.errors import TrainingError


def read_rows(path: Path, convert: Callable[[dict], dict], damaged: str) -> list[dict]:
    """``convert(row)`` for each row of the CSV file ``path`` (FileNotFoundError when there is
    none); a row it cannot convert (KeyError, TypeError, ValueError) is a TrainingError:
    "PATH is damaged at line N" and then ``damaged``, what to do about it."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = []
        for row in reader:
            try:
                rows.append(convert(row))
            except (KeyError, TypeError, ValueError):
                raise TrainingError(f"{path} is damaged at line {reader.line_num}{damaged}") from None
        return rows
