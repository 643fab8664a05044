"""Read side of after-sales: the list with its tabs (待我处理, 即将超时, 待买家退货, 待收货, 已完成, 已关闭) and
filters (type, reason family), counts, one case with its reasons, history and contacts, an order's cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from ..orders.bulk_writes import chunks
from ..orders.models import Order, OrderItem
from . import domain
from .domain import CaseStatus
from .models import AfterSaleCase, AfterSaleContact, AfterSaleEvent, AfterSaleReason
from .reasons import Family, FamilyMap

# to_send: an exchange, re-send or repaired item the merchant must ship (待商家发货): the warehouse packs it, so the
# warehouse sees it among its work too (QA pass 6, #18: it reached none of the warehouse's lists).
TABS = ("todo", "overdue", "due_soon", "to_send", "waiting_return", "waiting_receipt", "completed", "closed", "all")
PAGE_SIZE = 50


def tab_condition(tab: str, now: datetime):
    """Each tab as a condition on AfterSaleCase (served by ix_aftersale_cases_shop_status_due)."""
    c = AfterSaleCase
    merchant = [s.value for s in domain.MERCHANT_TURN]
    if tab == "todo":
        return c.status.in_(merchant)
    if tab == "due_soon":
        return and_(c.status.in_(merchant), c.due_by > now, c.due_by <= now + domain.DUE_SOON)
    if tab == "overdue":  # past its deadline and still the merchant's move (QA pass 9, #15: no card showed them)
        return and_(c.status.in_(merchant), c.due_by <= now)
    if tab == "to_send":
        return c.status == CaseStatus.WAITING_MERCHANT_SHIP.value
    if tab == "waiting_return":
        return c.status == CaseStatus.WAITING_BUYER_RETURN.value
    if tab == "waiting_receipt":
        return c.status == CaseStatus.WAITING_RECEIPT.value
    if tab == "completed":
        return c.status == CaseStatus.SUCCEEDED.value
    if tab == "closed":
        return c.status == CaseStatus.CLOSED.value
    if tab == "all":
        return None
    raise ValueError(f"unknown tab {tab!r}; use one of {', '.join(TABS)}")


def open_case_exists():
    """The order list's 售后中 tab: the order has an after-sale case that is not finished, or, when the desk has no
    case for it at all (entered by a path that does not open cases), its export 售后状态 text names an open stage,
    as the ship blocker reads it. The database keeps that answer on the order (orders.in_after_sale, triggers of
    migration 0017, which spells the rule out in SQL), so the condition is one column, served by a partial index."""
    return Order.in_after_sale


def count_orders_in_after_sale(session: Session, conds: list) -> int:
    """Orders matching ``conds`` that are in the 售后中 tab. Probing the cases of every order with an open text cost
    3.9 ms at 1M orders; the flag kept by the database (migration 0017) makes it a read of the tab's own index.
    Without other conditions, the per-shop counter (order_after_sale_counts) answers in O(1): see
    orders.queries.tab_counts."""
    return session.execute(select(func.count()).select_from(Order).where(*conds, open_case_exists())).scalar_one()


@dataclass
class CaseFilter:
    tab: str = "todo"
    case_type: str | None = None
    family: str | None = None  # quality / other / unknown, by the current reason
    product_id: str | None = None
    order_id: str | None = None
    page: int = 1
    page_size: int = PAGE_SIZE


def _family_condition(session: Session, shop_id: int, family: str, families: FamilyMap):
    """Families are worked out from the reason texts present (few distinct texts), so a changed mapping
    applies at once to every case."""
    texts = session.execute(select(AfterSaleReason.text).where(AfterSaleReason.shop_id == shop_id).distinct()
                            ).scalars().all()
    current = aliased(AfterSaleReason)
    if family == Family.UNKNOWN.value:
        return AfterSaleCase.current_reason_id.is_(None)
    wanted = [t for t in texts if families.family(t).value == family]
    return exists().where(current.id == AfterSaleCase.current_reason_id, current.text.in_(wanted))


def _conditions(session, shop_id: int, flt: CaseFilter, now: datetime, families: FamilyMap) -> list:
    conds = [AfterSaleCase.shop_id == shop_id]
    if flt.case_type:
        conds.append(AfterSaleCase.case_type == flt.case_type)
    if flt.family:
        conds.append(_family_condition(session, shop_id, flt.family, families))
    if flt.product_id:
        conds.append(AfterSaleCase.product_id == flt.product_id)
    if flt.order_id:
        conds.append(AfterSaleCase.order_pk.in_(select(Order.id).where(Order.shop_id == shop_id,
                                                                       Order.order_id == flt.order_id)))
    return conds


def list_cases(session: Session, shop_id: int, flt: CaseFilter, now: datetime,
               families: FamilyMap, total: int | None = None) -> tuple[int, list[AfterSaleCase]]:
    """Most urgent first (deadline ascending, no deadline last), then newest. ``total``: the tab's count when
    the caller already has it (tab_counts counts every tab under the same filters)."""
    conds = _conditions(session, shop_id, flt, now, families)
    tab = tab_condition(flt.tab, now)
    if tab is not None:
        conds.append(tab)
    if total is None:
        total = session.execute(select(func.count()).select_from(AfterSaleCase).where(*conds)).scalar_one()
    order = [AfterSaleCase.due_by.is_(None), AfterSaleCase.due_by.asc(), AfterSaleCase.id.desc()]
    if flt.tab in ("completed", "closed", "all"):
        order = [AfterSaleCase.applied_at.desc(), AfterSaleCase.id.desc()]
    rows = session.execute(select(AfterSaleCase).where(*conds).order_by(*order)
                           .offset(max(flt.page - 1, 0) * flt.page_size).limit(flt.page_size)).scalars().all()
    return total, list(rows)


def tab_counts(session: Session, shop_id: int, flt: CaseFilter, now: datetime, families: FamilyMap) -> dict[str, int]:
    conds = _conditions(session, shop_id, flt, now, families)
    by_status = dict(session.execute(select(AfterSaleCase.status, func.count()).where(*conds)
                                     .group_by(AfterSaleCase.status)).all())
    due_soon = session.execute(select(func.count()).select_from(AfterSaleCase)
                               .where(*conds, tab_condition("due_soon", now))).scalar_one()
    overdue = session.execute(select(func.count()).select_from(AfterSaleCase)
                              .where(*conds, tab_condition("overdue", now))).scalar_one()
    return {"todo": sum(by_status.get(s.value, 0) for s in domain.MERCHANT_TURN), "due_soon": due_soon,
            "overdue": overdue,
            "to_send": by_status.get(CaseStatus.WAITING_MERCHANT_SHIP.value, 0),
            "waiting_return": by_status.get(CaseStatus.WAITING_BUYER_RETURN.value, 0),
            "waiting_receipt": by_status.get(CaseStatus.WAITING_RECEIPT.value, 0),
            "completed": by_status.get(CaseStatus.SUCCEEDED.value, 0),
            "closed": by_status.get(CaseStatus.CLOSED.value, 0), "all": sum(by_status.values())}


REASON_COLUMNS = (AfterSaleReason.id, AfterSaleReason.seq, AfterSaleReason.text, AfterSaleReason.code,
                  AfterSaleReason.remark, AfterSaleReason.evidence_count, AfterSaleReason.given_at,
                  AfterSaleReason.source)


def reasons_by_id(session: Session, ids: set[int]) -> dict[int, Any]:
    """The reasons a page of cases shows, as rows of the columns shown (no ORM objects: a list page reads up to
    100 of them on every request)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {r.id: r for r in session.execute(select(*REASON_COLUMNS).where(AfterSaleReason.id.in_(ids)))}


