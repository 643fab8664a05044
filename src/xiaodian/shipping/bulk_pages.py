"""Bulk shipping pages: upload a filled template or an order export, preview every row's verdict (refused rows
first, then warnings to confirm, then what will ship), apply exactly what the preview showed, and read the result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from types import SimpleNamespace

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from ..web.body_limits import UPLOAD as UPLOAD_BODY
from ..accounts.permissions import allowed
from ..accounts.service import Principal
from ..channels.exportfile import uploads
from ..channels.exportfile.reader import FileUnreadable
from ..errors import Conflict, NotFound
from ..imports.domain import NOTHING_NOTE, nothing_to_apply
from ..orders.api import shop_of
from ..web.deps import db, get_ctx, require
from ..web.i18n import current_language, error_text, gettext as _, join_list, ngettext
from ..web.templating import render
from . import domain
from .api import run_bulk, template_response
from .bulk import NUMBER, ORDER, Confirmed, RowVerdict
from .queries import VIEW_PATTERN

router = APIRouter(include_in_schema=False)

SHOWN_ROWS = 500
# The preview lists what needs a look first: refused rows, then held ones (after Apply), then warnings, then what
# will ship; rows already done or not filled in (a template's blank rows) last.
_VERDICT_ORDER = {"error": 0, "held": 1, "warning": 2, "ok": 3, "unchanged": 4, "skipped": 5}
# The preview shows every warning row (as the apply would with both kinds confirmed); what each row showed is kept
# beside the parked file, and applying after seeing it confirms that much, no more (bulk.Confirmed.seen).
PREVIEW = Confirmed(address_change=True, warnings=True)
SEEN_NOTE = "seen"


def _seen_in_preview(data_dir, upload_id: str, ticked: list[str]) -> Confirmed:
    """The warnings each row of this upload's preview showed (the rows it listed), and which of those rows the person
    ticked as checked (``ticked``: the row numbers the form sent; only they ship); none at all when its note is gone
    (every warning row is then held)."""
    note = uploads.load_note(data_dir, upload_id, SEEN_NOTE) or {}
    seen = {int(row): frozenset(codes) for row, codes in note.items()}
    return Confirmed(seen=seen, ticked=frozenset(int(r) for r in ticked if r.isdigit() and int(r) in seen))


def _shown(report) -> list:
    return sorted(report.rows, key=lambda r: (_VERDICT_ORDER.get(r.verdict, 6), r.row))[:SHOWN_ROWS]


def _carrier_name(code: str, lang: str) -> str:
    carrier = domain.find_carrier(code)
    return code if carrier is None else carrier.name if lang == "zh" else carrier.name_en


# The column a warning is about: the address belongs to the order's row, an unusual shape to the number.
_WARNING_COLUMN = {"address_changed": ORDER}


def _bulk_reasons(row: RowVerdict, headers: dict) -> list[dict]:
    """Why a row of a bulk-ship file did not simply ship, as the page says it: each reason in words, after the
    column it is about as the file's own header spells it (物流单号: …), and its stable code kept apart for the
    page's data attribute, not shown (QA pass 9, #13: every reason started with an English code)."""
    def told(code: str, column: str, message: str, details: dict) -> dict:
        if code == "duplicate_tracking_in_file" and details.get("rows"):
            rows = details["rows"]
            text = ngettext("Tracking number %(no)s is also on row %(rows)s of this file, for another order: none of "
                            "these rows ships until the file is corrected.",
                            "Tracking number %(no)s is also on rows %(rows)s of this file, for other orders: none of "
                            "these rows ships until the file is corrected.", len(rows)) % {
                "no": details.get("tracking_no", ""), "rows": join_list([str(n) for n in rows])}
        elif code == "carrier_unknown":  # a file has no list to choose from: name what it may say (QA pass 10, D15)
            text = _("Unknown carrier %(name)s. Write one of: %(names)s.") % {
                "name": details.get("carrier") or row.carrier,
                "names": join_list([c.name if current_language.get() == "zh" else c.name_en for c in domain.CARRIERS])}
        else:
            text = error_text(code, message, details)
        heading = headers.get(column) or column
        return {"code": code, "column": column,
                "text": _("%(column)s: %(reason)s") % {"column": heading, "reason": text} if heading else text}

    if row.details.get("since_preview"):
        return [told(w["code"], _WARNING_COLUMN.get(w["code"], NUMBER), w["message"], row.details)
                for w in row.warnings if w["code"] in row.details["since_preview"]]
    if row.warnings:
        return [told(w["code"], _WARNING_COLUMN.get(w["code"], NUMBER), w["message"], row.details)
                for w in row.warnings]
    if row.code:
        return [told(row.code, row.column, row.message, row.details)]
    return []


@router.get("/shipping/bulk")
def bulk_form(request: Request, principal: Principal = Depends(require("shipping.ship"))):
    return render(request, "shipping/bulk.html", stage="upload")


@router.get("/shipping/bulk/template.xlsx")
def bulk_template(request: Request, view: str = Query("awaiting", pattern=VIEW_PATTERN), q: str = "",
                  principal: Principal = Depends(require("shipping.ship")),
                  session: Session = Depends(db, scope="function")):
    return template_response(request, session, view, q)


