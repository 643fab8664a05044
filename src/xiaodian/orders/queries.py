"""Read side of orders: the filtered, paged list with tab counts, and one order with its timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, func, literal_column, or_, select
from sqlalchemy.orm import Session

from ..clock import SHOP_TZ
from ..db import in_ids
from ..errors import Conflict, NotFound
from ..privacy.crypto import PiiCipher
from . import search_index
from .domain import FLAG_COLOURS, TABS, TO_SHIP, OrderStatus
from .intake import sort_key_for
from .models import ORDER_PARCEL, Order, OrderAfterSaleCount, OrderEvent, OrderItem, OrderStatusCount, Shipment
from .search_query import SearchQuery, classify

PAGE_SIZES = (20, 50, 100, 200)
# Which shops a read covers: one shop id, several, or None for every shop of the desk (no condition at all, so
# the newest-first walk of the whole desk uses the sort_key index alone).
Shops = int | Sequence[int] | None


def shop_condition(col, shops: Shops):
    if shops is None:
        return None
    if isinstance(shops, int):
        return col == shops
    return col == shops[0] if len(shops) == 1 else col.in_(list(shops))


def shop_ids(session: Session, shops: Shops) -> list[int]:
    if shops is None:
        from ..accounts.models import Shop

        return list(session.execute(select(Shop.id).order_by(Shop.id)).scalars())
    return [shops] if isinstance(shops, int) else list(shops)


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
    # How a view is ordered: "ship_by" (most urgent first) or "created" (placed first); shipping.queries.VIEW_SORTS
    view_sort: str = "ship_by"
    # Logistics (issue 5): a package in this state; an anomaly being worked on ("any" or a kind)
    logistics_state: str | None = None
    anomaly: str | None = None
    # The merchant's flag (小旗子): "any" flagged order, or one colour by name (domain.FLAG_FILTERS)
    flag: str | None = None
    # 改地址: the buyer changed the delivery address; "to_ship" (still to ship) or "any" (domain.ADDRESS_FILTERS)
    address_changed: str | None = None
    # Every order up to this many from the first instead of a page (orders.listing.all_pks, for an export); not
    # something a URL sets.
    every_up_to: int | None = None


def day_start(day: date) -> datetime:
    """Midnight of a shop-time day, the way merchants mean 'from 11-20'."""
    return datetime.combine(day, time.min, tzinfo=SHOP_TZ)


def _tab_condition(tab: str):
    if tab == "all":
        return None
    if tab == "after_sale":  # 售后中: orders.in_after_sale (the after-sales desk owns the rule; 0017 keeps it)
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


class ShopsMatch:
    """A product-text search over several shops: the index is per shop (tokens carry the shop id), so each
    shop is searched alone and the results are merged newest first. Counts add up; "capped" if any was."""

    def __init__(self, matches: list[search_index.TextMatch]):
        self.matches = matches
        self.terms = matches[0].terms if matches else []

    def count(self, conds: list) -> tuple[int, bool]:
        total, capped = 0, False
        for match in self.matches:
            n, cap = match.count(conds)
            total, capped = total + n, capped or cap
        return total, capped

    def page_pks(self, conds: list, offset: int, limit: int) -> list[int]:
        """The page's order row ids, newest first."""
        if len(self.matches) == 1:
            return [pk for _key, pk in self.matches[0].page_keys(conds, offset, limit)]
        # Each shop's first offset+limit, merged: the page can only come from those (deep pages cost more).
        found = [k for match in self.matches for k in match.page_keys(conds, 0, offset + limit)]
        found.sort(reverse=True)
        return [pk for _key, pk in found[offset:offset + limit]]

    def ordered_pks(self, conds: list, order_by: list) -> list[int]:
        """Every match's order row id in ``order_by`` (a deadline view's order)."""
        found = [pk for match in self.matches for _key, pk in match.ordered_keys(conds, order_by)]
        if len(self.matches) < 2 or not found:
            return found
        # several shops: the database puts them in order (the values are its columns)
        return list(self.matches[0].session.execute(select(Order.id).where(in_ids(Order.id)).order_by(*order_by),
                                                    {"pks": found}).scalars())

    def count_by(self, conds: list, *keys) -> list[tuple]:
        merged: dict[tuple, int] = {}
        for match in self.matches:
            for *key, n in match.count_by(conds, *keys):
                merged[tuple(key)] = merged.get(tuple(key), 0) + n
        return [(*key, n) for key, n in merged.items()]


