"""After-sales API under /api/v1: list and show cases, merchant actions, the communication log, the after-sale
export import, the quality-return rate and the owner's reason → family mapping (thin adapters over
views/service/quality/reason_families). The mapping's routes come before /aftersales/{aftersale_id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from sqlalchemy.orm import Session

from ..web.body_limits import UPLOAD as UPLOAD_BODY
from ..accounts.service import Principal
from ..channels.exportfile import uploads
from ..errors import ValidationFailed
from ..orders.api import shop_of
from ..web.deps import db, get_ctx, require, shop_param
from ..web.openapi import ERROR_RESPONSES
from . import domain, quality, reason_families, service, views
from .importfile import import_aftersale_file
from .queries import TABS, CaseFilter
from .schemas import (ActionIn, CaseDetailOut, CasePage, ContactIn, ContactOut, QualityRow, ReasonFamilyIn,
                      ReasonFamilyOut)

router = APIRouter(prefix="/api/v1", tags=["aftersales"], responses=ERROR_RESPONSES,
                    dependencies=[Depends(shop_param)])
TYPES = "|".join(t.value for t in domain.CaseType)


def parse_action(value: str) -> domain.Action:
    try:
        action = domain.Action(value)
    except ValueError:
        action = None
    if action not in domain.MERCHANT_ACTIONS:
        raise ValidationFailed("action must be one of " + ", ".join(a.value for a in domain.MERCHANT_ACTIONS),
                               code="action_unknown", details={"field": "action"})
    return action


@router.get("/aftersales", response_model=CasePage, summary="After-sale cases of a tab, most urgent first")
def list_cases(request: Request, tab: str = Query("todo", pattern="^(" + "|".join(TABS) + ")$"),
               type: str | None = Query(None, pattern=f"^({TYPES})$"),
               family: str | None = Query(None, pattern="^(quality|other|unknown)$"),
               product_id: str | None = Query(None, max_length=32), order_id: str | None = Query(None, max_length=32),
               page: int = Query(1, ge=1, le=100_000), principal: Principal = Depends(require("orders.read")),
               session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    flt = CaseFilter(tab=tab, case_type=type, family=family, product_id=product_id, order_id=order_id, page=page)
    return views.case_page(session, shop_id=shop_of(request), flt=flt, now=ctx.clock.now(),
                           families=views.families_for(session, shop_of(request), ctx.settings))


@router.get("/aftersales/reason-families", response_model=list[ReasonFamilyOut],
            summary="The reason → family mapping 品退率 uses: defaults (domain.md §4), the owner's overrides, every "
                    "reason text buyers gave")
def reason_family_list(request: Request, principal: Principal = Depends(require("settings.manage")),
                       session: Session = Depends(db, scope="function")):
    rows = reason_families.mapping_rows(session, shop_of(request), get_ctx(request).settings)
    return [ReasonFamilyOut(**{k: r[k] for k in ("text", "uses", "default", "family", "overridden")}) for r in rows]


@router.put("/aftersales/reason-families", response_model=list[ReasonFamilyOut],
            summary="Owners: count one reason text as quality-related or not (or back to the default); audited. "
                    "The buyers' reasons themselves are never changed")
def reason_family_set(body: ReasonFamilyIn, request: Request, principal: Principal = Depends(require("settings.manage")),
                      session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    reason_families.set_family(session, shop_id=shop_of(request), reason_text=body.reason_text, family=body.family,
                               principal=principal, now=ctx.clock.now(), settings=ctx.settings)
    return reason_family_list(request, principal, session)


@router.get("/aftersales/{aftersale_id}", response_model=CaseDetailOut,
            summary="One case with its reason history, steps and communication log")
def show_case(aftersale_id: str, request: Request, principal: Principal = Depends(require("orders.read")),
              session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    return views.case_detail(session, shop_id=shop_of(request), aftersale_id=aftersale_id, now=ctx.clock.now(),
                             families=views.families_for(session, shop_of(request), ctx.settings))


@router.post("/aftersales/{aftersale_id}/actions", response_model=CaseDetailOut,
             summary="A merchant action: agree, reject (reject_code + note), receive (inspection), refund, reship "
                     "(carrier, tracking_no; confirm_warnings for an unusual number), retry_refund (after 退款失败); "
                     "refund_fen with refund / retry_refund when the case's amount is unknown (null). "
                     "There is no field for a buyer's reason: only the buyer changes it.")
def act(aftersale_id: str, body: ActionIn, request: Request, principal: Principal = Depends(require("aftersales.ship")),
        session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    given = domain.ActionInput(body.reject_code, body.note, body.inspection, body.tracking_no, body.carrier,
                               body.confirm_warnings, body.refund_fen)
    service.merchant_action(session, shop_id=shop_of(request), aftersale_id=aftersale_id,
                            action=parse_action(body.action), given=given, principal=principal, now=ctx.clock.now(),
                            rules=service.deadlines_from(ctx.settings))
    session.flush()  # the sessions do not autoflush: without this the answer's history lacked the step just taken
    return views.case_detail(session, shop_id=shop_of(request), aftersale_id=aftersale_id, now=ctx.clock.now(),
                             families=views.families_for(session, shop_of(request), ctx.settings))


@router.post("/aftersales/{aftersale_id}/contacts", response_model=ContactOut, status_code=201,
             summary="Log a conversation with the buyer (飞鸽, phone, SMS, other)")
def add_contact(aftersale_id: str, body: ContactIn, request: Request,
                principal: Principal = Depends(require("aftersales.decide")),
                session: Session = Depends(db, scope="function")):
    row = service.add_contact(session, shop_id=shop_of(request), aftersale_id=aftersale_id, channel=body.channel,
                              summary=body.summary, outcome=body.outcome, principal=principal,
                              now=get_ctx(request).clock.now())
    from ..clock import iso

    return ContactOut(at=iso(row.at), channel=row.channel, summary=row.summary, outcome=row.outcome, actor=row.actor)


@router.post("/imports/aftersales", max_body_size=UPLOAD_BODY, summary="Import an after-sale export (CSV/XLSX); dry_run changes nothing")
def import_file(request: Request, file: UploadFile = File(...), dry_run: bool | None = Form(None),
                dry_run_query: bool | None = Query(None, alias="dry_run"),
                principal: Principal = Depends(require("orders.import")),
                session: Session = Depends(db, scope="function")):
    session.commit()  # the file is applied in its own transactions
    ctx = get_ctx(request)
    stored = uploads.save(ctx.settings.data_dir, file.file, file.filename)
    try:
        report = import_aftersale_file(ctx.sessions, shop_id=shop_of(request), path=stored.path, now=ctx.clock.now(),
                                       principal=principal, dry_run=bool(dry_run or dry_run_query),
                                       rules=service.deadlines_from(ctx.settings))
    finally:
        uploads.delete(ctx.settings.data_dir, stored.upload_id)
    return report.as_json()


@router.get("/quality-rate", response_model=list[QualityRow],
            summary="品退率 per product (shop first) over a rolling window, by first and by current buyer reason")
def quality_rate(request: Request, product_id: str | None = Query(None, max_length=32),
                 product: str | None = Query(None, max_length=32,
                                             description="the same as product_id (the CLI's --product)"),
                 window: int = Query(30, description="days: 14 or 30"),
                 principal: Principal = Depends(require("orders.read")),
                 session: Session = Depends(db, scope="function")):
    if window not in (14, 30):
        raise ValidationFailed("window must be 14 or 30 (days)", details={"field": "window"})
    # ?product= (as the CLI's --product) was ignored, so an unknown product got the whole shop's figures
    if product is not None and product_id is not None and product.strip() != product_id.strip():
        raise ValidationFailed("product and product_id name different products: give one",
                               code="product_conflict", details={"field": "product_id"})
    product_id = product_id if product_id is not None else product
    if product_id is not None:
        product_id = product_id.strip() or product_id  # a blank id stays blank, and is refused as such
    ctx = get_ctx(request)
    families = views.families_for(session, shop_of(request), ctx.settings)
    return quality.rates(session, shop_of(request), ctx.clock.now(), window, families, product_id)

