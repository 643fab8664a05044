"""A write-back the platform refused is shown where the people who acted look (QA pass 8, #2), against the local
fake (SQLite and PostgreSQL): a refused tracking upload is a line on the order's timeline (the number, the carrier,
the platform's code and message) and a warning on the order page for every role that reads orders, until a retry
gets it through; a refused after-sale decision is a line in the case's history and a warning on the case page,
which no longer says the merchant has nothing to do. The API's order timeline and case history carry the lines."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import service as aftersales
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.channels.douyin import outbox, service
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import service as shipping
from xiaodian.shipping.service import ShipRequest

from ..conftest import NOW, login
from ..factories import make_record
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_aftersale, platform_order

OID, SHIPPED_OID, AID = "4907538423936588980", "4907538423936588900", "7100000000000000003"
CLERK = Principal(3, "warehouse", "warehouse", "web")
CS = Principal(2, "cs", "cs", "web")


@pytest.fixture
def fake():
    server = FakeDouyin(now=NOW)
    server.start()
    server.put_order(platform_order(OID, create=NOW - timedelta(hours=5)))
    server.put_order(platform_order(SHIPPED_OID, create=NOW - timedelta(days=2)))
    server.put_aftersale(platform_aftersale(AID, SHIPPED_OID, apply=NOW - timedelta(hours=1)))
    yield server
    server.stop()


@pytest.fixture
def client(ctx, shop_id, fake, users):
    ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": fake.url})
    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=shop_id, platform_shop_id=SHOP_ID, app_key=APP_KEY, app_secret=APP_SECRET,
                        cipher=ctx.cipher, principal=service.SYNC, now=NOW)
        service.set_write_enabled(session, shop_id=shop_id, enabled=True, principal=service.SYNC, now=NOW)
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(OID, ship_by=NOW + timedelta(hours=5)),
            make_record(order_id=SHIPPED_OID, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=1))])
    return service.build_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher,
                                clock=ctx.clock, sleep=lambda s: None)


def send(ctx, shop_id, client, minutes=1):
    return outbox.send_pending(ctx.sessions, shop_id=shop_id, client=client, now=NOW + timedelta(minutes=minutes))


def page_as(app, role: str, path: str, lang: str = "zh") -> str:
    with TestClient(app) as browser:
        login(browser, role)
        if lang == "en":
            browser.get("/lang/en")
        response = browser.get(path)
        assert response.status_code == 200, response.text
        return response.text


def api_as(app, role: str, path: str) -> dict:
    with TestClient(app) as browser:
        login(browser, role)
        response = browser.get(path)
        assert response.status_code == 200, response.text
        return response.json()


def test_a_refused_upload_is_on_the_order_timeline_and_warned_on_the_order_page(ctx, shop_id, client, fake, app):
    fake._ship(OID, [OID], "yuantong", "YT9999999999999")  # shipped on the platform with another waybill
    with transaction(ctx.sessions) as session:
        shipping.ship_order(session, shop_id=shop_id, req=ShipRequest(OID, "shunfeng", "SF1000000000980"),
                            principal=CLERK, now=NOW)
    assert send(ctx, shop_id, client).failed == 1

    order = api_as(app, "warehouse", f"/api/v1/orders/{OID}")
    (event,) = [e for e in order["events"] if e["kind"] == "douyin_upload_refused"]
    detail = json.loads(event["detail"])
    assert detail["tracking_no"] == "SF1000000000980" and detail["carrier"] == "shunfeng"
    assert "isv.order-already-shipped" in detail["reason"] and "订单已发货，不能重复发货" in detail["reason"]
    assert "50002" in detail["reason"] and event["source"] == "sync"

    for role in ("warehouse", "cs", "owner"):
        html = page_as(app, role, f"/orders/{OID}")
        assert 'class="alert error douyin-refused"' in html
        assert "抖音未接受快递单号 SF1000000000980" in html and "isv.order-already-shipped" in html
        assert "抖店后台" in html and "not-on-douyin" in html
        assert "抖音未接受快递单号</strong>" in html  # the timeline line's label
    english = page_as(app, "warehouse", f"/orders/{OID}", lang="en")
    assert "Douyin did not accept tracking number SF1000000000980" in english
    assert "Douyin refused the tracking number" in english


def test_a_retry_that_gets_through_ends_the_warning_and_says_so_on_the_timeline(ctx, shop_id, client, fake, app):
    del fake.orders[OID]
    with transaction(ctx.sessions) as session:
        shipping.ship_order(session, shop_id=shop_id, req=ShipRequest(OID, "zhongtong", "73100000000001"),
                            principal=CLERK, now=NOW)
    assert send(ctx, shop_id, client).failed == 1
    assert "isv.order-not-exist" in page_as(app, "warehouse", f"/orders/{OID}")
    fake.put_order(platform_order(OID, create=NOW - timedelta(hours=5)))
    with transaction(ctx.sessions) as session:
        assert outbox.retry_failed_uploads(session, shop_id=shop_id) == 1
    assert send(ctx, shop_id, client, minutes=10).sent == 1

    html = page_as(app, "warehouse", f"/orders/{OID}")
    assert "douyin-refused" not in html and "not-on-douyin" not in html
    kinds = [e["kind"] for e in api_as(app, "warehouse", f"/api/v1/orders/{OID}")["events"]]
    assert kinds.count("douyin_upload_refused") == 1 and kinds.count("douyin_upload_accepted") == 1
    assert "抖音已接受快递单号" in html


def test_an_upload_accepted_at_once_adds_no_line(ctx, shop_id, client, fake, app):
    with transaction(ctx.sessions) as session:
        shipping.ship_order(session, shop_id=shop_id, req=ShipRequest(OID, "zhongtong", "73100000000001"),
                            principal=CLERK, now=NOW)
    assert send(ctx, shop_id, client).sent == 1
    kinds = [e["kind"] for e in api_as(app, "warehouse", f"/api/v1/orders/{OID}")["events"]]
    assert not [k for k in kinds if k.startswith("douyin_upload")]


def open_case_and_reject(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        aftersales.open_case(session, shop_id=shop_id, aftersale_id=AID, order_id=SHIPPED_OID, sku_order_id=None,
                             case_type=CaseType.REFUND_SHIPPED, applied_at=NOW - timedelta(hours=1), now=NOW,
                             source="sync", principal=None, refund_fen=5990)
    with transaction(ctx.sessions) as session:
        aftersales.merchant_action(session, shop_id=shop_id, aftersale_id=AID, action=Action.REJECT,
                                   given=ActionInput(reject_code="evidence_insufficient", note="商品无质量问题"),
                                   principal=CS, now=NOW)


def test_a_refused_decision_is_in_the_case_history_and_the_case_is_not_shown_as_settled(ctx, shop_id, client,
                                                                                       fake, app):
    del fake.aftersales[AID]  # the platform no longer knows the case
    open_case_and_reject(ctx, shop_id)
    assert send(ctx, shop_id, client).failed == 1

    case = api_as(app, "cs", f"/api/v1/aftersales/{AID}")
    (event,) = [e for e in case["history"] if e["action"] == "platform_refused"]
    assert "isv.aftersale-not-exist" in event["detail"] and "售后单不存在" in event["detail"]
    assert case["status"] == "rejected"

    html = page_as(app, "cs", f"/aftersales/{AID}")
    assert 'class="alert error douyin-refused"' in html and "isv.aftersale-not-exist 售后单不存在" in html
    assert "抖音拒绝了在这里做出的处理" in html and "抖店后台" in html
    assert "目前商家无需操作" not in html and "请到平台处理" in html
    assert "抖音拒绝了这项处理</strong>" in html  # the history line
    english = page_as(app, "warehouse", f"/aftersales/{AID}", lang="en")
    assert "Douyin refused the decision taken here" in english and "Nothing for the merchant to do now" not in english
    # the owner's list names the case and the decision (QA pass 8, #6: only the order, under an empty 运单号)
    with ctx.sessions() as session:
        (row,) = service.status(session, shop_id=shop_id, now=NOW)["failed_writes"]
    assert (row["aftersale_id"], row["decision"], row["tracking_no"]) == (AID, "reject", None)
    table = page_as(app, "owner", "/settings/douyin").split('data-testid="dy-failed-writes"', 1)[1]
    assert f'href="/aftersales/{AID}">售后单 {AID}</a> · 拒绝' in table.split("</table>", 1)[0]

    fake.put_aftersale(platform_aftersale(AID, SHIPPED_OID, apply=NOW - timedelta(hours=1)))
    with transaction(ctx.sessions) as session:
        assert outbox.retry_failed_uploads(session, shop_id=shop_id) == 1
    assert send(ctx, shop_id, client, minutes=10).sent == 1
    html = page_as(app, "cs", f"/aftersales/{AID}")
    assert "douyin-refused" not in html and "抖音已接受这项处理" in html


def test_an_upload_held_when_the_shop_was_reconnected_elsewhere_is_warned_as_not_uploaded(ctx, shop_id, client,
                                                                                          fake, app):
    """Held by the desk, never answered by the platform: the order says the number was not uploaded (not that
    Douyin refused it), with the desk's reason."""
    with transaction(ctx.sessions) as session:
        shipping.ship_order(session, shop_id=shop_id, req=ShipRequest(OID, "zhongtong", "73100000000001"),
                            principal=CLERK, now=NOW)
    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=shop_id, platform_shop_id="7777777", app_key=APP_KEY,
                        app_secret=APP_SECRET, cipher=ctx.cipher, principal=service.SYNC, now=NOW)
    html = page_as(app, "warehouse", f"/orders/{OID}", lang="en")
    assert "Tracking number 73100000000001 (ZTO Express) was not uploaded to Douyin." in html
    assert "queued for the previous Douyin shop" in html and "Douyin did not accept" not in html


