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


def _tracking_events(ctx):
    with ctx.sessions() as session:
        return [json.loads(e.detail) for e in session.execute(
            select(OrderEvent).where(OrderEvent.kind == "tracking_added")).scalars()]


def test_shipping_a_changed_order_asks_for_the_new_label_on_every_channel(app, users, ctx, shop_id):
    """The form, the API and the CLI's service call refuse to ship until the address change is confirmed (nothing
    written); confirmed, it ships and the timeline keeps that it was. An order whose address never changed ships
    as before."""
    from xiaodian.accounts.service import Principal
    from xiaodian.db import transaction
    from xiaodian.errors import DomainError
    from xiaodian.shipping import service as shipping
    from xiaodian.shipping.service import ShipRequest

    from ..conftest import csrf_of

    due = NOW + timedelta(days=1)
    _upsert(ctx, shop_id, ship_by=due)
    _upsert(ctx, shop_id, now=LATER, address="文三路 90号", district="拱墅区", ship_by=due)
    clerk = Principal(None, "cangku", "warehouse", "cli")
    with transaction(ctx.sessions) as session:
        try:
            shipping.ship_order(session, shop_id=shop_id, req=ShipRequest(ORDER, "shunfeng", "SF1234567890123"),
                                principal=clerk, now=LATER)
        except DomainError as exc:
            refused = exc
    assert refused.code == "address_change_unconfirmed" and refused.details["when"] == "11-24 20:00"
    with TestClient(app) as client:
        login(client, "warehouse")
        form = client.get(f"/shipping/orders/{ORDER}/ship").text
        assert 'name="confirm_address_change" value="1" required' in form and "面单已按新地址打印" in form
        token = csrf_of(client, f"/shipping/orders/{ORDER}/ship")
        page = client.post(f"/shipping/orders/{ORDER}/ship", data={
            "csrf_token": token, "carrier": "shunfeng", "tracking_no": "SF1234567890123", "back": "/shipping"})
        assert page.status_code == 409 and 'data-code="address_change_unconfirmed"' in page.text
        assert "买家于 11-24 20:00 修改了收货地址" in page.text
        api = client.post(f"/api/v1/orders/{ORDER}/shipments", headers={"X-CSRF-Token": csrf_of(client)},
                          json={"carrier": "shunfeng", "tracking_no": "SF1234567890123"})
        assert api.status_code == 409 and api.json()["error"]["code"] == "address_change_unconfirmed"
        assert _tracking_events(ctx) == []  # nothing written by any refusal
        done = client.post(f"/api/v1/orders/{ORDER}/shipments", headers={"X-CSRF-Token": csrf_of(client)},
                           json={"carrier": "shunfeng", "tracking_no": "SF1234567890123",
                                 "confirm_address_change": True})
        assert done.status_code == 201, done.text
    assert _tracking_events(ctx)[0]["confirmed_warnings"] == ["address_changed"]
    other = "6938459704022656026"
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[make_record(order_id=other, ship_by=due)], cipher=ctx.cipher,
                      now=NOW)
    with transaction(ctx.sessions) as session:
        shipped = shipping.ship_order(session, shop_id=shop_id, req=ShipRequest(other, "shunfeng", "SF1234567890124"),
                                      principal=clerk, now=LATER)
    assert shipped.status == "shipped"
    assert "confirmed_warnings" not in _tracking_events(ctx)[1]


def test_the_cli_ships_a_changed_order_only_with_the_confirmation(tmp_path):
    from ..conftest import cli_desk

    def seed(ctx, shop_id):
        _upsert(ctx, shop_id, ship_by=NOW + timedelta(days=1))
        _upsert(ctx, shop_id, now=LATER, address="文三路 90号", district="拱墅区", ship_by=NOW + timedelta(days=1))

    run = cli_desk(tmp_path, seed=seed)
    refused = run("ship", ORDER, "--carrier", "shunfeng", "--tracking", "SF1234567890123", "--json")
    assert refused.exit_code == 1 and '"code": "address_change_unconfirmed"' in refused.output
    done = run("ship", ORDER, "--carrier", "shunfeng", "--tracking", "SF1234567890123", "--confirm-address-change")
    assert done.exit_code == 0, done.output
    assert "shipped" in done.output