def _base_conditions(session: Session, shops: Shops, flt: OrderFilter,
                     cipher: PiiCipher) -> tuple[list, ShopsMatch | None]:
    """Conditions on Order for everything but the product-name text, which comes back as a match answered
    from the search index (newest-first and counted there). The shop condition, if any, comes first."""
    shop_cond = shop_condition(Order.shop_id, shops)
    conds = [shop_cond] if shop_cond is not None else []
    match = None
    q: SearchQuery = classify(flt.query)

    def text() -> ShopsMatch:
        keys = created_keys(flt.created_from, flt.created_to)
        return ShopsMatch([search_index.text_match(session, shop, q.terms, keys) for shop in shop_ids(session, shops)])

    if q.kind == "order_id":
        # Resolved to row ids first: "order_id = x OR id IN (sku subquery)" makes PostgreSQL scan every order.
        pks = set(session.execute(select(Order.id).where(*conds, Order.order_id == q.value)).scalars())
        item_shop = shop_condition(OrderItem.shop_id, shops)
        pks.update(session.execute(select(OrderItem.order_pk).where(
            *([item_shop] if item_shop is not None else []), OrderItem.sku_order_id == q.value)).scalars())
        conds.append(Order.id.in_(sorted(pks)))
    elif q.kind == "phone":
        conds.append(Order.phone_hash == cipher.phone_index(q.value))
    elif q.kind == "last4":
        conds.append(Order.phone_last4_hash == cipher.last4_index(q.value))
        if q.first3:  # a masked phone pasted from the desk (178****3424): its first 3 digits narrow it too
            conds.append(or_(Order.phone_masked.is_(None), Order.phone_masked.like(f"{q.first3}%")))
    elif q.kind == "tracking":
        ship_shop = shop_condition(Shipment.shop_id, shops)
        tracked = select(Shipment.order_pk).where(*([ship_shop] if ship_shop is not None else []),
                                                  Shipment.tracking_no == q.value)
        if session.execute(tracked.limit(1)).first() is not None:
            conds.append(Order.id.in_(tracked))
        else:
            match = text()
    elif q.kind == "text":
        match = text()
    conds.extend(created_range(flt.created_from, flt.created_to))
    if flt.paid_from:
        conds.append(Order.paid_at >= day_start(flt.paid_from))
    if flt.paid_to:
        conds.append(Order.paid_at < day_start(flt.paid_to + timedelta(days=1)))
    # The product's (or the parcels') orders are read once from their own index, then each order is checked
    # against that list: as a correlated EXISTS, SQLite probed the items of every order of the shop newest first
    # (1.2 s for a product sold 5 times in 1M orders). Beside a product-text search, whose matches drive
    # (search_index.MatchesFirst), the id is wrapped so that SQLite cannot also look every match up once per id of
    # the list (米 with one product: 12 s).
    order_pk = Order.id + 0 if match is not None else Order.id
    if flt.product_id:
        item_shop = shop_condition(OrderItem.shop_id, shops)
        conds.append(order_pk.in_(select(OrderItem.order_pk).where(
            *([item_shop] if item_shop is not None else []), OrderItem.product_id == flt.product_id)))
    if flt.flag:
        conds.extend(flag_conditions(flt.flag))
    if flt.address_changed:
        conds.extend(address_conditions(flt.address_changed))
    if flt.logistics_state or flt.anomaly:
        from ..logistics.views import filter_conditions  # the logistics capability owns these filters

        conds.extend(filter_conditions(order_pk, flt.logistics_state, flt.anomaly))
    return conds, match


def created_range(start: date | None, end: date | None) -> list:
    """Orders placed from ``start`` through ``end`` (shop days), as conditions an index can answer: the sort key
    begins with the second the order was placed (intake.sort_key_for; intake keeps created_at as first stored), so
    the range is a range of sort keys, which ix_orders_shop_sort and ix_orders_shop_status_sort hold. On created_at
    alone SQLite read every order: 340-360 ms for one day at 1M orders."""
    lower, upper = created_keys(start, end)
    conds = []
    if lower is not None:
        conds += [Order.sort_key >= lower, Order.created_at >= day_start(start)]
    if upper is not None:
        conds += [Order.sort_key < upper, Order.created_at < day_start(end + timedelta(days=1))]
    return conds


