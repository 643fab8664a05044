"""REST API for orders under /api/v1 (thin: parse, call the service, return JSON)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..clock import check_filter_range
from ..db import MAX_ROW_ID
from ..errors import DomainError, NotFound, ValidationFailed
from ..web.deps import db, get_ctx, read_db, read_on_loop_unless, require, require_reading, shop_of, shop_scope
from ..web.openapi import ERROR_RESPONSES
from . import service
from .domain import ADDRESS_FILTERS, FLAG_FILTERS, TABS, check_filter_date
from .queries import OrderFilter
from .schemas import OrderDetailOut, OrderPage
from .search_query import may_scan_matches

router = APIRouter(prefix="/api/v1", tags=["orders"], responses=ERROR_RESPONSES)
__all__ = ["router", "shop_of"]  # shop_of: other capabilities import it from here
TabName = Query("all", description="status tab: " + ", ".join(TABS), pattern="^(" + "|".join(TABS) + ")$")
FlagName = Query(None, description="the merchant's flag: any (any colour), or one of " + ", ".join(FLAG_FILTERS[1:]),
                 pattern="^(" + "|".join(FLAG_FILTERS) + ")$")
AddressChanged = Query(None, description="改地址: to_ship (the buyer changed the address and the order is still to "
                       "ship), or any (changed at any time)", pattern="^(" + "|".join(ADDRESS_FILTERS) + ")$")
ViewName = Query(None, description="shipping view, most urgent first: awaiting (备货中), due24h (24小时内需发货), "
                 "overdue (已超时)", pattern="^(awaiting|due24h|overdue)$")
ViewSort = Query("ship_by", description="with a view: ship_by (most urgent first) or created (placed first)",
                 pattern="^(ship_by|created)$")
# Several shops (issue 8). Without ``shop`` a call works on the desk's default shop, as it always has.
ShopsParam = Query(None, pattern=r"^(all|\d{1,18})$", description="a shop id (GET /api/v1/shops), or all for every "
                   "shop of the desk (each order then carries its shop_id); default: the desk's default shop")
ShopParam = Query(None, pattern=r"^\d{1,18}$", description="the order's shop id; without it every shop is looked "
                  "in, and an order id two shops share is a 409 order_ambiguous naming them (the default shop's "
                  "order wins)")


def _shops_arg(request: Request):
    scope = shop_scope(request)
    return service.ALL_SHOPS if scope.is_all else scope.selected


def _find_scope(request: Request) -> tuple[int | str, int | None]:
    """Where to look for one order: the named shop only, else every shop, preferring the default one."""
    scope = shop_scope(request)
    if scope.explicit:
        return scope.selected, None
    return service.ALL_SHOPS, scope.selected


class ShopOut(BaseModel):
    id: int
    name: str
    platform_shop_id: str | None
    default: bool


class ShopList(BaseModel):
    shops: list[ShopOut]


class TabCounts(BaseModel):
    counts: dict[str, int]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # QA pass 7, #7: {"note": …} answered 200 and saved nothing

    merchant_note: str | None = Field(None, max_length=500)
    flag_colour: int | None = Field(None, ge=0, le=6)
    expected_merchant_note: str | None = Field(
        None, max_length=500,
        description="the note as the client last read it (null: no note); when given and the stored note has changed "
                    "since, the edit is refused with 409 concurrent_change instead of overwriting it. Leave out to "
                    "replace the note whatever it is")
    expected_flag_colour: int | None = Field(
        None, ge=0, le=6,
        description="the flag colour as the client last read it (0 or null: no flag); when given and the stored flag "
                    "has changed since, a flag change is refused with 409 concurrent_change. Leave out to set the "
                    "flag whatever it is")

    @model_validator(mode="after")
    def _something_to_change(self):
        if not {"merchant_note", "flag_colour"} & self.model_fields_set:
            raise ValueError("give merchant_note and/or flag_colour: the body changes nothing")
        return self


def _filter(q, status, created_from, created_to, paid_from, paid_to, product_id, page, page_size,
            flag=None, address_changed=None) -> OrderFilter:
    for name, value in (("created_from", created_from), ("created_to", created_to), ("paid_from", paid_from),
                        ("paid_to", paid_to)):
        check_filter_date(name, value)
    check_filter_range("created_from", created_from, "created_to", created_to)
    check_filter_range("paid_from", paid_from, "paid_to", paid_to)
    return OrderFilter(query=q, tab=status, created_from=created_from, created_to=created_to, paid_from=paid_from,
                       paid_to=paid_to, product_id=product_id, page=page, page_size=page_size, flag=flag,
                       address_changed=address_changed)


# The reads below run on the event loop (web.deps.read_db says why): the list is the desk's hottest call.
@router.get("/orders", response_model=OrderPage, summary="Search and list orders, newest first")
async def list_orders(
    request: Request,
    q: str | None = Query(None, max_length=100, description="order id, phone, last 4, tracking no. or product text"),
    status: str = TabName,
    created_from: date | None = None,
    created_to: date | None = None,
    paid_from: date | None = None,
    paid_to: date | None = None,
    product_id: str | None = Query(None, max_length=32),
    flag: str | None = FlagName,
    address_changed: str | None = AddressChanged,
    page: int = Query(1, ge=1, le=100000),
    page_size: int = Query(50, ge=1, le=200),
    view: str | None = ViewName,
    sort: str = ViewSort,
    shop: str | None = ShopsParam,
    principal: Principal = Depends(require_reading("orders.read")),
    session: Session = Depends(read_db, scope="function"),
):
    flt = _filter(q, status, created_from, created_to, paid_from, paid_to, product_id, page, page_size, flag,
                  address_changed)
    ctx = get_ctx(request)
    flt.view, flt.now, flt.view_sort = view, ctx.clock.now(), sort
    # Written straight from plain data: the page of 50 is the desk's hottest call (issue 2: p95 ≤ 100 ms at 20
    # clients), and building and re-validating 50 models cost most of its CPU.
    shops = _shops_arg(request)
    data = await read_on_loop_unless(may_scan_matches(q), lambda: service.list_data(session, shop_id=shops, flt=flt,
                                                                                   cipher=ctx.cipher))
    return Response(data.json(), media_type="application/json")


@router.get("/orders/counts", response_model=TabCounts, summary="Order count per status tab under the filters")
async def counts(
    request: Request,
    q: str | None = Query(None, max_length=100),
    created_from: date | None = None,
    created_to: date | None = None,
    paid_from: date | None = None,
    paid_to: date | None = None,
    product_id: str | None = Query(None, max_length=32),
    flag: str | None = FlagName,
    address_changed: str | None = AddressChanged,
    shop: str | None = ShopsParam,
    principal: Principal = Depends(require_reading("orders.read")),
    session: Session = Depends(read_db, scope="function"),
):
    flt = _filter(q, "all", created_from, created_to, paid_from, paid_to, product_id, 1, 50, flag, address_changed)
    shops, cipher = _shops_arg(request), get_ctx(request).cipher
    return TabCounts(counts=await read_on_loop_unless(
        may_scan_matches(q), lambda: service.tab_counts(session, shop_id=shops, flt=flt, cipher=cipher)))


@router.get("/shops", response_model=ShopList, summary="The shops of this desk (ids for the shop parameter)")
async def list_shops(request: Request, principal: Principal = Depends(require_reading("orders.read"))):
    scope = shop_scope(request)
    return ShopList(shops=[ShopOut(id=s.id, name=s.name, platform_shop_id=s.platform_shop_id,
                                   default=s.id == scope.default_id) for s in scope.shops])


@router.get("/orders/{order_id}", response_model=OrderDetailOut, summary="One order with items and timeline")
async def get_order(order_id: str, request: Request, shop: str | None = ShopParam,
                    principal: Principal = Depends(require_reading("orders.read")),
                    session: Session = Depends(read_db, scope="function")):
    shops, prefer = _find_scope(request)
    return service.order_detail(session, shop_id=shops, order_id=order_id, prefer=prefer,
                                now=get_ctx(request).clock.now())


@router.patch("/orders/{order_id}/note", response_model=OrderDetailOut, summary="Edit merchant note and flag")
def edit_note(order_id: str, body: NoteIn, request: Request, shop: str | None = ShopParam,
              principal: Principal = Depends(require("orders.note")), session: Session = Depends(db, scope="function")):
    ctx = get_ctx(request)
    shops, prefer = _find_scope(request)
    order = service.find_order(session, shop_id=shops, order_id=order_id, prefer=prefer)
    expected = (body.expected_merchant_note if "expected_merchant_note" in body.model_fields_set
                else service.UNCHECKED)
    expected_flag = (body.expected_flag_colour if "expected_flag_colour" in body.model_fields_set
                     else service.UNCHECKED)
    service.update_merchant_note(session, principal, shop_id=order.shop_id, order_id=order.order_id,
                                 note=body.merchant_note, flag_colour=body.flag_colour, now=ctx.clock.now(),
                                 expected_note=expected, expected_flag=expected_flag)
    session.flush()
    return service.detail_of(session, order, now=ctx.clock.now())


class ShopOrderRef(BaseModel):
    shop_id: int = Field(..., ge=1, le=MAX_ROW_ID, description="a shop of this desk (GET /api/v1/shops)")
    order_id: str = Field(..., min_length=1, max_length=32)


class BatchNoteIn(BaseModel):
    order_ids: list[str] | None = Field(None, min_length=1, max_length=service.MAX_BATCH,
                                        description="shop order ids of the shop asked for (at most 200)")
    orders: list[ShopOrderRef] | None = Field(
        None, min_length=1, max_length=service.MAX_BATCH,
        description="instead of order_ids: orders of several shops, each with its shop id (at most 200 in all); "
                    "applied together, all or nothing, as on the list of all shops")
    flag_colour: int | None = Field(None, ge=0, le=6, description="0 takes the flag off; leave out to keep each flag")
    merchant_note: str | None = Field(None, max_length=500)
    note_mode: Literal["replace", "append"] | None = Field(
        None, description="replace each note, or append to it; default: replace when merchant_note is given")


class BatchNoteOut(BaseModel):
    updated: list[str]
    unchanged: list[str]


@router.post("/orders/notes", response_model=BatchNoteOut, summary="批量备注: one note and/or flag on several orders")
def edit_notes(body: BatchNoteIn, request: Request, shop: str | None = ShopParam,
               principal: Principal = Depends(require("orders.note")),
               session: Session = Depends(db, scope="function")):
    mode = body.note_mode or ("replace" if body.merchant_note is not None else None)
    if (body.order_ids is None) == (body.orders is None):
        raise ValidationFailed("give order_ids (one shop) or orders (with their shop ids), not both nor neither",
                               details={"field": "order_ids" if body.order_ids is None else "orders"})
    if body.orders is None:
        by_shop = {shop_of(request): body.order_ids}
    else:
        by_shop = _orders_by_shop(request, body.orders)
    try:
        return service.update_notes_in_shops(session, principal, by_shop, note=body.merchant_note, note_mode=mode,
                                             flag_colour=body.flag_colour, now=get_ctx(request).clock.now())
    except DomainError as exc:  # the service speaks of order_ids; this call named its orders in orders
        if body.orders is not None and exc.details.get("field") == "order_ids":
            exc.details["field"] = "orders"
        raise


def _orders_by_shop(request: Request, orders: list[ShopOrderRef]) -> dict[int, list[str]]:
    """The batch's orders grouped by shop; a shop id that is not one of this desk's is a 404 naming it (as an
    unknown ``shop`` parameter is)."""
    known = {s.id for s in shop_scope(request).shops}
    strangers = sorted({o.shop_id for o in orders} - known)
    if strangers:
        raise NotFound(f"shop {', '.join(map(str, strangers[:10]))} not found",
                       details={"field": "orders", "shop_ids": strangers[:50]})
    by_shop: dict[int, list[str]] = {}
    for ref in orders:
        by_shop.setdefault(ref.shop_id, []).append(ref.order_id)
    return by_shop
