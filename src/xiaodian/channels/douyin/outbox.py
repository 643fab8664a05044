"""Writes back to the platform through an outbox: shipping in the desk queues an upload row (only when the shop's
write switch is on) in the same transaction as the shipment, and a job sends it. One row per shipment (unique), and
a row once sent is never sent again, so a waybill is never uploaded twice. The after-sales desk's decisions
(afterSale.operate, see operate.py) go through the same outbox and the same sending job.

A parcel holding every SKU order of its order is uploaded with order.logisticsAdd (the whole order ships); a parcel
holding only some of them (partial shipping, or the later parcels of a split order) with
order.logisticsAddSinglePack, naming exactly its SKU orders and their quantities (``shipped_order_info``) and a
``request_id`` of its own, so the platform ships those SKU orders only and a re-sent request ships nothing twice.
A platform answer "already shipped" counts as sent only when the platform's order already holds this very waybill;
otherwise the row fails with the platform's reason for the owner to see.

Assumption: the desk's carrier codes (zhongtong, yuantong, shunfeng …) are the platform's company_code values.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ...accounts import audit
from ...db import transaction
from . import operate, refusals
from .client import DouyinClient, DouyinError
from .models import UPLOAD_KINDS, UPLOAD_PARTIAL, UPLOAD_WHOLE, DouyinConnection, DouyinOutbox
from .service import SYNC

log = logging.getLogger("xiaodian.douyin.outbox")
MAX_ATTEMPTS = 5
# The platform says the order (or SKU order) has shipped: the upload is done only if it holds this very waybill
# (shipped there by hand with it, or our earlier answer was lost), which send_pending checks in the order's detail.
ALREADY_DONE = frozenset({"isv.order-already-shipped"})
WHOLE, PARTIAL = UPLOAD_WHOLE, UPLOAD_PARTIAL  # the two kinds of tracking upload
# Each kind of row: the platform method, the answers meaning "already there", and what the audit entry names.
KINDS = {WHOLE: ("order.logisticsAdd", ALREADY_DONE, "order"),
         PARTIAL: ("order.logisticsAddSinglePack", ALREADY_DONE, "order"),
         operate.KIND: (operate.METHOD, operate.ALREADY_DONE, "aftersale")}


def _audit_target(kind: str, order_id: str, payload: dict) -> str:
    if KINDS[kind][2] == "aftersale":
        return str(payload["items"][0]["aftersale_id"])
    return order_id


def queue_logistics_upload(session: Session, *, shop_id: int, uploads: list[tuple[int, str, str, str]],
                           now: datetime) -> int:
    """``uploads``: (shipment id, order id, carrier code, tracking number). Returns rows queued (0 when the shop is
    not connected or its writes are off)."""
    enabled = session.execute(select(DouyinConnection.write_enabled)
                              .where(DouyinConnection.shop_id == shop_id)).scalar_one_or_none()
    if not enabled or not uploads:
        return 0
    session.flush()
    held = _parcel_contents(session, shop_id, [u[0] for u in uploads])
    for shipment_id, order_id, carrier_code, tracking_no in uploads:
        skus, every = held.get(shipment_id, ({}, {}))
        if not skus or set(skus) >= set(every):
            kind, payload = WHOLE, {"order_id": order_id, "company_code": carrier_code, "logistics_code": tracking_no}
        else:
            kind, payload = PARTIAL, {
                "order_id_list": [order_id], "company_code": carrier_code, "logistics_code": tracking_no,
                "shipped_order_info": [{"shipped_order_id": sku, "shipped_num": qty}
                                       for sku, qty in sorted(skus.items())],
                "request_id": f"xiaodian-{shop_id}-{shipment_id}"}
        session.add(DouyinOutbox(shop_id=shop_id, kind=kind, ref=str(shipment_id), order_id=order_id,
                                 payload=json.dumps(payload, ensure_ascii=False), state="pending", attempts=0,
                                 created_at=now))
    return len(uploads)


def _parcel_contents(session: Session, shop_id: int, shipment_ids: list[int]) -> dict[int, tuple[dict, dict]]:
    """Per shipment: ({SKU order id: quantity} it holds, {SKU order id: quantity} of its whole order)."""
    from ...orders.models import OrderItem
    from ...shipping.models import ShipmentItem

    rows = session.execute(select(ShipmentItem.shipment_id, ShipmentItem.sku_order_id, ShipmentItem.order_pk)
                           .where(ShipmentItem.shop_id == shop_id, ShipmentItem.shipment_id.in_(shipment_ids))).all()
    order_pks = {r.order_pk for r in rows}
    items: dict[int, dict[str, int]] = {}
    for order_pk, sku, quantity in session.execute(
            select(OrderItem.order_pk, OrderItem.sku_order_id, OrderItem.quantity)
            .where(OrderItem.shop_id == shop_id, OrderItem.order_pk.in_(order_pks))).all():
        items.setdefault(order_pk, {})[sku] = quantity
    out: dict[int, tuple[dict, dict]] = {}
    for row in rows:
        every = items.get(row.order_pk, {})
        out.setdefault(row.shipment_id, ({}, every))[0][row.sku_order_id] = every.get(row.sku_order_id, 1)
    return out


def amend_logistics_upload(session: Session, *, shop_id: int, shipment_id: int, carrier_code: str,
                           tracking_no: str) -> str | None:
    """A clerk corrected a package's number: the platform must never be sent the mistyped one. An upload still
    waiting (or failed) is rewritten to the new number: "amended"; a failed one is queued again, since the
    correction is what its refusal asked for (the order page says so, QA pass 8, #2). One already sent means the
    platform shows the old number: "already_sent" (the desk has no documented method to edit it; the merchant edits
    it in the 抖店 back office, and the correction says so). None: nothing was queued for this package."""
    rows = list(session.execute(select(DouyinOutbox).where(
        DouyinOutbox.shop_id == shop_id, DouyinOutbox.kind.in_(UPLOAD_KINDS),
        DouyinOutbox.ref == str(shipment_id))).scalars())
    if any(row.state in ("sent", "settled") for row in rows):  # settled: the platform holds a number (settle.py)
        return "already_sent"
    for row in rows:
        payload = json.loads(row.payload)
        payload.update(company_code=carrier_code, logistics_code=tracking_no)
        row.payload = json.dumps(payload, ensure_ascii=False)
        if row.state == "failed":
            row.state, row.attempts = "pending", 0
    return "amended" if rows else None


@dataclass
class OutboxReport:
    sent: int = 0
    failed: int = 0
    retry: int = 0

    def as_json(self) -> dict:
        return asdict(self)


def send_pending(sessions: sessionmaker[Session], *, shop_id: int, client: DouyinClient, now: datetime,
                 limit: int = 100) -> OutboxReport:
    """Sends queued writes (tracking uploads and after-sale decisions), each marked in its own transaction right
    after the platform's answer, so a row the platform accepted is never sent again."""
    report = OutboxReport()
    with sessions() as session:
        due = session.execute(select(DouyinOutbox.id, DouyinOutbox.kind, DouyinOutbox.payload, DouyinOutbox.order_id)
                              .where(DouyinOutbox.shop_id == shop_id, DouyinOutbox.state == "pending")
                              .order_by(DouyinOutbox.id).limit(limit)).all()
    for row in due:
        error = None
        method, already_done, target_type = KINDS[row.kind]
        payload = json.loads(row.payload)
        try:
            client.call(method, payload)
        except DouyinError as exc:
            error = exc
        done = error is not None and error.sub_code in already_done
        if done and row.kind in UPLOAD_KINDS:
            done = _platform_holds(client, row.order_id, payload["logistics_code"])
        with transaction(sessions) as session:
            item = session.get(DouyinOutbox, row.id)
            item.attempts += 1
            tried_before = item.last_error is not None  # refused (or failed) on an earlier try
            if error is None or done:
                item.state, item.sent_at = "sent", now
                item.last_error = (None if error is None
                                   else f"{error.sub_code} {error.sub_msg}: already on the platform")
                report.sent += 1
                action = "douyin.logistics_add" if row.kind in UPLOAD_KINDS else f"douyin.{row.kind}"
                audit.record(session, principal=SYNC, action=action, now=now, shop_id=shop_id,
                             target_type=target_type, target_id=_audit_target(row.kind, row.order_id, payload),
                             after=payload)
                if tried_before:  # after a refusal on its timeline: the platform has it now
                    refusals.record_accepted(session, item, payload, now)
            else:
                detail = error.as_json()
                if error.sub_code in already_done and row.kind in UPLOAD_KINDS:
                    detail["desk_note"] = "the platform's order does not hold this waybill: not uploaded"
                item.last_error = json.dumps(detail, ensure_ascii=False)
                if error.retryable and item.attempts < MAX_ATTEMPTS:
                    report.retry += 1
                else:
                    item.state = "failed"
                    report.failed += 1
                    # on the order's timeline or the case's history too, not only on the owner's status page
                    refusals.record_refused(session, item, payload, detail, now)
    return report


def _platform_holds(client: DouyinClient, order_id: str, tracking_no: str) -> bool:
    """Whether the platform's order already carries this waybill (then "already shipped" means our upload is done;
    any other waybill means the platform refused ours)."""
    try:
        detail = client.call("order.orderDetail", {"shop_order_id": order_id}).get("shop_order_detail") or {}
    except DouyinError:
        return False
    parcels = detail.get("logistics_info") if isinstance(detail, dict) else None
    return any(isinstance(p, dict) and str(p.get("tracking_no") or "") == tracking_no for p in parcels or [])


def retry_failed_uploads(session: Session, *, shop_id: int) -> int:
    """The owner's retry after fixing the cause (a wrong carrier, a case the platform had not yet opened, say):
    failed rows of every kind go back to pending."""
    rows = session.execute(select(DouyinOutbox).where(DouyinOutbox.shop_id == shop_id,
                                                      DouyinOutbox.state == "failed")).scalars().all()
    for row in rows:
        row.state, row.attempts = "pending", 0
    return len(rows)
