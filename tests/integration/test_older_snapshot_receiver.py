"""An older snapshot cannot take back the buyer's address, phone or name (QA pass 6, #2; SQLite and PostgreSQL).

The merchant uploads the morning's export again after the evening's, in which the buyer had moved: the desk once put
the old address back, logged a second 买家修改收货地址 in the buyer's name and had the ship form tell the packer to
print the address she had moved away from. A receiver value the order has had and replaced, in a snapshot that does
not move the order on, is now an older file's and changes nothing; a snapshot that moves the status on still wins."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent

from ..conftest import NOW, SAMPLES, login
from ..factories import make_record

ORDER = "6938459704022656025"
A, B, C = "科苑南路2666号", "文三路 90号 东部软件园3号楼", "新港东路1068号 中洲中心"


def _upsert(ctx, shop_id, hours: int, **fields):
    with transaction(ctx.sessions) as session:
        result = upsert_orders(session, shop_id=shop_id, records=[make_record(order_id=ORDER, **fields)],
                               cipher=ctx.cipher, now=NOW + timedelta(hours=hours))
    assert not result.rejected
    return result


def _order(ctx) -> tuple[str, str, str, object, list[dict]]:
    """The stored address, phone and name in clear, when the address last changed, the address_changed details."""
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == ORDER)).scalar_one()
        moves = [json.loads(d) for d in session.execute(
            select(OrderEvent.detail).where(OrderEvent.kind == "address_changed").order_by(OrderEvent.id)).scalars()]
        return (ctx.cipher.decrypt("address", order.address_enc), ctx.cipher.decrypt("phone", order.phone_enc),
                ctx.cipher.decrypt("buyer_name", order.buyer_name_enc), order.address_changed_at, moves)


def test_the_older_snapshot_again_keeps_the_new_address_and_counts_as_unchanged(app, users, ctx, shop_id):
    due = NOW + timedelta(days=1)
    _upsert(ctx, shop_id, 0, address=A, ship_by=due)
    _upsert(ctx, shop_id, 2, address=B, district="拱墅区", ship_by=due)

    result = _upsert(ctx, shop_id, 4, address=A, ship_by=due)  # the morning's file again

    assert (result.updated, result.unchanged) == (0, 1)
    address, _phone, _name, changed_at, moves = _order(ctx)
    assert address == B and changed_at == NOW + timedelta(hours=2)
    assert len(moves) == 1 and moves[0]["after"].startswith("浙江省 杭州市 拱墅区 ")
    with ctx.sessions() as session:
        stored = session.execute(select(Order.replaced_buyer_digests)).scalar_one()
    assert A not in stored and "科苑" not in stored  # a keyed digest, never the replaced address
    with TestClient(app) as client:
        login(client, "owner")
        form = client.get(f"/shipping/orders/{ORDER}/ship").text
        assert "收货地址已修改" in form and "浙江省 杭州市 拱墅区 文三路 ****" in form
        assert form.count("买家修改收货地址") <= 1
        detail = client.get(f"/api/v1/orders/{ORDER}").json()
        assert detail["address_changed_at"] is not None
        assert "文三路" in json.dumps(detail, ensure_ascii=False)
    # the later file again is recognised as the same, and nothing moves either
    assert _upsert(ctx, shop_id, 5, address=B, district="拱墅区", ship_by=due).unchanged == 1
    assert len(_order(ctx)[4]) == 1


def test_an_older_snapshot_with_other_news_still_keeps_the_address(ctx, shop_id):
    """Only the receiver is an older file's: the merchant note it brings is written, the address is not."""
    _upsert(ctx, shop_id, 0, address=A)
    _upsert(ctx, shop_id, 2, address=B)
    assert _upsert(ctx, shop_id, 4, address=A, merchant_note="周五前发").updated == 1
    address, _phone, _name, _at, moves = _order(ctx)
    assert address == B and len(moves) == 1


