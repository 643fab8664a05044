"""A later snapshot from a file and the order's ship-by and item specs (QA pass 8, #5; SQLite and PostgreSQL).

An order export imported over a desk fed by the Douyin sync moved the platform's ship-by with no timeline entry (a
sync records ``ship_by_changed``), an older file took back a deadline the platform had moved since, and a file
without 商品规格 erased the item's spec ("五常大米 5kg 5kg ×2" became "五常大米 5kg ×2")."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent, OrderItem

from ..conftest import NOW
from ..factories import make_record

ORDER = "4907538423936588900"
EARLY, LATE = NOW + timedelta(days=1), NOW + timedelta(days=2)


def _upsert(ctx, shop_id, hours: int, source: str = "import", **fields):
    with transaction(ctx.sessions) as session:
        result = upsert_orders(session, shop_id=shop_id, records=[make_record(order_id=ORDER, **fields)],
                               cipher=ctx.cipher, now=NOW + timedelta(hours=hours), source=source, actor="boss")
    assert not result.rejected
    return result


def _state(ctx):
    """The stored ship-by and its source, and the ship_by_changed events (source, actor, detail as datetimes)."""
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == ORDER)).scalar_one()
        events = [(e.source, e.actor, {k: datetime.fromisoformat(v) for k, v in json.loads(e.detail).items()})
                  for e in session.execute(select(OrderEvent).where(OrderEvent.kind == "ship_by_changed")
                                           .order_by(OrderEvent.id)).scalars()]
        return order.ship_by, order.ship_by_source, events


def test_a_file_that_moves_the_ship_by_records_it_in_the_timeline(ctx, shop_id):
    _upsert(ctx, shop_id, 0, ship_by=LATE)
    assert _upsert(ctx, shop_id, 2, ship_by=EARLY).updated == 1
    ship_by, source, events = _state(ctx)
    assert (ship_by, source) == (EARLY, "platform")
    assert events == [("import", "boss", {"previous_ship_by": LATE, "ship_by": EARLY})]
    assert _upsert(ctx, shop_id, 3, ship_by=EARLY).unchanged == 1  # the same file again: no second event
    assert _upsert(ctx, shop_id, 4, merchant_note="周五前发").updated == 1  # a file without the column keeps it
    assert _state(ctx) == (EARLY, "platform", events)


def test_an_older_file_does_not_take_back_a_deadline_the_platform_moved(ctx, shop_id):
    """The morning's export (ship-by EARLY) imported, the platform moved the deadline (a sync, its own event), then the
    morning's file again: a ship-by the order has had and replaced, in the same status, is an older file's."""
    _upsert(ctx, shop_id, 0, ship_by=EARLY)
    _upsert(ctx, shop_id, 1, source="sync", ship_by=LATE)
    with transaction(ctx.sessions) as session:  # what channels/douyin/timeline.py records for the sync's move
        pk = session.execute(select(Order.id)).scalar_one()
        session.add(OrderEvent(shop_id=shop_id, order_pk=pk, at=NOW, recorded_at=NOW, kind="ship_by_changed",
                               source="sync", actor="douyin", detail=json.dumps(
                                   {"previous_ship_by": EARLY.isoformat(), "ship_by": LATE.isoformat()})))

    assert _upsert(ctx, shop_id, 2, ship_by=EARLY).unchanged == 1
    ship_by, _source, events = _state(ctx)
    assert ship_by == LATE and [e[0] for e in events] == ["sync"]
    # with other news, the news is written and the deadline still kept
    assert _upsert(ctx, shop_id, 3, ship_by=EARLY, merchant_note="周五前发").updated == 1
    assert _state(ctx)[0] == LATE and len(_state(ctx)[2]) == 1


def test_an_older_file_after_a_later_file_keeps_the_later_files_deadline(ctx, shop_id):
    _upsert(ctx, shop_id, 0, ship_by=EARLY)
    _upsert(ctx, shop_id, 1, ship_by=LATE)  # the import records the move: the evidence for the next file
    assert _upsert(ctx, shop_id, 2, ship_by=EARLY).unchanged == 1
    ship_by, _source, events = _state(ctx)
    assert ship_by == LATE and events == [("import", "boss", {"previous_ship_by": EARLY, "ship_by": LATE})]


def test_a_ship_by_not_seen_replaced_or_a_status_moving_on_or_a_sync_still_wins(ctx, shop_id):
    """Without evidence the file cannot be told from a newer one, and a deadline brought forward is the platform's
    to make: it wins (and is recorded). A snapshot that moves the status on is newer than any, and a sync is the
    platform's current state."""
    _upsert(ctx, shop_id, 0, ship_by=LATE)
    assert _upsert(ctx, shop_id, 1, ship_by=EARLY).updated == 1
    assert _state(ctx)[0] == EARLY
    assert _upsert(ctx, shop_id, 2, ship_by=LATE).unchanged == 1  # LATE was replaced: an older file now
    assert _upsert(ctx, shop_id, 3, ship_by=LATE, status=OrderStatus.PARTIALLY_SHIPPED, shipped_at=NOW,
                   tracking_no="SF1234567890123", carrier="顺丰速运").updated == 1
    assert _state(ctx)[0] == LATE
    assert _upsert(ctx, shop_id, 4, source="sync", ship_by=EARLY, status=OrderStatus.PARTIALLY_SHIPPED,
                   shipped_at=NOW, tracking_no="SF1234567890123", carrier="顺丰速运").updated == 1
    ship_by, _source, events = _state(ctx)
    assert ship_by == EARLY and [e[0] for e in events] == ["import", "import"]  # a sync records its own


