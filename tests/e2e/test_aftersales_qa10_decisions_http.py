"""QA pass 10, D10 and D11 on the after-sale page: every step asks once more (data-confirm, shown by app.js) saying
what it commits the shop to, the refund amount included; after it the green box states the result (已同意，等待退款
¥85.90 / 已退款 ¥45.90 / 已拒绝 …), not a bare 已保存, and the "contact the buyer" hint goes once the case is agreed."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from xiaodian.aftersales import service
from xiaodian.aftersales.domain import Action, CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

ORDER = "6938459704022656031"
CASE = "7210000000000000001"
HINT = "请联系买家了解发生了什么，并解决问题。"


def _open(ctx, shop_id, case_type: CaseType, refund_fen: int, shipped: bool = False) -> None:
    status = OrderStatus.SHIPPED if shipped else OrderStatus.AWAITING_SHIPMENT
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=status, shipped_at=NOW - timedelta(days=2) if shipped else None)])
        service.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                          case_type=case_type, applied_at=NOW - timedelta(hours=4), now=NOW, source="sync",
                          principal=None, reason=service.BuyerReason("质量问题"), refund_fen=refund_fen)


def _buyer_ships_back(ctx, shop_id) -> None:
    with transaction(ctx.sessions) as session:
        service.buyer_event(session, service.require_case(session, shop_id, CASE), Action.SHIP_RETURN, now=NOW,
                            source="sync", tracking_no="YT7312345678901")


def _ask(page: str, action: str) -> str | None:
    """The question the form of one step asks before it is sent (None: it asks nothing)."""
    tag = re.search(rf'<form[^>]*class="act-form act-{action}"[^>]*>', page)
    assert tag, f"no {action} form on the page"
    found = re.search(r'data-confirm="([^"]*)"', tag.group(0))
    return html.unescape(found.group(1)) if found else None


def _act(client, action: str, **data):
    page = client.get(f"/aftersales/{CASE}")
    posted = client.post(f"/aftersales/{CASE}/act", follow_redirects=False,
                         data={"action": action, "csrf_token": csrf_of(client, f"/aftersales/{CASE}"), **data})
    assert page.status_code == 200 and posted.status_code == 303, posted.text
    return client.get(posted.headers["location"]).text


def _banner(page: str) -> str:
    return page.split('class="alert ok" role="status">', 1)[1].split("</p>", 1)[0]


def test_agreeing_a_refund_names_the_amount_and_the_page_then_says_it_is_due(ctx, shop_id, owner_client):
    _open(ctx, shop_id, CaseType.REFUND_UNSHIPPED, 8590)
    page = owner_client.get(f"/aftersales/{CASE}").text
    assert _ask(page, "agree") == "同意退款 ¥85.90？同意后不能撤回。"
    assert HINT in page  # undecided: talk to the buyer first
    agreed = _act(owner_client, "agree")
    assert _banner(agreed) == "已同意，等待退款 ¥85.90" and "已保存" not in agreed
    assert HINT not in agreed  # agreed: the refund is the next step, not a conversation
    assert _ask(agreed, "refund") == "确认退款 ¥85.90 给买家？退款后无法撤回。"
    refunded = _act(owner_client, "refund")
    assert _banner(refunded) == "已退款 ¥85.90" and HINT not in refunded


def test_an_unknown_amount_is_said_to_be_unknown_and_the_amount_typed_in_is_the_one_reported(ctx, shop_id,
                                                                                              owner_client):
    _open(ctx, shop_id, CaseType.REFUND_UNSHIPPED, 0)
    ask = _ask(owner_client.get(f"/aftersales/{CASE}").text, "agree")
    assert ask.startswith("同意退款？") and "金额还不知道" in ask and "¥" not in ask
    agreed = _act(owner_client, "agree")
    assert _banner(agreed) == "已同意，等待退款（金额还不知道）"
    assert _banner(_act(owner_client, "refund", refund_amount="45.90")) == "已退款 ¥45.90"


def test_rejecting_says_rejected(ctx, shop_id, owner_client):
    _open(ctx, shop_id, CaseType.REFUND_UNSHIPPED, 8590)
    rejected = _act(owner_client, "reject", reject_code="other", note="买家已同意换个颜色")
    assert _banner(rejected) == "已拒绝"


def test_a_return_is_agreed_as_a_return_and_its_receipt_asks_and_says_the_refund_is_due(ctx, shop_id, owner_client):
    _open(ctx, shop_id, CaseType.RETURN_REFUND, 8590, shipped=True)
    ask = _ask(owner_client.get(f"/aftersales/{CASE}").text, "agree")
    assert ask == "同意买家退货？买家寄回商品，你确认收到后再退款 ¥85.90。同意后不能撤回。"
    agreed = _act(owner_client, "agree")
    assert _banner(agreed) == "已同意，等待买家寄回商品" and HINT not in agreed
    _buyer_ships_back(ctx, shop_id)
    ask = _ask(owner_client.get(f"/aftersales/{CASE}").text, "receive")
    assert ask == "确认已收到买家退回的商品？确认后应退款 ¥85.90 给买家，不能撤回。"
    received = _act(owner_client, "receive", inspection="as_expected")
    assert _banner(received) == "已确认收到退货，等待退款 ¥85.90"


def test_an_exchange_asks_before_agreeing_receiving_and_shipping_and_says_what_was_shipped(ctx, shop_id,
                                                                                          owner_client):
    _open(ctx, shop_id, CaseType.EXCHANGE, 0, shipped=True)
    assert _ask(owner_client.get(f"/aftersales/{CASE}").text, "agree").startswith("同意换货？")
    assert _banner(_act(owner_client, "agree")) == "已同意，等待买家寄回商品"
    _buyer_ships_back(ctx, shop_id)
    ask = _ask(owner_client.get(f"/aftersales/{CASE}").text, "receive")
    assert ask == "确认已收到买家退回的商品？确认后要把商品发给买家，不能撤回。"
    received = _act(owner_client, "receive", inspection="as_expected")
    assert _banner(received) == "已确认收到退货，请把商品发给买家"
    # the tracking number typed in is put into the question by app.js ("{tracking_no}")
    assert _ask(received, "reship") == "确认已把换货商品发给买家（运单号 {tracking_no}）？运单号会告知平台和买家。"
    shipped = _act(owner_client, "reship", carrier="zhongtong", tracking_no="73123456789012")
    assert _banner(shipped) == "已发给买家：中通快递 73123456789012"


def test_the_english_page_asks_and_reports_in_english(ctx, shop_id, owner_client):
    _open(ctx, shop_id, CaseType.REFUND_SHIPPED, 8590, shipped=True)
    owner_client.get("/lang/en")
    page = owner_client.get(f"/aftersales/{CASE}").text
    assert _ask(page, "agree") == "Agree to refund ¥85.90? An agreement cannot be taken back."
    agreed = _act(owner_client, "agree")
    assert _banner(agreed) == "Agreed; refund ¥85.90 is due" and "Contact the buyer" not in agreed
