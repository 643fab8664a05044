"""The bulk-ship template: the orders of a deadline view (待发货 / 24小时内需发货 / 已超时), most urgent first, one
row per order, with the three columns the bulk-ship upload reads (订单号, 快递公司, 快递单号) and what the warehouse
needs beside them to pick and pack (承诺发货时间, 商品 still to ship (an item already in a parcel of a partly
shipped order is left out, as on the pick list, or it would be packed twice), 收件地区, 买家留言, 商家备注, and
提醒: 退款待处理 when a refund the buyer asked for stops the order from shipping (已同意退款 once the shop agreed it),
改地址 when the buyer changed the address).

The warehouse fills in carrier and number as parcels are labelled and uploads the sheet (发货 → 批量发货); rows
still blank are skipped, so a half-done sheet can go up as the day goes on. Order ids are typed text cells:
opened in Excel they stay 19 digits, never 6.97955E+18.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from ..aftersales.service import refund_pending_orders
from ..orders import service as orders_service
from ..orders.queries import OrderFilter
from ..privacy.crypto import PiiCipher
from ..spreadsheets import as_text, write_sheet
from .bulk import CARRIER, NUMBER, ORDER
from .domain import SHOP_TZ
from .listing import view_page
from .picking import items_to_pick

SHIP_BY, ITEMS, REGION = "承诺发货时间", "商品", "收件地区"
BUYER_NOTE, MERCHANT_NOTE, WARNINGS = "买家留言", "商家备注", "提醒"
COLUMNS = (ORDER, CARRIER, NUMBER, SHIP_BY, ITEMS, REGION, BUYER_NOTE, MERCHANT_NOTE, WARNINGS)
WIDTHS = (24, 14, 22, 18, 60, 20, 30, 30, 24)
REFUND_PENDING, ADDRESS_CHANGED = "退款待处理，先别打包", "买家改过地址，按新地址打单"
REFUND_AGREED = "已同意退款，不要发货"  # the refund is agreed: the order closes when it is paid
MAX_ROWS = 10_000  # a sheet a warehouse can work through; the view's first orders, most urgent first
_PAGE = 200


def rows(session: Session, shop_id: int, view: str, now: datetime, query: str | None = None,
         cipher: PiiCipher | None = None) -> Iterator[list[str]]:
    """The view's orders as template rows, most urgent first (at most MAX_ROWS); with ``query``, only those the
    order list's search finds in the view (a product the warehouse packs together), still most urgent first."""
    query = (query or "").strip()[:100] or None  # as the list's search box takes it
    page = 1
    while True:
        if query:
            listing = orders_service.list_data(session, shop_id=shop_id, cipher=cipher, flt=OrderFilter(
                query=query, view=view, now=now, page=page, page_size=_PAGE)).model()
        else:
            listing = view_page(session, shop_id, view, now, page, _PAGE)
        order_ids = [order.order_id for order in listing.orders]
        held = refund_pending_orders(session, shop_id, order_ids)
        to_pick = items_to_pick(session, shop_id, order_ids)
        for order in listing.orders:
            warnings = [text for text, applies in ((REFUND_AGREED, order.order_id in held.agreed),
                                                   (REFUND_PENDING, order.order_id in held - held.agreed),
                                                   (ADDRESS_CHANGED, bool(order.address_changed_at))) if applies]
            ship_by = datetime.fromisoformat(order.ship_by).astimezone(SHOP_TZ) if order.ship_by else None
            items = "；".join(f"{i.product_name}{' ' + i.spec if i.spec else ''} ×{i.quantity}"
                             for i in to_pick[order.order_id])
            region = "".join(part for part in (order.buyer.province, order.buyer.city, order.buyer.district) if part)
            yield [order.order_id, "", "", ship_by.strftime("%Y-%m-%d %H:%M") if ship_by else "", items, region,
                   order.buyer_note or "", order.merchant_note or "", "；".join(warnings)]
        if page * _PAGE >= min(listing.total, MAX_ROWS):
            return
        page += 1


def bulk_template(session: Session, shop_id: int, view: str, now: datetime, query: str | None = None,
                  cipher: PiiCipher | None = None) -> tuple[bytes, int]:
    """(XLSX bytes, rows) of the view's template (searched with ``query``, see ``rows``): every cell typed text, so
    what the warehouse types (a number starting with 0, a long id) is kept as typed."""
    return write_sheet("批量发货", list(COLUMNS), as_text(rows(session, shop_id, view, now, query, cipher)), WIDTHS)