@router.post("/shipping/bulk", max_body_size=UPLOAD_BODY)
def bulk_preview(request: Request, file: UploadFile | None = File(None),
                 principal: Principal = Depends(require("shipping.ship")),
                 session: Session = Depends(db, scope="function")):
    session.commit()
    ctx = get_ctx(request)
    if file is None or not file.filename:
        return render(request, "shipping/bulk.html", status_code=422, stage="upload", error=_("Choose a file."))
    stored = uploads.save(ctx.settings.data_dir, file.file, file.filename)
    try:
        report = run_bulk(request, stored, dry_run=True, principal=principal, confirmed=PREVIEW)
    except FileUnreadable as exc:
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
        # An empty file is a bulk-ship file with nothing to ship here, not an import (the reader's own words).
        error = (_("The file is empty: it has no rows to ship.") if exc.code == "file_empty"
                 else error_text(exc.code, exc.message, exc.details))
        return render(request, "shipping/bulk.html", status_code=422, stage="upload", error=error)
    shown = _shown(report)
    if report.shipped:
        uploads.save_note(ctx.settings.data_dir, stored.upload_id, SEEN_NOTE,
                          {r.row: [w["code"] for w in r.warnings] for r in shown if r.verdict == "warning"})
    else:  # no row would ship: no Apply is offered, and the parked file (tracking numbers, orders) is not kept
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
        uploads.save_note(ctx.settings.data_dir, stored.upload_id, NOTHING_NOTE, {"filename": stored.filename})
    return render(request, "shipping/bulk.html", stage="preview", report=report, upload=stored,
                  shown=shown, carrier_name=_carrier_name, reasons=_bulk_reasons)


RESULT_KIND = "bulk_ship"  # marks a bulk ship's stored result apart from an order import's (uploads share a folder)


def _bulk_result_url(upload_id: str) -> str:
    return f"/shipping/bulk/{upload_id}/result"


@router.post("/shipping/bulk/{upload_id}/apply")
def bulk_apply(upload_id: str, request: Request, confirm_row: list[str] = Form([]),
               principal: Principal = Depends(require("shipping.ship")),
               session: Session = Depends(db, scope="function")):
    """Ship the previewed file: its rows without a warning, and those warning rows whose box the person ticked
    (``confirm_row``; an unticked one is held), then send the browser to its result page (POST/redirect/GET), which
    a reload shows again: the warehouse reloads, and a reload of the POST answered 404 "already applied?" though the
    parcels had shipped. The parked copy is taken first (uploads.claim), so a second Apply (a double click, a second
    tab) ships nothing and lands on the same result."""
    session.commit()
    ctx = get_ctx(request)
    data_dir = ctx.settings.data_dir
    if uploads.load_note(data_dir, upload_id, NOTHING_NOTE) is not None:  # its preview offered no Apply (stale page)
        refusal = nothing_to_apply("ship")
        return render(request, "shipping/bulk.html", status_code=refusal.http_status, stage="upload",
                      error=error_text(refusal.code, refusal.message, refusal.details))
    claimed = uploads.claim_for_apply(data_dir, upload_id)
    if claimed is None:  # applied already, or being applied: its result
        return RedirectResponse(_bulk_result_url(upload_id), status_code=303)
    try:
        report = run_bulk(request, claimed, dry_run=False, principal=principal,
                          confirmed=_seen_in_preview(data_dir, upload_id, confirm_row))
    except FileUnreadable as exc:
        uploads.delete(data_dir, upload_id)
        return render(request, "shipping/bulk.html", status_code=422, stage="upload",
                      error=error_text(exc.code, exc.message, exc.details))
    except BaseException:
        uploads.release(data_dir, claimed)  # broken on the server: Apply may be tried again
        raise
    uploads.save_result(data_dir, upload_id, {
        "kind": RESULT_KIND, "filename": claimed.filename, "shop_id": shop_of(request), "user_id": principal.user_id,
        "file_kind": report.file_kind, "headers": report.headers, "rows": [asdict(r) for r in _shown(report)],
        "counts": {verdict: report.count(verdict) for verdict in _VERDICT_ORDER}, "shipped": report.shipped})
    uploads.delete(data_dir, upload_id)
    uploads.delete_note(data_dir, upload_id, SEEN_NOTE)
    return RedirectResponse(_bulk_result_url(upload_id), status_code=303)


@dataclass
class _StoredBulkReport:
    """A bulk ship's result as kept for its page: its counts, and the rows the page lists (at most SHOWN_ROWS)."""

    rows: list
    counts: dict
    shipped: int
    file_kind: str = ""
    headers: dict = field(default_factory=dict)

    def count(self, verdict: str) -> int:
        return self.counts.get(verdict, 0)


@router.get("/shipping/bulk/{upload_id}/result")
def bulk_applied(upload_id: str, request: Request, principal: Principal = Depends(require("shipping.ship"))):
    """What Apply shipped, as often as the page is reloaded (for a day: swept with the parked files); the uploader's
    and an owner's only, as the file's rows quote order numbers and tracking numbers."""
    ctx = get_ctx(request)
    result = uploads.load_result(ctx.settings.data_dir, upload_id)
    if result is None and uploads.applying(ctx.settings.data_dir, upload_id):
        raise Conflict("this file is still being shipped; reload the page in a moment", code="import_in_progress")
    if result is None or result.get("kind") != RESULT_KIND or result.get("shop_id") != shop_of(request) or not (
            result.get("user_id") == principal.user_id or allowed(principal.role, "users.manage")):
        raise NotFound("no bulk ship result here (results are kept for a day)", code="upload_not_found")
    rows = [RowVerdict(**row) for row in result["rows"]]
    report = _StoredBulkReport(rows, result["counts"], result["shipped"], result.get("file_kind", ""),
                               result.get("headers") or {})
    return render(request, "shipping/bulk.html", stage="done", report=report,
                  upload=SimpleNamespace(filename=result["filename"], upload_id=upload_id), shown=rows,
                  carrier_name=_carrier_name, reasons=_bulk_reasons)
