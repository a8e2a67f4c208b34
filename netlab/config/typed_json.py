"""A configuration's JSON read into the dataclasses: typed, every wrong value named.

``typed_from_dict`` builds a dataclass from a JSON object, refusing an unknown
setting or a value of the wrong type with a :class:`ConfigError` that names its
dotted path; ``decode_config_text`` reads a file's bytes in the encodings
Windows editors save.
"""

from __future__ import annotations

import codecs
import dataclasses
import typing

from netlab.base.errors import ConfigError, shown


def decode_config_text(raw: bytes, path) -> str:
    """A JSON file's text: UTF-8, or UTF-8/UTF-16/UTF-32 with a byte-order mark.

    Windows editors (Notepad, PowerShell's ``>``) save with a BOM or as UTF-16.
    """
    # UTF-32's marks start with UTF-16's: test the longer ones first.
    marks = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
             (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    encoding = next((name for bom, name in marks if raw.startswith(bom)), "utf-8")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"configuration {path} is not {encoding.upper().replace('-SIG', '')} text "
            f"(undecodable byte at position {exc.start}); save it as UTF-8"
        ) from None


def typed_from_dict(cls, data, prefix: str):
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'configuration'} must be a JSON object")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(
            f"unknown setting {prefix}{unknown[0]} (known: {', '.join(sorted(names))})"
        )
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(hints[name], value, prefix + name)
    return cls(**kwargs)


def _coerce(hint, value, name: str):
    if dataclasses.is_dataclass(hint):
        return typed_from_dict(hint, value, name + ".")
    args = typing.get_args(hint)
    if type(None) in args:  # Optional[X]
        if value is None:
            return None
        hint = next(a for a in args if a is not type(None))
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    origin = typing.get_origin(hint) or hint
    if origin is float and isinstance(value, float):
        return value
    if origin in (int, str, bool, dict) and type(value) is origin:
        return value
    if origin is list and isinstance(value, list) and all(type(v) is str for v in value):
        return list(value)
    expected = {float: "a number", int: "an integer", str: "a string", bool: "true or false",
                dict: "an object", list: "a list of names"}.get(origin, str(origin))
    raise ConfigError(f"{name} must be {expected} (got {shown(value)})")
