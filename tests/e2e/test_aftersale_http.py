"""After-sales through HTTP and the CLI: the API's JSON, the pages (list, case, 品退率, do-not-ship banner), a
request that tries to change a buyer's reason is refused, and the CLI contract."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from xiaodian.aftersales import service
from xiaodian.aftersales.domain import Action, CaseType
from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

ORDER = "6938459704022656025"
CASE = "7200000000000000001"


@pytest.fixture
def desk(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(order_id=ORDER, status=OrderStatus.AWAITING_SHIPMENT)])
        service.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                          case_type=CaseType.REFUND_UNSHIPPED, applied_at=NOW - timedelta(hours=40), now=NOW,
                          source="sync", principal=None, reason=service.BuyerReason("商品破损/污渍", remark="袋子破了"),
                          refund_fen=8990)
    return ctx


def test_api_lists_the_case_in_waiting_for_me_and_due_soon_with_its_reason(owner_client, desk):
    body = owner_client.get("/api/v1/aftersales", params={"tab": "due_soon"}).json()
    assert body["counts"]["todo"] == 1 and body["counts"]["due_soon"] == 1 and body["total"] == 1
    case = body["cases"][0]
    assert case["aftersale_id"] == CASE and case["order_id"] == ORDER and case["refund_fen"] == 8990
    assert case["current_reason"]["family"] == "quality" and case["countdown_seconds"] == 8 * 3600
    assert case["merchant_actions"] == ["agree", "reject"]
    assert case["product_name"] == "五常大米 稻花香2号 5kg"  # the item the case is about, from the order


def test_api_refuses_a_request_that_tries_to_change_the_buyer_reason(owner_client, desk):
    csrf = csrf_of(owner_client)
    sneaky = owner_client.post(f"/api/v1/aftersales/{CASE}/actions", headers={"x-csrf-token": csrf},
                               json={"action": "agree", "reason": "七天无理由"})
    assert sneaky.status_code == 422
    for method in ("PUT", "PATCH", "POST"):
        response = owner_client.request(method, f"/api/v1/aftersales/{CASE}/reason", headers={"x-csrf-token": csrf},
                                        json={"text": "七天无理由"})
        assert 400 <= response.status_code < 500
    show = owner_client.get(f"/api/v1/aftersales/{CASE}").json()
    assert [r["text"] for r in show["reason_history"]] == ["商品破损/污渍"]


def test_api_reject_needs_a_code_and_a_note_then_unblocks_shipping(owner_client, desk):
    csrf = csrf_of(owner_client)
    url = f"/api/v1/aftersales/{CASE}/actions"
    refused = owner_client.post(url, headers={"x-csrf-token": csrf}, json={"action": "reject", "reject_code": "other"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "reject_note_required"
    ship = {"carrier": "shunfeng", "tracking_no": "SF1234567890123"}
    blocked = owner_client.post(f"/api/v1/orders/{ORDER}/shipments", headers={"x-csrf-token": csrf}, json=ship)
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "refund_pending"
    done = owner_client.post(url, headers={"x-csrf-token": csrf},
                             json={"action": "reject", "reject_code": "agreed_other_solution", "note": "买家同意先发货"})
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    again = owner_client.post(url, headers={"x-csrf-token": csrf}, json={"action": "agree"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_allowed_in_status"
    assert owner_client.post(f"/api/v1/orders/{ORDER}/shipments", headers={"x-csrf-token": csrf},
                             json=ship).status_code == 201


def test_order_detail_shows_the_do_not_ship_banner_and_the_case_summary(owner_client, desk):
    html = owner_client.get(f"/orders/{ORDER}").text
    assert "do-not-ship" in html and CASE in html
    assert 'data-tab="after_sale"' in owner_client.get("/orders?tab=after_sale").text
    assert ORDER in owner_client.get("/orders?tab=after_sale").text


def test_case_page_shows_guidance_reason_history_and_decides_through_the_form(owner_client, desk):
    page = owner_client.get(f"/aftersales/{CASE}")
    assert page.status_code == 200
    assert "买家可以在平台上自行更正" in page.text and "商品破损/污渍" in page.text
    assert '<dd class="as-product">五常大米 稻花香2号 5kg' in page.text
    card = page.text.split('<section class="card order-card"', 1)[1].split("</section>", 1)[0]
    assert 'data-order-status="awaiting_shipment">备货中' in card and "¥89.90" in card  # not shipped yet
    listed = owner_client.get("/aftersales").text
    assert '<td class="as-product">五常大米 稻花香2号 5kg ×1</td>' in listed and "售后状态" in listed
    csrf = csrf_of(owner_client, f"/aftersales/{CASE}")
    response = owner_client.post(f"/aftersales/{CASE}/act", data={"action": "agree", "csrf_token": csrf,
                                                                  "back": "/aftersales?tab=all"},
                                 follow_redirects=False)
    assert response.status_code == 303
    box = owner_client.get(response.headers["location"]).text.split('role="status">', 1)[1].split("</div>", 1)[0]
    assert box == f"售后单 {CASE}：已同意"  # in words, not the notice's "id:agree" key
    assert owner_client.get(f"/api/v1/aftersales/{CASE}").json()["status"] == "refunding"
    logged = owner_client.post(f"/aftersales/{CASE}/contacts", follow_redirects=False,
                               data={"channel": "feige", "summary": "买家说袋子破了", "outcome": "同意退款", "csrf_token": csrf})
    assert logged.status_code == 303 and "买家说袋子破了" in owner_client.get(f"/aftersales/{CASE}").text


def test_quality_rate_page_states_the_formula_and_the_api_gives_both_ways(owner_client, desk):
    html = owner_client.get("/quality-rate?window=14").text
    assert "品退率 = " in html and "<svg" in html
    rows = owner_client.get("/api/v1/quality-rate", params={"window": 14}).json()
    assert rows[0]["product_id"] is None and rows[0]["quality_cases_first_reason"] == 1
    assert set(rows[0]) == {"product_id", "product_name", "paid", "quality_cases_first_reason",
                            "quality_cases_current_reason", "rate_first_reason", "rate_current_reason", "small_sample"}
    assert owner_client.get("/api/v1/quality-rate", params={"window": 7}).status_code == 422


def test_quality_rate_of_a_product_without_sales_in_the_window_or_unknown(owner_client, desk, shop_id):
    """A product that last sold before the window has a rate of "—" (not a server error); a product id the shop never
    had is named: 404 in the API, the shop's rate with a notice on the page."""
    old = "3512000000000000999"
    with transaction(desk.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=desk.cipher, now=NOW, records=[make_record(
            order_id="6938459704022656099", status=OrderStatus.COMPLETED, created_at=NOW - timedelta(days=40),
            shipped_at=NOW - timedelta(days=39), completed_at=NOW - timedelta(days=30), items=[ItemRecord(
                sku_order_id="6938459704022656099", product_name="东北 菜籽油 5L", quantity=1, unit_price_fen=5990,
                product_id=old)])])
    rows = owner_client.get("/api/v1/quality-rate", params={"window": 14, "product_id": old}).json()
    assert rows == [{"product_id": old, "product_name": "东北 菜籽油 5L", "paid": 0, "quality_cases_first_reason": 0,
                     "quality_cases_current_reason": 0, "rate_first_reason": None, "rate_current_reason": None,
                     "small_sample": rows[0]["small_sample"]}]
    page = owner_client.get("/quality-rate", params={"window": 14, "product_id": old})
    assert page.status_code == 200 and "东北 菜籽油 5L" in page.text and "unknown-product" not in page.text
    missing = owner_client.get("/api/v1/quality-rate", params={"product_id": "nope"})
    assert missing.status_code == 404 and missing.json()["error"]["details"]["field"] == "product_id"
    page = owner_client.get("/quality-rate", params={"product_id": "<b>nope</b>"})
    assert page.status_code == 200 and "本店没有商品ID &lt;b&gt;nope&lt;/b&gt; 的订单" in page.text
    # and what follows the notice is the shop's, the trend and breakdown included: the same page as without the id
    shop_page = owner_client.get("/quality-rate").text
    after_notice = page.text.split("unknown-product", 1)[1].split("</p>", 1)[1]
    assert after_notice.strip() == shop_page.split("</h1>", 1)[1].strip()


