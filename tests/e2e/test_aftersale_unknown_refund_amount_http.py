"""A refund amount nobody has said yet (QA pass 7, #4): a case opened from an order export's 售后状态 carries no
amount (the order export has none), so the list, the case page, the API and the CLI say 金额未知 / null instead of
¥0.00, and a refund of it is never recorded as ¥0.00: the clerk gives the amount the buyer applied for (more than
¥0.00, at most what the SKU order paid) or is told to import the after-sale export first. Also the case history's
separator before a re-send parcel (QA pass 7, #14)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import service
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.aftersales.intake import from_order_export
from xiaodian.aftersales.models import AfterSaleCase, AfterSaleEvent
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

ORDER = "6938459704022656025"
CASE = f"sku:{ORDER}"
KNOWN = "7500000000000000001"
CS = Principal(None, "cs", "cs", "web")


@pytest.fixture
def desk(ctx, shop_id):
    """A shipped ¥238.00 order whose export row says 待商家处理: a provisional 已发货仅退款 case, amount unknown."""
    item = ItemRecord(sku_order_id=ORDER, product_name="五常大米 10kg", quantity=1, unit_price_fen=23800,
                      product_id="p1", after_sale_status="待商家处理")
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.SHIPPED, items=[item], after_sale_status="待商家处理",
            shipped_at=NOW - timedelta(days=2))])
        assert from_order_export(session, shop_id=shop_id, order_ids=[ORDER], now=NOW, source="import",
                                 principal=CS) == 1
    return ctx


def _agree(ctx, shop_id, aftersale_id=CASE):
    with transaction(ctx.sessions) as session:
        service.merchant_action(session, shop_id=shop_id, aftersale_id=aftersale_id, action=Action.AGREE, now=NOW,
                                given=ActionInput(), principal=CS)


def _stored(ctx, aftersale_id=CASE):
    with ctx.sessions() as session:
        case = session.execute(select(AfterSaleCase).where(AfterSaleCase.aftersale_id == aftersale_id)).scalar_one()
        return case.status, case.refund_fen


def _act(client, body, aftersale_id=CASE):
    return client.post(f"/api/v1/aftersales/{aftersale_id}/actions", headers={"x-csrf-token": csrf_of(client)},
                       json=body)


def test_an_unknown_amount_is_null_in_the_api_and_unknown_on_the_list_and_case_page(owner_client, desk):
    case = owner_client.get("/api/v1/aftersales", params={"tab": "all"}).json()["cases"][0]
    assert case["aftersale_id"] == CASE and case["provisional"] and case["type"] == "refund_shipped"
    assert case["refund_fen"] is None
    assert owner_client.get(f"/api/v1/aftersales/{CASE}").json()["refund_fen"] is None
    row = owner_client.get("/aftersales?tab=all").text.split(f'data-aftersale-id="{CASE}"', 1)[1].split("</tr>")[0]
    assert "金额未知" in row and "¥0.00" not in row
    page = owner_client.get(f"/aftersales/{CASE}").text
    refund = page.split('class="refund-amount"', 1)[1].split("</dd>")[0]
    assert "金额未知" in refund and "¥0.00" not in refund
    owner_client.get("/lang/en")
    page = owner_client.get(f"/aftersales/{CASE}").text
    assert "Amount unknown" in page.split('class="refund-amount"', 1)[1].split("</dd>")[0]


def test_the_api_refuses_to_refund_an_unknown_amount_until_it_is_given_within_what_was_paid(owner_client, desk,
                                                                                           shop_id):
    _agree(desk, shop_id)
    missing = _act(owner_client, {"action": "refund"})
    assert missing.status_code == 422
    error = missing.json()["error"]
    assert error["code"] == "refund_amount_required" and error["details"]["max_fen"] == 23800
    assert error["details"]["field"] == "refund_fen" and "after-sale export" in error["message"]
    for wrong in (0, -100, 23801):
        refused = _act(owner_client, {"action": "refund", "refund_fen": wrong})
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "refund_amount_invalid", wrong
    assert _act(owner_client, {"action": "refund", "refund_fen": 238.0}).status_code == 422  # yuan sent as fen?
    assert _stored(desk) == ("refunding", 0)  # nothing recorded by a refused refund
    done = _act(owner_client, {"action": "refund", "refund_fen": 23800})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "succeeded" and body["refund_status"] == "succeeded" and body["refund_fen"] == 23800
    refund = [e for e in body["history"] if e["action"] == "refund"]
    assert refund, body["history"]  # the answer's history holds the step just taken
    refund = refund[0]
    assert json.loads(refund["detail"]) == {"refund_fen": 23800, "refund_entered": True}
    assert _stored(desk) == ("succeeded", 23800)


def test_a_known_amount_is_refunded_as_it_is_and_another_amount_is_refused(owner_client, desk, shop_id):
    with transaction(desk.sessions) as session:
        service.open_case(session, shop_id=shop_id, aftersale_id=KNOWN, order_id=ORDER, sku_order_id=None,
                          case_type=CaseType.REFUND_SHIPPED, applied_at=NOW - timedelta(hours=3), now=NOW,
                          source="sync", principal=None, refund_fen=8990)
    _agree(desk, shop_id, KNOWN)
    other = _act(owner_client, {"action": "refund", "refund_fen": 9000}, KNOWN)
    assert other.status_code == 422 and other.json()["error"]["code"] == "refund_amount_invalid"
    done = _act(owner_client, {"action": "refund"}, KNOWN)
    assert done.status_code == 200 and done.json()["refund_fen"] == 8990
    with desk.sessions() as session:
        detail = session.execute(select(AfterSaleEvent.detail).join(AfterSaleCase, AfterSaleCase.id ==
                                                                    AfterSaleEvent.case_id)
                                 .where(AfterSaleCase.aftersale_id == KNOWN, AfterSaleEvent.action == "refund")
                                 ).scalar_one()
    assert json.loads(detail) == {"refund_fen": 8990}


def test_the_refund_form_asks_for_the_amount_and_says_why_in_chinese(owner_client, desk, shop_id):
    _agree(desk, shop_id)
    page = owner_client.get(f"/aftersales/{CASE}").text
    form = page.split('class="act-form act-refund"', 1)[1].split("</form>")[0]
    assert 'name="refund_amount"' in form and "¥238.00" in form and "订单导出不含退款金额" in form
    url = f"/aftersales/{CASE}/act"
    csrf = csrf_of(owner_client, f"/aftersales/{CASE}")
    refused = owner_client.post(url, data={"action": "refund", "csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 422
    alert = refused.text.split('role="alert"', 1)[1].split("</div>")[0]
    assert "请填写退款金额" in alert and "¥238.00" in alert and "the order export" not in alert
    too_much = owner_client.post(url, data={"action": "refund", "refund_amount": "300", "csrf_token": csrf},
                                 follow_redirects=False)
    assert too_much.status_code == 422 and "不超过该商品实付的 ¥238.00" in too_much.text
    assert 'value="300"' in too_much.text  # what the clerk typed stays in the field
    garbled = owner_client.post(url, data={"action": "refund", "refund_amount": "2百", "csrf_token": csrf},
                                follow_redirects=False)
    assert garbled.status_code == 422 and "退款金额请以元为单位填写" in garbled.text
    assert _stored(desk) == ("refunding", 0)
    done = owner_client.post(url, data={"action": "refund", "refund_amount": "238.00", "csrf_token": csrf},
                             follow_redirects=False)
    assert done.status_code == 303
    assert _stored(desk) == ("succeeded", 23800)
    page = owner_client.get(f"/aftersales/{CASE}").text
    assert "¥238.00" in page.split('class="refund-amount"', 1)[1].split("</dd>")[0]
    history = page.split('class="card timeline"', 1)[1]
    assert '<span class="refund-paid"> · ¥238.00' in history and "在本系统填写" in history
    timeline = owner_client.get(f"/orders/{ORDER}").text
    assert "退款金额" in timeline and "¥238.00" in timeline


def test_the_cli_lists_an_unknown_amount_as_unknown_and_refunds_with_the_amount(desk, shop_id, cli_env,
                                                                                 monkeypatch):
    app = cli_env

    _agree(desk, shop_id)
    runner = CliRunner()
    listed = runner.invoke(app, ["aftersales", "--tab", "all", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)["cases"][0]["refund_fen"] is None
    from xiaodian.aftersales import cli as aftersales_cli

    # the table's console was made at import, its width from whatever terminal there was (80 columns in CI)
    monkeypatch.setattr(aftersales_cli.out, "width", 200)
    table = runner.invoke(app, ["aftersales", "--tab", "all"])
    assert "unknown" in table.output and "¥0.00" not in table.output
    refused = runner.invoke(app, ["aftersales", "act", CASE, "refund", "--json"])
    assert refused.exit_code != 0 and "refund_amount_required" in refused.output
    done = runner.invoke(app, ["aftersales", "act", CASE, "refund", "--refund-amount", "238", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["refund_fen"] == 23800


def test_refund_limit_of_an_item_in_a_larger_order_is_its_own_amount(ctx, shop_id):
    other = "6938459704022656099"
    items = [ItemRecord(sku_order_id=ORDER, product_name="五常大米 10kg", quantity=1, unit_price_fen=23800,
                        after_sale_status="待商家处理"),
             ItemRecord(sku_order_id="6938459704022656026", product_name="小米 2kg", quantity=2, unit_price_fen=3000)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=other, status=OrderStatus.SHIPPED, items=items, shipped_at=NOW - timedelta(days=2))])
        from_order_export(session, shop_id=shop_id, order_ids=[other], now=NOW, source="import", principal=CS)
        case = session.execute(select(AfterSaleCase).where(AfterSaleCase.sku_order_id == ORDER)).scalar_one()
        assert service.refund_limit(session, case).max_fen == 23800  # not the order's ¥298.00


def _resend_history(client) -> str:
    """The history as a reader sees it: tags dropped, runs of white space as one."""
    html = client.get("/aftersales/7400000000000000009").text.split('class="card timeline"', 1)[1]
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_the_case_history_separates_the_status_from_the_parcel_with_a_spaced_dot(owner_client, ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=2))])
        service.open_case(session, shop_id=shop_id, aftersale_id="7400000000000000009", order_id=ORDER,
                          sku_order_id=None, case_type=CaseType.RESEND, applied_at=NOW - timedelta(hours=4), now=NOW,
                          source="sync", principal=None, reason=service.BuyerReason("少件/漏发"))
        for action, given in ((Action.AGREE, ActionInput()),
                              (Action.RESHIP, ActionInput(carrier="yunda", tracking_no="312345678901234"))):
            service.merchant_action(session, shop_id=shop_id, aftersale_id="7400000000000000009", action=action,
                                    now=NOW, given=given, principal=CS)
    assert "待买家收货 · 韵达快递 312345678901234" in _resend_history(owner_client)
    owner_client.get("/lang/en")
    text = _resend_history(owner_client)
    assert "Waiting for buyer to receive · Yunda Express 312345678901234" in text and "receive·" not in text


def test_the_order_page_says_the_amount_is_unknown_and_a_chinese_refusal_reads_in_chinese(desk, owner_client):
    page = owner_client.get(f"/orders/{ORDER}").text
    assert "金额未知" in page and "¥0.00" not in page.split("售后", 1)[-1].split("</table>", 1)[0]
    from xiaodian.web.i18n import error_text

    assert "请填写买家申请的金额" in error_text("refund_amount_required", "the refund amount of this case is not known")
