"""After-sale sync (afterSale.List by update time, afterSale.Detail for one case) into the after-sales desk
through its idempotent snapshot upsert, so reason changes are recorded as history there (never edited here).

Field names read from the platform's after-sale record (an assumption where the public docs are vague, and what
the local fake serves): aftersale_id, order_id (SKU order), shop_order_id, aftersale_type, aftersale_status,
apply_time, update_time, status_deadline, refund_amount, refund_post_amount, aftersale_num, reason, reason_code,
reason_remark, evidence (list), return_logistics_code, close_by_buyer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ...aftersales import domain as as_domain
from ...aftersales.intake import CaseSnapshot, upsert_case
from ...aftersales.service import BuyerReason, deadlines_from
from ...db import transaction
from ...errors import DomainError, NotFound
from ...orders.intake import upsert_orders
from ...orders.models import Order
from ...privacy.crypto import PiiCipher
from .client import DouyinClient, DouyinError
from .mapping import MappingError, to_record
from .models import DouyinConnection
from .service import SYNC, record_error, require_connection
from .settle import settle_decisions
from .windows import plan_windows, sync_start

PAGE_SIZE = 100


def _time(value) -> datetime | None:
    try:
        seconds = int(value or 0)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def _whole(case: dict, field: str, what: str, limit: int = 10 ** 15) -> int:
    value = case.get(field)
    try:
        number = int(value or 0)
    except (TypeError, ValueError):
        raise MappingError(field, f"not {what}: {value!r}") from None
    if not 0 <= number <= limit:  # the desk's columns (amounts in fen, a quantity) cannot hold it
        raise MappingError(field, f"out of range: {value!r}")
    return number


def to_snapshot(case: dict, seen_at: datetime | None = None) -> CaseSnapshot:
    """Raises MappingError naming the field (never another exception: one malformed case is set aside by the
    caller, it does not stop the push inbox or the sync)."""
    if not isinstance(case, dict):
        raise MappingError("after_sale_info", "not an object")
    try:
        return _to_snapshot(case, seen_at)
    except MappingError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise MappingError("after_sale_info", f"unreadable ({type(exc).__name__}: {exc})"[:200]) from None


def _to_snapshot(case: dict, seen_at: datetime | None) -> CaseSnapshot:
    aftersale_id = str(case.get("aftersale_id") or "").strip()
    if not aftersale_id.isdigit():
        raise MappingError("aftersale_id", f"not an after-sale id: {case.get('aftersale_id')!r}")
    order_id = str(case.get("shop_order_id") or case.get("order_id") or "").strip()
    if not order_id.isdigit():
        raise MappingError("shop_order_id", "missing")
    try:
        kind = as_domain.TYPE_BY_CODE[int(case.get("aftersale_type"))]
    except (KeyError, TypeError, ValueError):
        raise MappingError("aftersale_type", f"unknown type {case.get('aftersale_type')!r}") from None
    try:
        status = as_domain.STATUS_BY_CODE[int(case.get("aftersale_status"))]
    except (KeyError, TypeError, ValueError):
        raise MappingError("aftersale_status", f"unknown status {case.get('aftersale_status')!r}") from None
    applied = _time(case.get("apply_time"))
    if applied is None:
        raise MappingError("apply_time", "missing")
    reason = None
    if case.get("reason"):
        evidence = case.get("evidence") or []
        if not isinstance(evidence, list):
            raise MappingError("evidence", "not a list")
        reason = BuyerReason(text=str(case["reason"]),
                             code=str(case["reason_code"]) if case.get("reason_code") else None,
                             remark=case.get("reason_remark") or None, evidence_count=len(evidence))
    sku = str(case.get("order_id") or "").strip()
    return CaseSnapshot(aftersale_id=aftersale_id, order_id=order_id, case_type=kind, status=status,
                        applied_at=applied, sku_order_id=sku or None,
                        reason=reason, refund_fen=_whole(case, "refund_amount", "an amount in fen"),
                        postage_fen=_whole(case, "refund_post_amount", "an amount in fen"),
                        quantity=(_whole(case, "aftersale_num", "a whole number", 2 ** 31 - 1)
                                  if case.get("aftersale_num") else None),
                        return_tracking_no=case.get("return_logistics_code") or None,
                        due_by=_time(case.get("status_deadline")), buyer_cancelled=bool(case.get("close_by_buyer")),
                        seen_at=seen_at or _time(case.get("update_time")))


@dataclass
class AfterSaleReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)


def _ensure_order(sessions, shop_id, client: DouyinClient, cipher, order_id: str, now) -> None:
    """An after-sale can arrive before its order reached the desk: fetch and upsert the order first."""
    with sessions() as session:
        if session.execute(select(Order.id).where(Order.shop_id == shop_id, Order.order_id == order_id)).first():
            return
    detail = client.call("order.orderDetail", {"shop_order_id": order_id}).get("shop_order_detail") or {}
    with transaction(sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[to_record(detail)], cipher=cipher, now=now, source="sync",
                      actor=SYNC.login)


def apply_case(sessions, *, shop_id: int, client: DouyinClient, cipher: PiiCipher, case: dict, now: datetime,
               settings, report: AfterSaleReport) -> None:
    """One platform case into the desk. DouyinError propagates (the caller retries); a case the desk refuses
    (stale, inconsistent) is reported by id."""
    try:
        snap = to_snapshot(case)
        _ensure_order(sessions, shop_id, client, cipher, snap.order_id, now)
        with transaction(sessions) as session:
            outcome = upsert_case(session, shop_id=shop_id, snap=snap, now=now, source="sync", principal=SYNC,
                                  rules=deadlines_from(settings))
            # a refused decision the merchant took in the back office: the platform's case shows it now
            settle_decisions(session, shop_id=shop_id, aftersale_id=snap.aftersale_id, platform_status=snap.status,
                             now=now)
        setattr(report, outcome, getattr(report, outcome) + 1)
    except MappingError as exc:  # the case or its order cannot be read: set aside by the caller, naming the field
        report.errors.append({"aftersale_id": _case_id(case), "code": exc.field, "field": exc.field, "msg": str(exc)})
    except DomainError as exc:
        report.errors.append({"aftersale_id": _case_id(case), "code": getattr(exc, "code", None), "msg": str(exc)})


def _case_id(case) -> str | None:
    value = case.get("aftersale_id") if isinstance(case, dict) else None
    return str(value) if value not in (None, "") else None


def sync_aftersales(sessions: sessionmaker[Session], *, shop_id: int, client: DouyinClient, cipher: PiiCipher,
                    now: datetime, settings, since: datetime | None = None) -> AfterSaleReport:
    """Windows by update time like the order sync, with its own cursor."""
    report = AfterSaleReport()
    with sessions() as session:
        cursor = require_connection(session, shop_id).aftersale_cursor
    start = sync_start(cursor, now, overlap=timedelta(minutes=settings.douyin_sync_overlap_minutes),
                       first_sync=timedelta(days=settings.douyin_first_sync_days), since=since)
    try:
        for window_start, window_end in plan_windows(start, now, timedelta(hours=settings.douyin_sync_window_hours)):
            page = 0
            while True:
                data = client.call("afterSale.List", {
                    "update_start_time": int(window_start.timestamp()), "update_end_time": int(window_end.timestamp()),
                    "page": page, "size": PAGE_SIZE, "order_by": ["update_time asc"]})
                items = data.get("items") or []
                for case in items:
                    before = len(report.errors)
                    try:
                        apply_case(sessions, shop_id=shop_id, client=client, cipher=cipher, case=case, now=now,
                                   settings=settings, report=report)
                    except (SQLAlchemyError, ValueError, OverflowError) as exc:  # the desk cannot store this case
                        cause = str(getattr(exc, "orig", None) or exc).splitlines()[0][:160]
                        report.errors.append({"aftersale_id": _case_id(case), "code": "after_sale_info",
                                              "field": "after_sale_info",
                                              "msg": f"the desk cannot store it ({type(exc).__name__}: {cause})"})
                    _set_aside_unreadable(sessions, shop_id, now, report.errors[before:])
                if not items or (page + 1) * PAGE_SIZE >= int(data.get("total") or 0):
                    break
                page += 1
            with transaction(sessions) as session:
                conn = session.execute(select(DouyinConnection).where(DouyinConnection.shop_id == shop_id)).scalar_one()
                conn.aftersale_cursor = max(conn.aftersale_cursor or window_end, window_end)
    except DouyinError as exc:
        report.errors.append(exc.as_json())
        record_error(sessions, shop_id=shop_id, error=exc, now=now)
    return report


def _set_aside_unreadable(sessions, shop_id: int, now: datetime, errors: list[dict]) -> None:
    """A case the desk cannot read is listed on the owner's status page with the field (push.set_aside)."""
    from .push import set_aside

    for error in errors:
        if error.get("field") and (error.get("aftersale_id") or "").isdigit():
            set_aside(sessions, shop_id=shop_id, now=now, aftersale_id=error["aftersale_id"][:40],
                      reason=f"problem: the platform's data cannot be read: {error['msg']}")


def fetch_case(client: DouyinClient, aftersale_id: str) -> dict:
    data = client.call("afterSale.Detail", {"after_sale_id": aftersale_id})
    process = data.get("process_info")
    case = process.get("after_sale_info") if isinstance(process, dict) else data.get("after_sale_info")
    if not case:
        raise NotFound(f"after-sale {aftersale_id}: the platform returned no case", code="aftersale_not_found")
    return case