def test_cli_lists_shows_and_acts_with_the_documented_exit_codes(desk, cli_env):
    app = cli_env

    runner = CliRunner()
    listing = runner.invoke(app, ["aftersales", "--tab", "todo", "--json"])
    assert listing.exit_code == 0, listing.output
    assert json.loads(listing.output)["cases"][0]["aftersale_id"] == CASE
    shown = json.loads(runner.invoke(app, ["aftersales", "show", CASE, "--json"]).output)
    assert shown["reason_history"][0]["text"] == "商品破损/污渍"
    refused = runner.invoke(app, ["aftersales", "act", CASE, "reject", "--reason-code", "other"])
    assert refused.exit_code == 1
    agreed = runner.invoke(app, ["aftersales", "act", CASE, "agree", "--json"])
    assert agreed.exit_code == 0 and json.loads(agreed.output)["status"] == "refunding"
    rates = runner.invoke(app, ["quality-rate", "--window", "30", "--json"])
    assert rates.exit_code == 0 and json.loads(rates.output)[0]["paid"] == 1
    unknown = runner.invoke(app, ["quality-rate", "--product", "nope"])
    assert unknown.exit_code == 1 and "no product nope in this shop" in unknown.output


def test_a_failed_refund_reads_refund_failed_with_a_retry_button_and_pays_again_through_the_form(owner_client, desk):
    with transaction(desk.sessions) as session:
        case = session.execute(select(AfterSaleCase).where(AfterSaleCase.aftersale_id == CASE)).scalar_one()
        service.platform_event(session, case, Action.AUTO_AGREE, now=NOW, source="sync")
        service.platform_event(session, case, Action.REFUND_FAILED, now=NOW, source="sync")
    listing = owner_client.get("/aftersales").text
    assert "as-refund_failed" in listing and "退款失败" in listing
    page = owner_client.get(f"/aftersales/{CASE}").text
    assert 'data-action="retry_refund"' in page and "重新退款" in page and "refund-failed" in page
    csrf = csrf_of(owner_client, f"/aftersales/{CASE}")
    response = owner_client.post(f"/aftersales/{CASE}/act", data={"action": "retry_refund", "csrf_token": csrf},
                                 follow_redirects=False)
    assert response.status_code == 303
    shown = owner_client.get(f"/api/v1/aftersales/{CASE}").json()
    assert (shown["status"], shown["refund_status"]) == ("refunding", "refunding")
    assert "退款中" in owner_client.get(f"/aftersales/{CASE}").text
    assert "已重新退款" in owner_client.get(f"/orders/{ORDER}").text  # the order's timeline