def day_figures(session: Session, shop_id: int, day: date) -> dict[str, int]:
    """A shop day at a glance: orders placed, orders paid and what they paid (fen). Placed is counted on the sort
    key's range (created_range), paid on ix_orders_shop_paid; an order paid that day and later cancelled still
    counts as paid that day, as the platform's own 支付 figures do."""
    placed = session.execute(select(func.count()).select_from(Order)
                             .where(Order.shop_id == shop_id, *created_range(day, day))).scalar_one()
    paid, paid_fen = session.execute(
        select(func.count(), func.coalesce(func.sum(Order.pay_amount_fen), 0))
        .where(Order.shop_id == shop_id, Order.paid_at >= day_start(day),
               Order.paid_at < day_start(day + timedelta(days=1)))).one()
    return {"placed": placed, "paid": paid, "paid_fen": int(paid_fen)}


def flag_conditions(flag: str) -> list:
    """Orders with any flag, or with this colour. ``flag_colour <> 0`` is always written out: it is the partial
    index's own condition (ix_orders_shop_flag), which SQLite must see word for word to use the index; being no
    range, it leaves the colour to seek by. "Any" is the list of colours, one seek each: as ``<> 0`` alone, SQLite
    walked the whole 备货中 tab newest first looking for flags (175 ms at 1M orders, 0.9 ms this way)."""
    colours = range(1, len(FLAG_COLOURS)) if flag == "any" else [FLAG_COLOURS.index(flag)]
    return [Order.flag_colour != literal_column("0"),  # a literal: SQLite matches a partial index's WHERE by its text
            Order.flag_colour.in_(list(colours)) if len(colours) > 1 else Order.flag_colour == colours[0]]


def address_conditions(which: str) -> list:
    """Orders whose buyer changed the delivery address: all of them ("any"), or those still to ship ("to_ship",
    whose labels may have been printed before the change). ``IS NOT NULL`` is the partial index's own condition
    (ix_orders_shop_address_changed), so SQLite reads the few changed orders from it."""
    conds = [Order.address_changed_at.is_not(None)]
    if which == "to_ship":
        conds.append(Order.status.in_(sorted(TO_SHIP)))
    return conds


def _changed_to_ship(session: Session, shop_id: int, stmt):
    """``stmt`` over the shop's orders still to ship after their buyer changed the address, read from their index."""
    return session.execute(exceptions_first(stmt, OrderFilter(address_changed="to_ship")).where(
        Order.shop_id == shop_id, *address_conditions("to_ship")))


def address_changed_to_ship(session: Session, shop_id: int) -> int:
    """How many orders of the shop are still to ship after their buyer changed the address (the home page's card;
    the list's ``address_changed=to_ship`` shows them)."""
    return _changed_to_ship(session, shop_id, select(func.count()).select_from(Order)).scalar_one()


def address_changed_order_ids(session: Session, shop_id: int) -> set[str]:
    """The order ids of those orders (the pick list marks them: their labels must be printed again)."""
    return set(_changed_to_ship(session, shop_id, select(Order.order_id)).scalars())


def created_keys(start: date | None, end: date | None) -> tuple[int | None, int | None]:
    """The sort keys of orders placed from ``start`` through ``end`` (shop days): from (inclusive), to (exclusive)."""
    return (sort_key_for(day_start(start), 0) if start else None,
            sort_key_for(day_start(end + timedelta(days=1)), 0) if end else None)


def _narrowed(flt: OrderFilter) -> bool:
    """Something besides the search box and the status tab narrows the list (dates, product, logistics, a view)."""
    return bool(flt.created_from or flt.created_to or flt.paid_from or flt.paid_to or flt.product_id
                or flt.logistics_state or flt.anomaly or flt.flag or flt.address_changed or flt.view)


def _unfiltered(flt: OrderFilter) -> bool:
    """Nothing narrows the list but the status tab: the counts can come from order_status_counts."""
    return classify(flt.query).kind == "empty" and not _narrowed(flt)


def page_bounds(flt: OrderFilter) -> tuple[int, int]:
    """(offset, page size) of the page asked for. The page offers PAGE_SIZES to choose from, but any size up to the
    largest is honoured as asked (the API's page_size=10 once came back as 50 orders, unannounced); outside that, 50."""
    if flt.every_up_to is not None:
        return 0, flt.every_up_to
    size = flt.page_size if 1 <= flt.page_size <= PAGE_SIZES[-1] else 50
    return max(flt.page - 1, 0) * size, size


