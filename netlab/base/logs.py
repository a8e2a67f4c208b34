"""Keep stderr for NetLab's own messages: TensorFlow's log lines are filtered out.

TensorFlow writes C++/absl log lines (``cudart_stub.cc ... Could not find cuda
drivers``, ``cpu_feature_guard.cc ...``, the oneDNN note, absl's "All log
messages before absl::InitializeLog() is called ...") straight to file
descriptor 2, some of them before ``TF_CPP_MIN_LOG_LEVEL`` is ever read. So
besides the environment variables and absl's Python verbosity, the command
and the window move Python's ``sys.stderr`` to a copy of the terminal's
descriptor and send descriptor 2 through a filter thread that drops those lines
and passes everything else (Qt's warnings, a fatal ``F`` line) through.

``quiet_tensorflow(verbose=True)`` (``--verbose``) leaves all of it visible.
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import re
import sys
import threading

# absl is imported inside quiet_tensorflow: it comes with TensorFlow (without it there is nothing
# to quiet), and `netlab --help`, which never calls it, does not pay its 27 ms.

# I1125 19:36:10.123456   5676 cudart_stub.cc:31] ...   (glog/absl: severity, date, time, thread, file:line])
# F (fatal) lines are kept: they come right before TensorFlow aborts and say why.
TENSORFLOW_LOG_LINE = re.compile(
    rb"^(?:[IWE]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\]"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|To enable the following instructions: .* rebuild TensorFlow"
    rb"|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.)"
)

_installed = False


def quiet_tensorflow(verbose: bool = False) -> None:
    """Silence TensorFlow's start-up and info logging; call before TensorFlow is imported."""
    global _installed
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        import absl.logging  # TensorFlow's own Python logging ("WARNING:absl:...")

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # absl comes with TensorFlow; without it there is nothing to quiet
        pass
    # Only a process's real stderr is filtered: a test's captured stream is left alone.
    if _installed or sys.stderr is not sys.__stderr__ or sys.stderr is None:
        return
    try:
        if sys.stderr.fileno() != 2:
            return
    except (AttributeError, OSError, ValueError):
        return
    _installed = True
    _filter_descriptor_2()


def _filter_descriptor_2() -> None:
    sys.stderr.flush()
    terminal = os.dup(2)
    # Python's own messages (NetLab's error lines, tracebacks) go straight to the terminal.
    stream = io.TextIOWrapper(io.FileIO(terminal, "w", closefd=False), encoding=sys.stderr.encoding,
                              errors="backslashreplace", line_buffering=True)
    sys.stderr = sys.__stderr__ = stream
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    thread = threading.Thread(target=_forward, args=(read_end, terminal), daemon=True,
                              name="netlab-stderr-filter")
    thread.start()

    def flush_at_exit() -> None:
        os.dup2(terminal, 2)  # closes the pipe's last writer here: the thread sees the end
        thread.join(timeout=1.0)

    atexit.register(flush_at_exit)


def _forward(read_end: int, terminal: int) -> None:
    pending = b""
    while True:
        try:
            chunk = os.read(read_end, 65536)
        except OSError:
            break
        if not chunk:
            break
        *lines, pending = (pending + chunk).split(b"\n")
        kept = [line + b"\n" for line in lines if not TENSORFLOW_LOG_LINE.match(line)]
        if kept:
            _write_all(terminal, b"".join(kept))
    if pending and not TENSORFLOW_LOG_LINE.match(pending):
        _write_all(terminal, pending)
    os.close(read_end)


def _write_all(fd: int, data: bytes) -> None:
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:  # the terminal went away: nothing left to show it on
        pass
