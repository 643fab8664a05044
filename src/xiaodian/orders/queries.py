"""Read side of orders: the filtered, paged list with tab counts, and one order with its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..clock import SHOP_TZ
from ..errors import NotFound
from ..privacy.crypto import PiiCipher
from . import search_index
from .domain import TABS, OrderStatus
from .models import Order, OrderEvent, OrderItem, OrderStatusCount, Shipment
from .search_query import SearchQuery, classify

PAGE_SIZES = (20, 50, 100, 200)


@dataclass
class OrderFilter:
    """Everything the list can be narrowed by; also what the URL and the CLI/API flags encode."""

    query: str | None = None
    tab: str = "all"
    created_from: date | None = None
    created_to: date | None = None
    paid_from: date | None = None
    paid_to: date | None = None
    product_id: str | None = None
    page: int = 1
    page_size: int = 50
    # Shipping views (issue 4): awaiting / due24h / overdue, sorted by ship_by ascending; they need ``now``.
    view: str | None = None
    now: datetime | None = None
    # Logistics (issue 5): a package in this state; an anomaly being worked on ("any" or a kind)
    logistics_state: str | None = None
    anomaly: str | None = None


def day_start(day: date) -> datetime:
    """Midnight of a shop-time day, the way merchants mean 'from 11-20'."""
    return datetime.combine(day, time.min, tzinfo=SHOP_TZ)


def _tab_condition(tab: str):
    if tab == "all":
        return None
    if tab == "after_sale":  # 售后中: the order has an open after-sale case (the after-sales desk owns "open")
        from ..aftersales.queries import open_case_exists

        return open_case_exists()
    return Order.status == OrderStatus(tab).value


@dataclass
class SearchResult:
    """One page of the list. ``total_is_capped`` means "at least total" (PostgreSQL stops counting very
    common product-name matches at search_index.COUNT_CAP and the desk shows "10,000+")."""

    total: int
    total_is_capped: bool
    orders: list[Order]


def _base_conditions(session: Session, shop_id: int, flt: OrderFilter,
                     cipher: PiiCipher) -> tuple[list, search_index.TextMatch | None]:
    """Conditions on Order for everything but the product-name text, which comes back as a TextMatch
    because it is answered from the search index (newest-first and counted there)."""
    conds = [Order.shop_id == shop_id]
    match = None
    q: SearchQuery = classify(flt.query)
    if q.kind == "order_id":
        # Resolved to row ids first: "order_id = x OR id IN (sku subquery)" makes PostgreSQL scan every order.
        pks = set(session.execute(select(Order.id).where(Order.shop_id == shop_id, Order.order_id == q.value)).scalars())
        pks.update(session.execute(select(OrderItem.order_pk).where(
            OrderItem.shop_id == shop_id, OrderItem.sku_order_id == q.value)).scalars())
        conds.append(Order.id.in_(sorted(pks)))
    elif q.kind == "phone":
        conds.append(Order.phone_hash == cipher.phone_index(q.value))
    elif q.kind == "last4":
        conds.append(Order.phone_last4_hash == cipher.last4_index(q.value))
    elif q.kind == "tracking":
        tracked = select(Shipment.order_pk).where(Shipment.shop_id == shop_id, Shipment.tracking_no == q.value)
        if session.execute(tracked.limit(1)).first() is not None:
            conds.append(Order.id.in_(tracked))
        else:
            match = search_index.text_match(session, shop_id, q.terms)
    elif q.kind == "text":
        match = search_index.text_match(session, shop_id, q.terms)
    if flt.created_from:
        conds.append(Order.created_at >= day_start(flt.created_from))
    if flt.created_to:
        conds.append(Order.created_at < day_start(flt.created_to + timedelta(days=1)))
    if flt.paid_from:
        conds.append(Order.paid_at >= day_start(flt.paid_from))
    if flt.paid_to:
        conds.append(Order.paid_at < day_start(flt.paid_to + timedelta(days=1)))
    if flt.product_id:
        conds.append(exists().where(OrderItem.order_pk == Order.id, OrderItem.product_id == flt.product_id))
    if flt.logistics_state or flt.anomaly:
        from ..logistics.views import filter_conditions  # the logistics capability owns these filters

        conds.extend(filter_conditions(Order, flt.logistics_state, flt.anomaly))
    return conds, match


def _unfiltered(flt: OrderFilter) -> bool:
    """Nothing narrows the list but the status tab: the counts can come from order_status_counts."""
    return not (classify(flt.query).kind != "empty" or flt.created_from or flt.created_to or flt.paid_from
                or flt.paid_to or flt.product_id or flt.logistics_state or flt.anomaly or flt.view)


def _stored_counts(session: Session, shop_id: int) -> dict[str, int]:
    return dict(session.execute(select(OrderStatusCount.status, OrderStatusCount.n)
                                .where(OrderStatusCount.shop_id == shop_id)).all())


def search_page(session: Session, shop_id: int, flt: OrderFilter, cipher: PiiCipher) -> SearchResult:
    """Newest first, one page, with the total for the current tab (counted first: PostgreSQL picks its
    plan for the page from it)."""
    conds, match = _base_conditions(session, shop_id, flt, cipher)
    tab = _tab_condition(flt.tab)
    if tab is not None:
        conds.append(tab)
    page_size = flt.page_size if flt.page_size in PAGE_SIZES else 50
    offset = max(flt.page - 1, 0) * page_size
    order_by = [Order.sort_key.desc()]
    if flt.view:
        from ..shipping.queries import view_condition  # the shipping capability owns the deadline views

        conds.append(view_condition(flt.view, flt.now))
        order_by = [Order.ship_by.asc(), Order.id.asc()]  # most urgent first (product text: newest first)
    if match is not None:
        extra = conds[1:]  # the match is already scoped to the shop
        total, capped = match.count(extra)
        return SearchResult(total, capped, match.page(extra, offset, page_size))
    if _unfiltered(flt) and flt.tab != "after_sale":
        stored = _stored_counts(session, shop_id)
        total = sum(stored.values()) if flt.tab == "all" else stored.get(flt.tab, 0)
    elif flt.tab == "after_sale":
        from ..aftersales.queries import count_orders_in_after_sale

        total = count_orders_in_after_sale(session, [c for c in conds if c is not tab])
    else:
        total = session.execute(select(func.count()).select_from(Order).where(*conds)).scalar_one()
    rows = session.execute(
        select(Order).where(*conds).order_by(*order_by).offset(offset).limit(page_size)
    ).scalars().all()
    return SearchResult(total, False, list(rows))


def search_orders(session: Session, shop_id: int, flt: OrderFilter, cipher: PiiCipher) -> tuple[int, list[Order]]:
    """(total, page) as the list, CLI and API show it; see search_page for whether the total is capped."""
    result = search_page(session, shop_id, flt, cipher)
    return result.total, result.orders


def tab_counts(session: Session, shop_id: int, flt: OrderFilter, cipher: PiiCipher) -> dict[str, int]:
    """Count per status tab under the current search and filters (the tab itself is ignored)."""
    conds, match = _base_conditions(session, shop_id, flt, cipher)
    after_sale = _tab_condition("after_sale")
    if match is not None:
        # One pass over the matches: status and the after-sale flag together.
        rows = match.count_by(conds[1:], Order.status, func.coalesce(after_sale, False))
        by_status: dict[str, int] = {}
        for status, _flag, n in rows:
            by_status[status] = by_status.get(status, 0) + n
        in_after_sale = sum(n for _status, flag, n in rows if flag)
    else:
        by_status = (_stored_counts(session, shop_id) if _unfiltered(flt) else dict(session.execute(
            select(Order.status, func.count()).where(*conds).group_by(Order.status)).all()))
        from ..aftersales.queries import count_orders_in_after_sale

        in_after_sale = count_orders_in_after_sale(session, conds)
    counts = {tab: by_status.get(tab, 0) for tab in TABS if tab not in ("all", "after_sale")}
    counts["all"] = sum(by_status.values())
    counts["after_sale"] = in_after_sale
    return {tab: counts[tab] for tab in TABS}


def get_order(session: Session, shop_id: int, order_id: str) -> Order | None:
    return session.execute(select(Order).where(Order.shop_id == shop_id, Order.order_id == order_id)).scalar_one_or_none()


def require_order(session: Session, shop_id: int, order_id: str) -> Order:
    order = get_order(session, shop_id, order_id)
    if order is None:
        order = session.execute(
            select(Order).join(OrderItem, OrderItem.order_pk == Order.id)
            .where(OrderItem.shop_id == shop_id, OrderItem.sku_order_id == order_id)
        ).scalar_one_or_none()
    if order is None:
        raise NotFound(f"order {order_id} not found", details={"order_id": order_id})
    return order


def order_events(session: Session, order_pk: int) -> list[OrderEvent]:
    return list(session.execute(
        select(OrderEvent).where(OrderEvent.order_pk == order_pk).order_by(OrderEvent.at, OrderEvent.id)
    ).scalars())


def order_shipments(session: Session, order_pks: list[int]) -> dict[int, list[Shipment]]:
    out: dict[int, list[Shipment]] = {pk: [] for pk in order_pks}
    if order_pks:
        for row in session.execute(select(Shipment).where(Shipment.order_pk.in_(order_pks)).order_by(Shipment.id)).scalars():
            out[row.order_pk].append(row)
    return out