def order_ids_by_pk(session: Session, pks: set[int]) -> dict[int, str]:
    """The platform order id of each order a page of cases links to."""
    if not pks:
        return {}
    return dict(session.execute(select(Order.id, Order.order_id).where(Order.id.in_(pks))).all())


def case_items(session: Session, cases: list) -> dict[tuple[int, str], tuple[str, str | None]]:
    """(product name, spec) of the item each case is about, keyed by (order row id, SKU order id): a clerk must
    see which product the buyer wants refunded without opening the order."""
    pks = {c.order_pk for c in cases}
    if not pks:
        return {}
    rows = session.execute(select(OrderItem.order_pk, OrderItem.sku_order_id, OrderItem.product_name, OrderItem.spec)
                           .where(OrderItem.order_pk.in_(pks))).all()
    return {(pk, sku): (name, spec) for pk, sku, name, spec in rows}


def case_history(session: Session, case_id: int) -> list[AfterSaleEvent]:
    return list(session.execute(select(AfterSaleEvent).where(AfterSaleEvent.case_id == case_id)
                                .order_by(AfterSaleEvent.at, AfterSaleEvent.id)).scalars())


def case_contacts(session: Session, case_id: int) -> list[AfterSaleContact]:
    return list(session.execute(select(AfterSaleContact).where(AfterSaleContact.case_id == case_id)
                                .order_by(AfterSaleContact.at, AfterSaleContact.id)).scalars())


def case_types_by_order(session: Session, order_pks: list[int]) -> dict[int, set[str]]:
    """Order row id → the types of its after-sale cases, for the orders among ``order_pks`` that have any."""
    out: dict[int, set[str]] = {}
    for chunk in chunks(order_pks):
        for pk, case_type in session.execute(select(AfterSaleCase.order_pk, AfterSaleCase.case_type)
                                             .where(AfterSaleCase.order_pk.in_(chunk))):
            out.setdefault(pk, set()).add(case_type)
    return out


def cases_of_order(session: Session, order_pk: int) -> list[AfterSaleCase]:
    return list(session.execute(select(AfterSaleCase).where(AfterSaleCase.order_pk == order_pk)
                                .order_by(AfterSaleCase.applied_at, AfterSaleCase.id)).scalars())


def item_names(session: Session, shop_id: int, skus: set[str]) -> dict[str, tuple[str, str | None]]:
    if not skus:
        return {}
    return {sku: (name, spec) for sku, name, spec in session.execute(
        select(OrderItem.sku_order_id, OrderItem.product_name, OrderItem.spec)
        .where(OrderItem.shop_id == shop_id, OrderItem.sku_order_id.in_(skus)))}
