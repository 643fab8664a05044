"""One export row → a validated SKU line with its order-level fields, or a rejection naming row and column."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ...clock import SHOP_TZ
from ...orders.domain import ItemRecord, OrderStatus, closed_as_unpaid
from . import values as v
from .columns import ColumnMap
from .reader import Row, _MalformedRow


@dataclass(frozen=True)
class RowError:
    """One rejected row for the report: spreadsheet row number, Chinese column header, stable code."""

    row: int
    column: str
    code: str
    message: str
    order_key: str = ""  # the row's 主订单编号 as written, so its sibling rows can be rejected with it
    details: dict | None = None  # the refusal's details (an order id…), for a page's translated text

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}

    @property
    def order_id(self) -> str:
        return self.order_key

    def as_warning(self) -> dict:
        """A warning names its order too: the row was imported, and the report links to it; and its details (the
        first row of a repeat, the sheet chosen…), which a page's translated text fills in."""
        return {**self.as_dict(), "order_id": self.order_key, "details": self.details or {}}


@dataclass
class ParsedRow:
    """A row that passed validation: one SKU order plus what the row says about its shop order."""

    number: int
    order_id: str
    item: ItemRecord
    status: OrderStatus
    created_at: datetime
    pay_amount_fen: int | None = None
    post_amount_fen: int | None = None
    paid_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    shipped_at: datetime | None = None
    ship_by: datetime | None = None
    buyer_name: str | None = None
    buyer_phone: str | None = None
    address: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    buyer_note: str | None = None
    merchant_note: str | None = None
    cancel_reason: str | None = None
    order_type: str | None = None
    carrier: str | None = None
    tracking_no: str | None = None
    # the row's cells as written, hashed: an exact repeat of another row (two exports pasted together) is skipped
    fingerprint: int = 0
    # Imported as the file gives it, but worth a look: the file contradicts itself in a way a real order can
    # (``closed_unpaid_with_payment``); the import report lists it apart from the rejections.
    warning: RowError | None = None


# (column, attribute, parser, extra kwargs) for the optional columns; limits follow the table columns.
_OPTIONAL_TEXT = (
    ("收件人", "buyer_name", 100),
    ("详细地址", "address", None),
    ("省", "province", 30),
    ("市", "city", 30),
    ("区", "district", 30),
    ("买家留言", "buyer_note", None),
    ("商家备注", "merchant_note", None),
    ("取消原因", "cancel_reason", 200),
    ("订单类型", "order_type", 40),
    ("快递公司", "carrier", 50),
)
_OPTIONAL_TIMES = (
    ("支付完成时间", "paid_at"),
    ("订单完成时间", "completed_at"),
    ("取消时间", "cancelled_at"),
    ("发货时间", "shipped_at"),
    ("承诺发货时间", "ship_by"),
)
_TRACKING_NO_LIMIT = 40
# The words a spreadsheet's totals row starts with, and what its other cells hold: a total, a formula, nothing.
_SUMMARY_WORDS = frozenset({"合计", "总计", "小计", "汇总", "总合计"})
_TOTAL_CELL = re.compile(r"^[¥￥]?-?[0-9][0-9,]*(\.[0-9]+)?元?$|^=")


