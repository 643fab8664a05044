"""Streaming readers for order export files: CSV (UTF-8, UTF-8 with BOM, GBK) and XLSX, row by row.

Export files reach a gigabyte, so nothing here holds more than one row (plus a read buffer) in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from ...errors import ValidationFailed
from .columns import ColumnMap, canonical, looks_like_header, map_header

log = logging.getLogger(__name__)

SNIFF_BYTES = 64 * 1024
HEADER_SEARCH_ROWS = 10  # a title row or two may sit above the header in re-saved spreadsheets
MAX_FIELD = 16 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


class FileUnreadable(ValidationFailed):
    """The file as a whole cannot be imported (empty, not an export, required columns missing): nothing
    is imported, so the merchant fixes the file rather than ending up with half of it. The message is what an
    English page shows the clerk under "The file cannot be imported", so it is a sentence saying what to do; the
    technical cause (an exception's name, the CSV parser's words) goes to the log (QA pass 5, E10)."""

    code = "file_unreadable"


@dataclass(frozen=True)
class HeaderSpec:
    """How to recognise a file's header row: which columns it maps, and what the file is called in errors."""

    map_header: Callable[[list[object]], tuple[ColumnMap, list[str]]]
    looks_like_header: Callable[[list[object]], bool]
    what: str = "an order export"
    # A file whose header lacks only these columns (the first always) is the one-row-per-order kind of the same
    # export, which is refused saying so rather than "not an export"
    per_order_missing: frozenset[str] = frozenset()


# The one-row-per-order export (the desk's own per="order", the platform's likewise) has the items in one 选购商品 cell:
# no 子订单编号 and no 商品金额 (channels/douyin/orders_export.ORDER_COLUMNS).
ORDER_EXPORT = HeaderSpec(map_header, looks_like_header, per_order_missing=frozenset({"子订单编号", "商品金额"}))


def named_columns(columns, required, name_of: Callable[[object], str], min_matches: int, what: str,
                  describe_missing: Callable[[str], str] = str) -> HeaderSpec:
    """A HeaderSpec for the desk's other files (bulk ship, tracking events, after-sales) whose columns are
    found by name once ``name_of`` has folded spellings and aliases; a row with ``min_matches`` known names
    is taken for the header."""

    def map_columns(cells: list[object]) -> tuple[ColumnMap, list[str]]:
        index: dict[str, int] = {}
        ignored = []
        for position, cell in enumerate(cells):
            name = name_of(cell)
            if name in columns:
                index.setdefault(name, position)
            elif name:
                ignored.append(name)
        return ColumnMap(index, tuple(ignored)), [describe_missing(c) for c in required if c not in index]

    def looks_like(cells: list[object]) -> bool:
        return sum(1 for c in cells if name_of(c) in columns) >= min_matches

    return HeaderSpec(map_columns, looks_like, what)


@dataclass
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: list  # str for CSV; str / int / float / datetime / None for XLSX


@dataclass
class ExportFile:
    """An opened export: its format, encoding, column map and a one-pass iterator over data rows."""

    kind: str  # "csv" or "xlsx"
    encoding: str | None
    columns: ColumnMap
    header_row: int
    rows: Iterator[Row]
    size: int
    position: Callable[[], int]  # bytes of the file consumed so far (progress)
    close: Callable[[], None]
    sheet: str | None = None  # a workbook's sheet the rows come from
    passed_sheets: tuple[str, ...] = ()  # the sheets before it, which hold no order header


