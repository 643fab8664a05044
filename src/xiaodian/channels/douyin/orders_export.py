"""Export of a filtered order list to CSV or XLSX, one row per SKU order, with the merchant back office's own
column names (so the file reads like the platform's export and re-imports into the desk); or, as the platform also
offers, one row per shop order (``per="order"``: the items in one cell, for reading and reports, not re-import).

Ids are text everywhere: XLSX cells are typed text, CSV ids carry a leading tab so Excel does not turn them into
4.90754E+18 (the desk's import strips it). Amounts are yuan with two decimals, times shop time. Buyer name, phone
and address are the masked copies unless the user holds ``pii.export``, asks for it and gives a reason; such an
export is audited with its reason and row count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...accounts import audit
from ...accounts.permissions import check
from ...accounts.service import Principal
from ...clock import SHOP_TZ
from ...errors import ValidationFailed
from ...orders.listing import EXPORT_MAX_ORDERS, all_pks, item_rows, orders_data, rows_by_pk
from ...orders.models import ORDER_PARCEL, Order, OrderItem, Shipment
from ...orders.queries import OrderFilter
from ...privacy.crypto import PiiCipher
from ...privacy.reveal import MAX_REASON, MIN_REASON
from ... import spreadsheets
from ...spreadsheets import TEXT, csv_text, write_sheet_to

FORMATS = ("csv", "xlsx")
MEDIA = {"csv": "text/csv; charset=utf-8",  # each format's content type, for the downloads
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MAX_ROWS = EXPORT_MAX_ORDERS  # orders per export; a larger list is refused, to be narrowed by date first
# Every column the desk's import reads back and the list knows, so a round trip through a spreadsheet keeps the order
# whole: without 发货时间 / 订单完成时间 / 取消原因 a re-import once read as "never shipped", "no reason";
# without 商家编码 it erased the warehouse's codes. 取消时间 and 订单类型 (普通订单, 预售订单…) too: a file handed to
# the accountant or another tool says when an order was cancelled and what kind it is, as the platform's own does.
COLUMNS = ("主订单编号", "子订单编号", "选购商品", "规格", "商品ID", "商家编码", "商品数量", "商品金额",
           "订单应付金额", "运费", "订单提交时间", "支付完成时间", "订单完成时间", "取消时间", "承诺发货时间",
           "订单状态", "订单类型", "售后状态", "取消原因", "收件人", "收件人手机号", "省", "市", "区", "详细地址",
           "快递公司", "快递单号", "发货时间", "买家留言", "商家备注")
# One row per shop order: the SKU columns give way to the order's items in one cell and their total quantity.
ORDER_COLUMNS = tuple(c for c in COLUMNS if c not in ("子订单编号", "规格", "商品ID", "商家编码", "商品金额"))
PER = ("sku", "order")
ID_COLUMNS = frozenset({"主订单编号", "子订单编号", "商品ID", "商家编码", "快递单号"})  # Excel must keep them as typed
STATUS_TEXT = {"unpaid": "待支付", "paid_pending": "已支付", "awaiting_shipment": "备货中", "partially_shipped": "部分发货",
               "shipped": "已发货", "completed": "已完成", "cancelled": "已取消"}


def yuan(fen: int | None) -> str:
    fen = fen or 0
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _time(text: str | None) -> str:
    """An order's ISO time as the platform's export writes it: shop time, to the second. The order's times come in
    shop time already (+08:00, China's only offset since 1992), so that text is cut rather than parsed: parsing three
    times an order was 6 % of an export's time (a py-spy profile of 59,000 rows)."""
    if not text:
        return ""
    if len(text) >= 25 and text[10] == "T" and text.endswith("+08:00"):
        return text[:10] + " " + text[11:19]
    return datetime.fromisoformat(text).astimezone(SHOP_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _revealed(session: Session, shop_id: int, order_ids: list[str], cipher: PiiCipher) -> dict[str, tuple]:
    rows = session.execute(select(Order.order_id, Order.buyer_name_enc, Order.phone_enc, Order.address_enc)
                           .where(Order.shop_id == shop_id, Order.order_id.in_(order_ids))).all()
    return {r.order_id: (cipher.decrypt("buyer_name", r.buyer_name_enc), cipher.decrypt("phone", r.phone_enc),
                         cipher.decrypt("address", r.address_enc)) for r in rows}


def _parcels_of(session: Session, pks: list[int]) -> dict[str, list[tuple[str, str, frozenset]]]:
    """Each order's parcels in the order they were added: (number, carrier, the SKU orders it holds). A SKU row of
    the export names only the parcels holding it (every parcel once went on every row, so a re-import or a reader
    took unshipped items for shipped); a parcel whose items nobody recorded (an old import) goes on every row."""
    from ...shipping.models import ShipmentItem  # shipping owns the table

    found: dict[str, dict[int, tuple[str, str, set]]] = {}
    for order_id, sid, number, name, code, sku in session.execute(
            select(Order.order_id, Shipment.id, Shipment.tracking_no, Shipment.carrier_name, Shipment.carrier_code,
                   ShipmentItem.sku_order_id)
            .join(Order, Order.id == Shipment.order_pk)
            .outerjoin(ShipmentItem, ShipmentItem.shipment_id == Shipment.id)
            .where(Shipment.order_pk.in_(pks), ORDER_PARCEL).order_by(Shipment.id)):  # a re-send is no 快递单号
        parcel = found.setdefault(order_id, {}).setdefault(sid, (number, name or code or "", set()))
        if sku:
            parcel[2].add(sku)
    return {oid: [(n, c, frozenset(skus)) for n, c, skus in by_id.values()] for oid, by_id in found.items()}


def _item_facts(session: Session, pks: list[int]) -> dict[str, tuple[str | None, str | None]]:
    """(商家编码, 售后状态) by SKU order id, which the list's item rows do not carry: the warehouse's own codes, which
    the pick list prints, and each SKU order's own after-sale label. A re-import must find both as stored: without
    商家编码 it erased the codes; with the order's label on every SKU row it put an after-sale label (and a timeline
    event) on items that have no after-sale."""
    return {sku: (code, label) for sku, code, label in session.execute(
        select(OrderItem.sku_order_id, OrderItem.merchant_code, OrderItem.after_sale_status)
        .where(OrderItem.order_pk.in_(pks)))}


def _order_types(session: Session, pks: list[int]) -> dict[str, str | None]:
    """订单类型 by order id, which the list's rows do not carry (no screen shows it)."""
    return dict(session.execute(select(Order.order_id, Order.order_type).where(Order.id.in_(pks))).tuples().all())


def _items_cell(items) -> str:
    """The order's items as one cell: 五常大米 5kg ×2；小米 1kg ×1 (product, spec, quantity)."""
    return "；".join(f"{i['product_name']}{' ' + i['spec'] if i['spec'] else ''} ×{i['quantity']}" for i in items)


def order_ids(session: Session, *, shop_id: int, flt: OrderFilter, cipher: PiiCipher,
              limit: int | None = None) -> list[int]:
    """The row ids of every order of the filtered list, newest first, read once (a consistent snapshot). More than
    ``limit`` is refused naming the count, rather than a file silently cut short. The limit is MAX_ROWS for an
    export written while the request waits, the export job's own (exports.domain.JOB_MAX_ORDERS) in the background."""
    limit = MAX_ROWS if limit is None else limit
    total, pks = all_pks(session, shop_id, flt, cipher, limit + 1)
    if len(pks) > limit:
        # PostgreSQL counts a product-text search only up to its cap (search_index.COUNT_CAP): then "over" the limit
        known = total if total > limit else None
        held = f"{known:,}" if known else f"over {limit:,}"
        raise ValidationFailed(f"the list holds {held} orders, more than an export takes ({limit:,}): narrow it "
                               "by date (created_from / created_to) or status first", code="export_too_large",
                               details={"orders": known, "limit": limit})
    return pks


def rows(session: Session, *, shop_id: int, flt: OrderFilter, cipher: PiiCipher, reveal: bool = False,
         per: str = "sku", pks: list[int] | None = None,
         progress: Callable[[int], None] | None = None) -> Iterator[dict]:
    """Every order of the filtered list (not just one page), newest first, one dict per SKU order (or per shop
    order, ``per="order"``). ``pks``: the list's row ids when already read (order_ids). ``progress(orders done)``
    is called before each chunk of orders is read (an export job reports how far it got, and can be stopped)."""
    pks = order_ids(session, shop_id=shop_id, flt=flt, cipher=cipher) if pks is None else pks
    for start in range(0, len(pks), 200):
        if progress is not None:
            progress(start)
        # The ORDER dicts as orders_data reads them: building the API's models from them only to read them back was
        # a fifth of an export's time (py-spy, 59,000 rows)
        found = orders_data(session, rows_by_pk(session, pks[start:start + 200]), flt.now, deadlines=False)
        parcels = _parcels_of(session, pks[start:start + 200]) if per == "sku" else {}
        facts = _item_facts(session, pks[start:start + 200]) if per == "sku" else {}
        plain = _revealed(session, shop_id, [o["order_id"] for o in found], cipher) if reveal else {}
        kinds = _order_types(session, pks[start:start + 200])
        for o in found:
            name, phone, address = plain.get(o["order_id"], (None, None, None))
            buyer, tracking, items = o["buyer"], o["tracking"] or [], o["items"] or []
            base = {
                "主订单编号": o["order_id"], "订单应付金额": yuan(o["pay_amount_fen"]),
                "运费": yuan(o["post_amount_fen"]),
                "订单提交时间": _time(o["created_at"]), "支付完成时间": _time(o["paid_at"]),
                "订单完成时间": _time(o["completed_at"]), "发货时间": _time(o["shipped_at"]),
                "取消时间": _time(o["cancelled_at"]), "订单类型": kinds.get(o["order_id"]) or "",
                "取消原因": o["cancel_reason"] or "",
                "承诺发货时间": _time(o["ship_by"]), "订单状态": STATUS_TEXT.get(o["status"], o["status"]),
                "售后状态": o["after_sale_status"] or "",
                "收件人": (name if reveal else buyer["name_masked"]) or "",
                "收件人手机号": (phone if reveal else buyer["phone_masked"]) or "",
                "省": buyer["province"] or "", "市": buyer["city"] or "", "区": buyer["district"] or "",
                "详细地址": (address if reveal else buyer["address_masked"]) or "",
                "快递公司": tracking[0]["carrier"] or "" if tracking else "",
                "快递单号": ",".join(t["tracking_no"] for t in tracking), "买家留言": o["buyer_note"] or "",
                "商家备注": o["merchant_note"] or ""}
            if per == "order":
                row = {**base, "选购商品": _items_cell(items), "商品数量": str(sum(i["quantity"] for i in items))}
                yield {c: row.get(c, "") for c in ORDER_COLUMNS}
                continue
            # Each SKU row says its own after-sale label, unless none of the order's items has one (a label known
            # for the order only: every row says it, as before).
            own_labels = any(facts.get(i["sku_order_id"], (None, None))[1] for i in items)
            for item in items or [None]:
                row = dict(base)
                if item is not None:
                    code, label = facts.get(item["sku_order_id"], (None, None))
                    row.update({"子订单编号": item["sku_order_id"], "选购商品": item["product_name"],
                                "规格": item["spec"] or "", "商品ID": item["product_id"] or "", "商家编码": code or "",
                                "商品数量": str(item["quantity"]), "商品金额": yuan(item["unit_price_fen"])})
                    if own_labels:
                        row["售后状态"] = label or ""
                    held = [(number, carrier) for number, carrier, skus in parcels.get(o["order_id"], ())
                            if not skus or item["sku_order_id"] in skus]
                    row.update({"快递公司": held[0][1] if held else "", "快递单号": ",".join(n for n, _c in held)})
                yield {c: row.get(c, "") for c in COLUMNS}


def write_csv(out: BinaryIO, records: Iterator[dict], columns: tuple[str, ...] = COLUMNS) -> int:
    """UTF-8 with BOM (Excel on Windows reads it as UTF-8); ids prefixed with a tab to stay text in Excel, other text
    that would start a formula with an apostrophe (spreadsheets.csv_text). Written to ``out`` as the rows come."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for record in records:
        writer.writerow([("\t" + v if c in ID_COLUMNS and v else csv_text(v)) for c, v in record.items()])
        count += 1
    text.flush()
    text.detach()  # ``out`` stays open for the caller
    return count


def write_xlsx(out: BinaryIO, records: Iterator[dict], columns: tuple[str, ...] = COLUMNS) -> int:
    """Ids and every other text as typed text cells (format "@"), amounts as numbers with two decimals, 商品数量 as a
    whole number (as text Excel flagged "number stored as text" and SUM gave 0: QA pass 10, D7)."""
    money = {"商品金额", "订单应付金额", "运费"}
    rows = ([(float(value), "0.00") if column in money and value else
             (int(value), "0") if column == "商品数量" and value else (value, TEXT)
             for column, value in record.items()] for record in records)
    return write_sheet_to(out, "订单", list(columns), rows)


def check_request(principal: Principal, *, fmt: str, per: str, reveal: bool, reason: str | None) -> str:
    """The role, the file's shape and a reveal's reason, checked before any work: for an export written now and for
    an export job when it is asked for. Returns the reason, trimmed ("" when none)."""
    check(principal.role, "orders.export")
    if fmt not in FORMATS:
        raise ValidationFailed(f"format: one of {', '.join(FORMATS)}", details={"field": "format"})
    if per not in PER:
        raise ValidationFailed(f"per: one of {', '.join(PER)}", details={"field": "per"})
    reason = (reason or "").strip()
    if reveal:
        check(principal.role, "pii.export")
        if not MIN_REASON <= len(reason) <= MAX_REASON:
            raise ValidationFailed(f"reason: say why the export needs the buyers' full details "
                                   f"({MIN_REASON}–{MAX_REASON} characters)", details={"field": "reason"})
    return reason


def check_sheet_rows(session: Session, pks: list[int], per: str) -> None:
    """An Excel sheet holds 1,048,575 rows below its header. A list of fewer orders than that can still make more
    rows one per item: it is refused before the first row is written (the sheet writer would stop only at the
    limit, minutes into a large export job), naming the rows it makes and what to do instead."""
    limit = spreadsheets.MAX_SHEET_ROWS
    made = len(pks) if per == "order" or len(pks) > limit else item_rows(session, pks)
    if made > limit:
        raise ValidationFailed(f"the list makes {made:,} rows {'one per order' if per == 'order' else 'one per item'}, "
                               f"more than an Excel sheet holds ({limit:,}): export CSV instead"
                               f"{'' if per == 'order' else ', or one row per order'}, or a shorter list",
                               code="sheet_too_long", details={"field": "format", "rows": made, "limit": limit})


def export_orders(session: Session, *, shop_id: int, flt: OrderFilter, cipher: PiiCipher, principal: Principal,
                  fmt: str, now: datetime, out: BinaryIO, reveal: bool = False, reason: str | None = None,
                  per: str = "sku", limit: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Writes the file to ``out`` (a spooled temporary file in the web app: a large export stays off the heap) and
    returns the number of rows. Audited; revealing needs ``pii.export`` and a reason. ``progress(orders done,
    orders in all)``: see rows()."""
    reason = check_request(principal, fmt=fmt, per=per, reveal=reveal, reason=reason)
    pks = order_ids(session, shop_id=shop_id, flt=flt, cipher=cipher, limit=limit)  # refused here if too many
    total = len(pks)
    if fmt == "xlsx":
        check_sheet_rows(session, pks, per)
    if progress is not None:
        progress(0, total)  # the count first: a list of no orders reports it too
    records = rows(session, shop_id=shop_id, flt=flt, cipher=cipher, reveal=reveal, per=per, pks=pks,
                   progress=(lambda n: progress(n, total)) if progress is not None else None)
    columns = ORDER_COLUMNS if per == "order" else COLUMNS
    count = write_csv(out, records, columns) if fmt == "csv" else write_xlsx(out, records, columns)
    audit.record(session, principal=principal, action="orders.export", now=now, shop_id=shop_id, target_type="orders",
                 detail={"format": fmt, "per": per, "rows": count, "reveal": reveal, "reason": reason or None,
                         "filter": filter_of(flt)})
    return count


def filter_of(flt: OrderFilter) -> dict:
    """What selected the exported orders, for the audit log: the search, the tab and every other filter that was
    set (a file of buyers' data is only accountable if one can tell later which orders it held)."""
    chosen = {"query": flt.query, "tab": flt.tab}
    for name in ("created_from", "created_to", "paid_from", "paid_to", "product_id", "flag", "address_changed"):
        value = getattr(flt, name)
        if value is not None:
            chosen[name] = value
    return chosen
