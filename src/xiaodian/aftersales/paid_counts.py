"""SKU orders paid, per product over a window and per shop day: the 品退率 denominator. Whole days come from the
counts the database keeps per shop, product and UTC+8 day (product_paid_counts, migration 0015, kept by
triggers); the partial days at a window's edges are counted from the orders. Either way the figure is exactly
the number of order items whose order is in the shop and was paid in the window."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..orders.models import Order, OrderItem, Product
from .models import ProductPaidCount

COUNT_TZ = timezone(timedelta(hours=8))  # the counts' days (Asia/Shanghai: UTC+8, no daylight saving since 1991)
_DAY = timedelta(days=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=COUNT_TZ)


def _pid(stored: str | None) -> str | None:
    """The counts keep items without a product id under '' (a key column cannot be NULL)."""
    return stored or None


def _from_orders(session: Session, shop_id: int, conds: list, product_id: str | None, by_product: bool = True):
    """SKU orders paid under ``conds`` (on Order.paid_at), per product or in all; meant for a day at most."""
    conds = [Order.shop_id == shop_id, *conds]
    if product_id is not None:
        conds.append(OrderItem.product_id == product_id)
    base = select(OrderItem.product_id, func.count()) if by_product else select(func.count())
    stmt = base.select_from(OrderItem).join(Order, Order.id == OrderItem.order_pk).where(*conds)
    if not by_product:
        return session.execute(stmt).scalar_one()
    return session.execute(stmt.group_by(OrderItem.product_id)).all()


def per_product(session: Session, shop_id: int, start: datetime, end: datetime,
                product_id: str | None = None) -> dict[str | None, int]:
    """SKU orders paid in (start, end] per product (products with none left out)."""
    first, last = start.astimezone(COUNT_TZ).date() + _DAY, end.astimezone(COUNT_TZ).date() - _DAY
    out: dict[str | None, int] = {}

    def add(rows):
        for pid, n in rows:
            if n:
                key = _pid(pid)
                out[key] = out.get(key, 0) + int(n)  # PostgreSQL's sum of bigint is numeric

    if first > last:  # no whole day inside: the window is under two days long
        add(_from_orders(session, shop_id, [Order.paid_at > start, Order.paid_at <= end], product_id))
        return out
    c = ProductPaidCount
    conds = [c.shop_id == shop_id, c.day >= first, c.day <= last]
    if product_id is not None:
        conds.append(c.product_id == product_id)
    add(session.execute(select(c.product_id, func.sum(c.n)).where(*conds).group_by(c.product_id)).all())
    add(_from_orders(session, shop_id, [Order.paid_at > start, Order.paid_at < _midnight(first)], product_id))
    add(_from_orders(session, shop_id, [Order.paid_at >= _midnight(last + _DAY), Order.paid_at <= end], product_id))
    return {k: n for k, n in out.items() if n}


def per_day(session: Session, shop_id: int, days: list[date], now: datetime, tz,
            product_id: str | None = None) -> dict[date, int]:
    """SKU orders paid on each of ``days`` (shop dates in ``tz``, ascending), up to ``now`` inclusive."""
    if not days:
        return {}
    stored = set()
    for day in days:
        lo = datetime.combine(day, time(0), tzinfo=tz)
        if lo == _midnight(day) and datetime.combine(day + _DAY, time(0), tzinfo=tz) == _midnight(day + _DAY) \
                and _midnight(day + _DAY) <= now:
            stored.add(day)
    out: dict[date, int] = {}
    if stored:
        c = ProductPaidCount
        conds = [c.shop_id == shop_id, c.day >= min(stored), c.day <= max(stored)]
        if product_id is not None:
            conds.append(c.product_id == product_id)
        for day, n in session.execute(select(c.day, func.sum(c.n)).where(*conds).group_by(c.day)).all():
            if day in stored and n:
                out[day] = int(n)
    for day in days:
        if day not in stored:  # today (up to now), or a day the counts do not cover in tz
            lo = datetime.combine(day, time(0), tzinfo=tz)
            hi = datetime.combine(day + _DAY, time(0), tzinfo=tz)
            conds = [Order.paid_at >= lo, Order.paid_at < hi] if hi <= now else [Order.paid_at >= lo, Order.paid_at <= now]
            if lo <= now and (n := _from_orders(session, shop_id, conds, product_id, by_product=False)):
                out[day] = n
    return out


def names(session: Session, shop_id: int, product_ids: set) -> dict[str, str]:
    """Product names: the products table, else the name on the product's latest SKU order (shops that only
    import order files have no product rows). Two queries whatever the number of products."""
    ids = {i for i in product_ids if i}
    if not ids:
        return {}
    found = dict(session.execute(select(Product.product_id, Product.name)
                                 .where(Product.shop_id == shop_id, Product.product_id.in_(ids))).all())
    missing = ids - set(found)
    if missing:
        latest = (select(func.max(OrderItem.id)).where(OrderItem.shop_id == shop_id, OrderItem.product_id.in_(missing))
                  .group_by(OrderItem.product_id))
        found |= dict(session.execute(select(OrderItem.product_id, OrderItem.product_name)
                                      .where(OrderItem.id.in_(latest))).all())
    return found
