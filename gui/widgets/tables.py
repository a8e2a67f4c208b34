"""The read-only tables of the views: one way to make them."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget

from netlab.inspect.text import human


def read_only_table(columns, row_height: int | None = None,
                    resize=QHeaderView.ResizeToContents) -> QTableWidget:
    """A table with ``columns`` as headers, no row numbers, cells not editable."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    if row_height is not None:
        table.verticalHeader().setDefaultSectionSize(row_height)
    table.horizontalHeader().setSectionResizeMode(resize)
    return table


def summary_row(r, prefix: str = "") -> tuple:
    """One table row of a netlab.inspect.summary.LayerRow, as text."""
    return (prefix + r.name, r.class_name, "x".join(map(str, r.output_shape)), f"{r.trainable_params:,}",
            f"{r.non_trainable_params:,}", human(r.macs) if r.macs else "",
            "" if r.receptive_field is None else str(r.receptive_field),
            "all" if r.jump is None else str(r.jump))
