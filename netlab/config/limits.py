"""The allowed range of a number setting, and the checks that say why a value is refused.

``netlab.config.LIMITS`` holds one :class:`Limit` per number setting; ``validate()``
checks against it and the window's fields take their ranges from it. Every
message is one line naming the setting, its allowed range and the value given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from netlab.base.errors import ConfigError, shown


@dataclass(frozen=True)
class Limit:
    """The allowed range of a number setting; ``None`` is an open-ended side.

    One table (``LIMITS``) holds every range: ``validate()`` checks against it
    and the window's fields take their ranges from it, so a field never
    accepts what validation refuses, nor refuses what it accepts.
    """

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False  # lo itself is not allowed
    hi_open: bool = False

    def check(self, name: str, value) -> None:
        number(name, value)
        if self.hi is None and self.lo == 0 and self.lo_open:
            positive(name, value)
        elif self.hi is None:
            at_least(name, value, self.lo)
        else:
            in_range(name, value, self.lo, self.hi, self.lo_open, self.hi_open)


def is_finite_number(value) -> bool:
    """A number that is not true/false, NaN or infinite, nor an integer too large for a float
    (JSON's integers have no bound; ``math.isfinite(10**400)`` raises OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def number(name: str, value) -> float:
    if not is_finite_number(value):  # NaN, infinity and integers past a float's range too
        raise ConfigError(f"{name} must be a finite number (got {shown(value)})")
    return value


def in_range(name, value, lo, hi, lo_open=False, hi_open=False) -> None:
    number(name, value)
    if (value <= lo if lo_open else value < lo) or (value >= hi if hi_open else value > hi):
        interval = f"{'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
        raise ConfigError(f"{name} must be in {interval} (got {value})")


def at_least(name, value, lo) -> None:
    number(name, value)
    if value < lo:
        raise ConfigError(f"{name} must be >= {lo} (got {value})")


def positive(name, value) -> None:
    number(name, value)
    if not value > 0:
        raise ConfigError(f"{name} must be a positive number (got {value})")


def one_of(name, value, allowed) -> None:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)} (got {shown(value)})")
