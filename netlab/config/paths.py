"""Dotted paths into an experiment ("training.learning_rate"): read a setting, write it.
The window's fields (gui/forms/bindings.py) and the search space (netlab/config/search_space.py)
name settings this way."""

from __future__ import annotations


def config_value(obj, path: str):
    """The value at a dotted path ("training.learning_rate") of an Experiment."""
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def set_value(experiment, path: str, value) -> None:
    """Set the setting at a dotted path of an Experiment."""
    *parents, name = path.split(".")
    setattr(config_value(experiment, ".".join(parents)), name, value)
