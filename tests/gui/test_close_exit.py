"""Closing the window mid-training ends the process; a run it abandons resumes (gui/app.py's leave)."""

import csv
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 6

# The real window and its real way out (gui.app.main). Train a small run from the form and close
# the window as its first epoch ends. STOP_WAIT_S = 0: the training gets no time to see its stop
# flag, so it is abandoned mid-epoch, as a job caught inside a long step is.
SCRIPT = f"""
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(["netlab"])
import gui.app
from netlab.config import Experiment
from netlab.training.events import EpochEnd
gui.app.STOP_WAIT_S = 0.0

def train(window):
    exp = Experiment()
    exp.data.max_samples = 300
    exp.training.epochs = {EPOCHS}
    window.panel.set_experiment(exp)
    window.start_training()
    run_dir = str(window.thread.run_dir)

    def on_event(event):
        if isinstance(event, EpochEnd) and window.isVisible():
            print(json.dumps({{"run_dir": run_dir, "epoch": event.epoch}}), flush=True)
            window.close()
            print(json.dumps({{"visible": window.isVisible()}}), flush=True)

    window.thread.event.connect(on_event)

def attach():
    window = next(w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow")
    window.core_loaded.connect(lambda *args: train(window))

QTimer.singleShot(0, attach)
QTimer.singleShot(300_000, app.quit)  # never a hung test run
gui.app.main(["netlab"])
"""


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def _history_epochs(run_dir: Path) -> list[int]:
    with open(run_dir / "history.csv", newline="", encoding="utf-8") as f:
        return [int(float(row["epoch"])) for row in csv.DictReader(f)]


def _events(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text("utf-8").splitlines()]


@pytest.mark.slow
def test_closing_the_window_mid_training_ends_the_process_and_the_abandoned_run_resumes(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2",
           "NETLAB_RUNS": str(tmp_path / "runs")}
    errors = tmp_path / "stderr.txt"
    with open(errors, "w", encoding="utf-8") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, stdout=subprocess.PIPE, stderr=stderr,
                                text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        said = {}
        while "visible" not in said:
            line = lines.get(timeout=300)  # TensorFlow, then the first epoch
            assert line is not None, f"the window ended before it was closed:\n{errors.read_text()[-3000:]}"
            said.update(json.loads(line))
        assert said["visible"] is False  # the window went at once
        code = proc.wait(timeout=60)  # and the process ends: no job keeps it
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, errors.read_text()[-3000:]

    run_dir = Path(said["run_dir"])
    events = _events(run_dir)  # every line whole: no half-written event
    assert not [e for e in events if e["event"] == "RunFinished"]  # abandoned, not stopped
    kept = json.loads((run_dir / "checkpoint.json").read_text("utf-8"))["epoch"]
    assert 1 <= kept < EPOCHS
    assert _history_epochs(run_dir) == list(range(1, kept + 1))

    resumed = subprocess.run([sys.executable, "-m", "netlab", "resume", str(run_dir)], env=env,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]  # no lock left that blocks it
    assert f"resuming after epoch {kept}" in resumed.stdout
    assert _history_epochs(run_dir) == list(range(1, EPOCHS + 1))
    assert [e["stopped"] for e in _events(run_dir) if e["event"] == "RunFinished"] == [False]
    assert not [p.name for p in run_dir.iterdir() if ".netlab.tmp" in p.name]