class RowParser:
    """Built once per file from its column map, then applied to every row (the hot loop of an import)."""

    def __init__(self, columns: ColumnMap):
        self.columns = columns
        ix = columns.index
        self._texts = [(name, attr, limit, ix[name]) for name, attr, limit in _OPTIONAL_TEXT if name in ix]
        self._times = [(name, attr, ix[name]) for name, attr in _OPTIONAL_TIMES if name in ix]
        self._pay = ix.get("订单应付金额")
        self._post = ix.get("运费")
        self._phone = ix.get("收件人手机号")
        self._tracking = ix.get("快递单号")
        self._core = tuple(ix[name] for name in ("主订单编号", "子订单编号", "选购商品", "商品数量", "商品金额",
                                                 "订单提交时间", "订单状态"))
        self._width = max(ix.values()) + 1
        header = columns.header  # CSV only (empty for a workbook: nothing to check the row's length against)
        self._fields = len(header)
        self._named = max((i + 1 for i, name in enumerate(header) if name), default=0)
        # (column, attribute, limit, index, parser): the id-like ones refuse a spreadsheet's damage (QA pass 14, #1)
        self.skipped: list[RowError] = []  # rows left out on purpose (a totals row), for the report's warnings
        self._item_extra = [(name, attr, limit, ix[name], parse) for name, attr, limit, parse in (
            ("商品ID", "product_id", 32, v.id_text), ("商家编码", "merchant_code", 64, _merchant_code),
            ("商品规格", "spec", 100, v.optional_text), ("售后状态", "after_sale_status", 40, v.optional_text))
            if name in ix]

    def parse(self, row: Row) -> ParsedRow | RowError | None:
        """None for a blank row (spreadsheets leave them); otherwise the parsed row or its first problem."""
        cells = [c.strip() if c.__class__ is str else c for c in row.cells]
        if not any(cells):
            return None
        if isinstance(row.cells[0], _MalformedRow):
            return RowError(row.number, "", "malformed_row", f"the line cannot be read as CSV: {row.cells[0]}")
        count = len(cells)
        if count < self._named or (count > self._fields and self._fields and any(cells[self._fields:])):
            return self._misfit(row.number, cells)
        if count < self._width:
            cells.extend([None] * (self._width - len(cells)))
        column = "主订单编号"
        try:
            try:  # CSV cells are all text: one join in C; XLSX rows mix numbers and dates in
                damaged = "\ufffd" in "\x00".join(cells)
            except TypeError:
                damaged = "\ufffd" in "\x00".join(c for c in cells if c.__class__ is str)
            if damaged:
                for column, index in self.columns.index.items():
                    value = cells[index]
                    if value.__class__ is str and "\ufffd" in value:
                        raise v.BadValue("bad_encoding", "the cell holds bytes that are not valid text in the "
                                                         "file's encoding")
                column = "主订单编号"
            i_order, i_sku, i_product, i_qty, i_unit, i_created, i_status = self._core
            order_id = v.platform_id(cells[i_order], "主订单编号")
            column = "子订单编号"
            sku_id = v.platform_id(cells[i_sku], "子订单编号")
            column = "选购商品"
            product = v.optional_text(cells[i_product], column, 300)
            if product is None:
                raise v.BadValue("value_missing", "选购商品 is empty")
            column = "商品数量"
            qty = v.quantity(cells[i_qty], column)
            column = "商品金额"
            unit = v.fen(cells[i_unit], column)
            column = "订单提交时间"
            created = v.china_time(cells[i_created], column, required=True)
            column = "订单状态"
            status = v.status(cells[i_status], column)
            item = ItemRecord(sku_id, product, qty, unit)
            for column, attr, limit, index, parse in self._item_extra:
                value = cells[index]
                if value:
                    setattr(item, attr, parse(value, column, limit))
            parsed = ParsedRow(row.number, order_id, item, status, created, fingerprint=hash(tuple(row.cells)))
            if self._pay is not None:
                column = "订单应付金额"
                parsed.pay_amount_fen = v.fen(cells[self._pay], column, required=False)
            if self._post is not None:
                column = "运费"
                parsed.post_amount_fen = v.fen(cells[self._post], column, required=False)
            for column, attr, index in self._times:
                value = cells[index]
                if value:
                    setattr(parsed, attr, v.china_time(value, column))
            column = "支付完成时间"
            _paid_after_placed(parsed)
            column = "订单状态"
            _status_fits_times(parsed)
            if self._phone is not None:
                column = "收件人手机号"
                parsed.buyer_phone = v.phone(cells[self._phone], column)
            for column, attr, limit, index in self._texts:
                value = cells[index]
                if value:
                    setattr(parsed, attr, v.optional_text(value, column, limit))
            if self._tracking is not None and cells[self._tracking]:
                column = "快递单号"
                parsed.tracking_no = v.id_text(cells[self._tracking], column, 200)
                if parsed.tracking_no:
                    _check_tracking(parsed.tracking_no)
            if parsed.paid_at is not None and parsed.status is OrderStatus.CANCELLED and parsed.cancel_reason:
                parsed.warning = _closed_unpaid_with_payment(parsed)
        except v.BadValue as problem:
            if column == "主订单编号" and problem.code in ("id_invalid", "value_missing") and \
                    _is_summary(cells, self._core[0]):
                self.skipped.append(_summary_skipped(row.number, cells, self._core[0]))
                return None
            return RowError(row.number, column, problem.code, problem.message, group_key(cells[self._core[0]]))
        return parsed

    def _misfit(self, number: int, cells: list) -> RowError:
        """A CSV row with fewer fields than the header was cut off (a download stopped mid-row): its missing
        columns are not empty, they are unknown, so the row is refused rather than imported with blanks. One
        with more (non-empty) fields is misaligned (an unquoted comma), so no cell can be trusted to be its column's."""
        count, fields = len(cells), self._fields
        i_order = self._core[0]
        key = group_key(cells[i_order]) if i_order < count else ""
        if count < self._named:
            missing = next(name for name in self.columns.header[count:] if name)
            return RowError(number, missing, "row_truncated",
                            f"the row has {count} fields but the header has {fields}: it was cut off "
                            f"(an incomplete download?), so its last columns are missing", key)
        return RowError(number, "", "row_misaligned",
                        f"the row has {count} fields but the header has {fields}: its values do not line up "
                        f"with the columns (an unquoted comma?)", key)


