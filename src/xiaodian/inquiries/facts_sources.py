"""Where the assistant gets logistics and after-sale facts: the logistics (issue 5) and after-sales (issue 6)
capabilities' service modules when they are installed, otherwise what the order row itself carries.

Why a seam here: those capabilities were built at the same time as the assistant. Each adapter below asks the
other capability's *service* (never its tables) and turns the answer into the assistant's own fact types, so the
diagnosis and reply code never change when a capability lands.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..orders.models import Order
from .matching import AfterSaleFact, LogisticsFact, ResendFact

# Order-level after-sale texts that mean the case is finished (the 售后中 tab holds only open ones).
CLOSED_AFTER_SALE = ("退款成功", "售后完成", "售后关闭", "售后成功", "已关闭", "退款关闭", "售后失败")


WORKING = ("open", "contacted_carrier", "told_buyer")  # anomaly cases still being worked on
LOOKUP_LIMIT = 20  # orders per question whose parcels and cases are read (candidates come newest first)
SHIPPED = ("partially_shipped", "shipped", "completed")


def _parse(value):
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def parcel_facts(session: Session, shop_id: int, orders: list[Order],
                 now: datetime) -> tuple[dict[int, LogisticsFact], dict[int, tuple[ResendFact, ...]]]:
    """(order pk → the latest own parcel's state, last scan and open anomalies; order pk → its after-sale re-sends),
    from the logistics capability's ``order_tracking`` (the read the tracking API serves). A re-send (补寄) is the
    case's parcel: as the order's "latest parcel" it had the reply give the original's number with the re-send's
    scans. Empty when logistics is not installed."""
    try:
        from ..logistics import labels, queries
    except ImportError:
        return {}, {}
    out: dict[int, LogisticsFact] = {}
    resends: dict[int, tuple[ResendFact, ...]] = {}
    for order in [o for o in orders if o.status in SHIPPED][:LOOKUP_LIMIT]:
        view = queries.order_tracking(session, shop_id, order.order_id, now)
        working = [a for a in view.get("anomalies", []) if a.get("status") in WORKING]
        sent = tuple(_resend(p, tuple(labels.kind(a["kind"]) for a in working if a["tracking_no"] == p["tracking_no"]))
                     for p in view["packages"] if p.get("resend_of"))
        if sent:
            resends[order.id] = sent
        # A parcel of an order completed before any scan arrived has no state (logistics.queries.has_a_state):
        # its stored "pending" would have the assistant say 待揽收 beside a reply that says 已签收.
        packages = [p for p in view["packages"] if p["has_state"] and not p.get("resend_of")]
        if not packages:
            continue
        latest = max(packages, key=lambda p: p.get("shipped_at") or "")
        scans = latest.get("events") or []
        anomalies = tuple(labels.kind(a["kind"]) for a in working if not a.get("resend_of"))
        out[order.id] = LogisticsFact(state=latest["state"], label=labels.state(latest["state"]),
                                      last_event_at=_parse(scans[0]["at"]) if scans else _parse(latest["last_event_at"]),
                                      last_event=scans[0]["context"] if scans else None, anomalies=anomalies,
                                      delivered=latest["state"] == "signed")
    return out, resends


def _resend(package: dict, anomalies: tuple[str, ...]) -> ResendFact:
    scans = package.get("events") or []
    return ResendFact(case_id=package["resend_of"], carrier=package.get("carrier"), tracking_no=package["tracking_no"],
                      shipped_at=_parse(package.get("shipped_at")),
                      state=package["state"] if package["has_state"] else None,
                      last_event_at=_parse(scans[0]["at"]) if scans else _parse(package.get("last_event_at")),
                      last_event=scans[0]["context"] if scans else None, anomalies=anomalies)


def _cases(session: Session, orders: list[Order], now: datetime) -> dict[int, AfterSaleFact]:
    try:
        from ..aftersales import queries, views
    except ImportError:
        return {}
    out: dict[int, AfterSaleFact] = {}
    families = views.families_from(None)
    for order in orders[:LOOKUP_LIMIT]:
        cases = queries.cases_of_order(session, order.id)
        if not cases:
            continue
        latest = cases[-1]  # the latest applied
        out[order.id] = case_fact(latest, views.case_rows(session, [latest], families, now)[0])
    return out


def case_fact(case, row) -> AfterSaleFact:
    """One after-sale case (its row and the capability's view of it) as the assistant's fact: the status in the
    reader's language for the agent (as the after-sales list reads it: a refund under way is 退款中, not 待退款), and
    the keys the reply needs to say whose move it is and what happened."""
    from ..aftersales import labels

    refunded = row.status == "succeeded" or row.refund_status == "succeeded"
    return AfterSaleFact(status=labels.case_status(row.status, row.refund_status), kind=labels.case_type(row.type),
                         case_id=row.aftersale_id, deadline=_parse(row.due_by), refund_status=row.refund_status,
                         open=row.status not in ("succeeded", "closed"), status_key=row.status, kind_key=row.type,
                         whose_move=row.whose_move, overdue=row.overdue, reject_code=row.reject_code,
                         reject_note=row.reject_note, refunded_at=case.finished_at if refunded else None)


def after_sale_facts(session: Session, shop_id: int, orders: list[Order], now: datetime) -> dict[int, AfterSaleFact]:
    """order pk → its after-sale case: from the after-sales capability's cases when there are any, else the
    export's status (open while the order-level status is set; a finished one from the items' status)."""
    out = _cases(session, orders, now)
    for pk, fact in export_after_sale_facts(orders).items():
        out.setdefault(pk, fact)
    return out


def export_after_sale_facts(orders: list[Order]) -> dict[int, AfterSaleFact]:
    """order pk → what the order row itself says about an after-sale (no query beyond the loaded items)."""
    out: dict[int, AfterSaleFact] = {}
    for o in orders:
        if o.after_sale_status:
            out[o.id] = AfterSaleFact(status=o.after_sale_status, open=o.after_sale_status not in CLOSED_AFTER_SALE,
                                      status_key=_status_key(o.after_sale_status))
            continue
        finished = next((i.after_sale_status for i in o.items if i.after_sale_status), None)
        if finished and o.status != "cancelled":
            out[o.id] = AfterSaleFact(status=finished, open=False, status_key=_status_key(finished))
    return out


def _status_key(text: str) -> str | None:
    """The after-sales capability's status for an export's 售后状态 text (None: not installed or not known), so a
    case known only from the order row is still answered by its status."""
    try:
        from ..aftersales.reasons import status_from_text
    except ImportError:
        return None
    found = status_from_text(text)
    return found.value if found is not None else None
