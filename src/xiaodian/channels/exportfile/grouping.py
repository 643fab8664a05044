"""Rows of one shop order (same 主订单编号) → one OrderRecord; a bad row rejects its whole order.

Exports list an order's SKU rows next to each other, but re-sorted spreadsheets scatter them. A cheap
first pass over the order id column finds scattered orders, so the import pass can hold back exactly
those until their last row: no order is ever written from part of its rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ...orders.domain import OrderRecord, OrderStatus, tracking_numbers
from ...whole_numbers import whole_number
from .reader import ExportFile
from .rows import ParsedRow, RowError, RowParser, group_key

_PROGRESS = {
    OrderStatus.UNPAID: 0, OrderStatus.PAID_PENDING: 1, OrderStatus.AWAITING_SHIPMENT: 2,
    OrderStatus.PARTIALLY_SHIPPED: 3, OrderStatus.SHIPPED: 4, OrderStatus.COMPLETED: 5, OrderStatus.CANCELLED: 6,
}
_SHIPPED_LIKE = {OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.PARTIALLY_SHIPPED}
_WAITING = {OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.PAID_PENDING}


@dataclass
class OrderGroup:
    """All rows of one order as the file has them (parsed, or rejected)."""

    key: str
    rows: list[ParsedRow | RowError] = field(default_factory=list)
    # exact repeats of another row of the order, left out of ``rows`` (duplicate_row_skipped warnings)
    repeats: list[RowError] = field(default_factory=list)

    @property
    def numbers(self) -> list[int]:
        return sorted([r.number if isinstance(r, ParsedRow) else r.row for r in self.rows] +
                      [r.row for r in self.repeats])

    def errors(self) -> list[RowError]:
        """Every row's rejection once any row is bad: the siblings say which row sank them."""
        if len(self.rows) == 1:
            only = self.rows[0]
            return [only] if isinstance(only, RowError) else []
        bad = [r for r in self.rows if isinstance(r, RowError)]
        if not bad:
            self._drop_repeats()
            bad = self._duplicate_skus()
            if not bad:
                return []
        return sibling_rejections(self, bad, self.key)

    def _drop_repeats(self) -> None:
        """A row whose every cell equals an earlier row's of the same SKU order is the same line twice (two exports
        pasted together): it says nothing new, so it is left out with a warning naming the first, instead of sinking
        the whole order as a duplicate SKU order did (QA pass 14, #13). A repeat differing in any cell is a real
        conflict and still rejects the order (_duplicate_skus)."""
        first: dict[tuple[str, int], ParsedRow] = {}
        kept = []
        for r in self.rows:
            earlier = first.setdefault((r.item.sku_order_id, r.fingerprint), r)
            if earlier is r or not _same_row(earlier, r):
                kept.append(r)
                continue
            self.repeats.append(RowError(
                r.number, "子订单编号", "duplicate_row_skipped",
                f"row {r.number} repeats row {earlier.number} exactly (SKU order {r.item.sku_order_id}, every cell "
                "the same): skipped", r.order_id, {"first_row": earlier.number, "order_id": r.order_id}))
        self.rows = kept

    def _duplicate_skus(self) -> list[RowError]:
        seen: set[str] = set()
        out = []
        for r in self.rows:
            sku = r.item.sku_order_id
            if sku in seen:
                out.append(RowError(r.number, "子订单编号", "duplicate_sku_order_id",
                                    f"SKU order {sku} appears twice in order {r.order_id}"))
            seen.add(sku)
        return out


def _same_row(a: ParsedRow, b: ParsedRow) -> bool:
    """Equal hashes of the cells, and equal readings of them (a hash alone may, very rarely, collide)."""
    return a.fingerprint == b.fingerprint and {**vars(a), "number": 0, "warning": None} == \
        {**vars(b), "number": 0, "warning": None}


def sibling_rejections(group: OrderGroup, bad: list[RowError], order_id: str) -> list[RowError]:
    bad_rows = {e.row for e in bad}
    first = min(bad_rows)
    out = list(bad)
    for number in group.numbers:
        if number not in bad_rows:
            out.append(RowError(number, "主订单编号", "order_row_rejected",
                                f"rejected with its order {order_id or '?'}: row {first} of the same order is "
                                "invalid, and an order is imported whole or not at all"))
    return sorted(out, key=lambda e: e.row)


def combined_status(statuses: list[OrderStatus]) -> OrderStatus:
    """Rows of one order normally agree; when SKU rows differ (one shipped, one waiting), the order is
    partially shipped; a cancelled SKU beside live ones does not close the order."""
    distinct = set(statuses)
    if len(distinct) == 1:
        return statuses[0]
    live = distinct - {OrderStatus.CANCELLED}
    if len(live) == 1:
        return live.pop()
    if live & _SHIPPED_LIKE and live & _WAITING:
        return OrderStatus.PARTIALLY_SHIPPED
    return max(live, key=_PROGRESS.__getitem__)


