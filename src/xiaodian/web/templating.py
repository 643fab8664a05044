"""Jinja2 environment with the gettext callables, money/time filters and the page context."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..clock import SHOP_TZ
from . import i18n

TEMPLATE_DIR = Path(__file__).parent / "templates"


def yuan(fen: int | None) -> str:
    if fen is None:
        return ""
    return f"¥{fen / 100:,.2f}"


def shop_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(SHOP_TZ).strftime(fmt)


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
    return env


ENV = build_environment()


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    context.setdefault("principal", principal)
    context.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    context.setdefault("lang", i18n.current_language.get())
    context.setdefault("request_path", request.url.path)
    context.setdefault("request_query", request.url.query)
    html = ENV.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)
