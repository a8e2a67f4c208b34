"""Atomic file writes: write to a temporary name beside the target, then rename.

A crash or a kill at any moment leaves either the old file or the new one,
never half a file (os.replace is atomic on POSIX and Windows).

Temporary names carry TEMP_MARK (``.model.1a2b3c4d.netlab.tmp.keras``), so a
clean-up after a kill removes only what NetLab made, never a user's own
``.notes.tmp``. A write that fills the disk raises DiskFullError naming the
file, and the target keeps its previous content.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from netlab.base.errors import DiskFullError

TEMP_MARK = ".netlab.tmp"
_DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def is_netlab_temporary(name: str) -> bool:
    """True for the temporary names atomic_path makes (and only those)."""
    return name.startswith(".") and TEMP_MARK in name


def _create_temporary(path: Path) -> Path:
    """A new empty file beside ``path``, keeping all of its suffixes (Keras checks ``.weights.h5``).

    Created with mode 0o666 so the user's umask decides the final mode, as for
    any other file (tempfile.mkstemp would make it 0600).
    """
    base, dot, suffixes = path.name.partition(".")
    for _ in range(100):
        tmp = path.with_name(f".{base}.{secrets.token_hex(4)}{TEMP_MARK}{dot}{suffixes}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))


def is_disk_full(exc: BaseException) -> bool:
    """An OSError for a full disk or quota, also when h5py or Keras wrapped it."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and (
            exc.errno in _DISK_FULL_ERRNOS
            # HDF5 reports the C errno inside its message, not always in .errno.
            or "errno = 28" in str(exc) or "No space left on device" in str(exc)
        ):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _close_h5_file(tmp: Path) -> None:
    """Close an HDF5 file h5py still holds open at ``tmp`` after a write into it failed.

    Keras leaves the file open when a write inside it fails; HDF5 then tries
    to flush it again when Python exits, and on a full disk that ends in a
    segmentation fault. Emptying the file first frees the space its data took,
    so HDF5's last metadata flush fits and the file closes cleanly.
    """
    h5f = sys.modules.get("h5py.h5f")
    if h5f is None:
        return
    for file_id in h5f.get_obj_ids(types=h5f.OBJ_FILE):
        try:
            name = os.fsdecode(file_id.name)
        except Exception:  # noqa: BLE001 - an id that is already invalid
            continue
        if os.path.abspath(name) != os.path.abspath(tmp):
            continue
        with contextlib.suppress(Exception):
            os.ftruncate(file_id.get_vfd_handle(), 0)
        with contextlib.suppress(Exception):
            file_id.close()


@contextlib.contextmanager
def disk_full_as_error(path: str | Path) -> Iterator[None]:
    """Turn a full disk while writing ``path`` into a DiskFullError naming it."""
    path = Path(path)
    try:
        yield
    except DiskFullError:
        raise
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        raise DiskFullError(f"disk full while writing {path}: free some space and try again",
                            path=path) from None


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path with the same suffixes; rename it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with disk_full_as_error(path):
        tmp = _create_temporary(path)
        try:
            yield tmp
            os.replace(tmp, path)
        except BaseException as exc:
            if is_disk_full(exc):
                _close_h5_file(tmp)
            raise
        finally:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield a new empty folder beside ``path``; rename it onto ``path`` on success.

    For artifacts that are folders (a SavedModel). ``path`` must not exist or
    be an empty folder; on failure the temporary folder and all it holds are removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with disk_full_as_error(path):
        tmp = _create_temporary_directory(path)
        try:
            yield tmp
            if path.is_dir():
                path.rmdir()  # empty (else OSError): a folder cannot be renamed onto it on Windows
            os.replace(tmp, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _create_temporary_directory(path: Path) -> Path:
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_MARK}")
        try:
            os.mkdir(tmp, 0o777)  # the umask decides, as for any other folder
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())


def atomic_write_json(path: str | Path, data) -> None:
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")