def _first(rows: list[ParsedRow], attr: str):
    for r in rows:
        value = getattr(r, attr)
        if value is not None:
            return value
    return None


def _earliest(rows: list[ParsedRow], attr: str):
    found = [getattr(r, attr) for r in rows if getattr(r, attr) is not None]
    return min(found) if found else None


def build_order(rows: list[ParsedRow]) -> OrderRecord:
    """Order-level columns repeat on every SKU row: the first filled value wins; the earliest
    shipping and ship-by times win; tracking numbers of all rows are kept (one per parcel)."""
    head = rows[0]
    if len(rows) == 1:
        return _single(head)
    items = [r.item for r in rows]
    numbers = tracking_numbers(",".join(r.tracking_no for r in rows if r.tracking_no))
    pay = _first(rows, "pay_amount_fen")
    return OrderRecord(
        order_id=head.order_id, status=combined_status([r.status for r in rows]), created_at=head.created_at,
        pay_amount_fen=pay if pay is not None else sum(i.amount_fen for i in items), items=items,
        post_amount_fen=_first(rows, "post_amount_fen"),
        paid_at=_first(rows, "paid_at"), ship_by=_earliest(rows, "ship_by"), shipped_at=_earliest(rows, "shipped_at"),
        completed_at=_first(rows, "completed_at"), cancelled_at=_first(rows, "cancelled_at"),
        buyer_name=_first(rows, "buyer_name"), buyer_phone=_first(rows, "buyer_phone"), address=_first(rows, "address"),
        province=_first(rows, "province"), city=_first(rows, "city"), district=_first(rows, "district"),
        buyer_note=_first(rows, "buyer_note"), merchant_note=_first(rows, "merchant_note"),
        cancel_reason=_first(rows, "cancel_reason"), order_type=_first(rows, "order_type"),
        after_sale_status=next((i.after_sale_status for i in items if i.after_sale_status), None),
        carrier=_first(rows, "carrier"), tracking_no=",".join(numbers) or None,
        item_tracking={r.item.sku_order_id: tracking_numbers(r.tracking_no) for r in rows if r.tracking_no} or None,
    )


def _single(r: ParsedRow) -> OrderRecord:
    """The common one-SKU order, without the merging work."""
    item = r.item
    tracking = r.tracking_no
    if tracking and ("," in tracking or "，" in tracking):
        tracking = ",".join(tracking_numbers(tracking)) or None
    return OrderRecord(
        order_id=r.order_id, status=r.status, created_at=r.created_at,
        pay_amount_fen=r.pay_amount_fen if r.pay_amount_fen is not None else item.amount_fen, items=[item],
        post_amount_fen=r.post_amount_fen,
        paid_at=r.paid_at, ship_by=r.ship_by, shipped_at=r.shipped_at, completed_at=r.completed_at,
        cancelled_at=r.cancelled_at, buyer_name=r.buyer_name, buyer_phone=r.buyer_phone, address=r.address,
        province=r.province, city=r.city, district=r.district, buyer_note=r.buyer_note,
        merchant_note=r.merchant_note, cancel_reason=r.cancel_reason, order_type=r.order_type,
        after_sale_status=item.after_sale_status, carrier=r.carrier, tracking_no=tracking,
    )


def scattered_orders(export: ExportFile) -> dict[str, int]:
    """First pass: order ids whose rows are not contiguous → the row number of their last row."""
    column = export.columns.index["主订单编号"]
    seen: set = set()
    scattered: dict[str, int] = {}
    current = None
    for row in export.rows:
        cells = row.cells
        key = group_key(cells[column]) if column < len(cells) else ""
        if not key:
            continue
        if key != current:
            number = whole_number(key, 19)
            compact = key if number is None else number  # ints take half the memory of 19-char strings
            if compact in seen:
                scattered[key] = row.number
            else:
                seen.add(compact)
            current = key
        elif key in scattered:
            scattered[key] = row.number
    return scattered


def order_groups(export: ExportFile, parser: RowParser, scattered: dict[str, int]) -> Iterator[OrderGroup]:
    """Second pass: yields each order's rows once its last row has been read."""
    column = export.columns.index["主订单编号"]
    held: dict[str, OrderGroup] = {}
    current: OrderGroup | None = None
    for row in export.rows:
        result = parser.parse(row)
        if result is None:
            continue
        cells = row.cells
        key = group_key(cells[column]) if column < len(cells) else ""
        if key and key in scattered:
            group = held.setdefault(key, OrderGroup(key))
            group.rows.append(result)
            if row.number >= scattered[key]:
                yield held.pop(key)
            continue
        if current is not None and (key != current.key or not key):
            yield current
            current = None
        if current is None:
            current = OrderGroup(key)
        current.rows.append(result)
    if current is not None:
        yield current
    yield from held.values()  # only if the file changed between the passes
