"""A search space: which settings a hyperparameter search varies, and over what.

Declared in the experiment JSON under ``search.space``, one entry per setting
by its dotted config path (netlab/search/study.py runs the search):

    "training.learning_rate": {"low": 1e-4, "high": 1e-2, "log": true}
    "training.batch_size": {"low": 16, "high": 64, "step": 16}
    "regularization.norm": {"choices": ["batch", "none"]}

Rates and weight decays are searched on a log scale (their scale matters, not
their digits; Bergstra & Bengio 2012). This module reads the
entries' shape and checks that each path is a setting and that its bounds and
choices are values it accepts; ``Experiment.validate()`` (netlab/config/experiment.py)
runs those checks, so a bad entry is one ConfigError line wherever it is read, and
``Experiment.validated_space()`` returns the Dimensions it checked (a search reads
the space once).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import typing
from dataclasses import dataclass

from netlab.base.errors import ConfigError, shown
from netlab.config.limits import is_finite_number
from netlab.config.paths import config_value, set_value

# What `netlab search` searched before the space was declared in the JSON.
DEFAULT_SPACE = {
    "training.learning_rate": {"low": 1e-4, "high": 1e-2, "log": True},
    "regularization.l2": {"low": 1e-6, "high": 1e-3, "log": True},
    "regularization.dropout": {"low": 0.0, "high": 0.5},
}
# The short names `netlab search --space` took before: name -> (dotted path, log scale).
KNOB_PATHS = {
    "learning_rate": ("training.learning_rate", True),
    "weight_decay": ("training.weight_decay", True),
    "l2": ("regularization.l2", True),
    "dropout": ("regularization.dropout", False),
}
RANGE_KEYS = ("low", "high", "log", "step")


@dataclass(frozen=True)
class Dimension:
    """One searched setting: a float or int range, or a list of choices."""

    path: str
    kind: str  # "float", "int" or "choice"
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple = ()

    def suggest(self, trial):
        """The value an Optuna trial draws for this setting (its parameter is named by the path)."""
        if self.kind == "choice":
            return trial.suggest_categorical(self.path, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.path, int(self.low), int(self.high), step=int(self.step or 1),
                                     log=self.log)
        return trial.suggest_float(self.path, self.low, self.high, log=self.log, step=self.step)

    def grid(self, points: int) -> list:
        """The values a grid search tries: the choices, the steps, or ``points`` spread over the range
        (evenly on the range's scale)."""
        if self.kind == "choice":
            return list(self.choices)
        if self.step is not None:
            count = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
            values = [self.low + i * self.step for i in range(count)]
        elif self.log:
            ratio = math.log(self.high / self.low)
            values = [self.low * math.exp(ratio * i / (points - 1)) for i in range(points)]
        else:
            values = [self.low + (self.high - self.low) * i / (points - 1) for i in range(points)]
        if self.kind == "int":
            return sorted({int(round(v)) for v in values})
        return [min(max(v, self.low), self.high) for v in values]

    def bounds(self) -> list:
        """The values that stand for the whole range when validated: its ends, or every choice."""
        return list(self.choices) if self.kind == "choice" else [self.low, self.high]


def _number(where: str, key: str, value, integer: bool):
    if not is_finite_number(value):
        raise ConfigError(f"{where}: {key} must be a finite number (got {shown(value)})")
    if integer and value != int(value):
        raise ConfigError(f"{where}: {key} must be a whole number for this integer setting (got {shown(value)})")
    return int(value) if integer else float(value)


def parse_dimension(path: str, spec, kind: type) -> Dimension:
    """One ``search.space`` entry, read for a setting of ``kind`` (float, int, str or bool)."""
    where = f"search.space.{path}"
    if not isinstance(spec, dict):
        raise ConfigError(f'{where} must be an object: {{"low": .., "high": .., "log": true}} or '
                          f'{{"choices": [..]}} (got {shown(spec)})')
    if "choices" in spec:
        unknown = sorted(set(spec) - {"choices"})
        if unknown:
            raise ConfigError(f"{where}: {shown(unknown[0])} does not go with choices (a list of values only)")
        choices = spec["choices"]
        if not isinstance(choices, list) or not choices:
            raise ConfigError(f"{where}: choices must be a non-empty list (got {shown(choices)})")
        if not all(c is None or isinstance(c, bool | int | float | str) for c in choices):
            raise ConfigError(f"{where}: each choice must be a number, a string, true/false or null")
        if len({repr(c) for c in choices}) != len(choices):
            raise ConfigError(f"{where}: choices repeat a value ({shown(choices)})")
        return Dimension(path, "choice", choices=tuple(choices))
    unknown = sorted(set(spec) - set(RANGE_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {shown(unknown[0])} (a range takes {', '.join(RANGE_KEYS)}; "
                          "a list of values takes choices)")
    if kind not in (int, float):
        raise ConfigError(f"{where}: a {kind.__name__} setting is searched with "
                          '{"choices": [..]}, not a range')
    if "low" not in spec or "high" not in spec:
        raise ConfigError(f'{where}: a range needs "low" and "high" (got {shown(spec)})')
    integer = kind is int
    low, high = (_number(where, key, spec[key], integer) for key in ("low", "high"))
    if not low < high:
        raise ConfigError(f"{where}: low must be below high (got {low:g}, {high:g})")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}: log must be true or false (got {shown(log)})")
    if log and low <= 0:
        raise ConfigError(f"{where}: a log-scale range needs low > 0 (got {low:g})")
    step = spec.get("step")
    if step is not None:
        step = _number(where, "step", step, integer)
        if step <= 0 or step > high - low:
            raise ConfigError(f"{where}: step must be > 0 and at most high - low (got {step:g})")
        if log and not (integer and step == 1):
            raise ConfigError(f"{where}: a range takes log or step, not both")
    return Dimension(path, "int" if integer else "float", low, high, log, step)


def setting_type(experiment, path: str) -> tuple[type, bool]:
    """The type (float, int, str, bool) of the setting at a dotted path, and whether it may be
    null; ConfigError when the path is no such setting."""
    where = f"search.space.{path}"
    parts = path.split(".") if isinstance(path, str) else []
    obj = experiment
    for i, part in enumerate(parts):
        if not dataclasses.is_dataclass(obj) or part not in {f.name for f in dataclasses.fields(obj)}:
            raise ConfigError(f"{where}: unknown setting {shown(path)} (a dotted path such as "
                              "training.learning_rate or regularization.dropout)")
        hint = typing.get_type_hints(type(obj))[part]
        obj = getattr(obj, part)
        if i < len(parts) - 1:
            continue
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        hint = args[0] if args else hint
        if parts[0] == "search" or hint not in (float, int, str, bool):
            raise ConfigError(f"{where}: {path} is not a setting a search can vary "
                              "(one number, string or true/false of the model, regularization, data or training)")
        return hint, optional
    raise ConfigError(f"{where}: unknown setting {shown(path)}")


def search_dimensions(experiment, limits: dict) -> list:
    """``search.space`` as Dimensions, each checked: its path is a setting and every value the
    search can give it is one that setting accepts (``parse_space``, then ``check_values``)."""
    dimensions = parse_space(experiment)
    check_values(experiment, dimensions, limits)
    return dimensions


def parse_space(experiment) -> list:
    """``search.space`` read as Dimensions: each path a setting, each entry well formed and each
    choice of the setting's type. The values themselves are ``check_values``'s."""
    space = experiment.search.space
    if not isinstance(space, dict):  # a JSON file's is checked as it is read; the Search tab's text is not
        raise ConfigError('search.space must be a JSON object of settings, e.g. '
                          '{"training.learning_rate": {"low": 1e-4, "high": 1e-2, "log": true}} '
                          f"(got {shown(space)})")
    dimensions = []
    for path, spec in space.items():
        kind, optional = setting_type(experiment, path)
        dimensions.append(parse_dimension(path, spec, kind))
        for choice in dimensions[-1].choices:
            _check_choice(path, choice, kind, optional)
    return dimensions


def check_values(experiment, dimensions: list, limits: dict) -> None:
    """Every value the search can give a setting (a range's ends, each choice) is one it accepts
    (``limits``: netlab.config.LIMITS; a choice is checked by validating the experiment with it)."""
    probe = None
    for dim in dimensions:
        for value in dim.bounds():
            try:
                if dim.kind != "choice" and dim.path in limits:  # a range's ends: its limits say
                    limits[dim.path].check(dim.path, value)
                    continue
                # A choice (an architecture, a normalization ...): the whole experiment with it.
                probe = probe or copy.deepcopy(experiment)
                probe.search.space = {}
                kept = config_value(probe, dim.path)
                set_value(probe, dim.path, value)
                probe.validate()
                set_value(probe, dim.path, kept)
            except ConfigError as exc:
                raise ConfigError(f"search.space.{dim.path}: {shown(value)} is refused: {exc}") from None


def _check_choice(path: str, value, kind: type, optional: bool) -> None:
    """A choice has the setting's type (whole numbers for an integer setting; null where it may be)."""
    if value is None and optional:
        return
    fits = (isinstance(value, bool) if kind is bool else
            not isinstance(value, bool) and (isinstance(value, int | float) if kind is float else isinstance(value, kind)))
    if not fits:
        expected = {float: "a number", int: "a whole number", str: "a string", bool: "true or false"}[kind]
        raise ConfigError(f"search.space.{path}: each choice must be {expected}"
                          f"{' or null' if optional else ''} (got {shown(value)})")


def space_from_flag(space: dict) -> dict:
    """``netlab search --space``: the JSON's entries, or the old short form ``{"dropout": [0, 0.5]}``."""
    if not isinstance(space, dict):
        raise ConfigError(f"--space must be a JSON object of settings (got {shown(space)})")
    converted = {}
    for name, spec in space.items():
        if name in KNOB_PATHS and isinstance(spec, list | tuple):
            path, log = KNOB_PATHS[name]
            if len(spec) != 2:
                raise ConfigError(f"--space: {name} needs a [low, high] pair (got {shown(spec)})")
            converted[path] = {"low": spec[0], "high": spec[1], "log": log}
        else:
            converted[name] = spec
    return converted
