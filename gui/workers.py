"""Long core work off the GUI thread.

``CoreThread`` (a Trainer's ``TrainThread``, a lesson's, a search's) runs a core job and re-emits its plain events as a Qt signal
(emitted from the worker thread, delivered queued in the GUI thread).
Stopping sets a ``threading.Event`` directly from the GUI thread; the trainer
checks it after every batch, so a stop never waits behind a busy event loop.
``run_job`` runs any other core job (loading TensorFlow, a model, a
prediction, a summary, the learning-rate sweep) in a QThread of its own, with
an abort flag the job checks (``netlab.base.abort``); errors reach the window one
way, as the text to show. Closing the window asks every job to stop
(``stop_all``); ``finish_all`` waits a bounded time for them to end.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import os
import sys
import threading
import time
import traceback
import weakref
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QThread, QTimer, Signal

from gui.collector import collect_on_gui_thread, no_collections_then_frozen
from netlab.base.abort import JobAborted, abortable
from netlab.base.errors import NetlabError

# Keras, TensorFlow and the Trainer are imported in the worker that needs them, one import at a time
# (import_tensorflow): the window shows before they load (see gui/app.py).

# Workers' big imports (TensorFlow, pyqtgraph) run one at a time (import_in_turn).
_big_imports = threading.Lock()
# Every CoreThread (a training, a search, a lesson), so that closing the window stops them all.
_core_threads: weakref.WeakSet = weakref.WeakSet()


# TensorFlow's C++ libraries, loaded before its Python modules (see _load_tensorflow_libraries).
TENSORFLOW_LIBRARIES = ("libtensorflow_framework.so.2", "libtensorflow_cc.so.2",
                        "libtensorflow_framework.2.dylib", "libtensorflow_cc.2.dylib")
_loaded_libraries: list[int] = []  # their handles, never closed


def import_tensorflow() -> None:
    """Import TensorFlow and Keras in this thread, one thread at a time.

    Two threads importing TensorFlow at once can each meet the other's
    half-initialized modules ("partially initialized module ... circular
    import"); the window's loading job and a Train pressed before it has
    finished both come through here.
    """
    with _big_imports:
        if "tensorflow" in sys.modules:
            import keras  # noqa: F401
            return
        _load_tensorflow_libraries()
        with no_collections_then_frozen():  # a million lasting objects, frozen after (gui/collector.py)
            import keras  # noqa: F401
            import tensorflow  # noqa: F401


def import_in_turn(name: str) -> None:
    """Import module ``name`` in this worker once no other big import runs (pyqtgraph's, 0.3 s).

    Two at once would only share the GIL with each other and with the event
    loop, and a thread that loads an extension module holds the GIL while it
    waits for the dynamic linker, which TensorFlow's libraries hold for 0.3 s
    (_load_tensorflow_libraries): the event loop would wait as long.
    """
    with _big_imports:
        importlib.import_module(name)


def _load_tensorflow_libraries() -> None:
    """Load TensorFlow's C++ libraries (1.2 GB) without holding the GIL.

    Python loads an extension module, and the libraries it links, holding the
    GIL: TensorFlow's first extension held it for 0.26 s while the dynamic
    linker mapped and initialized these two, and the window's event loop, which
    needs the GIL for every Python call, stood still for as long. dlopen called
    through ctypes runs with the GIL released; the extension then finds them
    loaded. Plain C++ libraries: loading them runs no Python code. Any failure is
    left to the import that follows, which reports it.
    """
    try:
        spec = importlib.util.find_spec("tensorflow")
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (ImportError, ValueError, OSError, AttributeError, TypeError):  # no dlopen (Windows)
        return
    if spec is None or not spec.submodule_search_locations:
        return
    dlopen.restype, dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
    folder = Path(spec.submodule_search_locations[0])
    for name in TENSORFLOW_LIBRARIES:
        if (folder / name).is_file():
            handle = dlopen(os.fsencode(folder / name), os.RTLD_NOW | os.RTLD_LOCAL)
            if handle:
                _loaded_libraries.append(handle)


class CoreThread(QThread):
    """A long core job (a training run, a lesson, a search) in a thread of its own.

    Its plain events, then its result or the one line of its failure, arrive
    queued in the GUI thread; ``request_stop`` sets the stop event the job checks
    after every batch. A subclass says what the job is in :meth:`work`.
    """

    event = Signal(object)  # netlab.training.events.Event
    succeeded = Signal(object)  # what work() returned
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        collect_on_gui_thread()  # from now on Python's collector runs on the GUI thread only (gui/collector.py)
        self.stop_event = threading.Event()
        _core_threads.add(self)

    def request_stop(self) -> None:
        self.stop_event.set()

    def work(self):
        raise NotImplementedError

    def run(self) -> None:
        try:
            import_tensorflow()  # at once when the window has loaded it already
            result = self.work()
        except Exception as exc:  # noqa: BLE001 - the window must show every failure
            if not isinstance(exc, NetlabError):
                traceback.print_exc()
            # The one way a failure reaches the window (the RunFailed event
            # also emitted is for run logs, not for a second message).
            self.failed.emit(error_text(exc))
        else:
            self.succeeded.emit(result)


class TrainThread(CoreThread):
    """A Trainer's run (succeeded: its TrainResult), which can also pause between batches."""

    def __init__(self, experiment, run_dir=None, parent=None, resume=False):
        super().__init__(parent)
        self.experiment = experiment
        self.run_dir = run_dir
        self.resume = resume  # continue the run in run_dir (netlab resume's path), its own settings
        self.pause_event = threading.Event()  # set = paused between batches

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.pause_event.set()
        else:
            self.pause_event.clear()

    def work(self):
        from netlab.training.trainer import Trainer

        if self.resume:
            trainer = Trainer.resume_run(self.run_dir, on_event=self.event.emit,
                                         stop_event=self.stop_event, pause_event=self.pause_event)
        else:
            trainer = Trainer(self.experiment, on_event=self.event.emit, run_dir=self.run_dir,
                              stop_event=self.stop_event, pause_event=self.pause_event)
        return trainer.run()


class JobThread(QThread):
    """Runs one function; exactly one of ``returned``, ``failed`` or ``aborted`` follows.

    ``abort()`` (GUI thread) sets the job's abort flag; the function stops at
    its next abort point (``netlab.base.abort``) and ``aborted`` is emitted instead
    of a result. ``failed`` carries the text to show (``error_text``).
    ``needs_tensorflow``: import it first, through :func:`import_tensorflow`
    (every job but the registry's, which runs before TensorFlow has loaded).
    """

    returned = Signal(object)
    failed = Signal(str)
    # True: it stopped at an abort point; False: it ran to its end and the result is unused.
    aborted = Signal(bool)

    def __init__(self, fn, args, kwargs, needs_tensorflow=True):
        super().__init__()
        collect_on_gui_thread()  # from now on Python's collector runs on the GUI thread only (gui/collector.py)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.needs_tensorflow = needs_tensorflow
        self.abort_event = threading.Event()

    def abort(self) -> None:
        self.abort_event.set()

    def run(self) -> None:
        try:
            if self.needs_tensorflow:
                import_tensorflow()  # at once when it has loaded
            with abortable(self.abort_event):
                result = self.fn(*self.args, **self.kwargs)
        except JobAborted:
            self.aborted.emit(True)
        except Exception as exc:  # noqa: BLE001 - reported to the window, never lost
            if not isinstance(exc, NetlabError):
                traceback.print_exc()
            if self.abort_event.is_set():
                self.aborted.emit(False)  # a failure nobody waits for any more
            else:
                self.failed.emit(error_text(exc))
        else:
            if self.abort_event.is_set():
                self.aborted.emit(False)
            else:
                self.returned.emit(result)


_jobs: set[JobThread] = set()  # keep each thread alive until it has finished
# Every LatestJob, so that closing aborts a request still waiting out its
# debounce too: a timer firing after the window closed would start a build
# nobody waits for (and race the next model build for Keras's global state).
_latest_jobs: weakref.WeakSet = weakref.WeakSet()


def run_job(fn, *args, on_result=None, on_error=None, on_abort=None, owner=None, needs_tensorflow=True,
            start=True, **kwargs) -> JobThread:
    """Run ``fn(*args, **kwargs)`` off the GUI thread; callbacks run in the GUI thread.

    ``on_error`` receives the text to show. With ``owner`` (the widget that
    asked), a result arriving after the owner was destroyed (its window closed
    meanwhile) is dropped instead of reaching a deleted widget. A job that
    imports no TensorFlow says ``needs_tensorflow=False`` and never waits for it.
    ``start=False`` leaves the starting to the caller, who connects first: a job
    that finishes before its signals are connected loses its result.
    """
    job = JobThread(fn, args, kwargs, needs_tensorflow)

    def deliver(callback):
        def call(*value):
            if owner is None or shiboken6.isValid(owner):
                callback(*value)
        return call

    for signal, callback in ((job.returned, on_result), (job.failed, on_error), (job.aborted, on_abort)):
        if callback is not None:
            signal.connect(deliver(callback))
    _jobs.add(job)
    job.finished.connect(lambda: (_jobs.discard(job), job.deleteLater()))
    if start:
        job.start()
    return job


class LatestJob(QObject):
    """Debounced worker jobs of which only the newest runs to the end.

    For views that recompute on every knob change (the summary, the
    augmentation preview): requests within ``delay_ms`` of each other start
    one job, and a new request aborts the job still running, so turning a
    knob quickly never leaves several stale builds competing for the CPU.
    A request equal to the one running or waiting changes nothing.
    """

    def __init__(self, owner, delay_ms, on_result, on_error, on_start=None):
        super().__init__(owner)
        self.owner, self.on_result, self.on_error, self.on_start = owner, on_result, on_error, on_start
        self._pending = None
        self.running: JobThread | None = None  # the newest job, while it runs
        self._running_request = None
        # One entry per aborted job (superseded, or the window closed) once it has
        # ended: True when it stopped at an abort point, False when it ran to its end.
        self.aborted: list[bool] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._start)
        _latest_jobs.add(self)

    def request(self, fn, *args) -> None:
        request = (fn, args)
        if request == self._pending or (self._pending is None and request == self._running_request):
            return
        self._pending = request
        self.abort()
        self._timer.start()

    def cancel(self) -> None:
        """Drop the waiting request and abort the running job (the window is closing)."""
        self._timer.stop()
        self._pending = None
        self.abort()

    def abort(self) -> None:
        """Abort the running job now (its result would be stale)."""
        if self.running is not None:
            self.running.abort()
            self.running, self._running_request = None, None

    def _start(self) -> None:
        if self._pending is None:
            return
        (fn, args), self._pending = self._pending, None
        if self.on_start is not None:
            self.on_start()
        job = run_job(fn, *args, owner=self.owner, on_abort=self.aborted.append, start=False)
        job.returned.connect(lambda result: self._deliver(job, self.on_result, result))
        job.failed.connect(lambda text: self._deliver(job, self.on_error, text))
        self.running, self._running_request = job, (fn, args)
        job.start()

    def _deliver(self, job, callback, value) -> None:
        if job is self.running and shiboken6.isValid(self.owner):
            self.running, self._running_request = None, None
            callback(value)


def abort_jobs() -> None:
    """Ask every running job to stop at its next abort point, and start no waiting one (closing the window)."""
    for latest in list(_latest_jobs):
        if shiboken6.isValid(latest):
            latest.cancel()
    for job in list(_jobs):
        job.abort()


def stop_all() -> None:
    """Closing the window: abort every job and ask every training, search and lesson to stop after its batch."""
    abort_jobs()
    for thread in _running_core_threads():
        thread.request_stop()


def _running_core_threads() -> list[CoreThread]:
    return [thread for thread in list(_core_threads) if shiboken6.isValid(thread) and thread.isRunning()]


def finish_all(seconds: float) -> bool:
    """Stop every job and wait at most ``seconds`` in all for them to end; whether they all did.

    A training stops at its next batch boundary and saves its model; one caught
    inside a long step (the first batch's graph tracing) or a long save is left
    running: the caller abandons it (gui/app.py).
    """
    stop_all()
    deadline = time.monotonic() + seconds
    for thread in [*_running_core_threads(), *list(_jobs)]:
        if not shiboken6.isValid(thread):
            continue
        left_ms = max(0, int((deadline - time.monotonic()) * 1000))
        if not thread.wait(left_ms):
            return False
    return True


def wait_for_jobs(msecs: int = 10_000) -> None:
    """Before the application quits: abort running jobs and let them end (no 'QThread destroyed')."""
    abort_jobs()
    for job in list(_jobs):
        job.wait(msecs)


def error_text(exc: BaseException) -> str:
    """The line to show a person: a NetlabError's own message, else its type too."""
    if isinstance(exc, NetlabError):
        return str(exc)
    return f"unexpected error ({type(exc).__name__}): {exc}"
