"""PySide6 6.12.0 on Python 3.11 aborts after a few thousand Qt calls
("Fatal Python error: none_dealloc"). pyproject pins PySide6-Essentials<6.12
there; this test makes 20,000 calls in a child process so a bump is caught."""

import subprocess
import sys

CODE = """
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
for i in range(20_000):
    label.setText(str(i))
print(label.text())
"""


def test_twenty_thousand_qt_calls_do_not_abort():
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "19999"
