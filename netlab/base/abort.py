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

Ctrl-C in the CLI is a KeyboardInterrupt, but Python delivers it wherever the
main thread happens to be, and one raised inside a finalizer (TensorFlow frees
iterators and tensors with ``__del__`` while it trains) is printed as ignored
and lost: the run trained on. So the CLI's handler also sets a process-wide
flag (:func:`interrupt`), and every abort point and training batch raises
KeyboardInterrupt again while it is set.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

_local = threading.local()
_interrupted = threading.Event()  # Ctrl-C: the whole process goes, whichever thread's job it was


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


def interrupt(signum=None, frame=None) -> None:
    """A SIGINT handler (the CLI's): KeyboardInterrupt now, and again at the next abort point or
    training batch, so that one a finalizer swallowed still ends the command."""
    _interrupted.set()
    raise KeyboardInterrupt


@contextlib.contextmanager
def ctrl_c_ends_the_command() -> Iterator[None]:
    """Within this block (the CLI's command), Ctrl-C sets the process-wide flag as well as raising;
    Python's own handler and a clear flag come back after it. A process that ignores SIGINT
    (started in the background) keeps ignoring it; off the main thread nothing changes."""
    previous = signal.getsignal(signal.SIGINT)
    install = previous is signal.default_int_handler and threading.current_thread() is threading.main_thread()
    if install:
        signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        if install:
            signal.signal(signal.SIGINT, previous)
        _interrupted.clear()


def raise_if_interrupted() -> None:
    if _interrupted.is_set():
        raise KeyboardInterrupt


def abort_point() -> None:
    """Raise JobAborted if this thread's job has been asked to stop (KeyboardInterrupt after Ctrl-C)."""
    raise_if_interrupted()
    if abort_requested():
        raise JobAborted("the job was aborted")
