"""Douyin API: the public push endpoint POST /hooks/douyin (no login: the event-sign is the credential), the
connection's status and settings under /api/v1/douyin (owners: settings.manage)."""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from datetime import date, datetime
from functools import partial

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ...web.body_limits import PUSH as PUSH_BODY
from ...accounts.service import Principal
from ...clock import iso
from ...group_commit import committer_for
from ...orders.api import shop_of
from ...web.deps import db, get_ctx, require, shop_param
from ...web.openapi import CSV_OR_XLSX_FILE, ERROR_RESPONSES
from . import service
from .credentials import connect_checked
from .export_request import ExportIn, order_filter
from .orders_export import MEDIA
from .push import REPLY_OK, ForgedPush, cached_shop_for, process_pending, store, verify

log = logging.getLogger("xiaodian.douyin.api")
router = APIRouter(prefix="/api/v1/douyin", tags=["douyin"], responses=ERROR_RESPONSES,
                    dependencies=[Depends(shop_param)])
hooks = APIRouter(tags=["hooks"], max_body_size=PUSH_BODY)  # web.body_limits: a push batch is a few KB


_processing: dict[int, threading.Lock] = {}
GATHER_SECONDS = 0.05  # a run waits this long first, so a burst of pushes is processed in a few runs, not one each


def process_inbox(ctx, shop_id: int) -> None:
    """Applies what was just stored; anything that fails stays in the inbox for the retry job. One run per shop
    at a time in this process: a push arriving meanwhile is picked up by the running loop, so a burst of pushes
    does not become a burst of competing writers."""
    lock = _processing.setdefault(shop_id, threading.Lock())
    if not lock.acquire(blocking=False):
        return
    try:
        time.sleep(GATHER_SECONDS)
        client = service.shared_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher,
                                       clock=ctx.clock)
        for _ in range(20):
            report = process_pending(ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher,
                                     now=ctx.clock.now(), settings=ctx.settings)
            if not (report.applied or report.ignored or report.retried or report.failed):
                break
    except Exception as exc:  # noqa: BLE001 - the platform already has its answer; the job retries
        log.exception("douyin inbox processing failed for shop %s", shop_id)
        service.record_error(ctx.sessions, shop_id=shop_id, error=exc, now=ctx.clock.now())
    finally:
        lock.release()


@hooks.post("/hooks/douyin", summary="Douyin push (JSON array; headers app-id, event-sign = md5(app_key + body + "
            "app_secret)); no login", responses={403: {"description": "unknown app-id or bad event-sign: nothing stored"}})
async def douyin_push(request: Request, background: BackgroundTasks):
    """Verify, store the raw batch and its messages (grouped with concurrent pushes into one commit), answer
    success once committed, then process the inbox after the reply."""
    ctx = get_ctx(request)
    raw = await request.body()
    now = ctx.clock.now()
    app_id, sign = request.headers.get("app-id"), request.headers.get("event-sign")
    try:
        if cached_shop_for(app_id, now) is not None:  # credentials in memory: no thread hop for a md5
            shop_id = verify(ctx.sessions, app_id=app_id, sign=sign, raw_body=raw, cipher=ctx.cipher, now=now)
        else:
            shop_id = await run_in_threadpool(verify, ctx.sessions, app_id=app_id, sign=sign, raw_body=raw,
                                              cipher=ctx.cipher, now=now)
    except ForgedPush:
        return JSONResponse({"code": 403, "msg": "event-sign 校验失败 bad signature"}, status_code=403)
    await committer_for(request.app.state, ctx.sessions).run(partial(store, shop_id=shop_id, raw_body=raw, now=now))
    lock = _processing.get(shop_id)
    if lock is None or not lock.locked():  # a running loop picks this batch up; no thread hop to find that out
        background.add_task(run_in_threadpool, process_inbox, ctx, shop_id)
    return JSONResponse(dict(REPLY_OK))


class ConnectIn(BaseModel):
    shop_id: str = Field(description="the Douyin shop id (店铺 ID), digits")
    app_key: str
    app_secret: str = Field(description="stored encrypted; never returned")
    name: str | None = None


class WriteSwitchIn(BaseModel):
    write_enabled: bool