def stored_order_total(session: Session, shops: Shops) -> int:
    """Every order of the shops, from the trigger-kept counters: a cheap measure of how large they are."""
    return sum(_stored_counts(session, shops).values())


def _stored_counts(session: Session, shops: Shops) -> dict[str, int]:
    """Orders per status from the trigger-kept counters (migration 0009), summed over the shops."""
    if isinstance(shops, int):
        return dict(session.execute(_ONE_SHOP_COUNTS, {"shop": shops}).all())
    cond = shop_condition(OrderStatusCount.shop_id, shops)
    stmt = select(OrderStatusCount.status, func.sum(OrderStatusCount.n)).group_by(OrderStatusCount.status)
    return {status: int(n) for status, n in session.execute(stmt.where(cond) if cond is not None else stmt).all()}


# Built once (every unfiltered list and tab bar reads it; building the statement cost more than running it).
_ONE_SHOP_COUNTS = select(OrderStatusCount.status, OrderStatusCount.n).where(
    OrderStatusCount.shop_id == bindparam("shop"))


def _stored_after_sale_count(session: Session, shops: Shops) -> int:
    """Orders in the 售后中 tab from the trigger-kept counter (migration 0017), summed over the shops."""
    if isinstance(shops, int):
        return session.execute(_ONE_SHOP_AFTER_SALE, {"shop": shops}).scalar() or 0
    cond = shop_condition(OrderAfterSaleCount.shop_id, shops)
    stmt = select(func.sum(OrderAfterSaleCount.n))
    return int(session.execute(stmt.where(cond) if cond is not None else stmt).scalar() or 0)


_ONE_SHOP_AFTER_SALE = select(OrderAfterSaleCount.n).where(OrderAfterSaleCount.shop_id == bindparam("shop"))


# Point searches (an order id, a phone, its last 4, a tracking number) of one shop: the few orders they find,
# with what the page needs to sort and cut them, from statements built once. Built per call, their conditions,
# count and page cost more than running them: 2.6-2.9 ms at p50 for an order id at 1M orders, 1.1-1.4 this way
# (benchmarks/RESULTS.md). More matches than POINT_LIMIT take the general plan.
_O, _I, _S = Order.__table__, OrderItem.__table__, Shipment.__table__
_SHOP = bindparam("shop")
POINT_LIMIT = 20_000


def _point_searches(*columns) -> dict:
    return {kind: stmt.limit(POINT_LIMIT + 1) for kind, stmt in {
        "order_id": select(*columns).where(_O.c.id.in_(
            select(_O.c.id).where(_O.c.shop_id == _SHOP, _O.c.order_id == bindparam("value"))
            .union(select(_I.c.order_pk).where(_I.c.shop_id == _SHOP, _I.c.sku_order_id == bindparam("value"))))),
        "phone": select(*columns).where(_O.c.shop_id == _SHOP, _O.c.phone_hash == bindparam("value")),
        "last4": select(*columns).where(_O.c.shop_id == _SHOP, _O.c.phone_last4_hash == bindparam("value")),
        "tracking": select(*columns).where(_O.c.id.in_(
            select(_S.c.order_pk).where(_S.c.shop_id == _SHOP, _S.c.tracking_no == bindparam("value")))),
    }.items()}


# With a status tab the status is read too; without one, the phone and last-4 indexes (shop, hash, sort key) hold
# all that is read, so the table is not touched: a last 4 matches ~100 orders at 1M, each a random row otherwise.
POINT_SEARCHES = _point_searches(_O.c.id, _O.c.sort_key, _O.c.status)
POINT_KEYS = _point_searches(_O.c.id, _O.c.sort_key)
_ORDERS_BY_PK = select(Order).where(in_ids(_O.c.id))  # the point page as ORM orders (search_page)


def _point_value(q: SearchQuery, cipher: PiiCipher) -> str:
    if q.kind == "phone":
        return cipher.phone_index(q.value)
    if q.kind == "last4":
        return cipher.last4_index(q.value)
    return q.value


