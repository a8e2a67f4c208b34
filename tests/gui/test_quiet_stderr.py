"""The window, like the command, keeps TensorFlow's log lines off stderr."""

import os
import subprocess
import sys
from pathlib import Path

from netlab.base.logs import TENSORFLOW_LOG_LINE

ROOT = Path(__file__).resolve().parents[2]

# Start the real app; close its window once it has loaded TensorFlow in the background and its
# first jobs (the model summary Keras builds) have ended: all TensorFlow did on its own by then.
SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(["netlab"])
import gui.app
from gui import workers
def watch():
    window = next(w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow")
    def close_when_done():
        if workers._jobs or not window.size_label.text():
            QTimer.singleShot(20, close_when_done)
        else:
            window.close()
    window.core_loaded.connect(lambda *args: close_when_done())
QTimer.singleShot(0, watch)
sys.exit(gui.app.main(["netlab"]))
"""


def test_the_window_keeps_tensorflow_logs_off_stderr():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    noise = [line for line in proc.stderr.splitlines() if TENSORFLOW_LOG_LINE.match(line.encode())]
    assert noise == []
