"""Paths a person types: a run folder, an output folder, a dataset folder, a model file.

Each is checked here, once, before anything looks it up. Python's own checks
do not answer for every text: on Python 3.11 ``Path.exists()`` and ``is_dir()``
raise OSError for a name longer than the file system allows (ENAMETOOLONG) or
a folder that may not be entered, and a NUL character makes every file call
raise ValueError. Such a path reached the window as an uncaught exception or
"unexpected error", and the command line as its last-resort OSError line (the
whole path and "File name too long"). Here it is one line naming the field and
what to do, the same in the window and the CLI.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from netlab.base.errors import ConfigError, NetlabError, shown

# The longest name of one file or folder, in bytes: ext4, XFS, Btrfs, tmpfs, APFS
# and NTFS (in UTF-16 units) all allow 255. A file system that allows fewer says so
# when the folder is made (ENAMETOOLONG, reported by whoever makes it).
NAME_MAX = 255


def checked_path(text, what: str = "", error: type[NetlabError] = ConfigError) -> Path:
    """``Path(text)``, once the file system can look it up, whether it exists or not.

    Raises ``error`` with one line, led by ``what`` (the field: "data.dataset", "the run folder")
    when given, where it cannot: empty, a NUL character, a name or a path longer than the file
    system allows, a character the file system's encoding cannot hold, a folder on the way that
    may not be entered. ``~`` is the caller's to expand (before, so that the check sees the path
    it will use).
    """
    def refuse(problem: str):
        return error(f"{what}: {problem}" if what else problem)

    text = os.fspath(text) if isinstance(text, os.PathLike) else str(text)
    if not text.strip():
        raise refuse("the path is empty: give a folder or a file")
    if "\0" in text:
        raise refuse(f"{shown(text, 200)} holds a NUL character (\\0), which no path may; type it again")
    path = Path(text)
    for part in path.parts:
        try:
            size = len(os.fsencode(part))
        except UnicodeError:
            raise refuse(f"{shown(part)} has characters the file system cannot store; "
                         "rename it with other characters") from None
        if size > NAME_MAX:
            raise refuse(f"the name {shown(part, 40)} is too long ({size} bytes; a file system allows "
                         f"{NAME_MAX}): choose a shorter name")
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        pass  # a path to create, or one under a file: the caller says what that means for it
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise refuse(f"the path {shown(text, 40)} is too long for the file system "
                         f"({len(os.fsencode(text))} bytes): choose a shorter one") from None
        raise refuse(f"cannot look at {shown(text, 200)}: {exc.strerror or exc}") from None
    except ValueError as exc:  # an encoding the stat call cannot take
        raise refuse(f"{shown(text, 200)} is not a path the file system can take ({exc})") from None
    return path


def fitting_name(name: str, room: int = 40) -> str:
    """``name`` cut so that it and ``room`` more bytes (a "-2" or ".old-<time>" NetLab may add)
    fit in one file name: a folder named after a long dataset folder's name stays makeable."""
    encoded = os.fsencode(name)
    if len(encoded) <= NAME_MAX - room:
        return name
    # A character cut in two is left out whole.
    return encoded[:NAME_MAX - room].decode(sys.getfilesystemencoding(), errors="ignore")