def _point_page(session: Session, shops: Shops, flt: OrderFilter, cipher: PiiCipher) -> PagePlan | None:
    """The page of a point search of one shop narrowed by nothing but a status tab, else None (general plan).
    A tracking number that finds nothing is None too: the general plan then searches it as product text."""
    q = classify(flt.query)
    if (q.kind not in POINT_SEARCHES or not isinstance(shops, int) or flt.tab == "after_sale" or _narrowed(flt)
            or q.first3):  # a masked phone's first 3 digits are checked by the general plan
        return None
    params = {"shop": shops, "value": _point_value(q, cipher)}
    rows = session.connection().execute((POINT_KEYS if flt.tab == "all" else POINT_SEARCHES)[q.kind], params).all()
    if len(rows) > POINT_LIMIT or (not rows and q.kind == "tracking"):
        return None
    if flt.tab != "all":
        status = OrderStatus(flt.tab).value
        rows = [r for r in rows if r.status == status]
    rows.sort(key=lambda r: r.sort_key, reverse=True)
    offset, page_size = page_bounds(flt)
    return PagePlan(len(rows), False, [], [Order.sort_key.desc()], offset, page_size,
                    pks=[r.id for r in rows[offset:offset + page_size]])


@dataclass
class PagePlan:
    """One page of the list, worked out but not read: the total, and either the page's row ids or the
    conditions and order to read them with."""

    total: int
    capped: bool
    conds: list
    order_by: list
    offset: int
    limit: int
    # (shop id, status or None) when nothing but one shop and a plain status tab narrows the list: the page is then
    # read with a statement built once (orders.listing)
    plain: tuple[int, str | None] | None = None
    # a point or product-text search's page: the orders' row ids, newest first (_point_page, ShopsMatch)
    pks: list[int] | None = None


def plan_page(session: Session, shops: Shops, flt: OrderFilter, cipher: PiiCipher,
              known_total: int | None = None) -> PagePlan:
    """Newest first, one page, with the total for the current tab (counted first: PostgreSQL picks its
    plan for the page from it). ``known_total``: that total, when the caller already counted the tabs under the
    same filter (the list page does, for its tab bar): counting a product-name search again cost as much as the
    tab counts (100 ms for 米 in 已完成 at 1M orders)."""
    point = _point_page(session, shops, flt, cipher)
    if point is not None:
        return point
    conds, match = _base_conditions(session, shops, flt, cipher)
    tab = _tab_condition(flt.tab)
    if tab is not None:
        conds.append(tab)
    offset, page_size = page_bounds(flt)
    order_by = [Order.sort_key.desc()]
    if flt.view:
        from ..shipping.queries import view_condition, view_order  # the shipping capability owns the deadline views

        conds.append(view_condition(flt.view, flt.now))
        order_by = list(view_order(flt.view_sort))  # most urgent first, or placed first, searched or not
    if match is not None:
        extra = conds[1:] if shops is not None else conds  # the match is already scoped to the shops
        if _few_orders(session, shops, flt, conds):
            pks = search_index.scan_in_order(session, conds, match.terms, order_by) if match.matches else []
        elif flt.view:
            pks = match.ordered_pks(extra, order_by)  # all of them: their number is the total, a slice the page
        else:
            pks = None
        if pks is not None:
            return PagePlan(len(pks), False, conds, order_by, offset, page_size, pks=pks[offset:offset + page_size])
        total, capped = (known_total, False) if known_total is not None else match.count(extra)
        return PagePlan(total, capped, conds, order_by, offset, page_size, pks=match.page_pks(extra, offset, page_size))
    if _unfiltered(flt) and flt.tab != "after_sale":
        stored = _stored_counts(session, shops)
        total = sum(stored.values()) if flt.tab == "all" else stored.get(flt.tab, 0)
        if isinstance(shops, int):
            return PagePlan(total, False, conds, order_by, offset, page_size,
                            plain=(shops, None if flt.tab == "all" else OrderStatus(flt.tab).value))
    elif flt.tab == "after_sale" and _unfiltered(flt):
        total = _stored_after_sale_count(session, shops)  # kept by triggers (migration 0017)
    elif flt.tab == "after_sale":
        from ..aftersales.queries import count_orders_in_after_sale

        total = count_orders_in_after_sale(session, [c for c in conds if c is not tab])
    elif known_total is not None:
        total = known_total
    else:
        total = session.execute(exceptions_first(select(func.count()).select_from(Order), flt)
                                .where(*conds)).scalar_one()
    if flt.flag or flt.address_changed:
        pks = list(session.execute(exceptions_first(select(Order.id), flt).where(*conds).order_by(*order_by)
                                   .offset(offset).limit(page_size)).scalars()) if total else []
        return PagePlan(total, False, conds, order_by, offset, page_size, pks=pks)
    return PagePlan(total, False, conds, order_by, offset, page_size)


