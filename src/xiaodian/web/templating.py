"""Jinja2 environment with the gettext callables, money/time filters and the page context."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..clock import SHOP_TZ
from ..accounts.permissions import allowed
from ..orders.domain import FLAG_COLOURS, TO_SHIP
from . import i18n, job_watch

TEMPLATE_DIR = Path(__file__).parent / "templates"


def yuan(fen: int | None) -> str:
    if fen is None:
        return ""
    return f"¥{fen / 100:,.2f}"


def thousands(count: int) -> str:
    """A count as merchants read it in the back office: 230,003, not 230003."""
    return f"{count:,}"


def file_size(size: int | None) -> str:
    """A file's size as people read it: 980 B, 36 KB, 12.4 MB."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):,.1f} MB"


def shop_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(SHOP_TZ).strftime(fmt)


# Statuses whose ship-by clock is still running (paid_pending is held for risk review and must not ship).
SHIP_CLOCK_STATUSES = frozenset({"awaiting_shipment", "partially_shipped"})


def _span(seconds: int) -> str:
    minutes = max(seconds // 60, 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return i18n.gettext("%(d)sd %(h)sh") % {"d": days, "h": hours}
    if hours:
        return i18n.gettext("%(h)sh %(m)sm") % {"h": hours, "m": mins}
    return i18n.gettext("%(m)sm") % {"m": mins}


def ship_countdown(ship_by, now: datetime | None, status: str) -> dict | None:
    """The ship-by countdown merchants watch on the platform: level ``late`` once past the deadline,
    ``soon`` inside the last 24 hours (the platform's 24h需发货 tab), else ``ok``."""
    if ship_by is None or now is None or status not in SHIP_CLOCK_STATUSES:
        return None
    if isinstance(ship_by, str):
        ship_by = datetime.fromisoformat(ship_by)
    left = int((ship_by - now).total_seconds())
    if left < 0:
        return {"level": "late", "text": i18n.gettext("Overdue %(span)s") % {"span": _span(-left)}}
    level = "soon" if left < 24 * 3600 else "ok"
    return {"level": level, "text": i18n.gettext("Ship within %(span)s") % {"span": _span(left)}}


def items_text(summary: str | None) -> str:
    """An order's stored items summary (名称 规格 ×2；名称 ×1) with the separator the reader's language uses between
    list items holding spaces: "; " on an English page (QA pass 7, #13: the reminders read "面包粉 5斤 ×1；压榨…")."""
    if not summary or i18n.current_language.get() == "zh":
        return summary or ""
    return summary.replace("；", "; ")


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.filters["yuan"] = yuan
    env.filters["shop_time"] = shop_time
    env.filters["thousands"] = thousands
    env.filters["file_size"] = file_size
    env.filters["items_text"] = items_text
    env.globals["label"] = i18n.label
    env.globals["error_text"] = i18n.error_text
    env.globals["ship_countdown"] = ship_countdown
    env.globals["TO_SHIP"] = TO_SHIP  # statuses whose 改地址 matters (shipping/_cells.html)
    env.globals["FLAG_COLOURS"] = FLAG_COLOURS  # a flag's colour name by its number (shipping/_cells.html notes)
    env.globals["watched_jobs"] = job_watch.watched_jobs  # base.html: the jobs the notice watcher follows or announces
    return env


ENV = build_environment()


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    context.setdefault("principal", principal)
    # Templates show only what the role may do; the services check again, so hiding is not the guard.
    context.setdefault("can", lambda permission: principal is not None and allowed(principal.role, permission))
    context.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    context.setdefault("lang", i18n.current_language.get())
    context.setdefault("request_path", request.url.path)
    context.setdefault("request_query", request.url.query)
    context.setdefault("lang_next", page_to_reopen(request))
    html = ENV.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)


def page_to_reopen(request: Request) -> str:
    """Where the language switch brings the reader back to: this page, or, for a page that answered a form (a
    refused save shown at the form's POST address), the page the form was on, since opening a POST address is a
    405 (QA pass 10, D18). The Referer counts only from this desk; else the home page."""
    if request.method in ("GET", "HEAD"):
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path.startswith("/"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"
