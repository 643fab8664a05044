"""QA pass 9, #8 against a database: the assistant's facts for an order held in risk review past its ship-by do
not say "within the promise: no" and "overdue: no" together; they say the ship-by passed while it was held."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.db import transaction
from xiaodian.demo.shop import DEMO_PRINCIPAL
from xiaodian.inquiries import service
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_held_order_past_its_ship_by_is_described_consistently(ctx, shop_id):
    placed = NOW - timedelta(days=9)
    held = make_record(order_id="6938459704022651001", status=OrderStatus.PAID_PENDING, phone="13712340754",
                       created_at=placed, ship_by=placed + timedelta(hours=48))
    waiting = make_record(order_id="6938459704022651002", status=OrderStatus.AWAITING_SHIPMENT, phone="13712349999",
                          created_at=placed, ship_by=placed + timedelta(hours=48))
    with transaction(ctx.sessions) as session:
        assert not upsert_orders(session, shop_id=shop_id, records=[held, waiting], cipher=ctx.cipher,
                                 now=NOW).rejected
    with transaction(ctx.sessions) as session:
        a = service.answer(session, DEMO_PRINCIPAL, shop_id=shop_id, message="什么时候发货", phone="13712340754",
                           now=NOW, cipher=ctx.cipher, record=False)
        b = service.answer(session, DEMO_PRINCIPAL, shop_id=shop_id, message="什么时候发货", phone="13712349999",
                           now=NOW, cipher=ctx.cipher, record=False)
    f = a.diagnosis.facts
    assert a.diagnosis.code == "found_paid_pending_review" and f["within_promise"] is False
    assert f["ship_by_passed_in_review"] is True and f["review_days"] == 9 and "overdue" not in f
    assert "9天" in a.reply
    # an order the shop itself has not shipped in time is still told as overdue
    assert b.diagnosis.facts["within_promise"] is False and b.diagnosis.facts["overdue"] is True