def _summary_word(cell: object) -> str | None:
    if cell.__class__ is not str:
        return None
    word = cell.replace(" ", "").replace("\u3000", "").rstrip(":：")
    return word if word in _SUMMARY_WORDS else None


def _is_summary(cells: list, order_index: int) -> bool:
    """A totals row someone added under the orders (合计 / 总计 / 小计 in the 主订单编号 cell, or in the row's first
    filled cell when that one is empty; every other cell a total, a formula or empty). It is no order and was
    never one, so it is left out with a warning rather than rejected: a rejection made the whole file "partly
    rejected" (exit code 1) for a row nobody needs imported (QA pass 14, #7)."""
    filled = [c for c in cells if c is not None and c != ""]
    word_cell = cells[order_index] if cells[order_index] else (filled[0] if filled else None)
    if _summary_word(word_cell) is None:
        return False
    return all(c is word_cell or isinstance(c, (int, float)) or (c.__class__ is str and _TOTAL_CELL.match(c))
               for c in filled)


def _summary_skipped(number: int, cells: list, order_index: int) -> RowError:
    word_cell = cells[order_index] if cells[order_index] else next(c for c in cells if c is not None and c != "")
    word = _summary_word(word_cell) or ""
    return RowError(number, "主订单编号", "summary_row_skipped", f"a totals row ({word}), not an order: skipped",
                    details={"word": word})


def _merchant_code(cell: object, what: str, limit: int | None) -> str | None:
    """商家编码 is the merchant's own text; only Excel's shape of a number it rounded is refused there."""
    return v.id_text(cell, what, limit, free_text=True)


def _paid_after_placed(parsed: ParsedRow) -> None:
    """A row whose times and status cannot all be true is refused rather than imported as it stands (QA: a payment
    before the order, and an unpaid order with a payment time, went in unremarked, and the ship-by clock would run
    from a time that never was)."""
    if parsed.paid_at is not None and parsed.paid_at < parsed.created_at:
        raise v.BadValue("paid_before_created", f"支付完成时间 {parsed.paid_at:%Y-%m-%d %H:%M:%S} is before "
                                                f"订单提交时间 {parsed.created_at:%Y-%m-%d %H:%M:%S}: one of them is wrong")


def _status_fits_times(parsed: ParsedRow) -> None:
    if parsed.paid_at is not None and parsed.status is OrderStatus.UNPAID:
        raise v.BadValue("status_conflict", "订单状态 says unpaid (待支付/待确认) but 支付完成时间 is filled in: "
                                            "one of them is wrong")


def _closed_unpaid_with_payment(parsed: ParsedRow) -> RowError | None:
    """A closed order whose 取消原因 says it was never paid (超时未支付) yet has a 支付完成时间. Not refused, unlike a
    待支付 row with a payment time (``status_conflict``): a pre-sale order whose deposit was paid and whose balance
    was not closes this way, and the merchant cannot correct the platform's export anyway. The order is imported as
    the file gives it (it counts as paid that day, as the file says), and the report names the row, so nobody
    tells the buyer "you never paid" from one column while another says otherwise (QA pass 6: the sample export
    has five such rows, imported unremarked)."""
    if not closed_as_unpaid(parsed.cancel_reason):
        return None
    return RowError(parsed.number, "支付完成时间", "closed_unpaid_with_payment",
                    f"closed as {parsed.cancel_reason} (never paid), yet paid at "
                    f"{parsed.paid_at.astimezone(SHOP_TZ):%Y-%m-%d %H:%M:%S}: taken as given; check it in the "
                    f"Douyin back office (a pre-sale deposit whose balance was not paid?)",
                    parsed.order_id, {"order_id": parsed.order_id})


def group_key(cell: object) -> str:
    """The 主订单编号 cell as written (Excel damage undone, not validated): rows sharing it form one order."""
    if cell.__class__ is str and cell.isdigit():
        return cell  # nothing to undo (the common case, read twice per row)
    return v.unexcel(v.text(cell))


def _check_tracking(value: str) -> None:
    for number in value.replace("，", ",").split(","):
        if len(number.strip()) > _TRACKING_NO_LIMIT:
            raise v.BadValue("value_too_long", f"快递单号 {number.strip()[:50]!r} is longer than "
                                               f"{_TRACKING_NO_LIMIT} characters")
