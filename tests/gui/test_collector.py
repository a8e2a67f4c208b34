"""Python's garbage collector runs on the GUI thread only once workers exist (gui/collector.py): the
parentless menus pyqtgraph gives every plot are never destroyed from a worker's collection."""

import gc
import threading

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QMenu

from gui.workers import run_job


def _churn() -> int:
    """A worker's job making cyclic garbage, enough to pass Python's collection thresholds many times."""
    for _ in range(50_000):
        cycle = []
        cycle.append(cycle)
    return 0


def test_a_workers_garbage_and_a_gone_plots_menus_are_collected_on_the_gui_thread(qtbot):
    collections, destroyed = [], []

    def seen(phase, _info):
        if phase == "start":
            collections.append(threading.current_thread().name)

    plot = pg.PlotWidget()  # its ViewBox and PlotItem make menus no Qt object owns
    menus = [m for m in gc.get_objects() if isinstance(m, QMenu) and shiboken6.isValid(m)
             and m.parent() is None and shiboken6.ownedByPython(m)]
    assert menus  # pyqtgraph's own: freed only by Python's cyclic collector
    for menu in menus:
        menu.destroyed.connect(lambda *_: destroyed.append(threading.current_thread().name),
                               Qt.DirectConnection)
    plot.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    del plot, menus, menu

    gc.callbacks.append(seen)
    try:
        with qtbot.waitSignal(run_job(_churn, needs_tensorflow=False).returned, timeout=60_000):
            pass
        qtbot.waitUntil(lambda: len(collections) > 0, timeout=10_000)
        gc.collect()  # what the GUI thread's timer would reach in time (the menus may be in an old generation)
    finally:
        gc.callbacks.remove(seen)
    assert collections and set(collections) == {"MainThread"}
    assert destroyed and set(destroyed) == {"MainThread"}
    assert not gc.isenabled()  # for good: a later worker's allocations collect nothing either