def test_owner_moves_a_reason_between_families_on_the_settings_page_and_the_rate_follows(owner_client, desk):
    html = owner_client.get("/orders").text
    assert 'href="/settings/aftersales"' in html  # in the 设置 menu
    page = owner_client.get("/settings/aftersales")
    assert page.status_code == 200 and "品退率的原因分类" in page.text and 'data-reason="商品破损/污渍"' in page.text
    assert "48 小时" in page.text and "XIAODIAN_" not in page.text  # deadlines read-only, in words (QA pass 9, #17)
    before = owner_client.get("/api/v1/quality-rate", params={"window": 30}).json()[0]
    assert before["quality_cases_current_reason"] == 1
    csrf = csrf_of(owner_client, "/settings/aftersales")
    saved = owner_client.post("/settings/aftersales/families", follow_redirects=False,
                              data={"reason_text": "商品破损/污渍", "family": "other", "csrf_token": csrf})
    assert saved.status_code == 303 and saved.headers["location"].startswith("/settings/aftersales?saved=")
    after = owner_client.get("/api/v1/quality-rate", params={"window": 30}).json()[0]
    assert after["quality_cases_current_reason"] == 0
    page = owner_client.get("/settings/aftersales").text
    assert "店主已调整" in page and "恢复默认" in page
    audit = owner_client.get("/api/v1/audit", params={"action": "aftersales.reason_family"}).json()
    assert audit["total"] == 1 and audit["entries"][0]["after"] == {"family": "other", "override": "other"}
    refused = owner_client.post("/settings/aftersales/families", data={"reason_text": "", "family": "other",
                                                                      "csrf_token": csrf})
    assert refused.status_code == 422 and "reason_text_required" in refused.text


def test_api_reads_and_sets_the_reason_mapping_for_owners(owner_client, desk):
    csrf = csrf_of(owner_client)
    listed = {r["text"]: r for r in owner_client.get("/api/v1/aftersales/reason-families").json()}
    assert listed["商品破损/污渍"] == {"text": "商品破损/污渍", "uses": 1, "default": "quality", "family": "quality",
                                   "overridden": False}
    url = "/api/v1/aftersales/reason-families"
    moved = owner_client.put(url, headers={"x-csrf-token": csrf}, json={"reason_text": "口感不好", "family": "quality"})
    assert moved.status_code == 200
    assert {r["text"]: r["family"] for r in moved.json()}["口感不好"] == "quality"
    bad = owner_client.put(url, headers={"x-csrf-token": csrf}, json={"reason_text": "口感不好", "family": "maybe"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "family_unknown"
    extra = owner_client.put(url, headers={"x-csrf-token": csrf},
                             json={"reason_text": "口感不好", "family": "other", "aftersale_id": CASE})
    assert extra.status_code == 422  # nothing else can be sent through it
    assert owner_client.get(f"/api/v1/aftersales/{CASE}").json()["reason_history"][0]["text"] == "商品破损/污渍"
