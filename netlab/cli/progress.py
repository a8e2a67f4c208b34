"""The CLI's progress line: one line on stderr, rewritten in place, only in a terminal.

Long work (an epoch, a lesson's runs, a search's trials, a folder of images) shows how far it
is and how long it has left on one stderr line that ``\\r`` rewrites, at most
``UPDATES_PER_SECOND`` times a second, as Keras's own Progbar does. When stderr is not a
terminal (a pipe, a file, a test's capture) nothing of it is written, so redirected output
keeps the commands' plain lines and no carriage return. Any other line the command prints
goes through ``say`` (or calls ``LINE.clear()`` first), which wipes the progress line so the
two never share a row on the screen.

``--quiet`` (every command, netlab/cli/main.py) turns the line off and, in the commands that
train, the lines between the start and the result too: ``LINE.quiet``.
"""

from __future__ import annotations

import shutil
import sys
import time

UPDATES_PER_SECOND = 4.0


def clock(seconds: float) -> str:
    """0:42, 12:05, 1:02:09."""
    seconds = max(int(round(seconds)), 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ProgressLine:
    def __init__(self):
        self.quiet = False
        self.prefix = ""  # the outer loop's place ("run 2/6", "trial 3/8"), shown before the text
        self._shown = 0  # characters on the screen's progress line now (0: none)
        self._last = -float("inf")

    @property
    def live(self) -> bool:
        return not self.quiet and sys.stderr.isatty()  # sys.stderr at call time: tests swap it

    def show(self, text: str, force: bool = False) -> None:
        """Rewrite the line with text, unless one was written less than 1/UPDATES_PER_SECOND ago."""
        if not self.live:
            return
        now = time.monotonic()
        if not force and now - self._last < 1.0 / UPDATES_PER_SECOND:
            return
        self._last = now
        text = f"{self.prefix}  {text}" if self.prefix else text
        text = text[:max(shutil.get_terminal_size().columns - 1, 20)]  # a wrapped line cannot be rewritten
        sys.stderr.write("\r" + text.ljust(self._shown))
        sys.stderr.flush()
        self._shown = len(text)

    def clear(self) -> None:
        """Wipe the line (before another line is printed); the next show() writes at once."""
        if self._shown:
            sys.stderr.write("\r" + " " * self._shown + "\r")
            sys.stderr.flush()
            self._shown = 0
        self._last = -float("inf")

    def keep(self) -> None:
        """End the line as it stands (a final count worth keeping on the screen)."""
        if self._shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._shown = 0
        self._last = -float("inf")


LINE = ProgressLine()


def say(*parts, file=None, chatter: bool = False) -> None:
    """print() for the CLI's lines: wipes the progress line first; chatter is left out under --quiet."""
    if chatter and LINE.quiet:
        return
    LINE.clear()
    print(*parts, file=file if file is not None else sys.stdout, flush=True)


def rate_and_eta(done: int, total: int, started: float, unit: int = 1) -> str:
    """'412 img/s  ETA 0:42' for done of total steps of unit images each, begun at started."""
    elapsed = time.monotonic() - started
    if done <= 0 or elapsed <= 0:
        return ""
    eta = elapsed / done * (total - done)
    return f"{done * unit / elapsed:,.0f} img/s  ETA {clock(eta)}"