def detect_encoding(head: bytes) -> str:
    """BOM → utf-8-sig; valid UTF-8 in the first chunk → utf-8; otherwise GBK's superset gb18030
    (Excel on Chinese Windows saves CSV as GBK)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head[:8192]:
        return True
    controls = sum(1 for b in head[:8192] if b < 9 or 13 < b < 32)
    return controls > len(head[:8192]) * 0.05


def open_export(path: str | Path, *, header: HeaderSpec | None = None) -> ExportFile:
    """Open ``path`` and position it at the first data row, or raise FileUnreadable saying why.
    ``header`` recognises a different kind of file (e.g. the bulk-ship template); default: order exports."""
    header = header or ORDER_EXPORT
    path = Path(path)
    raw = open(path, "rb")  # noqa: SIM115 - closed by ExportFile.close
    try:
        size = path.stat().st_size
        head = raw.read(SNIFF_BYTES)
        raw.seek(0)
        if not head.strip(b" \t\r\n\xef\xbb\xbf"):
            raise FileUnreadable("The file is empty: there is nothing to import.", code="file_empty")
        if head.startswith(ZIP_MAGIC):
            return _open_xlsx(raw, size, header)
        if head.startswith(OLE_MAGIC):
            raise FileUnreadable("This is an old .xls workbook: save it as .xlsx or CSV and import that.",
                                 code="file_format_unsupported")
        if _looks_binary(head):
            raise FileUnreadable("This is not a CSV or XLSX file: its content looks like binary data (an image, a PDF "
                                 "or a damaged download?).", code="file_not_export")
        return _open_csv(raw, size, detect_encoding(head), header)
    except BaseException:
        raw.close()
        raise


def _csv_rows(raw: BinaryIO, encoding: str) -> Iterator[Row]:
    # errors="replace": a stray bad byte spoils only its row (rejected as bad_encoding), not the file.
    text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    reader = csv.reader(text)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            yield Row(number, [_MalformedRow(str(exc))])
            continue
        number += 1  # records, not physical lines: a quoted field may span lines but is one row
        yield Row(number, cells)


class _MalformedRow(str):
    """Marks a line the CSV parser could not split (e.g. a NUL byte); the row is rejected, not the file."""


def _open_csv(raw: BinaryIO, size: int, encoding: str, header: HeaderSpec) -> ExportFile:
    rows = _csv_rows(raw, encoding)
    columns, header_row = _find_header(rows, header)
    columns = replace(columns, header=tuple(canonical(c) for c in header_row.cells))
    return ExportFile("csv", encoding, columns, header_row.number, rows, size, raw.tell, raw.close)


def _open_xlsx(raw: BinaryIO, size: int, header: HeaderSpec) -> ExportFile:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        log.warning("unreadable workbook %s: %s: %s", getattr(raw, "name", ""), exc.__class__.__name__, exc)
        raise FileUnreadable("The workbook is damaged or is not a real .xlsx file: open it in Excel, save it again "
                             "as .xlsx (or CSV) and import that.", code="file_not_export") from None

    def close() -> None:
        workbook.close()
        raw.close()

    try:
        sheet, iterator, columns, header_row, passed = _order_sheet(workbook.worksheets, header)
    except BaseException:
        close()
        raise
    return ExportFile("xlsx", None, columns, header_row.number, iterator, size, raw.tell, close, sheet.title,
                      tuple(s.title for s in passed))


def _sheet_rows(sheet) -> Iterator[Row]:
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield Row(number, list(values))


def _order_sheet(sheets: list, header: HeaderSpec):
    """The first sheet whose header has the required columns, with its rows positioned after the header, and the
    sheets passed on the way. Orders are not always on the first sheet (a 说明 sheet in front, QA pass 14, #3), and
    reading only that one refused a real export as "not an export"; when no sheet has them, the refusal names
    every sheet looked at and what each lacks."""
    if not sheets:
        raise FileUnreadable("The workbook has no sheets: there is nothing to import.", code="file_empty")
    refusals: list[tuple[str, FileUnreadable]] = []
    for sheet in sheets:
        iterator = _sheet_rows(sheet)
        try:
            columns, header_row = _find_header(iterator, header)
        except FileUnreadable as refusal:
            refusals.append((sheet.title, refusal))
            continue
        return sheet, iterator, columns, header_row, sheets[:len(refusals)]
    if len(refusals) == 1:
        raise refusals[0][1]
    per_order = next((r for _t, r in refusals if r.code == "per_order_export"), None)
    if per_order is not None:
        raise per_order
    raise _no_sheet(refusals, header)


def _no_sheet(refusals: list[tuple[str, FileUnreadable]], header: HeaderSpec) -> FileUnreadable:
    findings = [r for _t, r in refusals if r.code == "missing_columns"]
    if not findings:  # every sheet empty
        return FileUnreadable("The workbook's sheets have no rows: there is nothing to import.", code="file_empty",
                              details={"sheets": [t for t, _r in refusals]})
    titles = [t for t, _r in refusals]
    missing = list(dict.fromkeys(name for r in findings for name in r.details["missing"]))
    each = ", ".join(f"{t} ({_finding(r)})" for t, r in refusals)
    first = findings[0].details
    return FileUnreadable(
        f"This is not {header.what}: no sheet of the workbook has the required column(s) {', '.join(missing)}. "
        f"Sheets looked at: {each}.",
        code="missing_columns",
        details={"missing": missing, "row": first["row"], "sheets": titles, "rows_searched": first["rows_searched"],
                 "rows": first["rows"]})


def _finding(refusal: FileUnreadable) -> str:
    """What one sheet lacked, for the refusal naming every sheet."""
    details = refusal.details or {}
    if refusal.code != "missing_columns":
        return "empty"
    if details.get("header_found"):
        return f"header row {details['row']} lacks {', '.join(details['missing'])}"
    return f"no header row in rows {details['rows_searched']}"


def _find_header(rows: Iterator[Row], header: HeaderSpec) -> tuple[ColumnMap, Row]:
    first: Row | None = None
    last: Row | None = None
    seen = 0
    for row in rows:
        if not any(_filled(c) for c in row.cells):
            continue
        if any(isinstance(c, _MalformedRow) for c in row.cells):
            log.warning("row %s of a file cannot be read as CSV: %s", row.number, row.cells[0])
            raise FileUnreadable(f"Row {row.number} cannot be read as CSV: the file is damaged or is not "
                                 f"{header.what}.", code="file_not_export")
        first, last = first or row, row
        if header.looks_like_header(row.cells):
            return _checked(row, header, found=True)
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    if first is None:
        raise FileUnreadable("The file has no rows: there is nothing to import.", code="file_empty")
    searched = f"{first.number}–{last.number}" if last.number > first.number else str(first.number)
    return _checked(first, header, found=False, searched=searched)


def _checked(row: Row, header: HeaderSpec, *, found: bool, searched: str = "") -> tuple[ColumnMap, Row]:
    """The header's column map, or the refusal: which columns are missing, and where the header was (or, when no
    row looked like one, which rows were searched: "header row 1" sent people looking at a title row)."""
    columns, missing = header.map_header(row.cells)
    if not missing:
        return columns, row
    if header.per_order_missing and missing[0] in header.per_order_missing and \
            set(missing) <= header.per_order_missing:
        raise FileUnreadable(
            "This is the one-row-per-order export (all of an order's items in one 选购商品 cell), which cannot be "
            "imported: export the orders one row per item (per SKU, 每个商品一行) and import that file.",
            code="per_order_export", details={"missing": missing, "row": row.number})
    where = f"header row {row.number}" if found else f"no header row found in rows {searched}"
    raise FileUnreadable(
        f"This is not {header.what}: the required column(s) {', '.join(missing)} are missing ({where}).",
        code="missing_columns",
        details={"missing": missing, "row": row.number, "header_found": found, "rows_searched": searched or None,
                 "rows": str(row.number) if found else searched})


def _filled(cell: object) -> bool:
    return cell is not None and (not isinstance(cell, str) or cell.strip() != "")