def _items(spec: str | None, **kw) -> list[ItemRecord]:
    return [ItemRecord(sku_order_id=ORDER, product_name="五常大米 5kg", quantity=2, unit_price_fen=2995, spec=spec,
                       product_id="3500000000000000001", **kw)]


def test_an_empty_spec_keeps_the_stored_one(ctx, shop_id):
    _upsert(ctx, shop_id, 0, items=_items("5kg"), ship_by=LATE)
    assert _upsert(ctx, shop_id, 1, items=_items(None), ship_by=LATE).unchanged == 1
    assert _upsert(ctx, shop_id, 2, items=_items(""), ship_by=LATE, merchant_note="周五前发").updated == 1
    with ctx.sessions() as session:
        summary = session.execute(select(Order.items_summary)).scalar_one()
        spec = session.execute(select(OrderItem.spec)).scalar_one()
    assert (summary, spec) == ("五常大米 5kg 5kg ×2", "5kg")
    assert _upsert(ctx, shop_id, 3, items=_items("10kg"), ship_by=LATE).updated == 1  # a spec given still wins
    with ctx.sessions() as session:
        assert session.execute(select(Order.items_summary)).scalar_one() == "五常大米 5kg 10kg ×2"


HEAD = ("主订单编号,子订单编号,选购商品,商品ID,商家编码,商品数量,商品金额,订单应付金额,订单提交时间,"
        "支付完成时间,订单完成时间,订单状态,售后状态,取消原因,买家留言,商家备注,收件人,收件人手机号,省,市,区,"
        "详细地址,快递公司,快递单号,发货时间,承诺发货时间")


def _file(tmp_path, name: str, ship_by: str, spec: str | None) -> object:
    head = HEAD + (",商品规格" if spec is not None else "")
    row = (f"{ORDER},{ORDER},五常大米 5kg,3500000000000000001,,2,29.95,59.90,2026-11-22 03:35:46,2026-11-22 09:36:13,,"
           f"备货中,,,,,张三,13800135680,浙江省,杭州市,西湖区,文三路 100 号,,,,{ship_by}"
           + (f",{spec}" if spec is not None else ""))
    path = tmp_path / name
    path.write_text(f"{head}\n{row}\n", encoding="utf-8-sig")
    return path


def test_the_qa_files(ctx, shop_id, tmp_path, owner_client):
    """The QA pass's steps with files: the evening's export (ship-by moved later, with the spec), then the morning's
    (earlier ship-by, no 商品规格 column) again."""
    morning = _file(tmp_path, "0900.csv", "2026-11-30 12:00:00", "5kg")
    evening = _file(tmp_path, "1800.csv", "2026-12-01 09:36:00", "5kg")
    again = _file(tmp_path, "0900_nospec.csv", "2026-11-30 12:00:00", None)
    for path in (morning, evening):
        assert import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW).rejected == []

    report = import_order_file(ctx.sessions, shop_id=shop_id, path=again, cipher=ctx.cipher, now=NOW)

    assert report.orders["updated"] == 0
    ship_by, _source, events = _state(ctx)
    assert ship_by == datetime.fromisoformat("2026-12-01T09:36:00+08:00")
    assert [(e[0], e[2]["previous_ship_by"]) for e in events] == [
        ("import", datetime.fromisoformat("2026-11-30T12:00:00+08:00"))]
    with ctx.sessions() as session:
        assert session.execute(select(Order.items_summary)).scalar_one() == "五常大米 5kg 5kg ×2"
    page = owner_client.get(f"/orders/{ORDER}").text
    assert "平台修改承诺发货时间" in page and "原承诺发货时间" in page and "2026-11-30 12:00" in page
    with ctx.sessions() as session:
        assert session.execute(select(OrderItem.spec)).scalar_one() == "5kg"
