"""Writes back to the platform through an outbox: shipping in the desk queues an order.logisticsAdd row (only when
the shop's write switch is on) in the same transaction as the shipment, and a job sends it. One row per shipment
(unique), and a row once sent is never sent again, so a waybill is never uploaded twice. The after-sales desk's
decisions (afterSale.operate, see operate.py) go through the same outbox and the same sending job.

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
from . import operate
from .client import DouyinClient, DouyinError
from .models import DouyinConnection, DouyinOutbox
from .service import SYNC

log = logging.getLogger("xiaodian.douyin.outbox")
MAX_ATTEMPTS = 5
# The platform already has this waybill (shipped there by hand, or our earlier answer was lost): nothing to send.
ALREADY_DONE = frozenset({"isv.order-already-shipped"})
# Each kind of row: the platform method, the answers meaning "already there", and what the audit entry names.
KINDS = {"logistics_add": ("order.logisticsAdd", ALREADY_DONE, "order"),
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
    for shipment_id, order_id, carrier_code, tracking_no in uploads:
        session.add(DouyinOutbox(shop_id=shop_id, kind="logistics_add", ref=str(shipment_id), order_id=order_id,
                                 payload=json.dumps({"order_id": order_id, "company_code": carrier_code,
                                                     "logistics_code": tracking_no}, ensure_ascii=False),
                                 state="pending", attempts=0, created_at=now))
    return len(uploads)


def amend_logistics_upload(session: Session, *, shop_id: int, shipment_id: int, carrier_code: str,
                           tracking_no: str) -> str | None:
    """A clerk corrected a package's number: the platform must never be sent the mistyped one. An upload still
    waiting (or failed, to be retried) is rewritten to the new number: "amended". One already sent means the
    platform shows the old number: "already_sent" (the desk has no documented method to edit it; the merchant edits
    it in the 抖店 back office, and the correction says so). None: nothing was queued for this package."""
    rows = list(session.execute(select(DouyinOutbox).where(
        DouyinOutbox.shop_id == shop_id, DouyinOutbox.kind == "logistics_add",
        DouyinOutbox.ref == str(shipment_id))).scalars())
    if any(row.state == "sent" for row in rows):
        return "already_sent"
    for row in rows:
        payload = json.loads(row.payload)
        payload.update(company_code=carrier_code, logistics_code=tracking_no)
        row.payload = json.dumps(payload, ensure_ascii=False)
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
        with transaction(sessions) as session:
            item = session.get(DouyinOutbox, row.id)
            item.attempts += 1
            if error is None or error.sub_code in already_done:
                item.state, item.sent_at = "sent", now
                item.last_error = None if error is None else f"{error.sub_code} {error.sub_msg}: already on the platform"
                report.sent += 1
                audit.record(session, principal=SYNC, action=f"douyin.{row.kind}", now=now, shop_id=shop_id,
                             target_type=target_type, target_id=_audit_target(row.kind, row.order_id, payload),
                             after=payload)
            else:
                item.last_error = json.dumps(error.as_json(), ensure_ascii=False)
                if error.retryable and item.attempts < MAX_ATTEMPTS:
                    report.retry += 1
                else:
                    item.state = "failed"
                    report.failed += 1
    return report


def retry_failed_uploads(session: Session, *, shop_id: int) -> int:
    """The owner's retry after fixing the cause (a wrong carrier, a case the platform had not yet opened, say):
    failed rows of every kind go back to pending."""
    rows = session.execute(select(DouyinOutbox).where(DouyinOutbox.shop_id == shop_id,
                                                      DouyinOutbox.state == "failed")).scalars().all()
    for row in rows:
        row.state, row.attempts = "pending", 0
    return len(rows)
