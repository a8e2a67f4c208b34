"""The house style of a pyqtgraph plot: white, opaque major-tick grid only.

Why opaque and major ticks only: gui/tabs/curves.py's docstring (a
translucent grid made each repaint about 8x slower). pyqtgraph is imported
by the caller, after the window's first paint.
"""

from __future__ import annotations

GRID = (225, 225, 225)


def styled_plot(pg, title: str = "", bottom: str = "", left: str = ""):
    """A PlotWidget with the house grid and axis labels."""
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    plot = pg.PlotWidget(title=title)
    if bottom:
        plot.setLabel("bottom", bottom)
    if left:
        plot.setLabel("left", left)
    plot.showGrid(x=True, y=True)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setTickPen(pg.mkPen(GRID))
        axis.setTextPen(pg.mkPen("k"))
        axis.setStyle(tickAlpha=255, maxTickLevel=0)
    return plot


def key_text(*entries) -> str:
    """A plot title's colour key, ``(text, (r, g, b))`` each (a legend covers the curves of a small plot)."""
    return ", ".join(f"<span style='color: #{r:02x}{g:02x}{b:02x}'>{text}</span>"
                     for text, (r, g, b) in entries)
