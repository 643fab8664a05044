"""Live tracking use cases: receive a Kuaidi100 push (check the signature, store the raw payload, then apply it),
subscribe new waybills, and poll the ones that are due. Called by the hook route and the poll job.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..db import claim_writer
from ..orders.models import Order
from . import kuaidi100
from .ingest import find_parcels, record_scans
from .models import Kuaidi100Push, Parcel

log = logging.getLogger("xiaodian.logistics.tracking")
POLL_BATCH = 50


class ForgedPush(Exception):
    """The signature does not match: nothing is stored and the caller gets a 4xx."""


def check_push(param: str, sign: str, salt: str | None) -> None:
    """Raises ForgedPush when the signature does not match (or pushes are not configured): nothing is stored."""
    if not kuaidi100.push_sign_ok(param, sign, salt):
        raise ForgedPush("bad signature")


def store_push(session: Session, *, shop_id: int, param: str, sign: str, now: datetime) -> None:
    """The raw payload, before anything else is done with it (the hook answers once this is committed;
    ``apply_stored`` turns it into scans right after, and the tracking job replays anything left over)."""
    session.add(Kuaidi100Push(shop_id=shop_id, received_at=now, param=param, sign=sign.strip()[:64]))


def apply_push(session: Session, shop_id: int, param: str, now: datetime) -> str:
    push = kuaidi100.read_push(param)
    if push.tracking is None or not push.tracking.nu:
        return f"{push.status}: no lastResult"
    parcels = find_parcels(session, shop_id, push.tracking.nu.strip().upper(), now)
    if not parcels:
        return f"unknown waybill {push.tracking.nu}"
    added = 0
    for parcel in parcels:
        added += record_scans(session, parcel, push.tracking.scans, source="push", now=now)
        values = {"last_push_at": now, "subscription": push.status or parcel.subscription}
        if push.status in ("abort", "shutdown"):
            values["subscription_message"] = push.message[:200] or None
        session.execute(update(Parcel).where(Parcel.shipment_id == parcel.shipment_id).values(**values))
    return f"{push.status}: {added} new scans"


def apply_stored(sessions: sessionmaker[Session], now: datetime, *, batch: int = 100,
                 max_batches: int = 50, yield_ratio: float = 0.0) -> int:
    """Apply stored pushes not applied yet, oldest first, in short transactions (the hook's writes must not
    wait long behind them). A push that fails to apply keeps its error on the raw row and is tried again on the
    next run; it does not hold up the ones behind it.

    ``yield_ratio``: after each batch, pause for that share of the time the batch took. Applying a push costs
    several times what storing it does; run inside the web process during a burst, the pause leaves the process
    free to keep accepting pushes (the carrier's retries are what a slow answer costs), and the backlog drains
    when the burst ends."""
    done, after_id = 0, 0
    for _ in range(max_batches):
        started = time.perf_counter()
        with sessions.begin() as session:
            claim_writer(session)
            rows = list(session.execute(
                select(Kuaidi100Push).where(Kuaidi100Push.processed_at.is_(None), Kuaidi100Push.id > after_id)
                .order_by(Kuaidi100Push.id).limit(batch)).scalars())
            for raw in rows:
                try:
                    with session.begin_nested():
                        raw.outcome = apply_push(session, raw.shop_id, raw.param, now)[:200]
                    raw.processed_at = now
                    done += 1
                except Exception as exc:  # kept raw for the next run; the carrier already has its answer
                    log.exception("push %s could not be applied", raw.id)
                    raw.outcome = f"error: {type(exc).__name__}: {exc}"[:200]
        if len(rows) < batch:
            break
        after_id = rows[-1].id
        if yield_ratio:
            time.sleep((time.perf_counter() - started) * yield_ratio)
    return done


_applying = threading.Lock()


def applying_now() -> bool:
    return _applying.locked()


def apply_stored_once(sessions: sessionmaker[Session], now: datetime, *, batch: int = 100, max_batches: int = 50,
                      yield_ratio: float = 0.0) -> int:
    """``apply_stored`` unless this process is already at it (a burst of pushes schedules many calls; the
    running one picks up what arrives meanwhile, the next push after it starts another, and the tracking job
    catches anything left when a burst ends)."""
    if not _applying.acquire(blocking=False):
        return 0
    try:
        return apply_stored(sessions, now, batch=batch, max_batches=max_batches, yield_ratio=yield_ratio)
    finally:
        _applying.release()


@dataclass
class PollReport:
    queried: int = 0
    new_scans: int = 0
    failed: int = 0
    subscribed: int = 0
    skipped_reason: str | None = None

    def as_json(self) -> dict:
        return asdict(self)


def poll_due(sessions: sessionmaker[Session], client: kuaidi100.Client, *, shop_id: int, now: datetime,
             limit: int = POLL_BATCH) -> PollReport:
    """Query the waybills that are due: not final, not followed by a live subscription, and whose next poll
    time has come (30 minutes at the least after the last query; longer after errors)."""
    report = PollReport()
    if not client.configured:
        report.skipped_reason = "kuaidi100 not configured"
        return report
    with sessions() as session:
        due = session.execute(
            select(Parcel.shipment_id, Parcel.carrier_code, Parcel.tracking_no, Order.phone_masked)
            .join(Order, Order.id == Parcel.order_pk)
            .where(Parcel.shop_id == shop_id, Parcel.is_final.is_(False), Parcel.watch.is_(True),
                   Parcel.carrier_code.is_not(None),
                   or_(Parcel.subscription.is_(None), Parcel.subscription.in_(("failed", "abort"))),
                   or_(Parcel.next_poll_at.is_(None), Parcel.next_poll_at <= now))
            .order_by(Parcel.next_poll_at.is_not(None), Parcel.next_poll_at).limit(limit)).all()
    for shipment_id, carrier, number, phone in due:
        phone_hint = kuaidi100.phone_hint(phone) if carrier in kuaidi100.PHONE_CARRIERS else None
        try:
            result = client.query(carrier, number, phone_hint)
        except (kuaidi100.Kuaidi100Error, OSError) as exc:
            _failed(sessions, shipment_id, now, exc)
            report.failed += 1
            continue
        report.queried += 1
        with sessions.begin() as session:
            parcel = session.get(Parcel, shipment_id)
            report.new_scans += record_scans(session, parcel, result.scans, source="poll", now=now)
            session.execute(update(Parcel).where(Parcel.shipment_id == shipment_id).values(
                last_polled_at=now, poll_failures=0, poll_error=None,
                next_poll_at=None if parcel.is_final else now + kuaidi100.POLL_INTERVAL))
    return report


def _failed(sessions, shipment_id: int, now: datetime, exc: Exception) -> None:
    locked = isinstance(exc, kuaidi100.Kuaidi100Error) and exc.locked
    with sessions.begin() as session:
        parcel = session.get(Parcel, shipment_id)
        failures = (parcel.poll_failures or 0) + 1
        parcel.poll_failures = min(failures, 30000)
        parcel.poll_error = str(exc)[:200]
        parcel.next_poll_at = now + kuaidi100.backoff(failures, locked)


def subscribe_new(sessions: sessionmaker[Session], client: kuaidi100.Client, *, shop_id: int, now: datetime,
                  limit: int = POLL_BATCH) -> int:
    """Subscribe watched waybills not yet subscribed, when a callback URL and salt are configured."""
    if not (client.configured and client.callback and client.salt):
        return 0
    with sessions() as session:
        rows = session.execute(
            select(Parcel.shipment_id, Parcel.carrier_code, Parcel.tracking_no, Order.phone_masked)
            .join(Order, Order.id == Parcel.order_pk)
            .where(Parcel.shop_id == shop_id, Parcel.subscription.is_(None), Parcel.is_final.is_(False),
                   Parcel.watch.is_(True), Parcel.carrier_code.is_not(None)).limit(limit)).all()
    done = 0
    for shipment_id, carrier, number, phone in rows:
        hint = kuaidi100.phone_hint(phone) if carrier in kuaidi100.PHONE_CARRIERS else None
        try:
            client.subscribe(carrier, number, hint)
            values = {"subscription": "subscribed", "subscribed_at": now, "subscription_message": None}
            done += 1
        except (kuaidi100.Kuaidi100Error, OSError) as exc:
            values = {"subscription": "failed", "subscription_message": str(exc)[:200]}
        with sessions.begin() as session:
            session.execute(update(Parcel).where(Parcel.shipment_id == shipment_id).values(**values))
    return done


def last_successful_poll(session: Session, shop_id: int) -> datetime | None:
    from sqlalchemy import func

    return session.execute(select(func.max(Parcel.last_polled_at)).where(Parcel.shop_id == shop_id)).scalar()
