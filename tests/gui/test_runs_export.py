"""The Runs tab's Export action: dialog, export in a worker, the parity line or the error."""

import os

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from gui.views.export_dialog import default_out
from gui.views.runs import RunsView
from netlab.export import runtime_missing


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


def test_a_bad_export_request_shows_one_line_in_red(runs_view, qtbot, tmp_path):
    ok, text = _export(runs_view, qtbot, "tflite", tmp_path / "digits.onnx")
    assert not ok and text.endswith("give a path ending in .tflite") and "\n" not in text
    assert "b00020" in runs_view.export_status.styleSheet()
    assert os.listdir(tmp_path) == []


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
