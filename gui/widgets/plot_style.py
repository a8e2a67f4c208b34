"""The house style of a pyqtgraph plot: the scheme's background, opaque major-tick grid only; and
every styled plot repainted when the system's colour scheme changes (gui/widgets/color_scheme.py).

Why opaque and major ticks only: gui/tabs/curves.py's docstring (a
translucent grid made each repaint about 8x slower). pyqtgraph is imported
by the caller, after the window's first paint.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from shiboken6 import isValid

from gui.widgets.color_scheme import color_scheme


@dataclass(frozen=True)
class PlotColours:
    background: str
    foreground: str  # text: titles, tick labels, axis labels, legends
    grid: tuple
    axis: str


LIGHT = PlotColours(background="#ffffff", foreground="#000000", grid=(225, 225, 225), axis="#888888")
DARK = PlotColours(background="#1e1e1e", foreground="#dcdcdc", grid=(62, 62, 62), axis="#8c8c8c")
GRID = LIGHT.grid

# Each styled widget and the function that paints it; weak: a closed view's plots go.
_painted: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def plot_colours() -> PlotColours:
    return DARK if color_scheme().dark else LIGHT


def paint_plot(plot, colours: PlotColours) -> None:
    """A PlotWidget in ``colours``: background, axes, titles and legend."""
    import pyqtgraph as pg

    plot.setBackground(colours.background)
    item = plot.getPlotItem()
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        axis.setPen(pg.mkPen(colours.axis))
        if axis.grid is not False:  # the grid is drawn by the ticks
            axis.setTickPen(pg.mkPen(colours.grid))
        axis.setTextPen(pg.mkPen(colours.foreground))
    if item.titleLabel.text:
        item.setTitle(item.titleLabel.text, color=colours.foreground)
    if item.legend is not None:  # a translucent box of the plot's background under the key
        item.legend.setLabelTextColor(colours.foreground)  # for entries added from now on
        for _sample, label in item.legend.items:  # and the ones there: their text drawn again
            label.setText(label.text, color=colours.foreground)
        box = pg.mkColor(colours.background)
        box.setAlpha(200)
        item.legend.setBrush(pg.mkBrush(box))


def follow_scheme(widget, paint=paint_plot) -> None:
    """Paint ``widget`` (``paint(widget, colours)``) now and again at each change of the scheme."""
    scheme = color_scheme()
    if not scheme.repaints_plots:
        scheme.changed.connect(_repaint_all)
        scheme.repaints_plots = True
    _painted[widget] = paint
    paint(widget, plot_colours())


def _repaint_all(_dark: bool) -> None:
    colours = plot_colours()
    for widget, paint in list(_painted.items()):
        if isValid(widget):
            paint(widget, colours)


def styled_plot(pg, title: str = "", bottom: str = "", left: str = "", legend=None):
    """A PlotWidget with the house grid and axis labels, in the scheme's colours; ``legend``: the
    offset of a legend (its box painted in the scheme's colours too)."""
    colours = plot_colours()
    pg.setConfigOptions(antialias=True, background=colours.background, foreground=colours.foreground)
    plot = pg.PlotWidget(title=title)
    if bottom:
        plot.setLabel("bottom", bottom)
    if left:
        plot.setLabel("left", left)
    plot.showGrid(x=True, y=True)
    for side in ("left", "bottom"):
        plot.getAxis(side).setStyle(tickAlpha=255, maxTickLevel=0)
    if legend is not None:
        plot.addLegend(offset=legend)
    follow_scheme(plot)
    return plot


def key_text(*entries) -> str:
    """A plot title's colour key, ``(text, (r, g, b))`` each (a legend covers the curves of a small plot)."""
    return ", ".join(f"<span style='color: #{r:02x}{g:02x}{b:02x}'>{text}</span>"
                     for text, (r, g, b) in entries)
