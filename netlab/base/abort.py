"""Cooperative abort of long core jobs (building a model, the learning-rate sweep).

The window runs such jobs in worker threads and cannot kill a thread; instead
it sets a ``threading.Event`` directly from the GUI thread (never a queued
signal that would wait behind a busy event loop), and the job checks it at
its abort points and raises :class:`JobAborted` there (as Orange's
``is_interruption_requested``).

The flag is the running thread's own (:func:`abortable` sets it), so code deep
inside a job (the block builders that every architecture goes through) can
check it without every family's builder passing it along. Outside
``abortable`` an abort point costs one attribute lookup and never raises, so
the CLI and the trainer run the same code unaffected.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_local = threading.local()


class JobAborted(Exception):  # noqa: N818 - not an error: the job was asked to stop and did
    """Raised at an abort point once the job's abort flag is set; nothing was computed after it."""


@contextlib.contextmanager
def abortable(flag: threading.Event | None) -> Iterator[None]:
    """Within this block, :func:`abort_point` on this thread raises once ``flag`` is set."""
    previous = getattr(_local, "flag", None)
    _local.flag = flag
    try:
        yield
    finally:
        _local.flag = previous


def abort_requested() -> bool:
    flag = getattr(_local, "flag", None)
    return flag is not None and flag.is_set()


def abort_point() -> None:
    """Raise JobAborted if this thread's job has been asked to stop."""
    if abort_requested():
        raise JobAborted("the job was aborted")
