"""A buyer's address change (推送 105, or a later export): intake notices it, records when and a masked before →
after in the timeline, and the list, the order and its ship form say so while the order is still to ship."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from xiaodian.db import transaction
from xiaodian.orders import service
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent

from ..conftest import NOW, login
from ..factories import make_record

ORDER = "6938459704022656025"
LATER = NOW + timedelta(hours=2)


def _upsert(ctx, shop_id, now=NOW, **fields):
    with transaction(ctx.sessions) as session:
        result = upsert_orders(session, shop_id=shop_id, records=[make_record(order_id=ORDER, **fields)],
                               cipher=ctx.cipher, now=now)
    assert not result.rejected
    return result


def _moves(ctx):
    with ctx.sessions() as session:
        return [json.loads(e.detail) for e in session.execute(
            select(OrderEvent).where(OrderEvent.kind == "address_changed")).scalars()]


def test_a_later_snapshot_with_another_address_is_recorded_masked(ctx, shop_id):
    _upsert(ctx, shop_id)
    # the same address again, other fields moving on (a note): no change of address
    _upsert(ctx, shop_id, now=LATER, buyer_note="请尽快发货")
    assert _moves(ctx) == []
    _upsert(ctx, shop_id, now=LATER, buyer_note="请尽快发货", address="文三路 90号 东部软件园3号楼", district="拱墅区")
    moves = _moves(ctx)
    assert len(moves) == 1
    assert moves[0]["before"].startswith("浙江省 杭州市 西湖区 ") and moves[0]["after"].startswith("浙江省 杭州市 拱墅区 ")
    assert "科苑南路2666号" not in json.dumps(moves, ensure_ascii=False)  # masked copies only
    assert "东部软件园3号楼" not in json.dumps(moves, ensure_ascii=False)
    with ctx.sessions() as session:
        order = session.execute(select(Order).where(Order.order_id == ORDER)).scalar_one()
        assert order.address_changed_at == LATER
        assert ctx.cipher.decrypt("address", order.address_enc) == "文三路 90号 东部软件园3号楼"
        detail = service.order_detail(session, shop_id=shop_id, order_id=ORDER)
    assert detail.address_changed_at is not None
    # re-importing that same snapshot changes nothing more; a snapshot without an address is not a change either
    assert _upsert(ctx, shop_id, now=LATER + timedelta(hours=1), buyer_note="请尽快发货",
                   address="文三路 90号 东部软件园3号楼", district="拱墅区").unchanged == 1
    _upsert(ctx, shop_id, now=LATER + timedelta(hours=2), buyer_note="改", address=None, district="拱墅区")
    assert len(_moves(ctx)) == 1


def test_the_list_the_order_and_the_ship_form_warn_until_it_ships(app, users, ctx, shop_id):
    due = NOW + timedelta(days=1)
    _upsert(ctx, shop_id, ship_by=due)
    _upsert(ctx, shop_id, now=LATER, address="文三路 90号", district="拱墅区", ship_by=due)
    with TestClient(app) as client:
        login(client, "owner")
        listed = client.get("/orders")
        assert '<span class="tag bad address-changed"' in listed.text
        assert ">改地址<" in client.get("/shipping?view=awaiting").text
        assert ">改地址<" in client.get("/").text  # the home page's 最急待发
        page = client.get(f"/orders/{ORDER}")
        assert "收货地址已修改" in page.text and "浙江省 杭州市 拱墅区" in page.text
        assert "买家修改收货地址" in page.text  # the timeline's line
        assert "收货地址已修改" in client.get(f"/shipping/orders/{ORDER}/ship").text
        assert client.get(f"/api/v1/orders/{ORDER}").json()["address_changed_at"] is not None
        listed_json = client.get("/api/v1/orders", params={"view": "awaiting"}).json()["orders"]
        detail = client.get(f"/api/v1/orders/{ORDER}").json()
        assert listed_json[0]["address_changed_at"] == detail["address_changed_at"]
    _upsert(ctx, shop_id, now=LATER + timedelta(hours=3), address="文三路 90号", district="拱墅区", ship_by=due,
            status=OrderStatus.SHIPPED, shipped_at=LATER + timedelta(hours=3))
    with TestClient(app) as client:
        login(client, "owner")
        assert "收货地址已修改" not in client.get(f"/orders/{ORDER}").text  # shipped: nothing left to warn about
        assert '<span class="tag bad address-changed"' not in client.get("/orders").text
        assert ">改地址<" not in client.get("/").text
