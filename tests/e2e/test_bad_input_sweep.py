"""Bad input found by an exploratory sweep of shipping, logistics, after-sales, the inquiry assistant and the Douyin
channel: each one is refused with a 4xx (or a CLI exit code and message) naming the field or row, never a 500 or a
traceback, and nothing stored changes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import service as aftersales
from xiaodian.aftersales.domain import ActionInput, CaseStatus, CaseType
from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.cli import _register
from xiaodian.db import transaction
from xiaodian.errors import ValidationFailed
from xiaodian.logistics.importfile import import_tracking_file
from xiaodian.logistics.jobs import scan_shop
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, Shipment

from ..conftest import NOW, cli_desk, csrf_of
from ..factories import make_record

_register()
HUGE = "9" * 30  # a whole number no row id can be: it overflowed the SQLite driver (500 / traceback)
OWNER = Principal(None, "owner", "owner", "api")
SHIPPED = "6938459704022657001"
AWAITING = "6938459704022657002"
CASE = "7300000000000007001"
NUMBER = "73100000000701"


def _seed(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=SHIPPED, status=OrderStatus.SHIPPED, carrier="中通快递", tracking_no=NUMBER,
                        shipped_at=NOW - timedelta(hours=30)),
            make_record(AWAITING, ship_by=NOW + timedelta(hours=1))])
        aftersales.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=SHIPPED, sku_order_id=None,
                             case_type=CaseType.REFUND_SHIPPED, applied_at=NOW - timedelta(hours=3), now=NOW,
                             source="sync", principal=None, reason=aftersales.BuyerReason("商品破损/污渍"),
                             refund_fen=8990)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)  # a pickup_timeout anomaly for the shipped order


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_id_too_large_for_any_row_is_not_found_not_a_500(ctx, shop_id, owner_client):
    _seed(ctx, shop_id)
    csrf = {"x-csrf-token": csrf_of(owner_client)}
    for url, body in ((f"/api/v1/orders/{SHIPPED}/shipments/{HUGE}", {"carrier": "zhongtong",
                                                                        "tracking_no": "73100000000702", "reason": "x"}),
                      (f"/api/v1/shipping/reminders/{HUGE}/ack", None),
                      (f"/api/v1/anomalies/{HUGE}/actions", {"action": "resolved"})):
        method = owner_client.patch if "/shipments/" in url else owner_client.post
        answer = method(url, headers=csrf, json=body) if body else method(url, headers=csrf)
        assert answer.status_code == 404, (url, answer.text)
        assert set(answer.json()["error"]) == {"code", "message", "details"}
    assert owner_client.get("/api/v1/anomalies").json()["total"] == 1  # untouched
    for page in (f"/logistics/anomalies/{HUGE}", "/logistics/anomalies/-3", "/logistics/anomalies/abc"):
        assert owner_client.get(page).status_code == 404, page  # the case page too
    ticked = owner_client.post("/orders/batch-note?shop=all", follow_redirects=False, data={
        "csrf_token": csrf_of(owner_client), "order_id": "9" * 5000 + ":" + SHIPPED, "flag_colour": "2"})
    assert ticked.status_code == 303  # a tick naming no shop of the desk: refused with a notice, not a 500
    for colour in ("9" * 5000, "²", "３", "-1"):  # not a flag: the batch changes no flag (and says nothing ticked)
        answer = owner_client.post("/orders/batch-note", follow_redirects=False, data={
            "csrf_token": csrf_of(owner_client), "order_id": SHIPPED, "flag_colour": colour})
        assert answer.status_code == 303, colour


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_empty_items_list_ships_nothing_instead_of_the_whole_order(ctx, shop_id, owner_client):
    _seed(ctx, shop_id)
    refused = owner_client.post(f"/api/v1/orders/{AWAITING}/shipments", headers={"x-csrf-token": csrf_of(owner_client)},
                                json={"carrier": "shunfeng", "tracking_no": "SF1234567890123", "items": []})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "items_empty" and error["details"]["field"] == "items"
    with ctx.sessions() as session:
        order = session.query(Order).filter_by(order_id=AWAITING).one()
        assert order.status == OrderStatus.AWAITING_SHIPMENT
        assert session.query(Shipment).filter_by(order_pk=order.id).count() == 0


def test_tracking_file_rows_with_odd_state_codes_or_future_times_are_rejected_by_row(ctx, shop_id, tmp_path):
    _seed(ctx, shop_id)
    path = tmp_path / "scans.csv"
    path.write_text("快递单号,快递公司,时间,状态码,地点,描述\n"
                    f"{NUMBER},中通快递,2026-11-24 09:00:00,1,五常市,【五常市】已揽收\n"
                    f"{NUMBER},中通快递,2026-11-24 10:00:00,²,五常市,superscript two\n"
                    f"{NUMBER},中通快递,2026-11-24 11:00:00,99999999999999999999999,五常市,too big\n"
                    f"{NUMBER},中通快递,2099-11-24 11:00:00,0,五常市,from the future\n", encoding="utf-8")
    report = import_tracking_file(ctx.sessions, shop_id=shop_id, path=path, principal=OWNER, now=NOW)
    assert report.added == 1
    assert [(r["row"], r["column"], r["code"]) for r in report.rejected] == [
        (3, "状态码", "state_not_numeric"), (4, "状态码", "state_not_numeric"), (5, "时间", "date_in_future")]


def test_an_after_sale_note_too_long_is_refused_not_cut(ctx, shop_id):
    _seed(ctx, shop_id)
    with pytest.raises(ValidationFailed) as refused, transaction(ctx.sessions) as session:
        aftersales.merchant_action(session, shop_id=shop_id, aftersale_id=CASE, action=aftersales.Action.REJECT,
                                   given=ActionInput("other", "说" * 1001), principal=OWNER, now=NOW)
    assert refused.value.details["field"] == "note" and refused.value.code == "too_long"
    with pytest.raises(ValidationFailed) as refused, transaction(ctx.sessions) as session:
        aftersales.add_contact(session, shop_id=shop_id, aftersale_id=CASE, channel="phone", summary="说" * 1001,
                               outcome=None, principal=OWNER, now=NOW)
    assert refused.value.details["field"] == "summary"
    with ctx.sessions() as session:
        case = session.query(AfterSaleCase).filter_by(aftersale_id=CASE).one()
        assert case.status == CaseStatus.WAITING_MERCHANT and case.reject_note is None


@pytest.mark.parametrize("at", ["0001-01-01T00:30:00+00:00", "9999-12-31T23:59:59+00:00"])
def test_an_inquiry_sent_at_an_impossible_time_is_a_422_naming_at(owner_client, at, backend):
    if backend != "sqlite":
        pytest.skip("date arithmetic is the same on both backends")
    answer = owner_client.post("/api/v1/inquiries", json={"message": "我昨天下的单怎么还没发货", "at": at},
                               headers={"x-csrf-token": csrf_of(owner_client)})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"]["field"] == "at"


def test_signatures_with_non_ascii_characters_are_refused_not_a_500(ctx, app):
    from fastapi.testclient import TestClient

    from xiaodian.channels.douyin.signing import event_sign_ok
    from xiaodian.logistics.kuaidi100 import push_sign_ok

    assert event_sign_ok("key", b"[]", "secret", "é" * 32) is False
    assert push_sign_ok("{}", "签名" * 16, "salt") is False
    with transaction(ctx.sessions) as session:
        from xiaodian.bootstrap import default_shop_id
        from xiaodian.channels.douyin import service as douyin

        douyin.connect(session, shop_id=default_shop_id(ctx), platform_shop_id="123456", app_key="appk1",
                       app_secret="secret1", cipher=ctx.cipher, principal=OWNER, now=NOW)
    with TestClient(app) as client:
        forged = client.post("/hooks/douyin", content=b"[]",
                             headers={"app-id": "appk1", "event-sign": "é".encode("latin-1")})
    assert forged.status_code == 403


def test_douyin_connect_refuses_values_the_columns_cannot_hold(ctx, shop_id):
    from xiaodian.channels.douyin import service as douyin

    for field, values in (("shop_id", {"platform_shop_id": "9" * 41}), ("shop_id", {"platform_shop_id": "１２３"}),
                          ("app_key", {"app_key": "k" * 65}), ("name", {"name": "店" * 101})):
        given = {"platform_shop_id": "123456", "app_key": "appk1", "app_secret": "s", **values}
        with pytest.raises(ValidationFailed) as refused, transaction(ctx.sessions) as session:
            douyin.connect(session, shop_id=shop_id, cipher=ctx.cipher, principal=OWNER, now=NOW, **given)
        assert refused.value.details["field"] == field
    with ctx.sessions() as session:
        assert douyin.get_connection(session, shop_id) is None


def test_cli_refuses_unknown_filters_huge_ids_and_empty_items_without_a_traceback(tmp_path):
    run = cli_desk(tmp_path, _seed)
    for args, code, words in ((("aftersales", "--type", "nope"), 2, "--type must be one of"),
                              (("aftersales", "--family", "nope"), 2, "--family must be one of"),
                              (("aftersales", "--page", HUGE), 2, "--page"),
                              (("anomalies", "act", HUGE, "resolved"), 1, "not found"),
                              (("reminders", "ack", HUGE), 1, "no reminder"),
                              (("correct-tracking", SHIPPED, "--shipment", HUGE, "--carrier", "zhongtong",
                                "--tracking", "73100000000702", "--reason", "x"), 1, "has no shipment"),
                              (("ship", AWAITING, "--carrier", "shunfeng", "--tracking", "SF1234567890123",
                                "--items", ",,"), 1, "items"),
                              (("ask", "我昨天下的单", "--at", "0001-01-01T00:30:00+00:00"), 1, "at:")):
        result = run(*args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code == code, (args, result.output)
        assert words in result.output and "Traceback" not in result.output, (args, result.output)
    shown = json.loads(run("orders", "show", AWAITING, "--json").stdout)
    assert shown["status"] == "awaiting_shipment"  # --items ,, shipped nothing
