"""create_app(): the FastAPI application with security headers, language, error pages and every router."""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError as SQLAlchemyDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..context import AppContext
from ..db import MAX_ROW_ID, pool_capacity
from ..errors import DomainError
from . import body_limits, i18n
from .deps import SESSION_COOKIE, LoginRequired, login_url
from .templating import render

log = logging.getLogger("xiaodian.web")
access_log = logging.getLogger("xiaodian.access")
STATIC_DIR = Path(__file__).parent / "static"

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
TOO_LARGE_JSON = (b'{"error":{"code":"body_too_large","message":"the request body is larger than this route takes '
                  b'(see web.body_limits)","details":{}}}')
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class ShellMiddleware:
    """Pure ASGI: picks the language from the cookie and adds security headers to every response."""

    def __init__(self, app, default_language: str):
        self.app = app
        self.default_language = default_language

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cookie = ""
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                cookie = value.decode("latin-1")
        lang = self.default_language
        for part in cookie.split(";"):
            key, _, value = part.strip().partition("=")
            if key == "lang" and value in i18n.LANGUAGES:
                lang = value
        token = i18n.current_language.set(lang)
        is_static = scope["path"].startswith("/static/")
        started = time.perf_counter()
        status_holder = [0]

        wants_json = scope["path"].startswith(("/api/", "/hooks/"))

        async def send_with_headers(message):
            if wants_json and status_holder[0] == 413 and message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": TOO_LARGE_JSON}  # see below
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers = list(message.get("headers", []))
                if wants_json and message["status"] == 413:
                    # Starlette's body limit answers in plain text; the API answers every error in its JSON shape
                    headers = [(b"content-type", b"application/json"),
                               (b"content-length", str(len(TOO_LARGE_JSON)).encode())]
                headers.extend(SECURITY_HEADERS)
                if scope.get("scheme") == "https":
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                if not is_static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            i18n.current_language.reset(token)
            if not is_static:
                # Query strings are left out: people search by phone number and that must not reach the logs.
                code = (scope.get("state") or {}).get("error_code")
                access_log.info("%s %s %s%s %.1fms", scope["method"], scope["path"], status_holder[0],
                                f" {code}" if code else "", (time.perf_counter() - started) * 1000)


def _page_above(request: Request) -> str | None:
    """The nearest page above a form's address (/aftersales/7100…/act → /aftersales/7100…): a browser opens a form's
    POST address again when someone reloads or switches language on the page that answered it, and meets a bare
    405 (QA pass 10, D18); it is sent to the page the form belongs to instead. None when no page is found."""
    from starlette.routing import Match

    path = request.url.path.rstrip("/")
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        scope = {**request.scope, "path": path or "/", "method": "GET"}
        for route in request.app.router.routes:
            if route.matches(scope)[0] is Match.FULL:
                return path or "/"
    return None


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _error_response(request: Request, status: int, code: str, message: str, details: dict | None = None) -> Response:
    request.state.error_code = code  # for the access log line (QA pass 12, #5: a 409, but which?)
    if _wants_json(request):
        return JSONResponse({"error": {"code": code, "message": message, "details": details or {}}}, status_code=status)
    return render(request, "error.html", status_code=status, status=status, code=code, message=message,
                  details=details or {}, back=_section_of(request.url.path))


# Where an error page leads back to: the section the address belongs to (QA pass 10, D19: an unknown after-sale
# case offered only 返回订单列表).
_SECTIONS = (("/aftersales", i18n.N_("Back to after-sales")), ("/quality-rate", i18n.N_("Back to after-sales")),
             ("/logistics", i18n.N_("Back to logistics anomalies")), ("/shipping", i18n.N_("Back to shipping")),
             ("/inquiries", i18n.N_("Back to the customer service desk")), ("/imports", i18n.N_("Back to imports")))


def _section_of(path: str) -> tuple[str, str]:
    for prefix, words in _SECTIONS:
        if path == prefix or path.startswith(prefix + "/"):
            return ("/aftersales" if prefix == "/quality-rate" else prefix), words
    return "/orders", i18n.N_("Back to orders")


def _refusal_of_caller(request: Request) -> DomainError | LoginRequired | None:
    """Why this request's caller may not call at all (not signed in, a revoked token, a missing CSRF token), as the
    login check would raise it; None for a caller who may."""
    from .deps import _authenticate, get_ctx

    with get_ctx(request).sessions() as session:
        try:
            _authenticate(request, session)
        except (DomainError, LoginRequired) as refusal:
            return refusal
    return None


