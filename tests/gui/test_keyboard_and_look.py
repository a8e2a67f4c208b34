"""The window's keys, pressed as a person presses them (qtbot.keyClick on the offscreen window):
Ctrl+Enter trains, Esc stops a running training and nothing else, Ctrl+1...9 show the tabs; and
the window and its plots follow the system's dark or light scheme."""

import contextlib

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from gui.widgets.plot_style import DARK, styled_plot
from tests.helpers import tiny_experiment


def test_ctrl_enter_trains_and_esc_stops_it_but_not_from_a_dialog(window, qtbot):
    window.panel.set_experiment(tiny_experiment(epochs=50))  # longer than the test: Esc ends it
    assert not window.stop_action.isEnabled()
    qtbot.keyClick(window, Qt.Key_Escape)  # nothing runs: Esc does nothing here
    assert window.thread is None and window.isVisible()

    with qtbot.waitSignal(window.training_finished, timeout=120_000):
        # Typed in a field of the form, as one does after setting the epochs.
        qtbot.keyClick(window.panel.training_form.epochs, Qt.Key_Return, Qt.ControlModifier)
        assert window.thread is not None and window.stop_action.isEnabled()
        window.open_experiments()  # the Lessons window, in front
        window.experiments.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window.experiments)
        qtbot.keyClick(window.experiments, Qt.Key_Escape)  # closes the dialog...
        assert not window.experiments.isVisible()
        assert not window.thread.stop_event.is_set()  # ...and leaves the training alone
        window.activateWindow()  # back in the main window
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        qtbot.keyClick(window.curves, Qt.Key_Escape)
        assert window.thread.stop_event.is_set()
    assert window.status.text().startswith("Stopped")
    assert window.isVisible() and not window.stop_action.isEnabled()
    assert window.train_action.isEnabled()

    with qtbot.waitSignal(window.training_finished, timeout=120_000):
        qtbot.keyClick(window, Qt.Key_Enter, Qt.ControlModifier | Qt.KeypadModifier)  # the keypad's
        qtbot.keyClick(window, Qt.Key_Escape)


def test_ctrl_digit_shows_that_tab_and_the_menus_and_tooltips_name_the_keys(window, qtbot):
    count = window.tabs.count()
    assert count >= 8
    for index in reversed(range(min(count, 9))):
        qtbot.keyClick(window, getattr(Qt, f"Key_{index + 1}"), Qt.ControlModifier)
        assert window.tabs.currentIndex() == index
        assert window.tabs.tabToolTip(index).endswith(f"(Ctrl+{index + 1})")
    menus = {action.text().replace("&", ""): action.menu() for action in window.menuBar().actions()}
    assert [a.shortcut().toString() for a in menus["Training"].actions()] == ["Ctrl+Return", "Esc"]
    assert [a.text() for a in menus["View"].actions()] == [window.tabs.tabText(i) for i in range(min(count, 9))]
    assert "Ctrl+Return" in window.train_button.toolTip() and "Esc" in window.stop_button.toolTip()


def set_system_scheme(scheme) -> None:
    """The system switches to ``scheme``: Qt 6.8+ asks the platform; one that cannot (offscreen)
    reports no change, and the signal a platform sends is sent as it would be."""
    hints = QGuiApplication.styleHints()
    hints.setColorScheme(scheme)
    if hints.colorScheme() != scheme:
        hints.colorSchemeChanged.emit(scheme)


@contextlib.contextmanager
def system_scheme(scheme):
    set_system_scheme(scheme)
    try:
        yield
    finally:
        set_system_scheme(Qt.ColorScheme.Light)
        QGuiApplication.styleHints().unsetColorScheme()


def background(plot) -> int:
    return plot.backgroundBrush().color().lightness()


def test_the_window_and_its_plots_follow_the_system_scheme_live(window, qtbot):
    import pyqtgraph as pg

    window.tabs.setCurrentWidget(window.runs)  # its plot is built when first shown
    plots = [*window.curves.plots.values(), window.runs.plot]
    assert len(plots) >= 3 and all(background(plot) > 200 for plot in plots)
    with system_scheme(Qt.ColorScheme.Dark):
        assert QApplication.palette().color(QPalette.Window).lightness() < 100
        assert all(background(plot) < 60 for plot in plots)
        axis = window.curves.plots["loss"].getAxis("bottom")
        assert axis.textPen().color().lightness() > 180  # light text on the dark plot
        legend = window.curves.plots["loss"].getPlotItem().legend
        light = DARK.foreground.lower()
        assert all(light in label.item.toHtml().lower() for _, label in legend.items)  # drawn again
        made_now = styled_plot(pg, "a plot made in the dark")
        qtbot.addWidget(made_now)
        assert background(made_now) < 60
    assert QApplication.palette().color(QPalette.Window).lightness() > 200
    assert all(background(plot) > 200 for plot in [*plots, made_now])
