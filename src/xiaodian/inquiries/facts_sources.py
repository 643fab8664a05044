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
from .matching import AfterSaleFact, LogisticsFact

# Order-level after-sale texts that mean the case is finished (the 售后中 tab holds only open ones).
CLOSED_AFTER_SALE = ("退款成功", "售后完成", "售后关闭", "售后成功", "已关闭", "退款关闭", "售后失败")


def _service(module: str):
    try:
        return __import__(f"xiaodian.{module}.service", fromlist=["service"])
    except ImportError:
        return None


def logistics_facts(session: Session, shop_id: int, orders: list[Order], now: datetime) -> dict[int, LogisticsFact]:
    """order pk → the latest parcel's state, from the logistics service when it offers one."""
    service = _service("logistics")
    reader = getattr(service, "order_tracking_summaries", None) if service else None
    if reader is None:
        return {}
    out: dict[int, LogisticsFact] = {}
    for pk, summary in reader(session, shop_id=shop_id, order_pks=[o.id for o in orders], now=now).items():
        out[pk] = LogisticsFact(state=summary["state"], label=summary.get("label"),
                                last_event_at=summary.get("last_event_at"), last_event=summary.get("last_event"),
                                anomalies=tuple(summary.get("anomalies", ())),
                                delivered=bool(summary.get("delivered")))
    return out


def after_sale_facts(session: Session, shop_id: int, orders: list[Order], now: datetime) -> dict[int, AfterSaleFact]:
    """order pk → its after-sale case: from the after-sales service when it offers one, else the export's status
    (open while the order-level status is set; a finished one from the items' status)."""
    service = _service("aftersales")
    reader = getattr(service, "order_case_summaries", None) if service else None
    out: dict[int, AfterSaleFact] = {}
    if reader is not None:
        for pk, case in reader(session, shop_id=shop_id, order_pks=[o.id for o in orders], now=now).items():
            out[pk] = AfterSaleFact(status=case["status"], kind=case.get("kind"), case_id=case.get("case_id"),
                                    deadline=case.get("deadline"), refund_status=case.get("refund_status"),
                                    open=bool(case.get("open", True)))
    for o in orders:
        if o.id in out:
            continue
        if o.after_sale_status:
            out[o.id] = AfterSaleFact(status=o.after_sale_status, open=o.after_sale_status not in CLOSED_AFTER_SALE)
            continue
        finished = next((i.after_sale_status for i in o.items if i.after_sale_status), None)
        if finished and o.status != "cancelled":
            out[o.id] = AfterSaleFact(status=finished, open=False)
    return out
