"""The windows' icons and Help > Sample images (resources/)."""

from PySide6.QtCore import QSize


def test_the_windows_carry_netlabs_icons(qtbot, tmp_path):
    from gui.dialogs.experiments import ExperimentsDialog
    from gui.main_window import MainWindow

    window = MainWindow()  # the icon is there before anything loads
    qtbot.addWidget(window)

    sizes = window.windowIcon().availableSizes()
    assert QSize(16, 16) in sizes and QSize(256, 256) in sizes
    dialog = ExperimentsDialog(tmp_path, window)
    assert not dialog.windowIcon().isNull()
    assert dialog.windowIcon().cacheKey() != window.windowIcon().cacheKey()  # its own: two curves
    dialog.close()


def test_help_menu_classifies_a_datasets_samples_in_the_classify_tab(window, qtbot, trained_run):
    from netlab.resources import sample_images

    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.samples_menu.menuAction() in help_menu.actions()
    _, result = trained_run
    window.current.set(result.model, result.class_names, "trained on digits")
    digits = next(a for a in window.samples_menu.actions() if "digits" in a.text())
    with qtbot.waitSignal(window.classify.finished, timeout=60_000) as finished:
        digits.trigger()
    assert finished.args == ["done"]
    assert window.tabs.currentWidget() is window.classify
    shown = window.classify.table_model.results
    assert sorted(r.path for r in shown) == [str(p) for p in sample_images("digits")]
    assert all(r.error is None and r.top[0].label in result.class_names for r in shown)
