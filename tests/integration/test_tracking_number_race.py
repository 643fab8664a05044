"""One tracking number, one order, even when clerks ship different orders with the same number at the same moment
(QA #1: three of four concurrent requests got it). SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.errors import DomainError
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, Shipment
from xiaodian.shipping import service
from xiaodian.shipping.corrections import correct_tracking
from xiaodian.shipping.service import ShipRequest

from ..conftest import NOW
from ..factories import make_record

CLERK = Principal(None, "warehouse", "warehouse", "web")
ORDERS = [f"69384597040226572{k:02d}" for k in range(4)]
NUMBER = "75888888888881"


def seed(ctx, shop_id) -> None:
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(o) for o in ORDERS])


def race(ctx, work) -> list:
    """Run ``work(index, session)`` in one thread per order, each in its own transaction; the outcomes."""
    barrier = threading.Barrier(len(ORDERS), timeout=30)
    outcomes: list = [None] * len(ORDERS)

    def clerk(index: int) -> None:
        session = ctx.sessions()
        try:
            work(index, session, barrier)
            session.commit()
            outcomes[index] = "shipped"
        except DomainError as exc:
            session.rollback()
            outcomes[index] = exc.code
        finally:
            session.close()

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(len(ORDERS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return outcomes


def orders_with(ctx, number: str) -> list[str]:
    with ctx.sessions() as session:
        return list(session.execute(select(Order.order_id).join(Shipment, Shipment.order_pk == Order.id)
                                    .where(Shipment.tracking_no == number)).scalars())


def test_clerks_giving_one_number_to_different_orders_at_once_ship_exactly_one(ctx, shop_id):
    """Every clerk checks the number (free), waits for the others, then writes: the lock taken before writing
    makes every clerk but the first see the first's shipment and be refused."""
    seed(ctx, shop_id)

    def ship(index, session, barrier):
        plan = service.plan_shipment(session, shop_id, ShipRequest(ORDERS[index], "zhongtong", NUMBER))
        barrier.wait()
        service.apply_plans(session, shop_id, [plan], principal=CLERK, now=NOW, source="api")

    outcomes = race(ctx, ship)
    assert sorted(outcomes) == ["shipped"] + ["tracking_in_use"] * 3, outcomes
    assert len(orders_with(ctx, NUMBER)) == 1


def test_whole_shipments_started_at_once_with_one_number_ship_exactly_one(ctx, shop_id):
    seed(ctx, shop_id)

    def ship(index, session, barrier):
        barrier.wait()
        service.ship_order(session, shop_id=shop_id, principal=CLERK, now=NOW,
                           req=ShipRequest(ORDERS[index], "zhongtong", "75888888888882"))

    outcomes = race(ctx, ship)
    assert outcomes.count("shipped") == 1 and set(outcomes) <= {"shipped", "tracking_in_use"}, outcomes
    assert len(orders_with(ctx, "75888888888882")) == 1


def test_a_correction_to_a_number_being_shipped_waits_and_is_refused(ctx, shop_id):
    """A correction checks the new number under the same lock as a shipment: while a shipment of that number is
    written but not yet committed, the correction waits, then finds the number taken (it used to check, find it
    free, and put the number on a second order)."""
    seed(ctx, shop_id)
    with transaction(ctx.sessions) as session:
        service.ship_order(session, shop_id=shop_id, principal=CLERK, now=NOW,
                           req=ShipRequest(ORDERS[0], "zhongtong", "75888888888880"))
    written = threading.Event()
    outcome: dict = {}

    def shipment() -> None:
        with transaction(ctx.sessions) as session:
            service.ship_order(session, shop_id=shop_id, principal=CLERK, now=NOW,
                               req=ShipRequest(ORDERS[1], "zhongtong", "75888888888883"))
            written.set()
            time.sleep(1.0)  # the correction starts while this shipment is still open

    def correction() -> None:
        written.wait(30)
        try:
            with transaction(ctx.sessions) as session:
                correct_tracking(session, shop_id=shop_id, order_id=ORDERS[0], old_tracking_no="75888888888880",
                                 carrier="zhongtong", tracking_no="75888888888883", reason="单号输错",
                                 principal=CLERK, now=NOW)
            outcome["code"] = "corrected"
        except DomainError as exc:
            outcome["code"] = exc.code

    threads = [threading.Thread(target=shipment), threading.Thread(target=correction)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcome == {"code": "tracking_in_use"}
    assert orders_with(ctx, "75888888888883") == [ORDERS[1]]
