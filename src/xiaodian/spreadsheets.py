"""Writing XLSX downloads (the order export, the bulk-ship template): a streaming workbook whose rows are lists of
cells each with its number format, so ids stay typed text in Excel ("@", never 4.90754E+18) and amounts are numbers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

TEXT = "@"


def write_sheet(title: str, header: list[str], rows: Iterable[list[tuple[object, str]]],
                widths: Iterable[float] = ()) -> tuple[bytes, int]:
    """(XLSX bytes, data rows) of one sheet: the header, then each row's (value, number format) cells, written as
    they come (openpyxl's write-only mode keeps a large export's memory flat). ``widths``: column widths in
    characters, from the first column; the header row stays in view when scrolling."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(header)
    count = 0
    for row in rows:
        cells = []
        for value, number_format in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
        count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), count


def as_text(values: Iterator[list[object]]) -> Iterator[list[tuple[object, str]]]:
    """Rows whose every cell is typed text."""
    return ([(value, TEXT) for value in row] for row in values)