def _status_out(value):
    """The status with every time in shop time (+08:00), as every other endpoint gives them: the stored ones came back
    in UTC (QA 5 E17). The status page formats the same datetimes itself."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {key: _status_out(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_status_out(item) for item in value]
    return value


@router.get("/status", summary="Connection status: token expiry, last sync and push, lag, inbox, recent errors")
def get_status(request: Request, principal: Principal = Depends(require("settings.manage")),
               session: Session = Depends(db, scope="function")):
    return _status_out(service.status(session, shop_id=shop_of(request), now=get_ctx(request).clock.now()))


@router.put("/connection", summary="Connect the shop (self-use app key and secret, checked with the platform first: "
            "422 douyin_credentials_refused names the field it refused; when it cannot be reached the connection is "
            "saved with credentials_checked false)")
def put_connection(request: Request, body: ConnectIn, principal: Principal = Depends(require("settings.manage")),
                   session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    connect_checked(session, settings=ctx.settings, shop_id=shop_of(request), platform_shop_id=body.shop_id,
                    app_key=body.app_key, app_secret=body.app_secret, cipher=ctx.cipher, principal=principal,
                    clock=ctx.clock, name=body.name)
    return _status_out(service.status(session, shop_id=shop_of(request), now=ctx.clock.now()))


@router.put("/write-switch", summary="Turn writes back to the platform (logisticsAdd) on or off")
def put_write_switch(request: Request, body: WriteSwitchIn, principal: Principal = Depends(require("settings.manage")),
                     session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    service.set_write_enabled(session, shop_id=shop_of(request), enabled=body.write_enabled, principal=principal,
                              now=ctx.clock.now())
    return _status_out(service.status(session, shop_id=shop_of(request), now=ctx.clock.now()))


# ---- export of a filtered order list (issue 8 §7) ------------------------------------------------------------
exports = APIRouter(prefix="/api/v1/exports", tags=["orders"], responses=ERROR_RESPONSES,
                     dependencies=[Depends(shop_param)])


def _export(request: Request, session: Session, principal: Principal, body: ExportIn) -> Response:
    from .orders_export import export_orders

    ctx = get_ctx(request)
    flt = order_filter(body, ctx.clock.now())
    # Written whole before the answer starts (a refusal or an error is still a JSON error, and the row count is known),
    # to a file that moves from memory to disk past a few MB, then streamed from it.
    spool = tempfile.SpooledTemporaryFile(max_size=EXPORT_SPOOL_BYTES)
    try:
        count = export_orders(session, shop_id=shop_of(request), flt=flt, cipher=ctx.cipher, principal=principal,
                              fmt=body.format, now=ctx.clock.now(), out=spool, reveal=body.reveal,
                              reason=body.reason, per=body.per)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    from ...exports.domain import is_filtered
    from ...exports.file_names import attachment
    from .export_request import FILTER_FIELDS

    # named for what it holds (tab, 筛选, layout, time to the second), in the page's words (QA pass 9, #19)
    named = attachment(ctx.clock.now(), None, body.format, per=body.per, status=body.status,
                       filtered=is_filtered(body.model_dump(include=set(FILTER_FIELDS))))
    return StreamingResponse(_chunks(spool), media_type=MEDIA[body.format], headers={
        **named, "x-row-count": str(count), "content-length": str(size)})


EXPORT_SPOOL_BYTES = 8 * 1024 * 1024


def _chunks(spool, size: int = 256 * 1024):
    """The spooled file in pieces, closed (and its disk copy removed) at the end or when the client goes away."""
    try:
        while chunk := spool.read(size):
            yield chunk
    finally:
        spool.close()


@exports.get("/orders", summary="Export the filtered order list (masked buyer data) as CSV or XLSX",
             response_class=Response, responses=CSV_OR_XLSX_FILE)
def export_get(request: Request, format: str = Query("csv"), per: str = Query("sku", max_length=8),
               q: str | None = Query(None, max_length=100),
               status: str = "all", created_from: date | None = None, created_to: date | None = None,
               paid_from: date | None = None, paid_to: date | None = None,
               product_id: str | None = Query(None, max_length=32), flag: str | None = Query(None, max_length=16),
               address_changed: str | None = Query(None, max_length=16),
               principal: Principal = Depends(require("orders.export")),
               session: Session = Depends(db, scope="function")):
    return _export(request, session, principal, ExportIn(format=format, per=per, q=q, status=status,
                                                         created_from=created_from,
                                                         created_to=created_to, paid_from=paid_from, paid_to=paid_to,
                                                         product_id=product_id, flag=flag,
                                                         address_changed=address_changed))


@exports.post("/orders", summary="Export the filtered order list; reveal=true (pii.export, with a reason) gives "
              "full buyer data", response_class=Response, responses=CSV_OR_XLSX_FILE)
def export_post(request: Request, body: ExportIn, principal: Principal = Depends(require("orders.export")),
                session: Session = Depends(db, scope="function")):
    return _export(request, session, principal, body)
