"""The push receiver (POST /hooks/douyin) and the inbox processor (domain.md §5).

Receive: verify ``event-sign`` against the shop's app secret, store the raw batch and one inbox row per new
msg_id in one transaction, and only then answer ``{"code":0,"msg":"success"}``; the platform re-sends anything
it did not hear success for, so storing first is what makes a push impossible to lose. A forged batch is refused
before anything is written.

Process: order tags fetch the order's current detail and go through the same idempotent upsert as the file
import, so a duplicate or a late message just finds the order already in that state; failures are retried with
back-off and end, after ``MAX_ATTEMPTS``, as ``failed`` on the owner's status page (never dropped). After-sale
tags (200–209) fetch the case's detail into the after-sales desk the same way.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ...accounts import audit
from ...db import insert_ignore, transaction
from ...errors import NotFound
from ...orders.intake import upsert_orders
from ...privacy.crypto import PiiCipher
from .client import DouyinClient, DouyinError
from .mapping import MappingError, to_record
from .models import DouyinInbox, DouyinPushBatch
from .push_refusals import REFUSALS, printable
from .service import SYNC, connection_by_app_key
from .signing import event_sign_ok
from .timeline import record_ship_by_moves, ship_by_before

log = logging.getLogger("xiaodian.douyin.push")
REPLY_OK = {"code": 0, "msg": "success"}
ORDER_TAGS = frozenset({str(t) for t in range(100, 111)} | {"126"})
AFTERSALE_TAGS = frozenset(str(t) for t in range(200, 210))
MAX_ATTEMPTS = 8
SYNC_TAG = "sync"  # not a platform tag: an order or after-sale the sync set aside (see set_aside)


class ForgedPush(Exception):
    """Unknown app-id or a wrong event-sign: answered 4xx, nothing stored."""


class UnknownApp(ForgedPush):
    """The app-id header names no connected app: a push meant for another app, or a wrong app key here."""


def retry_at(attempts: int, now: datetime) -> datetime:
    """1, 2, 4 … minutes after each failure, at most an hour apart."""
    return now + timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _messages(raw_body: bytes) -> tuple[list[dict], str | None]:
    try:
        body = json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return [], f"not JSON: {exc}"[:200]
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list):
        return [], "not a JSON array of messages"
    out = []
    for item in body:
        if not isinstance(item, dict) or not item.get("msg_id"):
            continue
        data = item.get("data")
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        try:
            parsed = json.loads(text) if isinstance(data, str) else (data or {})
        except ValueError:
            parsed = {}
        pid = parsed.get("p_id") if isinstance(parsed, dict) else None
        out.append({"msg_id": str(item["msg_id"])[:64], "tag": str(item.get("tag") or "")[:8], "data": text,
                    "order_id": str(pid)[:32] if pid not in (None, "") else None})
    return out, None


_CREDENTIALS: dict[str, tuple[float, tuple[int, str, str]]] = {}
CREDENTIALS_TTL = timedelta(seconds=30)  # a changed secret is honoured within this time
# The cache's age is measured on the machine's monotonic clock, never the desk's: under XIAODIAN_NOW (demos, tests,
# replays) the desk's clock stands still, and a secret rotated by another process was never picked up.
_monotonic = time.monotonic


def _fresh(stamp: float) -> bool:
    return 0 <= _monotonic() - stamp < CREDENTIALS_TTL.total_seconds()


def _credentials(sessions, cipher: PiiCipher, app_id: str, now: datetime) -> tuple[int, str, str]:
    """(shop id, app key, app secret) for the app-id header, cached briefly: a burst of pushes should not read
    and decrypt the same row for each one."""
    cached = _CREDENTIALS.get(app_id)
    if cached is not None and _fresh(cached[0]):
        return cached[1]
    with sessions() as session:
        conn = connection_by_app_key(session, app_id) if app_id else None
        if conn is None:
            raise UnknownApp("unknown app-id")
        found = (conn.shop_id, conn.app_key, cipher.decrypt("douyin_app_secret", conn.app_secret_enc) or "")
    _CREDENTIALS[app_id] = (_monotonic(), found)
    return found


def cached_shop_for(app_id: str | None, now: datetime) -> int | None:
    """The shop of a recently seen app-id without touching the database (the hook checks this first so that a
    burst of pushes verifies in the event loop)."""
    cached = _CREDENTIALS.get((app_id or "").strip())
    if cached is not None and _fresh(cached[0]):
        return cached[1][0]
    return None


def verify(sessions: sessionmaker[Session], *, app_id: str | None, sign: str | None, raw_body: bytes,
           cipher: PiiCipher, now: datetime) -> int:
    """The shop the push is for; raises ForgedPush (unknown app-id, wrong event-sign) before anything is stored.
    Each cause is logged and counted apart for the status page (push_refusals.py)."""
    app_id = (app_id or "").strip()
    try:
        shop_id, app_key, secret = _credentials(sessions, cipher, app_id, now)
    except UnknownApp:
        REFUSALS.for_other_app(app_id, now)
        raise
    if not event_sign_ok(app_key, raw_body, secret, sign):
        REFUSALS.for_bad_sign(shop_id, app_id, now)
        raise ForgedPush("bad event-sign")
    return shop_id


def store(session: Session, *, shop_id: int, raw_body: bytes, now: datetime) -> int:
    """The raw batch and one inbox row per new msg_id (a msg_id seen before is skipped: the platform re-sends).
    Returns the number of new messages. The hook answers success only once this is committed."""
    messages, error = _messages(raw_body)
    batches = DouyinPushBatch.__table__
    batch_id = session.execute(insert(batches).returning(batches.c.id), {
        "shop_id": shop_id, "received_at": now, "raw_body": raw_body.decode("utf-8", "replace"),
        "messages": len(messages), "new_messages": 0, "error": error}).scalar_one()
    rows = [dict(m, shop_id=shop_id, batch_id=batch_id, received_at=now, state="pending", attempts=0,
                 next_attempt_at=None, processed_at=None, outcome=None) for m in messages]
    new_messages = len(insert_ignore(session, DouyinInbox.__table__, rows))  # a msg_id seen before is skipped
    if new_messages:
        session.execute(update(batches).where(batches.c.id == batch_id).values(new_messages=new_messages))
    elif messages and error is None:
        # A replay (every msg_id seen before) changes nothing: its raw body is not kept again, so replaying a captured
        # batch does not grow the database. Deleted in the same transaction, which is race-free against a concurrent
        # copy of the same batch (whichever stored the messages keeps its row).
        session.execute(delete(batches).where(batches.c.id == batch_id))
    # No write to the connection row here: every push would queue on that one row. The status page reads
    # the last push from the newest batch instead.
    return new_messages


def receive(sessions: sessionmaker[Session], *, app_id: str | None, sign: str | None, raw_body: bytes,
            cipher: PiiCipher, now: datetime) -> tuple[dict, int]:
    """Verify and store in a transaction of its own (the hook groups concurrent pushes into one commit
    instead). Returns the reply and the shop it was for. Raises ForgedPush with nothing stored."""
    shop_id = verify(sessions, app_id=app_id, sign=sign, raw_body=raw_body, cipher=cipher, now=now)
    with transaction(sessions) as session:
        store(session, shop_id=shop_id, raw_body=raw_body, now=now)
    return dict(REPLY_OK), shop_id


@dataclass
class PushReport:
    applied: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    ignored: int = 0
    orders: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})

    def as_json(self) -> dict:
        return asdict(self)


def process_pending(sessions: sessionmaker[Session], *, shop_id: int, client: DouyinClient, cipher: PiiCipher,
                    now: datetime, limit: int = 500, settings=None) -> PushReport:
    """Applies due inbox messages. One order detail per order however many messages name it."""
    report = PushReport()
    with sessions() as session:
        due = session.execute(
            select(DouyinInbox.id, DouyinInbox.tag, DouyinInbox.order_id, DouyinInbox.data)
            .where(DouyinInbox.shop_id == shop_id, DouyinInbox.state == "pending",
                   or_(DouyinInbox.next_attempt_at.is_(None), DouyinInbox.next_attempt_at <= now))
            .order_by(DouyinInbox.id).limit(limit)).all()
    by_order: dict[str, list[int]] = {}
    by_case: dict[str | None, list[int]] = {}
    unused: dict[str, list[int]] = {}
    elsewhere: dict[str, list[int]] = {}
    no_order: list[int] = []
    own = getattr(client, "shop_id", None)  # the Douyin shop every fetch below reads from
    for row in due:
        other = other_shop(row.data, own) if row.tag != SYNC_TAG else None
        if other is not None:
            elsewhere.setdefault(other, []).append(row.id)
        elif row.tag in ORDER_TAGS and row.order_id or row.tag == SYNC_TAG and row.order_id:
            by_order.setdefault(row.order_id, []).append(row.id)
        elif row.tag in ORDER_TAGS:  # an order message the desk cannot attribute: a problem, not an unused tag
            no_order.append(row.id)
        elif row.tag in AFTERSALE_TAGS or row.tag == SYNC_TAG:
            by_case.setdefault(_aftersale_id(row.data), []).append(row.id)
        else:
            unused.setdefault(row.tag, []).append(row.id)
    for tag, ids in unused.items():
        _finish(sessions, ids, "ignored", f"tag {tag} is not used by the desk", now)
        report.ignored += len(ids)
    for other, ids in elsewhere.items():
        log.warning("douyin: %s push message(s) for Douyin shop %s ignored: desk shop %s is connected to Douyin "
                    "shop %s", len(ids), other, shop_id, own)
        _finish(sessions, ids, "ignored", other_shop_outcome(other, own), now)
        report.ignored += len(ids)
    if no_order:
        _finish(sessions, no_order, "failed", problem(MappingError("p_id", "an order message without p_id")), now)
        report.failed += len(no_order)
    for order_id, ids in by_order.items():
        # One message's trouble stays with it: a malformed order is set aside at once as a problem naming the
        # field, a platform error or anything unforeseen is retried with back-off; the other orders carry on.
        try:
            detail = client.call("order.orderDetail", {"shop_order_id": order_id}).get("shop_order_detail") or {}
            record = to_record(detail)
            with transaction(sessions) as session:
                before = ship_by_before(session, shop_id, [order_id])
                result = upsert_orders(session, shop_id=shop_id, records=[record], cipher=cipher, now=now,
                                       source="sync", actor=SYNC.login)
                record_ship_by_moves(session, shop_id, before, now=now, actor=SYNC.login)
                outcome = (f"kept desk state: {result.rejected[0].message}" if result.rejected
                           else "created" if result.created else "updated" if result.updated else "unchanged")
                _mark(session, ids, "done", outcome, now)
                if result.created or result.updated:
                    audit.record(session, principal=SYNC, action="douyin.push.apply", now=now, shop_id=shop_id,
                                 target_type="order", target_id=order_id, after={"status": record.status.value},
                                 detail={"messages": len(ids), "outcome": outcome})
        except MappingError as exc:
            _finish(sessions, ids, "failed", problem(exc), now)
            report.failed += len(ids)
            continue
        except Exception as exc:  # noqa: BLE001 - DouyinError or unforeseen: this order only, retried later
            if not isinstance(exc, DouyinError):
                log.exception("douyin push for order %s failed", order_id)
            if _fail(sessions, ids, _error_text(exc), now):
                report.failed += len(ids)
            else:
                report.retried += len(ids)
            continue
        for name in ("created", "updated", "unchanged"):
            report.orders[name] += getattr(result, name)
        report.applied += len(ids)
    for aftersale_id, ids in by_case.items():
        try:
            _apply_aftersale(sessions, shop_id, client, cipher, now, settings, aftersale_id, ids, report)
        except Exception as exc:  # noqa: BLE001 - unforeseen: this case only, retried later
            log.exception("douyin push for after-sale %s failed", aftersale_id)
            if _fail(sessions, ids, _error_text(exc), now):
                report.failed += len(ids)
            else:
                report.retried += len(ids)
    return report


OTHER_SHOP = "another shop: "  # the outcome's start, which the status page counts


def other_shop(data: str, own: str | None) -> str | None:
    """The Douyin shop a message's ``data.shop_id`` names when it is not ``own``, the connected shop; None when it
    names this shop, or none (then the message is taken as this shop's, as before).

    Such a message is ignored rather than applied (QA pass 14, #15): a push only says that something changed, and
    the desk reads the change from the platform with this shop's token (domain.md §5). For another shop's order that
    read either fails (retried for hours, then a problem the owner cannot fix) or, if the platform answered, would
    write another store's order into this shop. Ignoring loses nothing of this shop: pushes can be lost anyway, and
    the sync by update_time fetches every order of the connected shop."""
    if not own:
        return None
    value = _data(data).get("shop_id")
    if value in (None, "") or isinstance(value, (dict, list)):
        return None
    named = printable(str(value), 40)
    return named if named and named != str(own) else None


def other_shop_outcome(other: str, own: str | None) -> str:
    return f"{OTHER_SHOP}for Douyin shop {other}, not the connected Douyin shop {own}"


def problem(exc: MappingError) -> str:
    """The outcome of a message (or a synced order) the desk cannot read: set aside, naming the field."""
    return f"problem: the platform's data cannot be read: {exc}"


def _error_text(exc: Exception) -> str:
    return str(exc) if isinstance(exc, DouyinError) else f"{type(exc).__name__}: {exc}"


SET_ASIDE = "set aside by the sync (not a push)"  # the error of the stand-in batch of a sync problem


def set_aside(sessions: sessionmaker[Session], *, shop_id: int, now: datetime, reason: str,
              order_id: str | None = None, aftersale_id: str | None = None) -> None:
    """An order or after-sale the sync could not read becomes a failed inbox message (tag ``sync``) beside the
    push problems: the owner's status page lists it with its reason, and its retry fetches the detail again.
    One message per order or case: a later sync meeting it again only refreshes the reason."""
    key = f"sync:{order_id}" if order_id else f"sync:as:{aftersale_id}"
    data = json.dumps({"p_id": order_id} if order_id else {"aftersale_id": aftersale_id})
    with transaction(sessions) as session:
        row = session.execute(select(DouyinInbox).where(DouyinInbox.shop_id == shop_id,
                                                        DouyinInbox.msg_id == key)).scalar_one_or_none()
        if row is None:
            batches = DouyinPushBatch.__table__
            batch_id = session.execute(insert(batches).returning(batches.c.id), {
                "shop_id": shop_id, "received_at": now, "raw_body": "", "messages": 1, "new_messages": 1,
                "error": SET_ASIDE}).scalar_one()
            row = DouyinInbox(shop_id=shop_id, batch_id=batch_id, msg_id=key, tag=SYNC_TAG, data=data,
                              order_id=order_id, received_at=now, attempts=0)
            session.add(row)
        row.state, row.outcome, row.processed_at, row.next_attempt_at = "failed", reason[:300], now, None


def _data(data: str | None) -> dict:
    """A message's data as an object ({} when it is not one)."""
    try:
        parsed = json.loads(data or "")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _aftersale_id(data: str) -> str | None:
    value = _data(data).get("aftersale_id")
    return str(value) if value not in (None, "") else None


def _apply_aftersale(sessions, shop_id, client, cipher, now, settings, aftersale_id, ids, report) -> None:
    """Tags 200–209: the case's current detail into the after-sales desk (which keeps reason history)."""
    from .aftersales_sync import AfterSaleReport, apply_case, fetch_case

    if aftersale_id is None:
        _finish(sessions, ids, "ignored", "after-sale message without aftersale_id", now)
        report.ignored += len(ids)
        return
    result = AfterSaleReport()
    try:
        case = fetch_case(client, aftersale_id)
        apply_case(sessions, shop_id=shop_id, client=client, cipher=cipher, case=case, now=now, settings=settings,
                   report=result)
    except (DouyinError, MappingError, NotFound) as exc:
        if _fail(sessions, ids, str(exc), now):
            report.failed += len(ids)
        else:
            report.retried += len(ids)
        return
    if result.errors and result.errors[0].get("field"):
        _finish(sessions, ids, "failed", problem(MappingError(result.errors[0]["field"],
                                                              result.errors[0]["msg"].split(": ", 1)[-1])), now)
        report.failed += len(ids)
        return
    if result.errors:
        _finish(sessions, ids, "done", f"kept desk state: {result.errors[0]['msg']}", now)
    else:
        outcome = "created" if result.created else "updated" if result.updated else "unchanged"
        _finish(sessions, ids, "done", f"after-sale {outcome}", now)
    report.applied += len(ids)


def _mark(session: Session, ids: list[int], state: str, outcome: str, now: datetime) -> None:
    """One UPDATE for the lot (a burst of pushes marks hundreds of messages at a time)."""
    session.execute(update(DouyinInbox).where(DouyinInbox.id.in_(ids)).values(
        state=state, outcome=outcome[:300], processed_at=now, attempts=DouyinInbox.attempts + 1),
        execution_options={"synchronize_session": False})


def _finish(sessions, ids, state, outcome, now) -> None:
    with transaction(sessions) as session:
        _mark(session, ids, state, outcome, now)


def _fail(sessions, ids: list[int], error: str, now: datetime) -> bool:
    """Schedules another attempt, or gives up after MAX_ATTEMPTS. True when the messages are now failed."""
    gave_up = False
    with transaction(sessions) as session:
        for row in session.execute(select(DouyinInbox).where(DouyinInbox.id.in_(ids))).scalars():
            row.attempts += 1
            row.outcome = f"error: {error}"[:300]
            if row.attempts >= MAX_ATTEMPTS:
                row.state, gave_up = "failed", True
            else:
                row.next_attempt_at = retry_at(row.attempts, now)
    return gave_up


# Raw push batches and handled messages (they may hold buyer data) are kept this long.
PUSH_RETENTION = timedelta(days=7)


def prune(sessions: sessionmaker[Session], *, shop_id: int, now: datetime, batch: int = 5000) -> int:
    """Deletes handled inbox messages (done, ignored) received more than PUSH_RETENTION ago and the raw batches left
    without messages that old; pending and failed messages and their batches stay until handled. Run hourly by the
    reconcile job. Returns the batches deleted. A msg_id pruned this way could be applied once more if the platform
    re-sent it after a week; applying is idempotent (the order's current detail), so that changes nothing."""
    cutoff = now - PUSH_RETENTION
    removed = 0
    while True:
        with transaction(sessions) as session:
            ids = session.execute(select(DouyinInbox.id).where(
                DouyinInbox.shop_id == shop_id, DouyinInbox.state.in_(("done", "ignored")),
                DouyinInbox.received_at < cutoff).limit(batch)).scalars().all()
            if ids:
                session.execute(delete(DouyinInbox).where(DouyinInbox.id.in_(ids)),
                                execution_options={"synchronize_session": False})
        if len(ids) < batch:
            break
    while True:
        with transaction(sessions) as session:
            held = select(DouyinInbox.batch_id).where(DouyinInbox.batch_id == DouyinPushBatch.id).exists()
            ids = session.execute(select(DouyinPushBatch.id).where(
                DouyinPushBatch.shop_id == shop_id, DouyinPushBatch.received_at < cutoff, ~held)
                .limit(batch)).scalars().all()
            if ids:
                session.execute(delete(DouyinPushBatch).where(DouyinPushBatch.id.in_(ids)),
                                execution_options={"synchronize_session": False})
        removed += len(ids)
        if len(ids) < batch:
            return removed


def retry_failed(session: Session, *, shop_id: int, now: datetime) -> int:
    """Owner's "retry" for messages that gave up: back to pending, due now."""
    rows = session.execute(select(DouyinInbox).where(DouyinInbox.shop_id == shop_id,
                                                     DouyinInbox.state == "failed")).scalars().all()
    for row in rows:
        row.state, row.attempts, row.next_attempt_at = "pending", 0, now
    return len(rows)