# A product-text search within a deadline view or a status tab of at most this many orders reads those orders and
# tests each one's text (at 1M orders ~1 µs an order of a tab, ~2.5 of a view, which is sorted by ship-by) rather
# than walking the text's matches (0.76 µs a match; 米 matches 312,174 orders there). 20,000 orders of a tab take
# 18-23 ms this way against 31-88 ms from the matches, but a rare word's few matches are quicker to walk than a
# large tab: the limit keeps the scan to a few milliseconds.
FEW_ORDERS = 5_000


def _few_orders(session: Session, shops: Shops, flt: OrderFilter, conds: list) -> bool:
    """Whether the orders a search narrows (``conds``: the shops, tab, view, filters) are few enough to test each
    one's text: a status tab by its trigger-kept count, a deadline view counted up to the limit. The tabs a shop
    works in (待支付, 备货中, 部分发货) and its 24-hour view hold hundreds of orders, where a common word of the
    shop's titles matches hundreds of thousands; the page keeps its order either way (a view most urgent first)."""
    if flt.tab not in ("all", "after_sale") and _stored_counts(session, shops).get(flt.tab, 0) <= FEW_ORDERS:
        return True
    if not flt.view:
        return False
    in_view = select(literal_column("1")).select_from(Order).where(*conds).limit(FEW_ORDERS + 1)
    return session.execute(select(func.count()).select_from(in_view.subquery())).scalar_one() <= FEW_ORDERS


def exceptions_first(stmt, flt: OrderFilter):
    """Under the 旗标 filter, SQLite reads the flagged orders from their own index (ix_orders_shop_flag), then sorts
    them; under the 改地址 filter (and no flag), the changed orders from theirs (ix_orders_shop_address_changed).
    Without planner statistics (a desk's file has none) it preferred to walk a whole status tab newest first
    looking for flags: 175 ms for "any flag" in 备货中 at 1M orders, against 7 ms from the flags. Flags and address
    changes mark the exceptions, so they are few; other databases plan from their own statistics. Beside an order
    id, phone or tracking number the point's own index is the narrower one, so the planner chooses there."""
    if not (flt.flag or flt.address_changed) or classify(flt.query).kind != "empty":
        return stmt
    index = "ix_orders_shop_flag" if flt.flag else "ix_orders_shop_address_changed"
    return stmt.with_hint(Order.__table__, f"INDEXED BY {index}", "sqlite")


def search_page(session: Session, shops: Shops, flt: OrderFilter, cipher: PiiCipher) -> SearchResult:
    """The page as ORM orders (with their items); the list channels read it leaner (orders.listing)."""
    plan = plan_page(session, shops, flt, cipher)
    if plan.pks is not None:
        found = {o.id: o for o in session.execute(_ORDERS_BY_PK, {"pks": plan.pks}).scalars()} if plan.pks else {}
        return SearchResult(plan.total, plan.capped, [found[pk] for pk in plan.pks if pk in found])
    rows = session.execute(
        select(Order).where(*plan.conds).order_by(*plan.order_by).offset(plan.offset).limit(plan.limit)
    ).scalars().all()
    return SearchResult(plan.total, False, list(rows))


def search_orders(session: Session, shops: Shops, flt: OrderFilter, cipher: PiiCipher) -> tuple[int, list[Order]]:
    """(total, page) as the list, CLI and API show it; see search_page for whether the total is capped."""
    result = search_page(session, shops, flt, cipher)
    return result.total, result.orders


def _range_driven(session: Session, shops: Shops, flt: OrderFilter) -> bool:
    """A date range alone narrows the tab counts (SQLite). Grouping by status, SQLite preferred walking the status
    index through every order of the shop, reading each one's payment time: 0.5-1 s for a week of payments at 1M
    orders. Grouped by an expression of the status, it reads the range from its own index (ix_orders_shop_paid,
    or ix_orders_shop_sort for the order time) and groups those few."""
    return (shops is not None and session.get_bind().dialect.name == "sqlite"
            and classify(flt.query).kind == "empty"
            and not (flt.product_id or flt.logistics_state or flt.anomaly or flt.flag or flt.address_changed)
            and bool(flt.paid_from or flt.paid_to or flt.created_from or flt.created_to))


