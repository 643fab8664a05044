"""Login, logout (here or everywhere), language switch and the home page."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts import service as accounts
from ..accounts.service import Principal
from ..errors import Throttled, Unauthenticated
from .deps import SESSION_COOKIE, current_principal, db, get_ctx, require
from .i18n import LANGUAGES, current_language, gettext as _
from .templating import render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "xd_login_csrf"


def _safe_next(value: str | None) -> str:
    """Only same-site paths: an open redirect after login would help phishing. Without one, the home page: the
    day's to-do cards (due to ship, anomalies, after-sales near their deadline) are where a shift starts."""
    if not value or not value.startswith("/") or value.startswith("//") or urlsplit(value).netloc:
        return "/"
    return value


def _secure(request: Request) -> bool:
    mode = get_ctx(request).settings.cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


@router.get("/login")
def login_form(request: Request, next: str | None = None, lang: str | None = None, why: str | None = None):
    if lang in LANGUAGES:
        current_language.set(lang)
    token = secrets.token_urlsafe(24)
    notice = {"unsaved": _("Your session had ended, so what you just submitted was not saved. Log in and do it "
                           "again."),
              "ended": _("Your session has ended (logged out, expired, or your account was changed). Log in "
                         "again.")}.get(why or "")
    response = render(request, "login.html", next=_safe_next(next), login_csrf=token, error=None, notice=notice)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request))
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, samesite="lax", max_age=365 * 86400, secure=_secure(request))
    return response


@router.post("/login")
def login_submit(request: Request, login: str = Form(""), password: str = Form(""), next: str = Form("/"),
                 csrf_token: str = Form(""), session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    error, status = None, 400
    if not expected or not hmac.compare_digest(expected, csrf_token):
        error = _("The login form expired. Please try again.")
    else:
        try:
            user = accounts.authenticate(session, login=login.strip(), password=password, now=ctx.clock.now(),
                                         settings=ctx.settings, remote_addr=request.client.host if request.client else None)
        except Throttled:
            error, status = _("Too many failed attempts. This login is locked for a while."), 429
        except Unauthenticated:
            error, status = _("Wrong login or password."), 401
    if error:
        if status in (401, 429):
            audit.record(session, principal=Principal(None, login.strip()[:64] or "?", "none", "web"),
                         action="session.login_failed" if status == 401 else "session.login_locked",
                         now=ctx.clock.now(), detail={"remote_addr": request.client.host if request.client else None})
        session.commit()  # the failed attempt counts towards the lockout
        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", status_code=status,
                          next=_safe_next(next), login_csrf=token, error=error, login=login)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request))
        return response
    token = accounts.start_session(session, user, ctx.clock.now(), ctx.settings.session_hours,
                                   request.headers.get("user-agent"))
    audit.record(session, principal=Principal(user.id, user.login, user.role, "web"), action="session.login",
                 now=ctx.clock.now(), detail={"remote_addr": request.client.host if request.client else None})
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request),
                        max_age=int(ctx.settings.session_hours * 3600))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, principal: Principal = Depends(current_principal), session: Session = Depends(db, scope="function")):
    accounts.end_session(session, request.cookies.get(SESSION_COOKIE, ""), get_ctx(request).clock.now())
    audit.record(session, principal=principal, action="session.logout", now=get_ctx(request).clock.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/logout/everywhere")
def logout_everywhere(request: Request, principal: Principal = Depends(current_principal),
                      session: Session = Depends(db, scope="function")):
    ended = accounts.end_all_sessions(session, principal.user_id, get_ctx(request).clock.now())
    audit.record(session, principal=principal, action="session.logout_everywhere", now=get_ctx(request).clock.now(),
                 detail={"sessions_ended": ended})
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def switch_language(code: str, request: Request, next: str | None = None,
                    principal: Principal = Depends(require("orders.read"))):
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie("lang", code, samesite="lax", max_age=365 * 86400, secure=_secure(request))
    return response


@router.get("/")
def home(request: Request, principal: Principal = Depends(require("orders.read")), session: Session = Depends(db, scope="function")):
    """To-do cards across shipping, logistics and after-sales, each linking to its view."""
    from .home import render_home

    return render_home(request, session, principal)
