"""The owner's 抖店连接 page: connected or not, token expiry, last sync and push, lag, the inbox (failed messages
with the platform's sub_code/sub_msg and a retry), the write switch, and the connection form."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from ...accounts.service import Principal
from ...errors import DomainError
from ...orders.api import shop_of
from ...web.deps import db, get_ctx, named_shop_query, require
from ...web.templating import render
from . import service
from .credentials import connect_checked
from .texts import desk_text, state_text
from .outbox import retry_failed_uploads
from .push import retry_failed

router = APIRouter(include_in_schema=False)
LAG_WARNING_SECONDS = 15 * 60  # a sync that has not caught up for this long is shown as lagging


def _page(request: Request, session: Session, error: DomainError | None = None, status_code: int = 200):
    status = service.status(session, shop_id=shop_of(request), now=get_ctx(request).clock.now())
    # shop_query: a page opened as ?shop=2 posts its forms back to shop 2 (QA pass 8, #1: they switched and replaced
    # the default shop's connection)
    return render(request, "douyin/status.html", status=status, error=error, lag_warning=LAG_WARNING_SECONDS,
                  gateway=get_ctx(request).settings.douyin_gateway, status_code=status_code,
                  shop_query=named_shop_query(request), desk_text=desk_text, state_text=state_text)


@router.get("/settings/douyin")
def status_page(request: Request, principal: Principal = Depends(require("settings.manage")),
                session: Session = Depends(db, scope="function")):
    return _page(request, session)


@router.post("/settings/douyin")
def connect_form(request: Request, shop_id: str = Form(""), app_key: str = Form(""), app_secret: str = Form(""),
                 name: str = Form(""), principal: Principal = Depends(require("settings.manage")),
                 session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    try:  # the platform is asked about the key and secret before anything is saved (credentials.py)
        connect_checked(session, settings=ctx.settings, shop_id=shop_of(request), platform_shop_id=shop_id,
                        app_key=app_key, app_secret=app_secret, cipher=ctx.cipher, principal=principal,
                        clock=ctx.clock, name=name or None)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, error=exc, status_code=422)
    return RedirectResponse("/settings/douyin" + named_shop_query(request), status_code=303)


@router.post("/settings/douyin/writes")
def write_switch(request: Request, enabled: str = Form("0"), principal: Principal = Depends(require("settings.manage")),
                 session: Session = Depends(db, scope="function")):
    service.set_write_enabled(session, shop_id=shop_of(request), enabled=enabled == "1", principal=principal,
                              now=get_ctx(request).clock.now())
    return RedirectResponse("/settings/douyin" + named_shop_query(request), status_code=303)


@router.post("/settings/douyin/retry")
def retry(request: Request, principal: Principal = Depends(require("settings.manage")),
          session: Session = Depends(db, scope="function")):
    service.require_connection(session, shop_of(request))
    retry_failed(session, shop_id=shop_of(request), now=get_ctx(request).clock.now())
    retry_failed_uploads(session, shop_id=shop_of(request))
    return RedirectResponse("/settings/douyin" + named_shop_query(request), status_code=303)