def tab_counts(session: Session, shops: Shops, flt: OrderFilter, cipher: PiiCipher) -> dict[str, int]:
    """Count per status tab under the current search and filters (the tab itself is ignored). Without filters
    every figure comes from the trigger-kept counters; with them, one pass counts status and the 售后中 flag
    together."""
    conds, match = _base_conditions(session, shops, flt, cipher)
    after_sale = _tab_condition("after_sale")
    if match is None and _unfiltered(flt):
        by_status = _stored_counts(session, shops)
        in_after_sale = _stored_after_sale_count(session, shops)
    elif match is not None:
        rows = match.count_by(conds[1:] if shops is not None else conds, Order.status, after_sale)
        by_status = {}
        for status, _flag, n in rows:
            by_status[status] = by_status.get(status, 0) + n
        in_after_sale = sum(n for _status, flag, n in rows if flag)
    else:
        # one pass, grouped by status alone so that it still walks the status index in order
        status = Order.status
        if _range_driven(session, shops, flt):
            status = Order.status.concat("")  # not the status index's order: the range's index drives
        rows = session.execute(exceptions_first(select(status, func.count(), func.count().filter(after_sale)), flt)
                               .where(*conds).group_by(status)).all()
        by_status = {status: n for status, n, _flagged in rows}
        in_after_sale = sum(flagged for _status, _n, flagged in rows)
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


def find_orders(session: Session, shop_id: int, order_ids: Sequence[str]) -> list[Order]:
    """The orders of one shop with these shop order ids (those that exist), for work on several at once."""
    found: list[Order] = []
    for start in range(0, len(order_ids), 500):
        chunk = list(order_ids[start:start + 500])
        found += session.execute(select(Order).where(Order.shop_id == shop_id, Order.order_id.in_(chunk))).scalars()
    return found


def find_order(session: Session, shops: Shops, order_id: str, prefer: int | None = None) -> Order:
    """The order with this shop order id (or SKU order id) among ``shops``. Order ids are unique per shop
    only, so two shops of one desk can hold the same id: the ``prefer``red shop's order wins (the shop the
    user has picked), otherwise the lookup is ambiguous and refused with the shops that hold it
    (409 ``order_ambiguous``, details.shops), so nobody reads or edits the wrong shop's order by accident."""
    cond = shop_condition(Order.shop_id, shops)
    found = list(session.execute(select(Order).where(
        *([cond] if cond is not None else []), Order.order_id == order_id).order_by(Order.shop_id)).scalars())
    if not found:
        item_cond = shop_condition(OrderItem.shop_id, shops)
        found = list(session.execute(
            select(Order).join(OrderItem, OrderItem.order_pk == Order.id)
            .where(*([item_cond] if item_cond is not None else []), OrderItem.sku_order_id == order_id)
            .order_by(Order.shop_id)).scalars().unique())
    if not found:
        raise NotFound(f"order {order_id} not found", details={"order_id": order_id})
    if len(found) == 1:
        return found[0]
    for order in found:
        if order.shop_id == prefer:
            return order
    raise Conflict(f"order {order_id} exists in {len(found)} shops; say which shop (shop=…)",
                   code="order_ambiguous", details={"order_id": order_id, "shops": [o.shop_id for o in found]})


def order_events(session: Session, order_pk: int) -> list[OrderEvent]:
    return list(session.execute(
        select(OrderEvent).where(OrderEvent.order_pk == order_pk).order_by(OrderEvent.at, OrderEvent.id)
    ).scalars())


def order_shipments(session: Session, order_pks: list[int]) -> dict[int, list[Shipment]]:
    out: dict[int, list[Shipment]] = {pk: [] for pk in order_pks}
    if order_pks:
        # the order's own parcels: a re-send (kind 'resend') is the after-sale case's, shown apart (logistics)
        for row in session.execute(select(Shipment).where(Shipment.order_pk.in_(order_pks), ORDER_PARCEL)
                                   .order_by(Shipment.id)).scalars():
            out[row.order_pk].append(row)
    return out
