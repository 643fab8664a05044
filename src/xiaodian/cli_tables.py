"""Rich tables for the CLI. Identifiers (order, after-sale and tracking numbers, a masked phone) are never cut
or wrapped: a clerk copies them into the back office or a carrier's site, and "6979577345…" is useless there.
Free text (items, evidence) takes the squeeze instead on a narrow terminal or a pipe (80 columns)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table

# Column name → the width its values need in full.
IDENTIFIER_WIDTHS = {"order id": 19, "order": 19, "after-sale": 19, "tracking": 14, "buyer": 11,
                     "ship-by": 11}  # a deadline cut to "11-…" tells the clerk nothing


def add_columns(table: Table, names: Iterable[str]) -> Table:
    for name in names:
        width = IDENTIFIER_WIDTHS.get(name)
        if width is None:
            table.add_column(name)
        else:
            table.add_column(name, no_wrap=True, min_width=width)
    return table
