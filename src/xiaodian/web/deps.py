"""Request dependencies: the context, a database session, who is calling, and what they may do."""

from __future__ import annotations

import hmac
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from urllib.parse import quote

import anyio.to_thread
from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from ..accounts import service as accounts
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..bootstrap import ALL_SHOPS, ShopRef, desk_shops
from ..context import AppContext
from ..db import reading, transaction
from ..errors import DomainError, Forbidden, NotFound, Unauthenticated, ValidationFailed

SESSION_COOKIE = "xd_session"
SHOP_COOKIE = "xd_shop"  # the shop picked in the header switcher: a shop id or "all"
# Shops are added by `xiaodian shop connect` in another process; a web process re-reads the list this often
# (and at once when a request names a shop it does not know yet).
SHOP_LIST_SECONDS = 10.0
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


async def read_db(request: Request) -> AsyncIterator[Session]:
    """The session of a route that only reads, used on the event loop: never committed, closed at the end, and
    it refuses writes (db.ReadOnlySession).

    Why on the loop: a web process runs one thread of Python at a time, and a request's work moving between the
    loop and worker threads (four hand-overs with db and current_principal, then the handler) cost more than the
    work itself. Measured on a 2-core machine, the order list's page of 50 under 20 clients: 14.9 ms of CPU a
    request through the threads, 5–6 on the loop (benchmarks/RESULTS.md). Only for short reads: anything that
    may wait (a write's lock, an upload, an outside service) keeps db and its worker thread."""
    with reading(get_ctx(request).sessions) as session:
        yield session


T = TypeVar("T")


async def read_on_loop_unless(long: bool, work: Callable[[], T]) -> T:
    """Run a read_db route's database work on the event loop as read_db intends, or, when ``long`` (a read that
    can scan many rows, such as a product-text search's tab counts: ~240 ms for 米 at a million orders on a fast
    core), in a worker thread, so that everyone else's requests to this process go on meanwhile. The session is
    the route's own and is used by one thread at a time."""
    if not long:
        return work()
    return await anyio.to_thread.run_sync(work)


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
    principal, due_use = _authenticate(request, session)
    if due_use is not None:
        accounts.record_token_use(session.get_bind(), *due_use)
    return principal


async def reading_principal(request: Request, session: Session = Depends(read_db, scope="function")) -> Principal:
    """current_principal for the routes that only read and run on the event loop (read_db): the same checks,
    and the token's due last-used write, once a minute, in a worker thread so its lock wait never holds the loop."""
    if request.method not in SAFE_METHODS:
        raise RuntimeError(f"{request.method} {request.url.path}: a route that writes cannot use reading_principal")
    principal, due_use = _authenticate(request, session)
    if due_use is not None:
        await anyio.to_thread.run_sync(accounts.record_token_use, session.get_bind(), *due_use)
    return principal


def _authenticate(request: Request, session: Session) -> tuple[Principal, tuple[str, datetime] | None]:
    """Who calls, and the (token hash, time) of a token use that is due to be recorded (accounts.record_token_use),
    else None. Raises Unauthenticated / LoginRequired / Forbidden (CSRF). Once per request: later calls get the
    principal already found."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached, None
    ctx = get_ctx(request)
    now = ctx.clock.now()
    auth = request.headers.get("authorization", "")
    due_use = None
    if auth.lower().startswith("bearer "):
        principal, due_use = accounts.token_lookup(session, auth[7:].strip(), now)
        if principal is None:
            raise Unauthenticated("invalid or revoked API token", code="invalid_token")
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
        if not _is_api(request):
            shop_scope(request)  # every page's header shows the shop switcher (a desk of several shops)
    request.state.principal = principal
    return principal, due_use


def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token") or getattr(request.state, "form_csrf", None)
    if not sent or not hmac.compare_digest(sent, expected):
        raise Forbidden("missing or invalid CSRF token; reload the page and try again", code="csrf_failed")


def require(permission: str):
    """Route dependency: the caller must be logged in and hold ``permission`` (see accounts.permissions)."""

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        # async: a pure check, run on the event loop rather than with a thread hop of its own
        check(principal.role, permission)
        return principal

    dependency.permission = permission  # read by the route-sweep test
    return dependency


def require_reading(permission: str):
    """require() for a route that only reads and runs on the event loop, with read_db as its session."""

    async def dependency(principal: Principal = Depends(reading_principal)) -> Principal:
        check(principal.role, permission)
        return principal

    dependency.permission = permission
    return dependency


@dataclass(frozen=True)
class ShopScope:
    """Which shops a request looks at: one shop (``selected``) or all of them (``selected`` None).
    ``explicit`` when the URL or API call named it with ``shop=`` (a shared link wins over the switcher)."""

    shops: tuple[ShopRef, ...]
    selected: int | None
    explicit: bool = False

    @property
    def default_id(self) -> int:
        return self.shops[0].id

    @property
    def is_all(self) -> bool:
        return self.selected is None

    @property
    def ids(self) -> tuple[int, ...]:
        return (self.selected,) if self.selected is not None else tuple(s.id for s in self.shops)

    @property
    def several(self) -> bool:
        """The desk has more than one shop: the switcher and the shop column are shown."""
        return len(self.shops) > 1

    @property
    def param(self) -> str:
        return ALL_SHOPS if self.selected is None else str(self.selected)

    def name(self, shop_id: int) -> str:
        """The shop's name, with its id when another shop of the desk has the same name."""
        names = [s.name for s in self.shops]
        for shop in self.shops:
            if shop.id == shop_id:
                return shop.name if names.count(shop.name) == 1 else f"{shop.name} #{shop.id}"
        return f"#{shop_id}"


