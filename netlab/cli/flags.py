"""The ``netlab`` command's flag types and one-line errors.

argparse turns a type function's ArgumentTypeError into an error naming the
flag; NetlabArgumentParser prints it as NetLab's one line. The limits of the
flags that are not experiment settings are given where the flags are declared
(each command's ``add_arguments``); experiment settings are checked by
``Experiment.validate()`` (``cli.settings``), so a flag and a config file get the same message.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from netlab.base.errors import NetlabError
from netlab.base.user_paths import checked_path


def number_flag(kind: type, lowest: float, above: bool = False):
    """An argparse type: an int or float that is at least ``lowest`` (or above it); never NaN or inf."""
    what = "an integer" if kind is int else "a number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what} (got {text!r})") from None
        if math.isnan(value) or math.isinf(value) or value < lowest or (above and value == lowest):
            raise argparse.ArgumentTypeError(f"must be {what} {'>' if above else '>='} {lowest:g} (got {text})")
        return value

    parse.__name__ = what  # argparse names the type in its own messages
    return parse


def run_folder_flag(text: str) -> str:
    """--out: a folder to create or use, never an existing file (nor a path the file system refuses)."""
    try:
        path = checked_path(Path(text).expanduser())
    except NetlabError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file; give a folder for the run")
    return text


class NetlabArgumentParser(argparse.ArgumentParser):
    """argparse with NetLab's one-line errors (``netlab: error: ...``, exit 2), no usage dump."""

    def error(self, message: str):
        self.exit(2, f"netlab: error: {message} (see {self.prog} --help)\n")


def os_error_text(exc: OSError) -> str:
    """'PATH: Permission denied' rather than a traceback ending in '[Errno 13] ...'."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return reason
    return f"{exc.filename}: {reason}"
