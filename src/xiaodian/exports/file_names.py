"""An export file's download name in the reader's language, and the Content-Disposition header that carries it.

A Chinese page names the file in words (订单-备货中-每单一行-20261129-121530-17.csv: QA pass 9, #19); the header gives
that name as RFC 5987 ``filename*`` (UTF-8, percent-encoded) and the ASCII name of domain.download_name as the plain
``filename`` for a client that does not read the other. English pages get the ASCII name in both."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from ..clock import SHOP_TZ
from ..web.i18n import current_language, gettext as _, label
from .domain import download_name


def local_name(created_at: datetime, job_id: int | None, fmt: str, *, per: str = "sku", status: str = "all",
               filtered: bool = False) -> str:
    """订单-<tab>[-筛选]-<layout>-<time>[-<job>].<fmt> in the page's language (the ASCII name in English)."""
    if current_language.get() == "en":
        return download_name(created_at, job_id, fmt, per=per, status=status, filtered=filtered)
    parts = [_("orders"), label("tab", status or "all")]
    if filtered:
        parts.append(_("filtered"))
    parts += [_("per-order") if per == "order" else _("per-SKU"), f"{created_at.astimezone(SHOP_TZ):%Y%m%d-%H%M%S}"]
    if job_id is not None:
        parts.append(str(job_id))
    name = "-".join(part.replace("/", "_").replace("\\", "_") for part in parts)
    return f"{name}.{fmt}"


def content_disposition(name: str, ascii_name: str) -> str:
    """attachment; filename="<ascii>"; filename*=UTF-8''<name percent-encoded> (RFC 6266 / RFC 5987)."""
    fallback = ascii_name.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    if name == fallback:
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment(created_at: datetime, job_id: int | None, fmt: str, *, per: str = "sku", status: str = "all",
               filtered: bool = False) -> dict[str, str]:
    """The Content-Disposition header of an order-list export (a job's file, or one written while waiting)."""
    shape = {"per": per, "status": status, "filtered": filtered}
    return {"content-disposition": content_disposition(local_name(created_at, job_id, fmt, **shape),
                                                       download_name(created_at, job_id, fmt, **shape))}