def _shop_list(request: Request, refresh: bool = False) -> tuple[ShopRef, ...]:
    state = request.app.state
    cached = getattr(state, "shop_list", None)
    now = time.monotonic()
    if refresh or cached is None or cached[0] < now:
        cached = state.shop_list = (now + SHOP_LIST_SECONDS, desk_shops(get_ctx(request)))
    return cached[1]


def _parse_shop(request: Request, raw: str, *, strict: bool) -> int | None | bool:
    """A shop parameter: its id, None for all, False for a value that names no shop (strict: raises)."""
    value = raw.strip()
    if value.lower() == ALL_SHOPS:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        if strict:
            raise ValidationFailed(f"shop: “{value[:40]}” is not a shop id; give a shop id or “all”",
                                   details={"field": "shop", "value": value[:40]})
        return False
    shop_id = int(value)
    if any(s.id == shop_id for s in _shop_list(request)) or any(s.id == shop_id for s in _shop_list(request, True)):
        return shop_id
    if strict:
        raise NotFound(f"shop {shop_id} not found", details={"field": "shop", "shop": shop_id})
    return False


def shop_scope(request: Request) -> ShopScope:
    """The shops a request shows: the ``shop`` query parameter (a shop id or "all") when given, else — for pages —
    the shop picked in the header switcher (cookie), else the default shop. API calls without ``shop`` get the
    default shop, so scripts written for one shop keep working. An unreadable or unknown ``shop`` parameter is
    a 422 / 404 naming the field; a stale cookie is ignored."""
    cached = getattr(request.state, "shop_scope", None)
    if cached is not None:
        return cached
    raw = request.query_params.get("shop")
    explicit = raw is not None and bool(raw.strip())
    if explicit:
        picked = _parse_shop(request, raw, strict=True)
    else:
        cookie = request.cookies.get(SHOP_COOKIE) if not _is_api(request) else None
        picked = _parse_shop(request, cookie, strict=False) if cookie else False
    shops = _shop_list(request)
    if picked is False or (picked is None and len(shops) == 1):
        picked = shops[0].id  # a desk of one shop: "all" is that shop
    scope = ShopScope(shops, picked, explicit)
    request.state.shop_scope = scope
    return scope


def shop_of(request: Request) -> int:
    """The one shop a page or API call works on. Pages that show one shop at a time get the default shop when
    "all" is picked, and the page says so (base.html); an API call asking for "all" there is a 422."""
    pinned = getattr(request.state, "pinned_shop", None)
    if pinned is not None:
        return pinned
    scope = shop_scope(request)
    if scope.selected is not None:
        return scope.selected
    if scope.explicit and _is_api(request):
        raise ValidationFailed("shop: this call works on one shop; give a shop id, not “all”",
                               details={"field": "shop"})
    request.state.shop_fallback = scope.default_id
    return scope.default_id


_SHOP_DOC = ("which of the desk's shops the call works on: a shop id (GET /api/v1/shops); default: the desk's default "
             "shop. Calls that work on one shop refuse all (422 naming the field)")


def shop_param(shop: str | None = Query(None, description=_SHOP_DOC)) -> None:
    """Documents ``shop`` on the API routers whose calls read it through the shop scope (shop_of) rather than as a
    parameter of their own, so /docs and openapi.json name it (QA pass 14, #6); the scope still does the reading."""
    return None


def named_shop_query(request: Request) -> str:
    """``?shop=N`` when this request named its shop in the URL on a desk of several shops, else "": a form
    opened from such a link posts back to the same shop, not to the one the header switcher shows."""
    scope = shop_scope(request)
    return f"?shop={scope.selected}" if scope.explicit and scope.several and scope.selected is not None else ""


def pin_shop(request: Request, shop_id: int) -> None:
    """From here on this request works on ``shop_id`` (an order page found the order in that shop, so its
    after-sales, tracking and reveal sections must look there too)."""
    request.state.pinned_shop = shop_id


def login_url(next_url: str, why: str | None = None) -> str:
    return "/login?next=" + quote(next_url, safe="") + (f"&why={why}" if why else "")


__all__ = ["DomainError", "LoginRequired", "ShopScope", "current_principal", "db", "get_ctx", "require", "login_url",
           "named_shop_query", "pin_shop", "read_db", "reading_principal", "require_reading", "shop_of", "shop_param",
           "shop_scope"]
