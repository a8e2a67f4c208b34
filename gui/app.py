"""Start NetLab's window: the window first, TensorFlow after; and leave it at once.

Importing TensorFlow takes seconds; the window is on screen before it starts
(set NETLAB_TIMING=1 to print the time to window; ``python -m netlab.bench
window`` measures it, and the time to a usable Train button, against a bare
Qt window). NETLAB_CLOSE_AFTER_SHOW=1 closes it as soon as it has shown: an
installation's smoke test (tests/test_resources.py runs the installed
``netlab-gui`` so).

Started by ``netlab-gui`` (the wheel's gui-scripts entry point: no console
window on Windows), ``netlab gui``, ``python -m gui`` or ``python main.py``.

Closing the window hides it at once and asks every job to stop; the process
gives them STOP_WAIT_S, then ends, abandoning what has not (``leave``;
``python -m netlab.bench window-close`` times it).
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from typing import NoReturn

from netlab.base.display import NoDisplayError, check_display  # noqa: F401  (NoDisplayError: re-exported)
from netlab.base.errors import NetlabError

START = time.perf_counter()

# Qt, the window and gui.workers (Qt too) are imported where used, so that the time to window counts
# them from START; ml_dtypes just before the window is built (_import_what_would_freeze_the_window).


def start(argv: list[str] | None = None):
    """The QApplication and the main window, shown and painted.

    On the event loop's first turn the registry and pyqtgraph start loading in
    workers; the curves are built once pyqtgraph has loaded, then TensorFlow
    loads (MainWindow.start_loading). What would hold the GIL long enough to
    freeze the shown window is imported before it is built.
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow
    from netlab.base.logs import quiet_tensorflow

    quiet_tensorflow(verbose="--verbose" in (argv if argv is not None else sys.argv))

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("NetLab")
    from gui.icons import icon
    from gui.widgets.color_scheme import color_scheme

    color_scheme()  # the window follows the system's dark or light scheme from its first paint

    app.setWindowIcon(icon())
    _import_what_would_freeze_the_window()
    window = MainWindow()
    window.show()
    app.processEvents()
    if os.environ.get("NETLAB_TIMING"):
        loaded = "tensorflow" in sys.modules
        print(f"window shown after {time.perf_counter() - START:.2f} s "
              f"(TensorFlow imported: {loaded})", file=sys.stderr, flush=True)
    QTimer.singleShot(0, window.start_loading)
    if os.environ.get("NETLAB_CLOSE_AFTER_SHOW"):
        QTimer.singleShot(0, window.close)  # as a person closes it: the jobs are asked to stop
    return app, window


def _import_what_would_freeze_the_window() -> None:
    """Import ml_dtypes now, before the window is built, not in TensorFlow's worker after it shows.

    TensorFlow imports it, and its import is 0.48 s in C holding the GIL
    (numpy's PyUFunc_AddLoop for each of its number types): from the worker it
    froze the shown window's event loop for that long. The window shows that
    much later instead; the rest of TensorFlow's import leaves the event loop
    turning (``python -m netlab.bench window-start``).
    """
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:  # no TensorFlow here: nothing to import early
        pass


# After the window has closed: how long the jobs get to see their stop flag and end.
STOP_WAIT_S = 1.0


def main(argv: list[str] | None = None) -> int:
    """The ``netlab-gui`` entry point: the window, or one line saying why it cannot open (exit 2)."""
    try:
        check_display()
    except NetlabError as exc:
        print(f"netlab-gui: error: {exc}", file=sys.stderr)
        return 2
    run(argv)


def run(argv: list[str] | None = None) -> NoReturn:
    """Open the window and end the process when it closes (``netlab gui`` checks the display first)."""
    app, _window = start(argv)
    leave(app.exec())


def leave(code: int) -> NoReturn:
    """The window has closed: give the jobs STOP_WAIT_S to stop, then end the process.

    A training that reaches its next batch boundary in time stops as Stop
    stops it (its model saved, RunFinished logged). A job still running then
    (inside a step it cannot leave, such as the first batch's graph tracing,
    or saving a large model) is abandoned, and its folder is as a kill -9
    leaves it: every file the core writes is written to a temporary name and
    renamed, so none is half written; the run's lock is the kernel's and goes
    with the process; ``netlab resume`` goes on from the last complete epoch
    (a search's running trial is failed as interrupted and run again by
    ``netlab search --resume``; a lesson keeps its finished runs and trains the
    interrupted one again).

    Either way the process ends with os._exit, as pyqtgraph.exit() does:
    Python's own teardown takes over a second once TensorFlow is loaded, and
    a QThread still running when Qt is torn down aborts the process. When
    every job has ended, what Python runs at exit runs first (the stderr
    filter's last lines, logging's flush); with a job still running it does
    not, since a handler could wait on a lock that job holds.
    """
    from gui.workers import finish_all

    if finish_all(STOP_WAIT_S):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):  # closed, or no stream at all (pythonw)
            pass
    os._exit(code)
