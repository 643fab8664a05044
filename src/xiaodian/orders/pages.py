"""Order pages: the list with tabs, search and filters, and the order detail with its timeline."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.permissions import allowed
from ..accounts.service import Principal
from ..errors import ValidationFailed
from ..web.deps import db, get_ctx, require
from ..web.templating import render
from . import service
from .api import shop_of
from .domain import FLAG_COLOURS, TABS
from .models import Product
from .queries import PAGE_SIZES, OrderFilter
from .search_query import classify

router = APIRouter(include_in_schema=False)


def _parse_date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{field}: not a date (YYYY-MM-DD): {value[:20]}", details={"field": field}) from None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


@router.get("/orders")
def order_list(request: Request, principal: Principal = Depends(require("orders.read")), session: Session = Depends(db)):
    params = request.query_params
    tab = params.get("tab", "all")
    if tab not in TABS:
        tab = "all"
    flt = OrderFilter(
        query=(params.get("q") or "")[:100] or None, tab=tab,
        created_from=_parse_date(params.get("created_from"), "created_from"),
        created_to=_parse_date(params.get("created_to"), "created_to"),
        paid_from=_parse_date(params.get("paid_from"), "paid_from"),
        paid_to=_parse_date(params.get("paid_to"), "paid_to"),
        product_id=params.get("product_id") or None,
        page=max(_int(params.get("page"), 1), 1),
        page_size=_int(params.get("page_size"), 50),
    )
    ctx = get_ctx(request)
    shop_id = shop_of(request)
    page = service.list_orders(session, shop_id=shop_id, flt=flt, cipher=ctx.cipher)
    counts = service.tab_counts(session, shop_id=shop_id, flt=flt, cipher=ctx.cipher)
    products = session.execute(
        select(Product.product_id, Product.name).where(Product.shop_id == shop_id).order_by(Product.name)
    ).all()
    keep = {k: v for k, v in params.items() if k not in ("page",) and v}

    def link(**changes) -> str:
        merged = {**keep, **{k: v for k, v in changes.items()}}
        return "/orders?" + urlencode({k: v for k, v in merged.items() if v not in (None, "", "all") or k == "q"})

    pages = max((page.total + page.page_size - 1) // page.page_size, 1)
    return render(request, "orders/list.html", page=page, counts=counts, tabs=TABS, flt=flt, products=products,
                  link=link, pages=pages, page_sizes=PAGE_SIZES, query_kind=classify(flt.query).kind,
                  flag_colours=FLAG_COLOURS, now=ctx.clock.now())


@router.get("/orders/{order_id}")
def order_detail(order_id: str, request: Request, principal: Principal = Depends(require("orders.read")),
                 session: Session = Depends(db)):
    detail = service.order_detail(session, shop_id=shop_of(request), order_id=order_id)
    return render(request, "orders/detail.html", order=detail, flag_colours=FLAG_COLOURS,
                  can_note=allowed(principal.role, "orders.note"), now=get_ctx(request).clock.now(),
                  saved=request.query_params.get("saved") == "1")


@router.post("/orders/{order_id}/note")
def save_note(order_id: str, request: Request, merchant_note: str = Form(""), flag_colour: int = Form(0),
              principal: Principal = Depends(require("orders.note")), session: Session = Depends(db)):
    service.update_merchant_note(session, shop_id=shop_of(request), order_id=order_id, note=merchant_note,
                                 flag_colour=flag_colour, actor=principal.login, source="web",
                                 now=get_ctx(request).clock.now())
    return RedirectResponse(f"/orders/{order_id}?saved=1", status_code=303)
