"""Request dependencies: the context, a database session, who is calling, and what they may do."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ..accounts import service as accounts
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..context import AppContext
from ..db import transaction
from ..errors import DomainError, Forbidden, Unauthenticated

SESSION_COOKIE = "xd_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(Exception):
    """A page was asked for without a session: send the browser to the login page."""

    def __init__(self, next_url: str):
        self.next_url = next_url


def get_ctx(request: Request) -> AppContext:
    return request.app.state.ctx


def db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns (before the response is sent, see
    the scope="function" on every use), rolled back on error."""
    with transaction(get_ctx(request).sessions) as session:
        yield session


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


async def form_csrf(request: Request) -> None:
    """Reads the csrf_token field of a posted form (FastAPI caches the parsed form for the handler)."""
    if request.method not in SAFE_METHODS:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            token = form.get("csrf_token")
            request.state.form_csrf = token if isinstance(token, str) else None


def current_principal(request: Request, session: Session = Depends(db, scope="function"), _form: None = Depends(form_csrf)) -> Principal:
    """Bearer token (API clients) or session cookie (browser). Cookie-authenticated writes need the CSRF token."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    ctx = get_ctx(request)
    now = ctx.clock.now()
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = accounts.resolve_token(session, auth[7:].strip(), now)
        if user is None:
            raise Unauthenticated("invalid or revoked API token", code="invalid_token")
        principal = Principal(user.id, user.login, user.role, "api")
    else:
        token = request.cookies.get(SESSION_COOKIE)
        resolved = accounts.resolve_session(session, token, now) if token else None
        if resolved is None:
            if _is_api(request):
                raise Unauthenticated("login required")
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(target)
        web_session, user = resolved
        request.state.csrf_token = web_session.csrf_token
        if request.method not in SAFE_METHODS:
            _check_csrf(request, web_session.csrf_token)
        principal = Principal(user.id, user.login, user.role, "web" if not _is_api(request) else "api")
    request.state.principal = principal
    return principal


def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token") or getattr(request.state, "form_csrf", None)
    if not sent or not hmac.compare_digest(sent, expected):
        raise Forbidden("missing or invalid CSRF token; reload the page and try again", code="csrf_failed")


def require(permission: str):
    """Route dependency: the caller must be logged in and hold ``permission`` (see accounts.permissions)."""

    def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        check(principal.role, permission)
        return principal

    dependency.permission = permission  # read by the route-sweep test
    return dependency


def login_url(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="")


__all__ = ["DomainError", "LoginRequired", "current_principal", "db", "get_ctx", "require", "login_url"]
