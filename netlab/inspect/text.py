"""Plain-text forms of a summary and its comparisons, for the CLI (the window draws tables)."""

from __future__ import annotations

from collections.abc import Iterable

from netlab.inspect.published import Comparison, parameter_convention
from netlab.inspect.summary import LayerRow, ModelSummary


def human(n: int | float | None) -> str:
    """11689512 -> '11.7M', 1.82e9 -> '1.82G' (three significant digits)."""
    if n is None:
        return "?"
    for factor, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= factor:
            text = f"{n / factor:.3g}"
            # .3g switches to exponent notation at 1000 (999.7K -> 1e+03K): say 1M instead.
            if "e" in text:
                return f"{n / (factor * 1000):.3g}{'PTGM'['TGMK'.index(unit)]}"
            return f"{text}{unit}"
    return f"{n:g}" if isinstance(n, float) else str(n)


def _shape_text(shape: Iterable) -> str:
    return "x".join("?" if d is None else str(d) for d in shape)


def format_table(summary: ModelSummary) -> str:
    """A plain-text table for the CLI: one line per layer and a totals line."""
    header = ("layer", "type", "output", "params", "MACs", "RF", "stride")
    lines = [header, *(_cells(r) for r in summary.rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {3, 4, 5, 6}

    def fmt(line):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))]
        return "  ".join(cells).rstrip()

    rule = "-" * len(fmt(header))
    body = [fmt(header), rule, *(fmt(line) for line in lines[1:]), rule]
    macs = human(summary.macs) + ("" if summary.macs_complete else " (some layers unknown)")
    body.append(
        f"{summary.name}: {human(summary.params)} params ({summary.trainable_params:,} trainable, "
        f"{summary.non_trainable_params:,} non-trainable), {macs} MACs per image "
        f"at {_shape_text(summary.input_shape)}"
    )
    body.append(f"Parameters: {parameter_convention(summary)}.")
    return "\n".join(body)


def _cells(r: LayerRow) -> tuple[str, ...]:
    if r.receptive_field is None:
        rf = ""
    else:  # "all": global pooling and what follows see the whole image
        rf = "all" if r.jump is None else _hw(r.receptive_field_hw)
    stride = "" if r.jump is None else _hw(r.jump_hw)
    params = human(r.params) if r.params else ""
    macs = human(r.macs) if r.macs != 0 else ""
    return r.name, r.class_name, _shape_text(r.output_shape), params, macs, rf, stride


def _hw(values: tuple) -> str:
    return str(values[0]) if len(set(values)) == 1 else "x".join(str(v) for v in values)


def format_comparison(rows: list[Comparison]) -> str:
    """This model's figures vs the references, one line per figure, each with its kind and source."""
    lines = []
    for c in rows:
        if c.reference is None:
            lines.append(f"{c.quantity}: {c.configured:,} ({c.note})")
        else:
            lines.append(
                f"{c.quantity}: {c.configured:,} configured vs {c.reference:,} {c.kind} "
                f"({c.difference:+,}, {c.relative_difference:+.2%}; {c.note})"
            )
    return "\n".join(lines)
