"""The 品退率 report from the database: the formula of rate.py evaluated with SQL counts (paid SKU orders per
product, distinct SKU orders with a quality case by first and by current reason), the trend, the breakdown by
reason family, and the drill-down to the cases. Families come from the shop's mapping at report time."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, aliased

from ..clock import SHOP_TZ
from ..orders.models import Order, OrderItem, Product
from . import rate
from .models import AfterSaleCase, AfterSaleReason
from .reasons import Family, FamilyMap

TREND_DAYS = 30
DRILL_LIMIT = 200


def _quality_texts(session: Session, shop_id: int, families: FamilyMap) -> list[str]:
    texts = session.execute(select(AfterSaleReason.text).where(AfterSaleReason.shop_id == shop_id).distinct()
                            ).scalars().all()
    return [t for t in texts if families.family(t) is Family.QUALITY]


def _paid_counts(session: Session, shop_id: int, start: datetime, end: datetime, product_id: str | None) -> dict:
    conds = [Order.shop_id == shop_id, Order.paid_at > start, Order.paid_at <= end]
    if product_id:
        conds.append(OrderItem.product_id == product_id)
    return dict(session.execute(select(OrderItem.product_id, func.count()).join(Order, Order.id == OrderItem.order_pk)
                                .where(*conds).group_by(OrderItem.product_id)).all())


def _quality_counts(session, shop_id, start, end, product_id, which: str, quality: list[str]) -> dict:
    if not quality:
        return {}
    reason = aliased(AfterSaleReason)
    link = AfterSaleCase.first_reason_id if which == "first" else AfterSaleCase.current_reason_id
    conds = [AfterSaleCase.shop_id == shop_id, AfterSaleCase.applied_at > start, AfterSaleCase.applied_at <= end,
             AfterSaleCase.cancelled_by_buyer.is_(False), reason.text.in_(quality)]
    if product_id:
        conds.append(AfterSaleCase.product_id == product_id)
    return dict(session.execute(select(AfterSaleCase.product_id, func.count(AfterSaleCase.sku_order_id.distinct()))
                                .join(reason, reason.id == link).where(*conds)
                                .group_by(AfterSaleCase.product_id)).all())


def _names(session: Session, shop_id: int, ids: set) -> dict:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    names = dict(session.execute(select(Product.product_id, Product.name)
                                 .where(Product.shop_id == shop_id, Product.product_id.in_(ids))).all())
    for pid in ids - set(names):
        names[pid] = session.execute(select(OrderItem.product_name).where(OrderItem.shop_id == shop_id,
                                                                           OrderItem.product_id == pid).limit(1)).scalar()
    return names


def rates(session: Session, shop_id: int, now: datetime, days: int, families: FamilyMap,
          product_id: str | None = None) -> list[dict]:
    """One row per product (most quality returns first), the shop's row first. The CLI/API shape of issue 6."""
    start = now - timedelta(days=days)
    quality = _quality_texts(session, shop_id, families)
    paid = _paid_counts(session, shop_id, start, now, product_id)
    first = _quality_counts(session, shop_id, start, now, product_id, "first", quality)
    current = _quality_counts(session, shop_id, start, now, product_id, "current", quality)
    names = _names(session, shop_id, set(paid) | set(first) | set(current))
    rows = [_row(pid, names.get(pid), paid.get(pid, 0), first.get(pid, 0), current.get(pid, 0))
            for pid in set(paid) | set(first) | set(current)]
    rows.sort(key=lambda r: (-max(r["quality_cases_first_reason"], r["quality_cases_current_reason"]),
                             -r["paid"], r["product_id"] or ""))
    if product_id is None:
        shop = _row(None, None, sum(paid.values()), sum(first.values()), sum(current.values()))
        rows.insert(0, shop)
    return rows


def _row(pid, name, paid: int, first: int, current: int) -> dict:
    return {"product_id": pid, "product_name": name, "paid": paid, "quality_cases_first_reason": first,
            "quality_cases_current_reason": current, "rate_first_reason": first / paid if paid else None,
            "rate_current_reason": current / paid if paid else None, "small_sample": paid < rate.SMALL_SAMPLE}


