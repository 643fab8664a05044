"""Two imports carrying the same orders at once end as if one had run after the other (QA pass 5, E1): the second
counts them unchanged, never fails on the unique keys (PostgreSQL: UniqueViolation, job "failed", HTTP 500), and
writes no parcel or timeline event twice. SQLite and PostgreSQL.

The interleaving is forced, not left to luck: a rendezvous holds each import, once it has read which orders exist
and is about to write, until the other import reaches the same point (or a second passes). Without a lock both
reach it, and both write what each found missing; with the per-shop intake lock the second import waits at the lock
before reading, never meets the first there, and reads what the first committed.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from xiaodian.channels.exportfile.samplegen import write_export
from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.orders import intake
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent, OrderItem, Shipment

from ..conftest import NOW
from ..factories import make_record
from ..races import in_threads


class Rendezvous:
    """An arrival meets another one that is waiting there, or waits for one for at most ``wait`` seconds."""

    def __init__(self, wait: float = 1.0) -> None:
        self.cond = threading.Condition()
        self.waiting = 0
        self.met = 0  # how many arrivals found another one waiting
        self.wait = wait

    def __call__(self) -> None:
        with self.cond:
            if self.waiting:
                self.waiting -= 1
                self.met += 1
                self.cond.notify_all()
                return
            self.waiting += 1
            seen = self.met
            if not self.cond.wait_for(lambda: self.met > seen, timeout=self.wait):
                self.waiting -= 1


def hold_before(monkeypatch, name: str) -> Rendezvous:
    """Make intake's ``name`` (called after the batch's reads, before its writes) wait at a rendezvous first."""
    meeting = Rendezvous()
    original = getattr(intake, name)

    def held(*args, **kwargs):
        meeting()
        return original(*args, **kwargs)

    monkeypatch.setattr(intake, name, held)
    return meeting


def upsert_alone(ctx, shop_id, records, now=NOW):
    """One intake in its own session and transaction, as a push, a sync page or an API import has it."""
    session = ctx.sessions()
    try:
        result = upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=now)
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def new_orders() -> list:
    """Twelve new orders: waiting ones, and shipped ones with a parcel (intake writes their shipments too)."""
    records = []
    for k in range(12):
        order_id = f"69500000000000{k:05d}"
        if k % 3 == 0:
            records.append(make_record(order_id, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=1),
                                       carrier="中通快递", tracking_no=f"7588800000{k:04d}"))
        else:
            records.append(make_record(order_id))
    return records


def stored(ctx, shop_id) -> dict:
    """What the shop holds, row by row as far as the test can tell one import from two."""
    with ctx.sessions() as session:
        def count(model):
            return session.scalar(select(func.count()).select_from(model).where(model.shop_id == shop_id))

        return {"orders": count(Order), "items": count(OrderItem), "events": count(OrderEvent),
                "shipments": count(Shipment),
                "event_kinds": sorted(session.execute(select(OrderEvent.kind, func.count()).where(
                    OrderEvent.shop_id == shop_id).group_by(OrderEvent.kind)).all())}


def test_two_intakes_of_the_same_new_orders_at_once_both_succeed(ctx, shop_id, monkeypatch):
    meeting = hold_before(monkeypatch, "_insert_new")
    outcomes = in_threads(lambda i: upsert_alone(ctx, shop_id, new_orders()), 2)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted((o.created, o.unchanged, o.updated, len(o.rejected)) for o in outcomes) == [(0, 12, 0, 0),
                                                                                              (12, 0, 0, 0)]
    assert meeting.met == 0  # the second intake never read while the first was about to write
    after_both = stored(ctx, shop_id)
    upsert_alone(ctx, shop_id, new_orders())  # one more run, alone: changes nothing
    assert stored(ctx, shop_id) == after_both
    assert after_both["orders"] == 12 and after_both["items"] == 12 and after_both["shipments"] == 4


def test_two_new_orders_claiming_one_sku_order_at_once_reject_the_second(ctx, shop_id, monkeypatch):
    """The SKU order's owner is read after the lock: the second order is rejected (sku_order_id_conflict), as it
    is when the two arrive one after the other, instead of breaking on the unique key."""
    hold_before(monkeypatch, "_insert_new")

    def claim(index: int):
        order_id = f"69510000000000000{index}"
        item = ItemRecord(sku_order_id="6951000000000009999", product_name="五常大米", quantity=1,
                          unit_price_fen=8990, product_id="3512000000000000101")
        return upsert_alone(ctx, shop_id, [make_record(order_id, items=[item])])

    outcomes = in_threads(claim, 2)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(o.created for o in outcomes) == [0, 1]
    assert sorted(r.code for o in outcomes for r in o.rejected) == ["sku_order_id_conflict"]
    assert stored(ctx, shop_id)["items"] == 1


def test_two_intakes_moving_a_stored_order_on_at_once_write_its_parcel_and_events_once(ctx, shop_id, monkeypatch):
    """Stored orders, then two identical later snapshots (shipped, with a parcel) at once: one updates, the other
    finds them updated (unchanged); one shipment and one status event per order, not two."""
    upsert_alone(ctx, shop_id, [make_record(f"69520000000000{k:05d}") for k in range(5)])
    hold_before(monkeypatch, "_apply_changes")

    def later(index: int):
        return upsert_alone(ctx, shop_id, [
            make_record(f"69520000000000{k:05d}", status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(hours=3),
                        carrier="中通快递", tracking_no=f"7588810000{k:04d}") for k in range(5)])

    outcomes = in_threads(later, 2)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted((o.updated, o.unchanged) for o in outcomes) == [(0, 5), (5, 0)]
    held = stored(ctx, shop_id)
    assert held["shipments"] == 5
    assert dict(held["event_kinds"])["status_changed"] == 5


def test_two_file_imports_of_the_same_new_orders_at_once_both_finish(ctx, shop_id, monkeypatch, tmp_path):
    """The export-file path (worker job or direct import): a transaction per batch, the lock per batch, so the two
    interleave batch by batch; every order is created once, and each report counts every order once."""
    path = tmp_path / "export.csv"
    write_export(path, 90, now=NOW)
    hold_before(monkeypatch, "_insert_new")

    def run(index: int):
        return import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW,
                                 batch_orders=30)

    outcomes = in_threads(run, 2)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    for report in outcomes:
        assert report.rejected == []
        assert report.orders["created"] + report.orders["unchanged"] == 90, report.orders
    assert sum(r.orders["created"] for r in outcomes) == 90
    after_both = stored(ctx, shop_id)
    again = import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW)
    assert again.orders["unchanged"] == 90
    assert stored(ctx, shop_id) == after_both
    assert after_both["orders"] == 90
