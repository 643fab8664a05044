"""Shipping an order on SQLite and PostgreSQL: refusals with stable codes, warnings needing confirmation,
partial shipping by item, timeline and audit, violations, tracking edits, and two clerks at the same moment."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.accounts.models import AuditEntry
from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.errors import DomainError
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent, Shipment
from xiaodian.shipping import service
from xiaodian.shipping.corrections import correct_tracking
from xiaodian.shipping.models import ShipmentItem, Violation
from xiaodian.shipping.service import ShipRequest

from ..conftest import NOW
from ..factories import make_record

CLERK = Principal(None, "warehouse", "warehouse", "web")
CS = Principal(None, "cs", "cs", "web")
OID = "6938459704022656025"


def seed(ctx, shop_id, *records):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=list(records), cipher=ctx.cipher, now=NOW)


def ship(ctx, shop_id, req, principal=CLERK, now=NOW):
    with transaction(ctx.sessions) as session:
        return service.ship_order(session, shop_id=shop_id, req=req, principal=principal, now=now)


def refused_code(ctx, shop_id, req, principal=CLERK) -> str:
    with pytest.raises(DomainError) as info:
        ship(ctx, shop_id, req, principal)
    return info.value.code


def order(ctx, shop_id, oid=OID) -> Order:
    with ctx.sessions() as session:
        return session.execute(select(Order).where(Order.shop_id == shop_id, Order.order_id == oid)).scalar_one()


def test_shipping_an_order_moves_it_to_shipped_with_event_and_audit(ctx, shop_id):
    seed(ctx, shop_id, make_record(OID, ship_by=NOW + timedelta(hours=5)))
    result = ship(ctx, shop_id, ShipRequest(OID, "顺丰速运", "sf 1234567890123"))
    assert (result.status, result.carrier_code, result.tracking_no, result.violation) == (
        "shipped", "shunfeng", "SF1234567890123", None)
    stored = order(ctx, shop_id)
    assert stored.status == "shipped" and stored.platform_status_code == 3 and stored.shipped_at == NOW
    with ctx.sessions() as session:
        kinds = [e.kind for e in session.execute(select(OrderEvent).where(OrderEvent.order_pk == stored.id)).scalars()]
        assert "tracking_added" in kinds and "status_changed" in kinds
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "shipping.ship")).scalar_one()
        assert entry.target_id == OID and entry.login == "warehouse"


@pytest.mark.parametrize("status,code", [
    (OrderStatus.UNPAID, "order_unpaid"), (OrderStatus.PAID_PENDING, "order_held_for_review"),
    (OrderStatus.CANCELLED, "order_cancelled"),
])
def test_orders_that_may_not_ship_are_refused_with_a_reason(ctx, shop_id, status, code):
    seed(ctx, shop_id, make_record(OID, status=status))
    assert refused_code(ctx, shop_id, ShipRequest(OID, "shunfeng", "SF1234567890123")) == code


def test_a_pending_refund_blocks_shipping(ctx, shop_id):
    seed(ctx, shop_id, make_record(OID, after_sale_status="退款中"))
    assert refused_code(ctx, shop_id, ShipRequest(OID, "shunfeng", "SF1234567890123")) == "refund_pending"


def test_another_capability_can_register_a_blocker(ctx, shop_id):
    seed(ctx, shop_id, make_record(OID))

    def blocker(_session, o):
        return ("address_changed", "address changed") if o.order_id == OID else None

    service.register_ship_blocker(blocker)
    try:
        assert refused_code(ctx, shop_id, ShipRequest(OID, "shunfeng", "SF1234567890123")) == "address_changed"
    finally:
        service._BLOCKERS.remove(blocker)


@pytest.mark.parametrize("carrier,number,code", [
    ("shunfeng", "", "tracking_empty"), ("shunfeng", "SF-12", "tracking_malformed"),
    ("no such carrier", "SF1234567890123", "carrier_unknown"),
])
def test_bad_numbers_and_carriers_are_refused(ctx, shop_id, carrier, number, code):
    seed(ctx, shop_id, make_record(OID))
    assert refused_code(ctx, shop_id, ShipRequest(OID, carrier, number)) == code


def test_a_number_already_used_on_another_order_is_refused(ctx, shop_id):
    seed(ctx, shop_id, make_record(OID), make_record("6938459704022656026"))
    ship(ctx, shop_id, ShipRequest("6938459704022656026", "shunfeng", "SF1234567890123"))
    assert refused_code(ctx, shop_id, ShipRequest(OID, "shunfeng", "SF1234567890123")) == "tracking_in_use"


def test_an_unusual_shape_needs_confirmation(ctx, shop_id):
    seed(ctx, shop_id, make_record(OID))
    assert refused_code(ctx, shop_id, ShipRequest(OID, "shunfeng", "YT1234567890123")) == "confirmation_required"
    assert order(ctx, shop_id).status == "awaiting_shipment"
    result = ship(ctx, shop_id, ShipRequest(OID, "shunfeng", "YT1234567890123", confirm_warnings=True))
    assert result.status == "shipped" and result.warnings == ["tracking_shape_mismatch"]


def test_cs_role_may_not_ship(ctx, shop_id):
    seed(ctx, shop_id, make_record(OID))
    assert refused_code(ctx, shop_id, ShipRequest(OID, "shunfeng", "SF1234567890123"), CS) == "forbidden"


def two_item_order():
    items = [ItemRecord(sku_order_id=f"{OID[:-1]}{k}", product_name=f"商品{k}", quantity=1, unit_price_fen=5000)
             for k in (1, 2)]
    return make_record(OID, items=items, ship_by=NOW + timedelta(hours=2))


def test_partial_shipping_by_item_then_the_rest(ctx, shop_id):
    seed(ctx, shop_id, two_item_order())
    first = ship(ctx, shop_id, ShipRequest(OID, "zhongtong", "73123456789012", items=[f"{OID[:-1]}1"]))
    assert first.status == "partially_shipped"
    assert refused_code(ctx, shop_id, ShipRequest(OID, "zhongtong", "73123456789013",
                                                  items=[f"{OID[:-1]}1"])) == "item_already_shipped"
    second = ship(ctx, shop_id, ShipRequest(OID, "zhongtong", "73123456789013"))
    assert second.status == "shipped" and second.items == [f"{OID[:-1]}2"]
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(ShipmentItem)).scalar_one() == 2
    assert refused_code(ctx, shop_id, ShipRequest(OID, "zhongtong", "73123456789014")) == "already_shipped"


def test_shipping_after_the_deadline_records_one_violation(ctx, shop_id):
    seed(ctx, shop_id, make_record(OID, ship_by=NOW - timedelta(hours=3), unit_price_fen=20000))
    result = ship(ctx, shop_id, ShipRequest(OID, "shunfeng", "SF1234567890123"))
    assert result.violation["kind"] == "late_shipment" and result.violation["late_by_seconds"] == 3 * 3600
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(Violation)).scalar_one() == 1


def test_correcting_a_tracking_number_is_recorded(ctx, shop_id):
    seed(ctx, shop_id, make_record(OID))
    ship(ctx, shop_id, ShipRequest(OID, "shunfeng", "SF1234567890123"))
    with transaction(ctx.sessions) as session:
        out = correct_tracking(session, shop_id=shop_id, order_id=OID, old_tracking_no="SF1234567890123",
                               carrier="shunfeng", tracking_no="SF1234567890124", reason="单号输错一位",
                               principal=CLERK, now=NOW + timedelta(minutes=5))
    assert out["before"]["tracking_no"] == "SF1234567890123" and out["after"]["tracking_no"] == "SF1234567890124"
    with ctx.sessions() as session:
        assert session.execute(select(Shipment.tracking_no)).scalars().all() == ["SF1234567890124"]
        assert session.execute(select(func.count()).select_from(OrderEvent)
                               .where(OrderEvent.kind == "tracking_edited")).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "shipping.correct_tracking")).scalar_one() == 1


def test_two_clerks_ship_the_same_order_at_the_same_moment(ctx, shop_id):
    """Both read the order, then both write: exactly one shipment, the other clerk gets a conflict."""
    seed(ctx, shop_id, make_record(OID))
    barrier = threading.Barrier(2, timeout=20)
    outcomes: list = [None, None]

    def clerk(index: int, number: str) -> None:
        session = ctx.sessions()
        try:
            plan = service.plan_shipment(session, shop_id, ShipRequest(OID, "shunfeng", number))
            barrier.wait()
            service.apply_plans(session, shop_id, [plan], principal=CLERK, now=NOW, source="web")
            session.commit()
            outcomes[index] = "shipped"
        except DomainError as exc:
            session.rollback()
            outcomes[index] = exc.code
        finally:
            session.close()

    threads = [threading.Thread(target=clerk, args=(i, f"SF123456789012{i}")) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["concurrent_change", "shipped"], outcomes
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(Shipment)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(ShipmentItem)).scalar_one() == 1


def test_orders_without_a_platform_ship_by_get_one_from_the_product_promise(ctx, shop_id):
    from xiaodian.orders.models import Product

    paid = NOW - timedelta(hours=1)
    seed(ctx, shop_id, make_record(OID, paid_at=paid, ship_by=None))
    with transaction(ctx.sessions) as session:
        # the import made the product from the order's title; the merchant gives it a promise
        session.execute(select(Product).where(Product.shop_id == shop_id, Product.product_id == "3512000000000000101")
                        ).scalar_one().ship_promise = "days:5"
    with transaction(ctx.sessions) as session:
        o = session.execute(select(Order).where(Order.order_id == OID)).scalar_one()
        assert o.ship_by is None
        assert service.derive_ship_by(session, shop_id, [o], NOW) == 1
    stored = order(ctx, shop_id)
    assert (stored.ship_by, stored.ship_by_source, stored.ship_promise) == (paid + timedelta(days=5), "promise", "days:5")
