"""What logistics adds to the ORDER JSON (logistics_state, anomaly) and to the order list's filters, in one place
so the list, API and CLI say the same thing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import object_session

from .domain import AnomalyKind, ParcelState
from .models import Anomaly, Parcel
from .queries import WORKING, has_a_state, order_logistics, own_parcel

SHIPPED_STATUSES = frozenset({"partially_shipped", "shipped", "completed"})
STATES = tuple(s.value for s in ParcelState)
ANOMALY_FILTERS = ("any", *(k.value for k in AnomalyKind))


def order_logistics_fields(order, prefetched: dict | None = None) -> dict:
    """``logistics_state`` (the packages' state when they agree, else the first package's) and ``anomaly``
    (the worst case being worked on: {kind, severity}) for shipped orders; nulls otherwise. A list passes
    ``prefetched`` (from queries.orders_logistics) instead of one query per order."""
    session = object_session(order)
    if session is None or order.status not in SHIPPED_STATUSES:
        return {"logistics_state": None, "anomaly": None}
    found = prefetched if prefetched is not None else order_logistics(session, order.id)
    return {"logistics_state": found["logistics_state"], "anomaly": found["anomaly"]}


def filter_conditions(order_pk, logistics_state: str | None, anomaly: str | None) -> list:
    """Order-list conditions on the orders' row id (``order_pk``, a column or an expression of it): one of the
    order's own packages in this logistics state (an after-sale's re-send describes the case, not the order's
    delivery: an order received weeks ago is not "in transit" because its 补寄 is); a case being worked on (of this
    kind) on any of its parcels, a re-send's included (it is work the merchant has on the order)."""
    # The orders' ids from the parcels and cases, once: as correlated EXISTS, SQLite probed them for every order of
    # the shop newest first (250 ms at 1M orders, for a filter that matched none).
    conds = []
    if logistics_state in STATES:
        conds.append(order_pk.in_(select(Parcel.order_pk).where(Parcel.state == logistics_state, has_a_state(),
                                                                own_parcel())))
    if anomaly in ANOMALY_FILTERS:
        cond = [Anomaly.status.in_(WORKING)]
        if anomaly != "any":
            cond.append(Anomaly.kind == anomaly)
        conds.append(order_pk.in_(select(Anomaly.order_pk).where(*cond)))
    return conds


def by_parcel(cases: list[dict]) -> list[dict]:
    """The worklist's cases one row per parcel: its most urgent case (``cases`` come most urgent first), with the
    parcel's other listed cases under ``others``. A parcel has one active case (QA pass 9, #10), so ``others`` are its
    earlier, closed cases when the list shows closed ones too (状态: 全部): as separate rows the merchant met the same
    parcel twice."""
    rows: dict[tuple, dict] = {}
    for case in cases:
        key = (case["order_id"], case["tracking_no"])
        if key in rows:
            rows[key]["others"].append(case)
        else:
            rows[key] = {**case, "others": []}
    return list(rows.values())
