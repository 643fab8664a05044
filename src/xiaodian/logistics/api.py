"""Logistics API under /api/v1 (an order's tracking, the anomaly worklist, actions on a case) and the public
Kuaidi100 push endpoint POST /hooks/kuaidi100 (no login: its signature is the credential)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..web.body_limits import PUSH as PUSH_BODY
from ..accounts.service import Principal
from ..group_commit import committer_for
from ..orders.api import shop_of
from ..web.deps import db, get_ctx, require, shop_param
from ..web.i18n import current_language
from ..web.openapi import ERROR_RESPONSES
from . import kuaidi100, queries, service
from . import thresholds as shop_thresholds
from .domain import ACTIONS, AnomalyKind, Severity
from .tracking import ForgedPush, applying_now, apply_stored_once, check_push, store_push

router = APIRouter(prefix="/api/v1", tags=["logistics"], responses=ERROR_RESPONSES,
                    dependencies=[Depends(shop_param)])
# Past any list a shop can have, and within what every database's OFFSET takes (a larger one was a server error).
MAX_OFFSET = 1_000_000_000
hooks = APIRouter(tags=["hooks"], max_body_size=PUSH_BODY)  # web.body_limits: a push is a few KB


class EventOut(BaseModel):
    at: str | None
    location: str | None
    context: str
    state: str
    code: int | None
    source: str


class PackageOut(BaseModel):
    tracking_no: str
    carrier: str | None
    state: str
    state_since: str | None
    shipped_at: str | None
    last_event_at: str | None
    last_polled_at: str | None = Field(None, description="last successful Kuaidi100 query (null: never asked)")
    last_push_at: str | None
    subscription: str | None
    poll_error: str | None
    event_count: int
    watched: bool = Field(True, description="the desk still tracks it; false once the order is completed or "
                                              "cancelled. Unwatched with no scans: the parcel has no logistics state")
    events: list[EventOut] = []
    resend_of: str | None = Field(None, description="an after-sale re-send (补寄, exchange or repaired item): the "
                                                    "case's aftersale_id; null for the order's own parcel")


class AnomalyOut(BaseModel):
    id: str
    order_id: str | None
    tracking_no: str
    carrier: str | None
    kind: str
    severity: str = Field(description="warning | timeout | serious (time-based kinds: about to time out, timed out, "
                                      "seriously timed out); urgent | soon (refused, returned; problem parcel, "
                                      "delivery failed: needs action now, soon). urgent sorts with serious, soon "
                                      "with timeout")
    status: str
    detected_at: str | None
    evidence: str
    escalated_at: str | None = None
    closed_at: str | None = None
    closed_by: str | None = None
    ignored_until: str | None = None
    note: str | None = None
    parcel_state: str | None = None
    resend_of: str | None = Field(None, description="the parcel is an after-sale re-send (补寄): the case's "
                                                    "aftersale_id; null for the order's own parcel")


class TrackingOut(BaseModel):
    order_id: str
    status: str
    packages: list[PackageOut]
    anomalies: list[AnomalyOut]


class AnomalyListOut(BaseModel):
    total: int = Field(description="every matching case, not only this page's")
    parcels: int = Field(0, description="the distinct parcels among all the matching cases")
    offset: int = Field(0, description="cases skipped before this page (the request's offset)")
    anomalies: list[AnomalyOut]


class ActionIn(BaseModel):
    action: Literal["contacted_carrier", "told_buyer", "resolved", "ignored"]
    note: str | None = Field(None, max_length=500, description="required for ignored (the reason)")
    until: datetime | None = Field(None, description="ignored only: reopen then if still abnormal (ISO 8601; without an offset, shop time)")


@router.get("/orders/{order_id}/tracking", response_model=TrackingOut,
            summary="An order's packages with their tracking timelines (newest first) and anomalies")
def order_tracking(order_id: str, request: Request, principal: Principal = Depends(require("orders.read")),
                   session: Session = Depends(db, scope="function")):
    data = queries.order_tracking(session, shop_of(request), order_id, get_ctx(request).clock.now())
    for case in data["anomalies"]:
        case["order_id"] = data["order_id"]
    return data


@router.get("/anomalies", response_model=AnomalyListOut,
            summary="Logistics anomalies, most severe then oldest first (default: those being worked on)")
def anomalies(request: Request,
              status: str = Query("open", pattern="^(open|all|contacted_carrier|told_buyer|resolved|ignored)$"),
              kind: str | None = Query(None, pattern="^(" + "|".join(k.value for k in AnomalyKind) + ")$"),
              severity: str | None = Query(None, pattern="^(" + "|".join(s.value for s in Severity) + ")$"),
              carrier: str | None = Query(None, max_length=32), limit: int = Query(500, ge=1, le=5000),
              offset: int = Query(0, ge=0, le=MAX_OFFSET, description="cases to skip: the next page is at offset + "
                                                                      "limit, until offset reaches total"),
              principal: Principal = Depends(require("orders.read")), session: Session = Depends(db, scope="function")):
    flt = queries.AnomalyFilter(status=status, kind=kind, severity=severity, carrier=carrier, limit=limit,
                                offset=offset)
    return queries.list_anomalies(session, shop_of(request), flt, current_language.get())


@router.post("/anomalies/{anomaly_id}/actions", response_model=AnomalyOut,
             summary="Move a case: " + ", ".join(ACTIONS) + " (ignored needs a note; until optional)")
def act(anomaly_id: str, body: ActionIn, request: Request, principal: Principal = Depends(require("logistics.handle")),
        session: Session = Depends(db, scope="function")):
    shop_id = shop_of(request)
    service.act(session, shop_id=shop_id, anomaly_id=anomaly_id, action=body.action, principal=principal,
                now=get_ctx(request).clock.now(), note=body.note, until=body.until)
    case, parcel, order, _actions = queries.anomaly_detail(session, shop_id, anomaly_id)
    return queries.anomaly_json(case, parcel, current_language.get(), order.order_id,
                                queries.resend_of(session, [case.shipment_id]).get(case.shipment_id))


class ThresholdsIn(BaseModel):
    """Hours; give only the fields to change (the rest keep their values). Validated whole."""

    model_config = ConfigDict(extra="forbid")

    pickup_warning: float | None = Field(None, description="揽收超时 warning: hours after shipping, no pickup scan")
    pickup_timeout: float | None = None
    pickup_serious: float | None = None
    stalled_warning: float | None = Field(None, description="物流停滞 warning: hours after the last scan")
    stalled_timeout: float | None = None
    stalled_serious: float | None = None
    suspected_lost: float | None = Field(None, description="疑似丢失 (serious): hours after the last scan")
    locker_uncollected: float | None = Field(None, description="驿站超时未取 (timeout): hours at the locker/station")


class ThresholdsOut(BaseModel):
    thresholds: dict[str, float] = Field(description="the values the shop's anomaly scan uses, in hours")
    defaults: dict[str, float] = Field(description="the defaults (environment settings): assumptions")
    custom: bool = Field(description="true: the owner's own values; false: the defaults")
    defaults_are_assumptions: bool
    updated_at: str | None
    updated_by: str | None
    kinds: dict[str, dict[str, str]]
    maximum_hours: dict[str, float]
    minimum_hours: float


@router.get("/logistics/thresholds", response_model=ThresholdsOut,
            summary="The shop's anomaly thresholds (hours) and the defaults, which are assumptions")
def thresholds_get(request: Request, principal: Principal = Depends(require("orders.read")),
                   session: Session = Depends(db, scope="function")):
    return shop_thresholds.view(session, shop_of(request), get_ctx(request).settings).as_json()


@router.put("/logistics/thresholds", response_model=ThresholdsOut,
            summary="Owners: change some or all anomaly thresholds (validated whole: positive, under a maximum, "
                    "increasing); audited; the next scan applies them to every watched parcel")
def thresholds_put(body: ThresholdsIn, request: Request, principal: Principal = Depends(require("settings.manage")),
                   session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    return shop_thresholds.update_thresholds(
        session, shop_id=shop_of(request), changes=body.model_dump(exclude_none=True), principal=principal,
        now=ctx.clock.now(), settings=ctx.settings).as_json()


@router.delete("/logistics/thresholds", response_model=ThresholdsOut,
               summary="Owners: back to the default thresholds (assumptions); audited")
def thresholds_reset(request: Request, principal: Principal = Depends(require("settings.manage")),
                     session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    return shop_thresholds.reset_thresholds(session, shop_id=shop_of(request), principal=principal,
                                            now=ctx.clock.now(), settings=ctx.settings).as_json()


@hooks.post("/hooks/kuaidi100", summary="Kuaidi100 push (form: param, sign = MD5(param + salt)); no login",
            responses={403: {"description": "bad signature, or pushes not configured: nothing stored"}})
async def kuaidi100_push(request: Request, background: BackgroundTasks):
    """Check the signature, store the raw push (grouped with concurrent pushes into one commit), answer once it
    is committed, then apply it to the parcel after the reply."""
    ctx = get_ctx(request)
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    param, sign = form.get("param", ""), form.get("sign", "")
    try:
        check_push(param, sign, ctx.settings.kuaidi100_salt)
    except ForgedPush:
        return JSONResponse({"result": False, "returnCode": "403", "message": "签名错误 bad sign"}, status_code=403)
    now = ctx.clock.now()
    await committer_for(request.app.state, ctx.sessions).run(
        partial(store_push, shop_id=shop_of(request), param=param, sign=sign, now=now))
    if not applying_now():
        background.add_task(run_in_threadpool, partial(apply_stored_once, ctx.sessions, now, batch=20, max_batches=5,
                                                         yield_ratio=1.0))
    return JSONResponse(dict(kuaidi100.REPLY_OK))
