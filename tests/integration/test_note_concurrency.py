"""批量备注 "append" keeps every clerk's text when several append to one order at the same moment (QA pass 5, E2: 8
appends at once, all answered 200, 3 kept), and each timeline entry's "before" is the note the previous one left.
SQLite and PostgreSQL.

The interleaving is forced: a barrier holds every append, once it has read the order and before it writes, until
all have read (or a second passes). Without a lock all of them read the same note; with the order row locked
before the read, the others wait at the lock and read the note the one before them committed.
"""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.errors import Conflict
from xiaodian.orders import service
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent

from ..conftest import NOW
from ..factories import make_record
from ..races import in_sessions

CLERK = Principal(None, "kefu1", "cs", "api")
ORDER = "6969588683442028845"
OTHER = "6969588683442028846"
APPENDS = 4


def seed(ctx, shop_id) -> None:
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(ORDER), make_record(OTHER)])
        service.update_merchant_notes(session, CLERK, shop_id=shop_id, order_ids=[ORDER], note="基础",
                                      note_mode="replace", now=NOW)


def hold_before_writing(monkeypatch, parties: int) -> None:
    """Every note change waits, after its reads, until ``parties`` of them are there (at most a second)."""
    barrier = threading.Barrier(parties, timeout=1.0)
    original = service._note_order

    def held(*args, **kwargs):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "_note_order", held)


def note_and_history(ctx, shop_id, order_id: str = ORDER) -> tuple[str, list[dict]]:
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.shop_id == shop_id, Order.order_id == order_id)).scalar_one()
        events = session.execute(select(OrderEvent.detail).where(
            OrderEvent.order_pk == order.id, OrderEvent.kind == "note_changed").order_by(OrderEvent.id)).scalars()
        return order.merchant_note, [json.loads(d) for d in events]


def test_appends_at_once_are_all_kept_and_the_timeline_chains(ctx, shop_id, monkeypatch):
    seed(ctx, shop_id)
    hold_before_writing(monkeypatch, APPENDS)

    def append(index, session):
        return service.update_merchant_notes(session, CLERK, shop_id=shop_id, order_ids=[ORDER],
                                             note=f"追加{index}", note_mode="append", now=NOW)

    outcomes = in_sessions(ctx.sessions, append, APPENDS)
    assert all(o == {"updated": [ORDER], "unchanged": []} for o in outcomes), outcomes
    note, history = note_and_history(ctx, shop_id)
    parts = note.split(service.NOTE_SEPARATOR)
    assert parts[0] == "基础" and sorted(parts[1:]) == [f"追加{i}" for i in range(APPENDS)], note
    assert len(history) == 1 + APPENDS
    for earlier, later in zip(history, history[1:]):
        assert later["before"]["merchant_note"] == earlier["after"]["merchant_note"]
    assert history[-1]["after"]["merchant_note"] == note


def test_two_batches_naming_the_same_orders_in_opposite_order_keep_both_appends(ctx, shop_id, monkeypatch):
    """Two batches naming the same two orders in opposite order: both kept, no deadlock."""
    seed(ctx, shop_id)
    hold_before_writing(monkeypatch, 2)

    def append(index, session):
        ids = [ORDER, OTHER] if index == 0 else [OTHER, ORDER]
        return service.update_notes_in_shops(session, CLERK, {shop_id: ids}, note=f"批{index}", note_mode="append",
                                             now=NOW)

    outcomes = in_sessions(ctx.sessions, append, 2)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(note_and_history(ctx, shop_id)[0].split(service.NOTE_SEPARATOR)) == ["基础", "批0", "批1"]
    assert sorted(note_and_history(ctx, shop_id, OTHER)[0].split(service.NOTE_SEPARATOR)) == ["批0", "批1"]


def test_a_save_over_a_note_changed_since_it_was_loaded_is_refused(ctx, shop_id):
    """The single-order editor replaces the note: with the note it loaded, a stale save is refused (409
    concurrent_change) and the other clerk's text stays; a save that already matches, or a fresh one, goes through."""
    seed(ctx, shop_id)
    with transaction(ctx.sessions) as session:  # the other clerk, after this one loaded "基础"
        service.update_merchant_note(session, CLERK, shop_id=shop_id, order_id=ORDER, note="基础；缺货",
                                     flag_colour=None, now=NOW)
    with transaction(ctx.sessions) as session:
        with pytest.raises(Conflict) as refused:
            service.update_merchant_note(session, CLERK, shop_id=shop_id, order_id=ORDER, note="基础；已发顺丰",
                                         flag_colour=None, now=NOW, expected_note="基础")
    assert refused.value.code == "concurrent_change"
    assert note_and_history(ctx, shop_id)[0] == "基础；缺货"
    with transaction(ctx.sessions) as session:  # the same edit made twice loses nothing: accepted
        service.update_merchant_note(session, CLERK, shop_id=shop_id, order_id=ORDER, note="基础；缺货",
                                     flag_colour=2, now=NOW, expected_note="基础")
        # what a browser sends back: CRLF line breaks
        service.update_merchant_note(session, CLERK, shop_id=shop_id, order_id=OTHER, note="第一行\r\n第二行",
                                     flag_colour=None, now=NOW, expected_note=None)
    with transaction(ctx.sessions) as session:
        service.update_merchant_note(session, CLERK, shop_id=shop_id, order_id=OTHER, note="改了",
                                     flag_colour=None, now=NOW, expected_note="第一行\r\n第二行".replace("\r", ""))
    assert note_and_history(ctx, shop_id, OTHER)[0] == "改了"


def test_two_batches_over_two_shops_named_in_opposite_order_keep_both_appends(ctx, shop_id, monkeypatch):
    """The list of all shops' batch: every shop's orders are locked together, in one order, so two batches naming
    the shops the other way round neither deadlock (PostgreSQL would abort one) nor lose an append."""
    from xiaodian.accounts.models import Shop

    seed(ctx, shop_id)
    with transaction(ctx.sessions) as session:
        second = Shop(name="第二家店", platform_shop_id="7654399", created_at=NOW)
        session.add(second)
        session.flush()
        second = second.id
        upsert_orders(session, shop_id=second, cipher=ctx.cipher, now=NOW, records=[make_record(ORDER)])
    hold_before_writing(monkeypatch, 2)

    def append(index, session):
        shops = {shop_id: [ORDER], second: [ORDER]}
        if index:
            shops = dict(reversed(shops.items()))
        return service.update_notes_in_shops(session, CLERK, shops, note=f"批{index}", note_mode="append", now=NOW)

    outcomes = in_sessions(ctx.sessions, append, 2)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(note_and_history(ctx, shop_id)[0].split(service.NOTE_SEPARATOR)) == ["基础", "批0", "批1"]
    assert sorted(note_and_history(ctx, second)[0].split(service.NOTE_SEPARATOR)) == ["批0", "批1"]
