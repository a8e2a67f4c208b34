"""Ctrl-C ends a command even when Python delivers it inside a finalizer, which loses it."""

import signal
import sys

import pytest

from netlab.base.abort import abort_point, ctrl_c_ends_the_command


@pytest.fixture
def python_handles_sigint():
    """Python's own SIGINT handler, as a terminal's process has (a background suite ignores SIGINT)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class FreedWhileCtrlC:
    def __del__(self):
        signal.raise_signal(signal.SIGINT)
        sum(range(1000))  # Python runs the handler here, inside the finalizer


def test_a_ctrl_c_a_finalizer_swallowed_is_raised_again_at_the_next_abort_point(python_handles_sigint,
                                                                               monkeypatch):
    lost = []
    monkeypatch.setattr(sys, "unraisablehook", lost.append)
    with pytest.raises(KeyboardInterrupt), ctrl_c_ends_the_command():
        FreedWhileCtrlC()  # freed at once; its KeyboardInterrupt is "ignored" by Python
        assert [u.exc_type for u in lost] == [KeyboardInterrupt]
        abort_point()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    abort_point()  # the flag ends with the command: nothing raised after it


def test_without_the_command_a_lost_ctrl_c_stays_lost(python_handles_sigint, monkeypatch):
    """What the flag is for: Python's own handler alone loses it, and the job would go on."""
    lost = []
    monkeypatch.setattr(sys, "unraisablehook", lost.append)
    FreedWhileCtrlC()
    assert [u.exc_type for u in lost] == [KeyboardInterrupt]
    abort_point()  # nothing: a run here would train on
