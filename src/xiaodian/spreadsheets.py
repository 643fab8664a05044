"""Writing XLSX downloads (the order export, the bulk-ship template): a streaming workbook whose rows are lists of
cells each with its number format, so ids stay typed text in Excel ("@", never 4.90754E+18) and amounts are numbers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import BinaryIO

TEXT = "@"
# A cell that begins with one of these is a formula to Excel and WPS (=, and +, - or @ typed into a CSV): buyer notes
# and product titles are other people's text, and "=HYPERLINK(…)" in an export would run on the merchant's machine.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_GUARD = "'"


def _needs_guard(value: str) -> bool:
    # apostrophes first too ("'=x" typed by someone), so that taking one off on reading gives back what was written
    return value.lstrip(CSV_GUARD).startswith(FORMULA_STARTS)


def csv_text(value: object) -> object:
    """A CSV cell that cannot start a formula: text beginning with a formula character gets a leading apostrophe
    (what a spreadsheet shows as plain text; ``unguarded`` takes it off again when the desk reads the file back)."""
    if value.__class__ is str and _needs_guard(value):
        return CSV_GUARD + value
    return value


def unguarded(value: str) -> str:
    """A text cell as written before ``csv_text`` guarded it."""
    if value.startswith(CSV_GUARD) and _needs_guard(value[1:]):
        return value[1:]
    return value


def write_sheet(title: str, header: list[str], rows: Iterable[list[tuple[object, str]]],
                widths: Iterable[float] = ()) -> tuple[bytes, int]:
    """(XLSX bytes, data rows) of one sheet (write_sheet_to, in memory)."""
    buffer = io.BytesIO()
    count = write_sheet_to(buffer, title, header, rows, widths)
    return buffer.getvalue(), count


MAX_SHEET_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header


def write_sheet_to(out: BinaryIO, title: str, header: list[str], rows: Iterable[list[tuple[object, str]]],
                   widths: Iterable[float] = ()) -> int:
    """Writes one sheet as XLSX to ``out`` and returns its data rows: the header, then each row's (value, number
    format) cells, written as they come (XlsxWriter's constant-memory mode keeps a large export's memory flat).
    ``widths``: column widths in characters, from the first column; the header row stays in view when scrolling.

    XlsxWriter rather than openpyxl (which still reads the merchants' files): 100,000 export rows took 40 s to write
    with openpyxl, and 2.3x less with XlsxWriter (benchmarks/RESULTS-export.md). Text is always written as text,
    never as a formula, number or link, whatever it starts with."""
    import xlsxwriter

    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(title)
    for position, width in enumerate(widths):
        sheet.set_column(position, position, width)
    sheet.freeze_panes(1, 0)
    for column, name in enumerate(header):
        sheet.write_string(0, column, name)
    formats: dict[str, object] = {}
    count = 0
    for count, row in enumerate(rows, start=1):
        if count > MAX_SHEET_ROWS:  # XlsxWriter would drop the rest without a word
            from .errors import ValidationFailed

            raise ValidationFailed(f"an Excel sheet holds at most {MAX_SHEET_ROWS:,} rows below its header: export "
                                   "CSV instead, one row per order, or a shorter list", code="sheet_too_long",
                                   details={"limit": MAX_SHEET_ROWS})
        for column, (value, number_format) in enumerate(row):
            cell_format = formats.get(number_format)
            if cell_format is None:
                cell_format = formats[number_format] = book.add_format({"num_format": number_format})
            if value is None or value == "":  # an empty cell to fill in, as openpyxl wrote it
                sheet.write_blank(count, column, None, cell_format)
            elif value.__class__ is str:
                sheet.write_string(count, column, value, cell_format)
            elif value.__class__ in (int, float):
                sheet.write_number(count, column, value, cell_format)
            else:
                sheet.write_string(count, column, str(value), cell_format)
    book.close()
    return count


def as_text(values: Iterator[list[object]]) -> Iterator[list[tuple[object, str]]]:
    """Rows whose every cell is typed text."""
    return ([(value, TEXT) for value in row] for row in values)
