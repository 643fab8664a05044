"""What an export of the order list asks for: the list's filters and the file's shape, as the export API, the
export jobs (exports/) and their pages take them, checked field by field (a 422 naming the field)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from ...errors import ValidationFailed


class ExportIn(BaseModel):
    format: str = Field("csv", description="csv or xlsx")
    per: str = Field("sku", description="sku: one row per SKU order (re-imports into the desk); order: one row per "
                     "shop order, its items in one cell")
    q: str | None = Field(None, max_length=100)
    status: str = "all"
    created_from: date | None = None
    created_to: date | None = None
    paid_from: date | None = None
    paid_to: date | None = None
    product_id: str | None = Field(None, max_length=32)
    flag: str | None = Field(None, description="the merchant's flag: any, or a colour (grey … red)")
    address_changed: str | None = Field(None, description="改地址: to_ship (still to ship) or any")
    reveal: bool = Field(False, description="full buyer name, phone and address (needs pii.export, the owner's, and a reason)")
    reason: str | None = Field(None, max_length=200)


# The fields that choose the list (the rest say how the file is written): what an export job keeps
FILTER_FIELDS = tuple(name for name in ExportIn.model_fields if name not in ("format", "per", "reveal", "reason"))


def order_filter(body: ExportIn, now):
    """The order list an export asks for, checked field by field (a 422 naming the field), as of ``now``. Shared by
    the export written while the request waits and the export job (exports/)."""
    from ...clock import check_filter_range
    from ...orders.domain import ADDRESS_FILTERS, FLAG_FILTERS, TABS, check_filter_date
    from ...orders.queries import OrderFilter

    if body.status not in TABS:
        raise ValidationFailed(f"status: one of {', '.join(TABS)}", details={"field": "status"})
    if body.flag is not None and body.flag not in FLAG_FILTERS:
        raise ValidationFailed(f"flag: one of {', '.join(FLAG_FILTERS)}", details={"field": "flag"})
    if body.address_changed is not None and body.address_changed not in ADDRESS_FILTERS:
        raise ValidationFailed(f"address_changed: one of {', '.join(ADDRESS_FILTERS)}",
                               details={"field": "address_changed"})
    for name in ("created_from", "created_to", "paid_from", "paid_to"):
        check_filter_date(name, getattr(body, name))
    check_filter_range("created_from", body.created_from, "created_to", body.created_to)
    check_filter_range("paid_from", body.paid_from, "paid_to", body.paid_to)
    flt = OrderFilter(query=body.q, tab=body.status, created_from=body.created_from, created_to=body.created_to,
                      paid_from=body.paid_from, paid_to=body.paid_to, product_id=body.product_id, flag=body.flag,
                      address_changed=body.address_changed)
    flt.now = now
    return flt
