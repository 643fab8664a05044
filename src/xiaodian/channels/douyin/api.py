"""Douyin API: the public push endpoint POST /hooks/douyin (no login: the event-sign is the credential), the
connection's status and settings under /api/v1/douyin (owners: settings.manage)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ...accounts.service import Principal
from ...orders.api import shop_of
from ...web.deps import db, get_ctx, require
from ...web.openapi import ERROR_RESPONSES
from . import service
from .push import ForgedPush, process_pending, receive

log = logging.getLogger("xiaodian.douyin.api")
router = APIRouter(prefix="/api/v1/douyin", tags=["douyin"], responses=ERROR_RESPONSES)
hooks = APIRouter(tags=["hooks"])


def process_inbox(ctx, shop_id: int) -> None:
    """Applies what was just stored; anything that fails stays in the inbox for the retry job."""
    try:
        client = service.build_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher,
                                      clock=ctx.clock)
        process_pending(ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher, now=ctx.clock.now())
    except Exception as exc:  # noqa: BLE001 - the platform already has its answer; the job retries
        log.exception("douyin inbox processing failed for shop %s", shop_id)
        service.record_error(ctx.sessions, shop_id=shop_id, error=exc, now=ctx.clock.now())


@hooks.post("/hooks/douyin", summary="Douyin push (JSON array; headers app-id, event-sign = md5(app_key + body + "
            "app_secret)); no login", responses={403: {"description": "unknown app-id or bad event-sign: nothing stored"}})
async def douyin_push(request: Request, background: BackgroundTasks):
    ctx = get_ctx(request)
    raw = await request.body()
    try:
        reply, shop_id = await run_in_threadpool(receive, ctx.sessions, app_id=request.headers.get("app-id"),
                                                 sign=request.headers.get("event-sign"), raw_body=raw,
                                                 cipher=ctx.cipher, now=ctx.clock.now())
    except ForgedPush:
        return JSONResponse({"code": 403, "msg": "event-sign 校验失败 bad signature"}, status_code=403)
    background.add_task(run_in_threadpool, process_inbox, ctx, shop_id)
    return JSONResponse(reply)


class ConnectIn(BaseModel):
    shop_id: str = Field(description="the Douyin shop id (店铺 ID), digits")
    app_key: str
    app_secret: str = Field(description="stored encrypted; never returned")
    name: str | None = None


class WriteSwitchIn(BaseModel):
    write_enabled: bool


@router.get("/status", summary="Connection status: token expiry, last sync and push, lag, inbox, recent errors")
def get_status(request: Request, principal: Principal = Depends(require("settings.manage")),
               session: Session = Depends(db, scope="function")):
    return service.status(session, shop_id=shop_of(request), now=get_ctx(request).clock.now())


@router.put("/connection", summary="Connect the shop (self-use app key and secret)")
def put_connection(request: Request, body: ConnectIn, principal: Principal = Depends(require("settings.manage")),
                   session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    service.connect(session, shop_id=shop_of(request), platform_shop_id=body.shop_id, app_key=body.app_key,
                    app_secret=body.app_secret, cipher=ctx.cipher, principal=principal, now=ctx.clock.now(),
                    name=body.name)
    return service.status(session, shop_id=shop_of(request), now=ctx.clock.now())


@router.put("/write-switch", summary="Turn writes back to the platform (logisticsAdd) on or off")
def put_write_switch(request: Request, body: WriteSwitchIn, principal: Principal = Depends(require("settings.manage")),
                     session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    service.set_write_enabled(session, shop_id=shop_of(request), enabled=body.write_enabled, principal=principal,
                              now=ctx.clock.now())
    return service.status(session, shop_id=shop_of(request), now=ctx.clock.now())
