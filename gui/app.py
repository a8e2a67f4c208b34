"""Start NetLab's window: the window first, TensorFlow after.

Importing TensorFlow takes seconds; the window is on screen before it starts
(set NETLAB_TIMING=1 to print the time to window; ``python -m netlab.bench
window`` measures it, and the time to a usable Train button, against a bare
Qt window).
"""

from __future__ import annotations

import os
import sys
import time

START = time.perf_counter()


def start(argv: list[str] | None = None):
    """The QApplication and the main window, shown and painted.

    The registry (then TensorFlow) starts loading in a worker on the event
    loop's first turn; the curves' pyqtgraph is built just after the first
    paint (gui/views/curves.py).
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow
    from netlab.logs import quiet_tensorflow

    quiet_tensorflow(verbose="--verbose" in (argv if argv is not None else sys.argv))

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("NetLab")
    from gui.icons import icon

    app.setWindowIcon(icon())
    window = MainWindow()
    window.show()
    app.processEvents()
    if os.environ.get("NETLAB_TIMING"):
        loaded = "tensorflow" in sys.modules
        print(f"window shown after {time.perf_counter() - START:.2f} s "
              f"(TensorFlow imported: {loaded})", file=sys.stderr, flush=True)
    QTimer.singleShot(0, window.start_loading)
    return app, window


def main(argv: list[str] | None = None) -> int:
    from gui.worker import wait_for_jobs

    app, _window = start(argv)
    code = app.exec()
    wait_for_jobs()
    return code
