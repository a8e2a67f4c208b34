"""The window follows the system's dark or light colour scheme, live.

Qt 6.5+ tells the scheme (``QStyleHints.colorScheme``) and when it changes
(``colorSchemeChanged``). Where the platform's theme gives the matching palette
(Windows 11, macOS, GNOME and KDE), the widgets follow by themselves; where it
does not (a bare X11 session, the offscreen platform), a Fusion dark palette
is set here, and the application's own comes back with the light scheme.
pyqtgraph plots draw their own background: ``gui/widgets/plot_style.py``
repaints every plot it styled on ``changed``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

# Fusion's dark palette as Qt's own examples give it (window #353535, base #232323, ...).
DARK_COLOURS = {
    QPalette.Window: "#353535", QPalette.WindowText: "#e6e6e6", QPalette.Base: "#232323",
    QPalette.AlternateBase: "#2d2d2d", QPalette.ToolTipBase: "#353535", QPalette.ToolTipText: "#e6e6e6",
    QPalette.Text: "#e6e6e6", QPalette.Button: "#353535", QPalette.ButtonText: "#e6e6e6",
    QPalette.BrightText: "#ff5252", QPalette.Link: "#64b5f6", QPalette.Highlight: "#2a82da",
    QPalette.HighlightedText: "#ffffff", QPalette.PlaceholderText: "#8c8c8c",
    QPalette.Light: "#505050", QPalette.Midlight: "#404040", QPalette.Mid: "#2a2a2a",
    QPalette.Dark: "#202020", QPalette.Shadow: "#141414",
}
DISABLED_TEXT = "#7f7f7f"


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in DARK_COLOURS.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        palette.setColor(QPalette.Disabled, role, QColor(DISABLED_TEXT))
    return palette


def _palette_is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.Window).lightness() < 128


class ColorScheme(QObject):
    """The scheme the window shows (``dark``), following the system's; ``changed(dark)`` after a change."""

    changed = Signal(bool)

    def __init__(self, app):
        super().__init__(app)
        self.app = app
        self.saved_palette: QPalette | None = None  # the application's own, while a dark one is set here
        hints = QGuiApplication.styleHints()
        self.dark = False
        self.repaints_plots = False  # plot_style connects its repaint once
        self.apply(hints.colorScheme())
        hints.colorSchemeChanged.connect(self.apply)

    def apply(self, scheme) -> None:
        """Show ``scheme`` (a Qt.ColorScheme; Unknown: as the palette is)."""
        if scheme == Qt.ColorScheme.Unknown:
            dark = _palette_is_dark(self.app.palette()) if self.saved_palette is None else self.dark
        else:
            dark = scheme == Qt.ColorScheme.Dark
        if dark and not _palette_is_dark(self.app.palette()):  # the platform gave no dark palette
            self.saved_palette = QPalette(self.app.palette())
            self.app.setPalette(dark_palette())
        elif not dark and self.saved_palette is not None:
            self.app.setPalette(self.saved_palette)
            self.saved_palette = None
        if dark != self.dark:
            self.dark = dark
            self.changed.emit(dark)


def color_scheme() -> ColorScheme:
    """The application's one ColorScheme, made (and following the system) on first use."""
    app = QApplication.instance()
    scheme = app.findChild(ColorScheme)
    return scheme if scheme is not None else ColorScheme(app)


def is_dark() -> bool:
    return color_scheme().dark