def test_a_snapshot_behind_the_stored_status_moves_nothing(ctx, shop_id):
    _upsert(ctx, shop_id, 0, address=A)
    _upsert(ctx, shop_id, 2, address=B, status=OrderStatus.SHIPPED, shipped_at=NOW, tracking_no="SF1234567890123",
            carrier="顺丰速运")
    with transaction(ctx.sessions) as session:
        result = upsert_orders(session, shop_id=shop_id, records=[make_record(order_id=ORDER, address=A)],
                               cipher=ctx.cipher, now=NOW + timedelta(hours=4))
    assert not result.rejected and [r.code for r in result.warnings] == ["older_snapshot_skipped"]
    assert _order(ctx)[0] == B


def test_a_phone_or_name_the_buyer_replaced_does_not_come_back_either(ctx, shop_id):
    _upsert(ctx, shop_id, 0, phone="13812345678", buyer_name="王小明")
    _upsert(ctx, shop_id, 2, phone="13911112222", buyer_name="王晓明")
    assert _upsert(ctx, shop_id, 4, phone="13812345678", buyer_name="王小明").unchanged == 1
    assert _order(ctx)[1:3] == ("13911112222", "王晓明")


def test_a_new_address_after_a_change_still_wins(ctx, shop_id):
    _upsert(ctx, shop_id, 0, address=A)
    _upsert(ctx, shop_id, 2, address=B)
    assert _upsert(ctx, shop_id, 4, address=C).updated == 1
    address, _phone, _name, changed_at, moves = _order(ctx)
    assert address == C and changed_at == NOW + timedelta(hours=4) and len(moves) == 2
    assert _upsert(ctx, shop_id, 5, address=A).unchanged == 1  # and neither earlier one comes back
    assert _upsert(ctx, shop_id, 6, address=B).unchanged == 1
    assert _order(ctx)[0] == C


def test_going_back_to_an_earlier_address_counts_once_the_status_moves_on(ctx, shop_id):
    """A → B → C → B. In the same status the file cannot be told from an older one: the desk keeps C (the limit
    keep_current_buyer documents). A file that also moves the status on is newer than every one read: B wins, as a
    change by the buyer, and C is then the replaced one."""
    _upsert(ctx, shop_id, 0, address=A)
    _upsert(ctx, shop_id, 1, address=B)
    _upsert(ctx, shop_id, 2, address=C)
    assert _upsert(ctx, shop_id, 3, address=B).unchanged == 1
    assert _order(ctx)[0] == C

    shipped = dict(status=OrderStatus.SHIPPED, shipped_at=NOW + timedelta(hours=4), tracking_no="SF1234567890123",
                   carrier="顺丰速运")
    assert _upsert(ctx, shop_id, 4, address=B, **shipped).updated == 1
    address, _phone, _name, changed_at, moves = _order(ctx)
    assert address == B and changed_at == NOW + timedelta(hours=4) and len(moves) == 3
    assert _upsert(ctx, shop_id, 5, address=C, **shipped).unchanged == 1
    assert _order(ctx)[0] == B


# The order the QA pass moved (备货中 in the sample)
QA_ORDER = "6938683202927322943"


def _import(ctx, shop_id, path, **kw):
    return import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW, **kw)


def test_the_platform_export_uploaded_again_after_a_later_one_previews_and_imports_as_unchanged(ctx, shop_id,
                                                                                                 tmp_path):
    sample = SAMPLES / "douyin_orders_export.csv"
    assert _import(ctx, shop_id, sample).rejected == []
    table = list(csv.DictReader(io.StringIO(sample.read_text(encoding="utf-8-sig"))))
    for row in table:
        if row["主订单编号"] == QA_ORDER:
            row["详细地址"] = "文一西路969号 海创园5号楼"
    out = io.StringIO()
    writer = csv.DictWriter(out, list(table[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(table)
    later = tmp_path / "day2.csv"
    later.write_text(out.getvalue(), encoding="utf-8-sig")
    assert _import(ctx, shop_id, later).orders["updated"] == 1

    preview = _import(ctx, shop_id, sample, dry_run=True)
    report = _import(ctx, shop_id, sample)

    assert preview.orders["updated"] == report.orders["updated"] == 0
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == QA_ORDER)).scalar_one()
        assert ctx.cipher.decrypt("address", order.address_enc) == "文一西路969号 海创园5号楼"
        assert len(session.execute(select(OrderEvent.id).where(OrderEvent.kind == "address_changed")).all()) == 1
