"""The order list's lean read path (orders.listing: Core rows, plain dicts, JSON written directly) says exactly
what the ORM builder ``schemas.order_out`` says of the same orders: every field, every tab, text search and
pages, both languages, SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from xiaodian.logistics.queries import orders_logistics
from xiaodian.orders import service
from xiaodian.orders.queries import OrderFilter, order_shipments, search_page
from xiaodian.orders.schemas import OrderPage, order_out
from xiaodian.shipping.queries import violations_by_order
from xiaodian.web.i18n import current_language

from ..conftest import NOW
from .test_shipping_listing import _fixture


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_lean_list_equals_the_orm_order_json(ctx, shop_id, lang):
    _fixture(ctx, shop_id)
    token = current_language.set(lang)
    seen = set()
    try:
        with ctx.sessions() as session:
            for tab in ("all", "awaiting_shipment", "partially_shipped", "shipped", "after_sale"):
                for query in (None, "米", "6938"):
                    for page in (1, 2):
                        flt = OrderFilter(tab=tab, query=query, page=page, page_size=20, now=NOW)
                        data = service.list_data(session, shop_id=shop_id, flt=flt, cipher=ctx.cipher)
                        model = service.list_orders(session, shop_id=shop_id, flt=flt, cipher=ctx.cipher)
                        orm = search_page(session, shop_id, flt, ctx.cipher)
                        pks = [o.id for o in orm.orders]
                        shipments, violations = order_shipments(session, pks), violations_by_order(session, pks)
                        parcels = orders_logistics(session, pks)
                        expected = [order_out(o, shipments[o.id], violations.get(o.id), NOW, parcels.get(o.id))
                                    .model_dump() for o in orm.orders]
                        assert model.model_dump()["orders"] == expected, (tab, query, page)
                        # the JSON the API writes is the model's JSON, and valid against the response model
                        assert json.loads(data.json()) == json.loads(model.model_dump_json())
                        assert OrderPage.model_validate_json(data.json()).model_dump() == model.model_dump()
                        assert data.total == orm.total
                        seen.update((o["status"], bool(o["violation"]), bool(o["tracking"]), o["logistics_state"])
                                    for o in expected)
    finally:
        current_language.reset(token)
    assert any(violation for _s, violation, _t, _l in seen) and any(state for *_rest, state in seen)


def test_a_deadline_view_alone_reads_the_same_page_as_the_general_plan(ctx, shop_id):
    """list_data answers a bare view (one shop, nothing else) with the view's own statements; a filter that
    narrows nothing sends the same view through the general plan: both must give the same total and page."""
    from datetime import date

    from xiaodian.orders import listing

    _fixture(ctx, shop_id)
    with ctx.sessions() as session:
        for view in ("awaiting", "due24h", "overdue"):
            for page in (1, 2):
                bare = OrderFilter(view=view, now=NOW, page=page, page_size=20)
                general = OrderFilter(view=view, now=NOW, page=page, page_size=20, created_from=date(2000, 1, 1))
                assert listing._plain_view(shop_id, bare) and not listing._plain_view(shop_id, general)
                fast = service.list_data(session, shop_id=shop_id, flt=bare, cipher=ctx.cipher)
                slow = service.list_data(session, shop_id=shop_id, flt=general, cipher=ctx.cipher)
                assert (fast.total, fast.orders) == (slow.total, slow.orders), (view, page)
                assert fast.total > 0
