"""Cell parsers for export files: ids, money, quantities, China-time dates, phones, statuses.

Each returns the desk's value or raises BadValue with a stable code; the row validator adds row and column.
Spreadsheet programs damage these cells in known ways (domain.md §1), handled here in one place.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from ...orders.domain import OrderStatus, status_from_text
from ...privacy.masking import MASKED_MOBILE, normalise_phone
from ...spreadsheets import unguarded
from ...whole_numbers import whole_number

_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
# How Excel shows a long number it turned into one (3.512E+18, 1E+11): the sign of the exponent is always written.
# A merchant's own code is free text, so only this shape counts as damage there (a code such as 12E45 stays).
_EXCEL_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE][+-]\d+$")
EXACT_NUMBER = 2**53  # a spreadsheet number cell holds every whole number below this exactly (IEEE double)
_ID = re.compile(r"^[0-9]{19}$")  # ASCII: \d would take other scripts' digits, stored as an id no one finds
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$")
_CENT = Decimal("0.01")
_PLAIN_YUAN = re.compile(r"([0-9]{1,10})(?:\.([0-9]{1,2}))?")  # at most 10 digits of yuan: always under MAX_FEN
# A comma in an amount is a thousands separator only where one belongs (1,234.56): "12,3" may be a decimal comma
# (12.3) or a typo, and reading it as 123 would put ten times the money on the order.
_GROUPED_YUAN = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_CHINA_OFFSET = timedelta(hours=8)  # Asia/Shanghai has had no daylight saving since 1991; dates here are ≥ 2000
MAX_FEN = 10**12  # ¥10 billion: anything above is a shifted column, not a price
MAX_QUANTITY = 1_000_000


class BadValue(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def text(cell: object) -> str:
    """A cell as trimmed text; XLSX numbers that are whole come back without '.0'."""
    if cell.__class__ is str:
        return cell.strip()
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))
    return str(cell).strip()


def unexcel(value: str) -> str:
    """Undo what spreadsheets do to keep long numbers as text: a leading tab or apostrophe, or ="…"."""
    value = value.strip().lstrip("\t'‘’`").strip()
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1].strip()
    return value


def platform_id(cell: object, what: str) -> str:
    """A 19-digit shop or SKU order id, as text. Scientific notation means Excel rounded the id to
    15 significant digits: the real id cannot be recovered, so the row is rejected."""
    if cell.__class__ is str and len(cell) == 19 and cell.isascii() and cell.isdigit():
        return cell  # the common, undamaged cell (the row parser has already trimmed it)
    if isinstance(cell, float):
        raise BadValue("id_scientific_notation",
                       f"{what} {cell!r} was turned into a number by a spreadsheet and lost its last digits; "
                       "export the file again and keep the column as text")
    value = unicodedata.normalize("NFKC", unexcel(text(cell)))  # full-width ６９３… typed by hand: the same id
    if not value:
        raise BadValue("value_missing", f"{what} is empty")
    if _ID.match(value):
        return value
    if _SCIENTIFIC.match(value):
        raise BadValue("id_scientific_notation",
                       f"{what} {value} is in scientific notation (a spreadsheet rounded it); the real id "
                       "cannot be recovered: export the file again and keep the column as text")
    raise BadValue("id_invalid", f"{what} must be 19 digits, got {value[:40]!r}")


def id_text(cell: object, what: str, limit: int | None = None, *, free_text: bool = False) -> str | None:
    """An id-like cell other than the order ids (商品ID, 快递单号, 商家编码) as text, or None when empty. Excel damages
    them as it does the order ids (QA pass 14, #1): saved to CSV a 19-digit 商品ID reads 3.512E+18 and every product of
    the file became one; a 15-digit tracking number 4.87143E+14 became a parcel that never scans. Such a cell cannot
    be turned back into the real id, so the row is refused (its order with it, nothing stored is overwritten). A
    number cell of a workbook is exact below 2**53 (an 11-digit phone, a 12-15-digit tracking number): its digits are
    the id; beyond it the last digits are already lost. ``free_text``: a merchant's own code, refused only in the
    shape Excel writes (1.2E+11)."""
    if cell.__class__ is str and cell.isdigit() and cell.isascii() and (limit is None or len(cell) <= limit):
        return cell  # the common, undamaged cell: digits as the platform wrote them (the parser trimmed it)
    if cell is None:
        return None
    if cell.__class__ is not str and isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return _number_cell_id(cell, what, limit)
    value = optional_text(cell, what, limit)
    if value is None:
        return None
    scientific = _EXCEL_SCIENTIFIC if free_text else _SCIENTIFIC
    for part in value.replace("，", ",").split(","):
        if scientific.match(unexcel(part)):
            raise BadValue("id_scientific_notation",
                           f"{what} {part.strip()} is in scientific notation (a spreadsheet rounded it); the real "
                           "value cannot be recovered: export the file again and keep the column as text")
    return value


def _number_cell_id(cell: int | float, what: str, limit: int | None) -> str:
    if isinstance(cell, float) and not cell.is_integer():
        return optional_text(cell, what, limit)  # 12.5: not an id a spreadsheet rounded; kept as written
    if abs(cell) >= EXACT_NUMBER:
        raise BadValue("id_scientific_notation",
                       f"{what} {cell!r} was turned into a number by a spreadsheet and lost its last digits; "
                       "export the file again and keep the column as text")
    return optional_text(str(int(cell)), what, limit)


def fen(cell: object, what: str, *, required: bool = True) -> int | None:
    """Yuan with at most 2 decimals → integer fen, through Decimal so no float rounding creeps in."""
    if cell.__class__ is str:
        plain = _PLAIN_YUAN.fullmatch(cell)
        if plain is not None:  # 45.90, 45.9, 45: exact in integers, the same fen as the Decimal path below
            whole, cents = plain.groups()
            return int(whole) * 100 + (int(cents.ljust(2, "0")) if cents else 0)
    if isinstance(cell, float):
        cell = repr(cell)  # shortest text that round-trips, e.g. 45.9, never 45.899999…
    value = text(cell).replace("¥", "").replace("￥", "").replace("元", "").strip()
    if "," in value:
        if not _GROUPED_YUAN.fullmatch(value):
            raise BadValue("amount_invalid", f"{what} must be an amount in yuan such as 45.90 or 1,234.50, "
                                             f"got {value[:40]!r}")
        value = value.replace(",", "")
    if not value:
        if required:
            raise BadValue("value_missing", f"{what} is empty")
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise BadValue("amount_invalid", f"{what} must be an amount in yuan such as 45.90, got {value[:40]!r}") from None
    if not amount.is_finite() or amount < 0:
        raise BadValue("amount_invalid", f"{what} must be a non-negative amount in yuan, got {value[:40]!r}")
    if amount * 100 > MAX_FEN:  # before quantize, which cannot hold 1e400 (decimal.InvalidOperation)
        raise BadValue("amount_invalid", f"{what} is implausibly large: {value[:40]!r}")
    if amount != amount.quantize(_CENT):
        raise BadValue("amount_invalid", f"{what} has more than 2 decimals (fen): {value[:40]!r}")
    return int(amount * 100)


def quantity(cell: object, what: str) -> int:
    value = text(cell)
    if not value:
        raise BadValue("value_missing", f"{what} is empty")
    number = whole_number(value, len(str(MAX_QUANTITY)))
    if number is None or not 0 < number <= MAX_QUANTITY:
        raise BadValue("quantity_invalid", f"{what} must be a whole number of at least 1, got {value[:40]!r}")
    return number


def china_time(cell: object, what: str, *, required: bool = False) -> datetime | None:
    """Export times are China time (Asia/Shanghai) without an offset → tz-aware UTC for storage.
    Accepts YYYY-MM-DD HH:MM[:SS], YYYY/MM/DD [HH:MM[:SS]] and XLSX date cells."""
    if cell.__class__ is str and len(cell) == 19 and cell[4] == "-" and cell[10] == " ":
        try:  # the back office's own format, parsed in C: the hot path of a large import
            parsed = datetime.fromisoformat(cell)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None and 2000 <= parsed.year <= 2100:
            return (parsed - _CHINA_OFFSET).replace(tzinfo=UTC)
    if isinstance(cell, datetime):
        parsed = cell
    else:
        value = text(cell)
        if not value or value in ("-", "--", "0"):
            if required:
                raise BadValue("value_missing", f"{what} is empty")
            return None
        match = _DATE.match(value)
        if not match:
            raise BadValue("date_invalid", f"{what} must be a time like 2026-11-13 07:04:00, got {value[:40]!r}")
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
        try:
            parsed = datetime(y, mo, d, h, mi, s)
        except ValueError:
            raise BadValue("date_invalid", f"{what} is not a real date or time: {value[:40]!r}") from None
    if not 2000 <= parsed.year <= 2100:
        raise BadValue("date_invalid", f"{what} is out of range: {parsed.isoformat(sep=' ')}")
    if parsed.tzinfo is None:
        return (parsed - _CHINA_OFFSET).replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def phone(cell: object, what: str) -> str | None:
    """An 11-digit mainland mobile (+86, spaces, dashes allowed), a masked copy (138****5678), or empty."""
    value = unexcel(text(cell))
    if not value:
        return None
    if _SCIENTIFIC.match(value):  # 1.38123E+10: Excel kept 6 digits of the number (QA pass 14, #1)
        raise BadValue("id_scientific_notation", f"{what} {value} is in scientific notation (a spreadsheet rounded "
                                                 "it); the real number cannot be recovered: export the file again "
                                                 "and keep the column as text")
    if MASKED_MOBILE.match(value):
        return value
    normalised = normalise_phone(value)
    if normalised is None:
        raise BadValue("phone_invalid", f"{what} must be an 11-digit mobile number or a masked one such as "
                                        f"138****5678, got {value[:40]!r}")
    return normalised


def status(cell: object, what: str) -> OrderStatus:
    value = text(cell)
    if not value:
        raise BadValue("value_missing", f"{what} is empty")
    found = status_from_text(value)
    if found is None:
        raise BadValue("status_unknown", f"{what} {value[:40]!r} is not an order status the desk knows "
                                         "(e.g. 待支付, 备货中, 已发货, 已完成, 已关闭)")
    return found


def optional_text(cell: object, what: str, limit: int | None = None) -> str | None:
    value = unguarded(cell.strip() if cell.__class__ is str else text(cell))  # the desk's own export guards "=…"
    if not value:
        return None
    if limit is not None and len(value) > limit:
        raise BadValue("value_too_long", f"{what} is longer than {limit} characters ({len(value)})")
    return value
