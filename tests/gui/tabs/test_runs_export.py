"""The Runs tab's Export action: dialog, export in a worker, the parity line or the error."""

import contextlib
import os

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from gui.dialogs.export_dialog import default_out
from gui.tabs.runs import RunsView
from netlab.predict.export import runtime_missing
from tests.helpers import tiny_experiment


@pytest.fixture
def runs_view(qtbot, trained_run):
    run_dir, _ = trained_run
    view = RunsView(run_dir.parent)
    qtbot.addWidget(view)
    view.show()
    assert [run.path for run in view.runs] == [run_dir]
    return view


def _export(view, qtbot, fmt, out):
    view.table.selectRow(0)
    view.export_button.click()
    dialog = view.export_dialog
    assert dialog.isVisible()
    dialog.set_format(fmt)
    dialog.out.setText(str(out))
    with qtbot.waitSignal(view.export_done, timeout=180_000) as done:
        dialog.buttons.button(QDialogButtonBox.Ok).click()
        assert not view.export_button.isEnabled()  # one export at a time, off the GUI thread
    assert view.export_button.isEnabled()
    return done.args


def test_the_runs_tab_exports_the_selected_run_and_shows_the_check(runs_view, qtbot, tmp_path):
    if runtime_missing("onnx"):
        pytest.skip(runtime_missing("onnx"))
    out = tmp_path / "digits.onnx"
    ok, text = _export(runs_view, qtbot, "onnx", out)
    assert ok and out.is_file()
    assert text.startswith(f"onnx: {out} written; max abs difference ") and "onnxruntime" in text
    assert runs_view.export_status.text() == text


def _ask(view, fmt, out):
    """Fill the dialog and press Export; the dialog, whether it closed or stayed open."""
    view.table.selectRow(0)
    view.export_button.click()
    dialog = view.export_dialog
    dialog.set_format(fmt)
    dialog.out.setText(str(out))
    dialog.buttons.button(QDialogButtonBox.Ok).click()
    return dialog


@contextlib.contextmanager
def answering(button):
    """Answer each question box that opens with ``button``, clicked as a person would; yields their texts."""
    asked = []

    def answer():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            asked.append(box.text())
            box.button(button).click()

    timer = QTimer()
    timer.timeout.connect(answer)
    timer.start(20)
    try:
        yield asked
    finally:
        timer.stop()


def _still_asking(view, dialog):
    """The dialog stays open for another path, and no export has started."""
    return dialog.isVisible() and view.export_job is None and view.export_button.isEnabled()


def test_a_bad_export_request_is_said_in_the_dialog_in_red(runs_view, tmp_path):
    dialog = _ask(runs_view, "tflite", tmp_path / "digits.onnx")
    text = dialog.problem.text()
    assert text.endswith("give a path ending in .tflite") and "\n" not in text
    assert "b00020" in dialog.problem.styleSheet() and _still_asking(runs_view, dialog)
    dialog.out.setText(str(tmp_path / "digits.tflite"))  # typing another path clears it
    assert dialog.problem.text() == ""
    dialog.reject()
    assert os.listdir(tmp_path) == []


def test_an_export_the_core_refuses_shows_its_one_line_in_red(runs_view, qtbot, tmp_path):
    out = tmp_path / "appeared.keras"  # a file that came after the dialog closed, unasked
    out.write_bytes(b"not to be replaced")
    with qtbot.waitSignal(runs_view.export_done, timeout=60_000) as done:
        runs_view.start_export(runs_view.runs[0].path, "keras", str(out))
    ok, text = done.args
    assert not ok and text == f"{out} already exists; give another path, or --overwrite to replace it"
    assert "b00020" in runs_view.export_status.styleSheet() and out.read_bytes() == b"not to be replaced"


def test_an_empty_write_to_asks_where_to_write(runs_view):
    """It said '.: onnx exports are .onnx files; give a path ending in .onnx'."""
    dialog = _ask(runs_view, "onnx", "")
    assert dialog.problem.text() == "choose where to write the export: give the path of a .onnx file"
    assert _still_asking(runs_view, dialog)
    dialog.reject()


def test_a_file_already_there_is_replaced_only_after_yes(runs_view, qtbot, tmp_path):
    out = tmp_path / "mine.keras"
    out.write_bytes(b"my own model")
    with answering(QMessageBox.No) as asked:
        dialog = _ask(runs_view, "keras", out)
    assert len(asked) == 1 and str(out) in asked[0]
    assert out.read_bytes() == b"my own model" and os.listdir(tmp_path) == ["mine.keras"]
    assert _still_asking(runs_view, dialog) and dialog.problem.text().startswith(f"{out} is kept as it is")
    with answering(QMessageBox.Yes) as asked, qtbot.waitSignal(runs_view.export_done, timeout=180_000) as done:
        dialog.buttons.button(QDialogButtonBox.Ok).click()
    ok, text = done.args
    assert len(asked) == 1 and ok and text.startswith(f"keras: {out} written; ")
    assert out.read_bytes()[:2] == b"PK" and os.listdir(tmp_path) == ["mine.keras"]  # a .keras file is a zip


def test_another_runs_folder_is_refused_with_its_line_and_nothing_asked(runs_view, tmp_path):
    """Write to = another run's model.keras replaced its trained model (3.67 MB) with this run's."""

    from netlab.runs.folder import RunWriter

    other = tmp_path / "other-run"
    RunWriter(other).write_config(tiny_experiment())
    (other / "model.keras").write_bytes(b"its trained model")
    with answering(QMessageBox.Yes) as asked:
        dialog = _ask(runs_view, "keras", other / "model.keras")
    assert asked == []
    assert dialog.problem.text() == (f"{other} is a run's folder, whose files are NetLab's: NetLab writes no "
                                     f"export into it; give a path outside it, such as "
                                     f"{other / 'export' / 'model.keras'}")
    assert _still_asking(runs_view, dialog) and (other / "model.keras").read_bytes() == b"its trained model"
    dialog.reject()


def test_the_dialog_suggests_a_path_per_format_and_keeps_a_typed_one(runs_view):
    runs_view.table.selectRow(0)
    runs_view.export_button.click()
    dialog = runs_view.export_dialog
    run_dir = runs_view.runs[0].path
    for fmt in ("savedmodel", "tflite", "keras"):
        dialog.set_format(fmt)
        assert dialog.request() == (fmt, str(default_out(run_dir, fmt)), False)
    dialog.out.setText("/somewhere/mine.keras")
    dialog.set_format("onnx")
    assert dialog.request()[1] == "/somewhere/mine.keras"
    dialog.reject()


def test_export_without_a_selected_run_says_so(runs_view):
    runs_view.table.clearSelection()
    runs_view.export_button.click()
    assert runs_view.export_dialog is None
    assert runs_view.export_status.text() == "Select a run to export."