def test_the_cli_shows_a_refused_decision_and_does_not_say_nothing_to_do(ctx, shop_id, client, fake, cli_env):
    from typer.testing import CliRunner

    cli = cli_env

    del fake.aftersales[AID]
    open_case_and_reject(ctx, shop_id)
    assert send(ctx, shop_id, client).failed == 1
    shown = CliRunner().invoke(cli, ["aftersales", "show", AID])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "platform_refused" in text and "isv.aftersale-not-exist" in text
    assert "Douyin did not take the decision made here" in text and "act on the platform" in text
    assert "nothing now" not in text


def test_correcting_a_refused_number_uploads_the_corrected_one_and_a_second_refusal_names_it(ctx, shop_id, client,
                                                                                            fake, app):
    from xiaodian.shipping.corrections import correct_tracking

    fake._ship(OID, [OID], "yuantong", "YT9999999999999")
    with transaction(ctx.sessions) as session:
        shipping.ship_order(session, shop_id=shop_id, req=ShipRequest(OID, "zhongtong", "73100000000001"),
                            principal=CLERK, now=NOW)
    assert send(ctx, shop_id, client).failed == 1
    with transaction(ctx.sessions) as session:
        result = correct_tracking(session, shop_id=shop_id, order_id=OID, carrier="zhongtong",
                                  tracking_no="73100000000002", reason="单号输错", principal=CLERK,
                                  now=NOW + timedelta(minutes=5), old_tracking_no="73100000000001")
    assert result["platform_upload"] == "amended"
    assert "douyin-refused" not in page_as(app, "warehouse", f"/orders/{OID}")  # queued again, not refused yet
    assert send(ctx, shop_id, client, minutes=6).failed == 1  # the platform holds YT… : refused again
    refusals = [json.loads(e["detail"])["tracking_no"] for e in api_as(app, "warehouse", f"/api/v1/orders/{OID}")
                ["events"] if e["kind"] == "douyin_upload_refused"]
    assert refusals == ["73100000000001", "73100000000002"]
    html = page_as(app, "warehouse", f"/orders/{OID}")
    assert "抖音未接受快递单号 73100000000002" in html and "抖音未接受快递单号 73100000000001" not in html


def test_a_number_entered_by_hand_on_douyin_is_confirmed_by_the_owners_retry(ctx, shop_id, client, fake, app):
    fake._ship(OID, [OID], "yuantong", "YT9999999999999")
    with transaction(ctx.sessions) as session:
        shipping.ship_order(session, shop_id=shop_id, req=ShipRequest(OID, "shunfeng", "SF1000000000980"),
                            principal=CLERK, now=NOW)
    assert send(ctx, shop_id, client).failed == 1
    fake._ship(OID, [OID], "shunfeng", "SF1000000000980")  # the merchant adds it in the back office
    with transaction(ctx.sessions) as session:
        assert outbox.retry_failed_uploads(session, shop_id=shop_id) == 1
    assert send(ctx, shop_id, client, minutes=10).sent == 1
    html = page_as(app, "warehouse", f"/orders/{OID}")
    assert "douyin-refused" not in html and "抖音已接受快递单号" in html
