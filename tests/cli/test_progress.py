"""The progress line: within the epoch on a terminal's stderr, nothing of it through a pipe."""

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from netlab.cli.main import main
from netlab.cli.progress import LINE, ProgressLine, clock

ROOT = Path(__file__).resolve().parents[2]
TINY = ["train", "--arch", "simple_cnn", "--dataset", "digits", "--image-size", "16", "--max-samples", "100",
        "--epochs", "2", "--batch-size", "8", "--no-tensorboard", "--no-train-eval"]
EPOCH_LINE = re.compile(r"epoch [12]/2  loss \d+\.\d{4}  accuracy \d\.\d{4}  val_loss \d+\.\d{4}  "
                        r"val_accuracy \d\.\d{4}  \(\d+:\d\d\)")


def _netlab_env():
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _stdout_in_form(stdout: str) -> None:
    """Today's lines: the start, one per epoch, the end."""
    lines = stdout.splitlines()
    assert lines[0].startswith("training simple_cnn on digits") and lines[-1].startswith("finished after 2 epochs")
    assert [line for line in lines[1:-1] if not line.startswith("check:")] == \
        [line for line in lines if EPOCH_LINE.fullmatch(line)]
    assert len([line for line in lines if EPOCH_LINE.fullmatch(line)]) == 2, stdout


@pytest.mark.slow
def test_a_terminal_shows_the_epoch_s_progress_and_a_pipe_gets_none(tmp_path):
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "netlab", *TINY, "--out", str(tmp_path / "tty")],
                            stdout=subprocess.PIPE, stderr=slave, env=_netlab_env(), cwd=tmp_path)
    os.close(slave)
    seen = b""
    while True:  # until the child's end closes the terminal (EIO on Linux)
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    stdout = proc.stdout.read().decode()
    assert proc.wait(timeout=300) == 0, seen
    terminal = seen.decode()
    assert re.search(r"\repoch [12]/2  batch \d+/\d+  loss \d+\.\d{4}  [\d,]+ img/s  ETA \d+:\d\d", terminal), terminal
    assert terminal.endswith("\r")  # the line is wiped, not left under the shell's prompt
    _stdout_in_form(stdout)

    piped = subprocess.run([sys.executable, "-m", "netlab", *TINY, "--out", str(tmp_path / "pipe")],
                           capture_output=True, text=True, env=_netlab_env(), cwd=tmp_path, timeout=300)
    assert piped.returncode == 0, piped.stderr
    assert "\r" not in piped.stdout and "\r" not in piped.stderr
    assert "ETA" not in piped.stderr
    _stdout_in_form(piped.stdout)


@pytest.mark.slow
def test_quiet_training_prints_only_its_result(tmp_path, capsys):
    try:
        assert main([*TINY, "--epochs", "1", "--quiet", "--out", str(tmp_path / "run")]) == 0
    finally:
        LINE.quiet = False  # main() sets it again at each call; other tests' callers may not
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("finished after 1 epoch"), lines


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_line_is_rewritten_rate_limited_and_wiped(monkeypatch):
    line = ProgressLine()
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    line.show("batch 1/9")
    assert sys.stderr.getvalue() == ""  # not a terminal: nothing, no carriage return
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    line.prefix = "run 2/6"
    line.show("batch 1/9")
    line.show("batch 2/9")  # at once after the first: left out
    line.show("batch 3/9", force=True)
    assert terminal.getvalue() == "\rrun 2/6  batch 1/9\rrun 2/6  batch 3/9"
    line.clear()
    assert terminal.getvalue().endswith("\r" + " " * len("run 2/6  batch 3/9") + "\r")
    line.quiet = True
    line.show("batch 4/9", force=True)
    assert "4/9" not in terminal.getvalue()


def test_clock_reads_like_a_stopwatch():
    assert [clock(s) for s in (0, 42.4, 605, 3729)] == ["0:00", "0:42", "10:05", "1:02:09"]


def test_every_command_takes_quiet_and_verbose(capsys):
    for argv in (["train"], ["predict", "m", "x"], ["inspect", "maps", "r"], ["search"], ["export", "r"]):
        assert main([*argv, "--help"]) == 0
        shown = capsys.readouterr().out
        assert "--quiet" in shown and "--verbose" in shown, argv
