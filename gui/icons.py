"""The application's and windows' icons, from resources/icons (importlib.resources)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon, QPixmap

from netlab.resources import icon_files


@cache
def icon(name: str = "netlab") -> QIcon:
    """``icons/NAME-SIZE.png`` at every size drawn (16 to 256 px); Qt picks the size it needs."""
    result = QIcon()
    for data in icon_files(name).values():
        pixmap = QPixmap()
        if pixmap.loadFromData(data, "PNG"):
            result.addPixmap(pixmap)
    return result
