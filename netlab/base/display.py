"""Is there a display for the window? Asked before Qt starts, which otherwise aborts the process."""

from __future__ import annotations

import os
import sys

from netlab.base.errors import NetlabError


class NoDisplayError(NetlabError):
    """There is no display for the window: Qt would abort the process (SIGABRT) with its own lines."""


def check_display(environ=os.environ, platform: str = sys.platform) -> None:
    """Raise NoDisplayError where Qt's X11 or Wayland platform would find no display to connect to.

    Windows and macOS always have one; QT_QPA_PLATFORM=offscreen (or vnc, eglfs ...) needs none.
    A DISPLAY that is set but unreachable is left to Qt.
    """
    if platform in ("win32", "darwin"):
        return
    qpa = environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0]
    needs = {"": ("DISPLAY", "WAYLAND_DISPLAY"), "xcb": ("DISPLAY",),
             "wayland": ("WAYLAND_DISPLAY",), "wayland-egl": ("WAYLAND_DISPLAY",)}.get(qpa, ())
    if needs and not any(environ.get(name) for name in needs):
        raise NoDisplayError(f"no display to open the window on (no {' or '.join(needs)} set): run it in a "
                             "desktop session (or ssh -X), or use the netlab command's headless commands")