def _case_facts(session, shop_id, start, end, product_id, families: FamilyMap) -> list[tuple]:
    first_r, current_r = aliased(AfterSaleReason), aliased(AfterSaleReason)
    conds = [AfterSaleCase.shop_id == shop_id, AfterSaleCase.applied_at > start, AfterSaleCase.applied_at <= end]
    if product_id:
        conds.append(AfterSaleCase.product_id == product_id)
    rows = session.execute(
        select(AfterSaleCase, first_r.text, current_r.text)
        .outerjoin(first_r, first_r.id == AfterSaleCase.first_reason_id)
        .outerjoin(current_r, current_r.id == AfterSaleCase.current_reason_id)
        .where(*conds).order_by(AfterSaleCase.applied_at.desc())).all()
    return [(case, f_text, c_text, families.family(f_text), families.family(c_text)) for case, f_text, c_text in rows]


def breakdown(session: Session, shop_id: int, now: datetime, days: int, families: FamilyMap,
              product_id: str | None = None) -> dict:
    """Cases applied in the window (buyer-cancelled ones apart) by family and by reason, both ways, and the
    reasons that changed family (quality → other is the change to look at twice)."""
    facts = _case_facts(session, shop_id, now - timedelta(days=days), now, product_id, families)
    counted = [f for f in facts if not f[0].cancelled_by_buyer]
    return {
        "first": Counter(f[3].value for f in counted), "current": Counter(f[4].value for f in counted),
        "reasons_first": Counter(f[1] or "—" for f in counted).most_common(),
        "reasons_current": Counter(f[2] or "—" for f in counted).most_common(),
        "changed_family": sum(1 for f in counted if f[3] is not f[4]),
        "quality_to_other": sum(1 for f in counted if f[3] is Family.QUALITY and f[4] is not Family.QUALITY),
        "cancelled": len(facts) - len(counted),
        "cases": [{"case": f[0], "first": f[1], "current": f[2], "first_family": f[3].value,
                   "current_family": f[4].value} for f in facts
                  if Family.QUALITY in (f[3], f[4])][:DRILL_LIMIT],
    }


def _day_expr(session: Session):
    if session.connection().dialect.name == "postgresql":
        return func.date(func.timezone(str(SHOP_TZ), Order.paid_at))
    return func.date(Order.paid_at, text("'+8 hours'"))  # SQLite stores UTC; China has no DST since 1991


def trend(session: Session, shop_id: int, now: datetime, days: int, families: FamilyMap,
          product_id: str | None = None) -> list[dict]:
    """The rolling ``days`` rate at the end of each of the last 30 shop days, both ways."""
    today = now.astimezone(SHOP_TZ).date()
    first_day = today - timedelta(days=TREND_DAYS - 1)
    span_start = datetime.combine(first_day - timedelta(days=days), datetime.min.time(), tzinfo=SHOP_TZ)
    day = _day_expr(session)
    conds = [Order.shop_id == shop_id, Order.paid_at >= span_start, Order.paid_at <= now]
    if product_id:
        conds.append(OrderItem.product_id == product_id)
    per_day = {}
    for d, n in session.execute(select(day, func.count()).select_from(OrderItem).join(Order, Order.id == OrderItem.order_pk)
                                .where(*conds).group_by(day)).all():
        per_day[d if isinstance(d, date) else date.fromisoformat(str(d))] = n
    facts = [rate.CaseFact(c.sku_order_id, c.product_id, c.applied_at, ff is Family.QUALITY, cf is Family.QUALITY,
                           c.cancelled_by_buyer)
             for c, _f, _c, ff, cf in _case_facts(session, shop_id, span_start, now, product_id, families)]
    ends = [first_day + timedelta(days=i) for i in range(TREND_DAYS)]
    return rate.daily_series(per_day, facts, ends, days, SHOP_TZ)