def _why_login(request: Request) -> str | None:
    """Why a page sends its user to the login form, for the form to say so (QA pass 6, #8: a warehouse clerk whose
    session had ended clicked 发货 and landed on a bare login page, not told that nothing was shipped): a form sent
    without a live session was not saved ("unsaved"); a page asked with a session cookie that no longer holds
    (logged out elsewhere, role changed, expired) means the session ended ("ended"); a first visit says nothing."""
    if request.method not in ("GET", "HEAD"):
        return "unsaved"
    return "ended" if request.cookies.get(SESSION_COOKIE) else None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        return _error_response(request, exc.http_status, exc.code, exc.message, exc.details)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        return RedirectResponse(login_url(exc.next_url, why=_why_login(request)), status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if any(err.get("type") == "json_invalid" for err in errors):
            # FastAPI decodes a JSON body before the route's login check runs: a caller who is not signed in must
            # get the 401 (or the login page) every other request of theirs gets, and learn nothing of the body.
            refusal = await anyio.to_thread.run_sync(_refusal_of_caller, request)
            if isinstance(refusal, LoginRequired):
                return RedirectResponse(login_url(refusal.next_url), status_code=303)
            if refusal is not None:
                return _error_response(request, refusal.http_status, refusal.code, refusal.message, refusal.details)
        fields = []
        for err in errors:
            if err.get("type") == "json_invalid":  # its loc is ("body", character offset): name the body instead
                position = err["loc"][-1] if len(err.get("loc", ())) > 1 else None
                reason = (err.get("ctx") or {}).get("error", "")
                fields.append({"field": "body", "message": f"not valid JSON: {reason} (character {position})"
                               if reason else "not valid JSON"})
                continue
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
            fields.append({"field": ".".join(loc), "message": err.get("msg", "")})
        message = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "invalid request"
        return _error_response(request, 422, "validation_failed", message, {"fields": fields})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 405 and request.method == "GET" and not _wants_json(request):
            page = _page_above(request)
            if page is not None:
                return RedirectResponse(page, status_code=303)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":  # the router's own: no route at this address
            message = "there is nothing at this address; check the link"  # (QA pass 7: "Not found", "Not Found")
        return _error_response(request, exc.status_code, code, message)

    @app.exception_handler(SQLAlchemyDataError)
    async def unstorable_value(request: Request, exc: SQLAlchemyDataError):
        # A value the database cannot hold (PostgreSQL refuses NUL characters in text): the request's
        # transaction is rolled back, nothing is half-written, and the caller is told what to fix.
        log.warning("refused a value the database cannot store on %s %s", request.method, request.url.path)
        return _error_response(request, 422, "unstorable_value",
                               "a value cannot be stored (for example a NUL character in a text field); remove it "
                               "and try again")

    @app.exception_handler(OverflowError)
    async def number_too_large(request: Request, exc: OverflowError):
        # SQLite's driver refuses an integer beyond 64 bits (an id or a position typed as 99999999999999999999):
        # a bad request, not a fault of the desk (QA pass 11, #1, #2). Handled here, the request ends cleanly
        # (the catch-all below re-raises to the server, which then drops the connection).
        log.warning("refused a number too large to store on %s %s", request.method, request.url.path)
        return _error_response(request, 422, "number_too_large",
                               f"a number in the request is too large (at most {MAX_ROW_ID}); check it")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error_response(request, 500, "internal_error", "something went wrong; the error was logged")


def all_routers() -> list:
    """Every capability's pages and API. A new router must be listed here, and its routes in the permission
    sweep test's matrix."""
    from ..accounts.api import router as accounts_api
    from ..accounts.pages import router as accounts_pages
    from ..channels.exportfile.api import router as import_api
    from ..channels.exportfile.pages import router as import_pages
    from ..orders.api import router as orders_api
    from ..orders.pages import router as orders_pages
    from ..privacy.api import router as privacy_api
    from ..privacy.pages import router as privacy_pages
    from ..shipping.api import router as shipping_api
    from ..shipping.bulk_pages import router as shipping_bulk_pages
    from ..shipping.pages import router as shipping_pages
    from ..shipping.plan_pages import router as shipping_plan_pages
    from ..logistics.api import hooks as logistics_hooks
    from ..logistics.api import router as logistics_api
    from ..logistics.pages import router as logistics_pages
    from ..aftersales.api import router as aftersales_api
    from ..aftersales.pages import router as aftersales_pages
    from ..inquiries.api import router as inquiries_api
    from ..inquiries.pages import router as inquiries_pages
    from ..channels.douyin.api import hooks as douyin_hooks
    from ..channels.douyin.api import exports as douyin_exports
    from ..channels.douyin.api import router as douyin_api
    from ..channels.douyin.pages import router as douyin_pages
    from ..exports.api import router as export_jobs_api
    from ..exports.pages import router as export_jobs_pages
    from ..imports.api import router as import_jobs_api
    from ..imports.pages import router as import_jobs_pages
    from .docs import router as docs_router
    from .session_pages import router as session_pages
    from .settings_index import router as settings_index

    # The push endpoints first: routes are matched in order, and pushes come in bursts of hundreds a second.
    return [logistics_hooks, douyin_hooks, session_pages, orders_pages, orders_api, import_pages, import_api,
            accounts_pages, accounts_api, privacy_pages, privacy_api, shipping_pages, shipping_bulk_pages,
            shipping_plan_pages, shipping_api, logistics_pages, logistics_api, aftersales_pages, aftersales_api,
            inquiries_pages, inquiries_api, douyin_pages, douyin_api,
            douyin_exports, export_jobs_pages, export_jobs_api, import_jobs_pages,
            import_jobs_api, docs_router, settings_index]


class _Limits:
    """Threads for request work and requests in progress, set once the event loop runs (the lifespan)."""

    def __init__(self, threads: int, slots: int | None):
        self.threads = threads
        self.slots = slots
        self.admission: anyio.Semaphore | None = None
        self.writes: anyio.Semaphore | None = None

    def lifespan(self):
        @asynccontextmanager
        async def lifespan(_app: FastAPI):
            # Few threads on purpose (settings.web_threads): Python runs one at a time, and with the framework's
            # 40 a page cost twice its CPU under load (benchmarks/RESULTS.md).
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.threads
            self.admission = anyio.Semaphore(self.slots) if self.slots else None
            self.writes = anyio.Semaphore(max(self.threads - 1, 1))
            try:
                yield
            finally:
                self.admission = self.writes = None

        return lifespan


class AdmissionLimit:
    """Pure ASGI: at most ``limits.slots`` requests in progress at once; the others wait their turn on the event
    loop, which costs nothing.

    Why: a request holds its database connection from its first query to its response, across several thread
    hops (session, login check, handler). Once more requests were in progress than the threads and the pool's
    connections together, every thread could be taken by a request waiting for a connection while every
    connection's request waited for a thread, and nothing moved until the pool's 30 s timeout (seen with 2
    threads and 20 clients). With no more requests in progress than connections (one kept for the token-use
    write, accounts.record_token_use), each request gets its connection at once.

    And at most one request fewer than the threads that writes (any method but GET, HEAD, OPTIONS), so that a
    thread is always left for the request that holds a lock (QA pass 12): a write takes its locks (a tracking
    number's, an order's row, an import's shop) in its handler's thread, but its transaction ends only after the
    handler has returned, through FastAPI's response check and the session's commit, each needing a thread again.
    With as many writers as threads, a burst of writes to one order or one tracking number took every thread
    with a request waiting for the lock while its holder waited for a thread: the web process never answered
    again (PostgreSQL's lock waits have no timeout; SQLite's busy timeout ended in 500s)."""

    def __init__(self, app, limits: _Limits):
        self.app = app
        self.limits = limits

    async def __call__(self, scope, receive, send):
        admission, writes = self.limits.admission, self.limits.writes
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)
        if writes is not None and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            async with writes:
                return await self._admitted(admission, scope, receive, send)
        await self._admitted(admission, scope, receive, send)

    async def _admitted(self, admission, scope, receive, send):
        if admission is None:
            return await self.app(scope, receive, send)
        async with admission:
            await self.app(scope, receive, send)


def create_app(ctx: AppContext) -> FastAPI:
    capacity = pool_capacity(ctx.engine)
    limits = _Limits(ctx.settings.web_threads, max(capacity - 1, 1) if capacity else None)
    app = FastAPI(title="xiaodian 小店 API", version="1", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=limits.lifespan())
    app.state.ctx = ctx
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    for router in all_routers():
        # the bound per route (a file route's or a push hook's own wins), not app-wide: the app-wide limiter sits
        # outside the middleware below, and its 413 would miss the security headers and the API's JSON error shape
        app.include_router(router, max_body_size=body_limits.DEFAULT)
    app.add_middleware(AdmissionLimit, limits=limits)  # inside the shell: its access log counts the wait
    app.add_middleware(ShellMiddleware, default_language=ctx.settings.default_language)
    return app
