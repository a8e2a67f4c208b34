"""Python's garbage collector runs on the GUI thread, never on a worker's.

Why: some Qt widgets belong to Python alone, and only Python's cyclic
collector frees them. pyqtgraph builds every plot with parentless menus (its
ViewBoxMenu, a QMenu subclass, and plain QMenus: "Plot Options" and their
submenus) held in reference cycles with the plot; once a window or dialog with
plots is gone, the next collection destroys them. Automatic collection runs on
whichever thread allocates past the threshold, a training or loading worker
as often as not. There, Shiboken destroyed the ViewBoxMenu on the worker
itself (a widget destroyed off the GUI thread), and queued each plain QMenu's
destructor to the GUI thread, which ran it at an arbitrary point while holding
the GIL: a clean-clone CI's test process hung there, in QMenu::~QMenu ->
QObject::~QObject waiting for a Qt mutex, reached from Shiboken's
runDeletionInMainThread. A destructor the GUI thread's own collection reaches
runs at a point it chose, with the GIL released.

So, as pyqtgraph recommends (pyqtgraph.util.garbage_collector), automatic
collection is off once the window's first worker thread starts
(``collect_on_gui_thread``, called by gui/workers.py as it makes one), and a
GUI-thread timer collects what Python would have collected, by the same
thresholds (``collect_due``). Plain reference counting, which frees almost
everything, is unchanged.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

from PySide6.QtCore import QCoreApplication, QThread, QTimer

INTERVAL_MS = 100  # how often the GUI thread looks whether a collection is due (a look costs microseconds)

_lock = threading.Lock()
_timer: QTimer | None = None  # the GUI thread's collections, once started
_paused = 0  # collections paused (TensorFlow's import: no_collections_then_frozen)


def collect_on_gui_thread() -> None:
    """Turn automatic collection off for good and collect from a GUI-thread timer instead.

    Called on the GUI thread before a worker thread starts; later calls change
    nothing, and a call from another thread, or before the QApplication exists, too.
    """
    global _timer
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return
    with _lock:
        if _timer is not None:
            return
        gc.disable()
        _timer = QTimer(app)
        _timer.timeout.connect(collect_due)
        _timer.start(INTERVAL_MS)


def collecting_on_gui_thread() -> bool:
    return _timer is not None


def collect_due() -> int:
    """Run the collection Python would have run by now (what it found), on the GUI thread only.

    Python collects a generation when its count passes its threshold, looking
    from the oldest once the youngest's allocations pass theirs (gc.get_count,
    gc.get_threshold); so does this. tests/conftest.py calls it after each test.
    """
    app = QCoreApplication.instance()
    if _timer is None or _paused or app is None or QThread.currentThread() is not app.thread():
        return 0
    counts, thresholds = gc.get_count(), gc.get_threshold()
    if thresholds[0] == 0 or counts[0] <= thresholds[0]:
        return 0
    generation = next(g for g in (2, 1, 0) if g == 0 or counts[g] > thresholds[g])
    return gc.collect(generation)


@contextlib.contextmanager
def no_collections_then_frozen() -> Iterator[None]:
    """No collection while the ``with`` block runs (any thread); what it made is frozen after it.

    For TensorFlow's import: it makes about a million lasting objects, and each
    full collection on the way scanned them all holding the GIL (60 and 110 ms
    pauses of the window's event loop). Frozen (gc.freeze), later full
    collections skip them too, during training as well.
    """
    global _paused
    with _lock:
        automatic = gc.isenabled()
        gc.disable()
        _paused += 1
    try:
        yield
    finally:
        gc.freeze()
        with _lock:
            _paused -= 1
            if automatic and not _paused and _timer is None:
                gc.enable()
