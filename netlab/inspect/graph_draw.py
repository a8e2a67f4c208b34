"""A laid-out graph as a picture: SVG text written by hand, or a PNG drawn with Pillow.

Each node is a box with its name, type (a block's kind and its number of layers) and
output shape; each edge an arrow along the route the layout gives. The window draws the
same layout in Qt; these are the headless pictures of ``netlab graph --out``.
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from netlab.base.atomic import atomic_path
from netlab.base.errors import ConfigError
from netlab.inspect.graph import Graph, Node
from netlab.inspect.graph_layout import LINE_H, PAD, GraphLayout, box_lines, layout

FORMATS = (".svg", ".png")
MAX_PNG_PIXELS = 120_000_000  # ~360 MB of RGB: past it, an SVG (or the blocks collapsed) is the picture
EDGE = "#6b7280"
TEXT = "#111827"
ARROW = 7.0  # arrowhead length, pixels


def fill_of(node: Node) -> str:
    """A box's colour by what the node is: blocks, convolutions, pooling, dense, the rest."""
    kind = node.type
    if node.children:
        return "#e9d5ff"
    if "Conv" in kind:
        return "#bfdbfe"
    if "Pool" in kind:
        return "#bbf7d0"
    if kind in ("Dense", "EinsumDense"):
        return "#fed7aa"
    if kind == "InputLayer":
        return "#fef08a"
    return "#f3f4f6"


def to_svg(graph: Graph, placed: GraphLayout | None = None) -> str:
    """The picture as SVG text."""
    placed = placed or layout(graph)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{placed.width:.0f}" height="{placed.height:.0f}" '
           f'viewBox="0 0 {placed.width:.0f} {placed.height:.0f}" font-family="sans-serif" font-size="11">',
           f"<title>{escape(graph.name)}</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{EDGE}"/></marker></defs>',
           f'<rect width="100%" height="100%" fill="white"/><g fill="none" stroke="{EDGE}" stroke-width="1.2">']
    for (source, target), points in placed.routes.items():
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" marker-end="url(#arrow)"><title>{escape(source)} \u2192 '
                   f"{escape(target)}</title></polyline>")
    out.append("</g>")
    for node in graph.nodes:
        left, top, w, h = placed.box(node.id)
        out.append(f'<g id="{escape(node.id, {chr(34): "&quot;"})}"><title>{escape(node.id)}</title>'
                   f'<rect x="{left:.1f}" y="{top:.1f}" width="{w:.1f}" height="{h:.1f}" rx="4" '
                   f'fill="{fill_of(node)}" stroke="#374151"/>')
        for i, line in enumerate(box_lines(node)):
            weight = ' font-weight="bold"' if i == 0 else ""
            out.append(f'<text x="{left + w / 2:.1f}" y="{top + PAD / 2 + LINE_H * (i + 0.8):.1f}" '
                       f'text-anchor="middle" fill="{TEXT}"{weight}>{escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def to_png(graph: Graph, placed: GraphLayout | None = None) -> Image.Image:
    """The picture as a Pillow image."""
    placed = placed or layout(graph)
    size = (max(1, math.ceil(placed.width)), max(1, math.ceil(placed.height)))
    if size[0] * size[1] > MAX_PNG_PIXELS:
        raise ConfigError(f"the picture of {graph.name} would be {size[0]}x{size[1]} pixels, too large for "
                          "a PNG: write an .svg, or show the blocks collapsed (--expand none)")
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = _font()
    for points in placed.routes.values():
        draw.line(points, fill=EDGE, width=1)
        _arrowhead(draw, points[-2], points[-1])
    for node in graph.nodes:
        left, top, w, h = placed.box(node.id)
        draw.rounded_rectangle((left, top, left + w, top + h), radius=4, fill=fill_of(node), outline="#374151")
        for i, line in enumerate(box_lines(node)):
            draw.text((left + w / 2, top + PAD / 2 + LINE_H * (i + 0.5)), line, fill=TEXT, font=font, anchor="mm")
    return image


def _font():
    try:
        return ImageFont.load_default(size=11)  # Pillow >= 10.1 with FreeType: a scalable font
    except TypeError:
        return ImageFont.load_default()


def _arrowhead(draw: ImageDraw.ImageDraw, start, end) -> None:
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    wing = math.radians(25)
    left = (end[0] - ARROW * math.cos(angle - wing), end[1] - ARROW * math.sin(angle - wing))
    right = (end[0] - ARROW * math.cos(angle + wing), end[1] - ARROW * math.sin(angle + wing))
    draw.polygon([end, left, right], fill=EDGE)


def write_picture(graph: Graph, path: str | Path, placed: GraphLayout | None = None) -> Path:
    """Write the picture to ``path``, .svg or .png by its suffix (atomically)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(f"{path.name}: a graph is written as .svg or .png")
    if not path.parent.is_dir():
        raise ConfigError(f"{path.parent}: no such folder to write the graph into")
    if suffix == ".svg":
        data = to_svg(graph, placed).encode("utf-8")
        with atomic_path(path) as tmp:
            Path(tmp).write_bytes(data)
    else:
        image = to_png(graph, placed)
        with atomic_path(path) as tmp:
            image.save(tmp, format="PNG")
    return path
