"""Browser: from the after-sales list (待我处理), agree a refund, reject another with a reason and a note, and
confirm a return arrived with an inspection result; each case leaves or moves in the tabs (own live desk)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ..conftest import NOW
from .conftest import DESKTOP, _open_page, log_in, new_desk, phone_cards, serve_desk

ORDERS = ["6938459704022658001", "6938459704022658002", "6938459704022658003"]
AGREE, REJECT, RECEIVE = "7300000000000000001", "7300000000000000002", "7300000000000000003"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def aftersale_server(sqlite_template, tmp_path_factory):
    from xiaodian.aftersales import service
    from xiaodian.aftersales.domain import Action, CaseType
    from xiaodian.bootstrap import default_shop_id
    from xiaodian.db import transaction
    from xiaodian.orders.domain import OrderStatus
    from xiaodian.orders.intake import upsert_orders

    from ..factories import make_record

    ctx = new_desk(sqlite_template, tmp_path_factory.mktemp("aftersale-live"))
    shop_id = default_shop_id(ctx)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(o, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=3)) for o in ORDERS])
        for case_id, order_id, kind in ((AGREE, ORDERS[0], CaseType.REFUND_SHIPPED),
                                        (REJECT, ORDERS[1], CaseType.REFUND_SHIPPED),
                                        (RECEIVE, ORDERS[2], CaseType.RETURN_REFUND)):
            case = service.open_case(session, shop_id=shop_id, aftersale_id=case_id, order_id=order_id,
                                     sku_order_id=None, case_type=kind, applied_at=NOW - timedelta(hours=40), now=NOW,
                                     source="sync", principal=None, reason=service.BuyerReason("商品破损/污渍"),
                                     refund_fen=8990)
            if case_id == RECEIVE:
                service.platform_event(session, case, Action.AUTO_AGREE, now=NOW - timedelta(days=1), source="sync")
                service.buyer_event(session, case, Action.SHIP_RETURN, now=NOW - timedelta(hours=5), source="sync",
                                    tracking_no="YT1234567890123")
    yield from serve_desk(ctx)


@pytest.fixture
def as_page(request, browser, aftersale_server):
    yield from _open_page(request, browser, aftersale_server, DESKTOP)


def _decide(page, case_id, action, fill=None, navigate=True):
    page.goto("/aftersales")
    page.locator(f'tr[data-aftersale-id="{case_id}"] a.button').click()
    page.wait_for_url(f"**/aftersales/{case_id}**")
    form = page.locator(f"form.act-{action}")
    for name, value in (fill or {}).items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    if not navigate:
        form.locator("button[type=submit]").click()
        return
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_agree_reject_and_confirm_receipt_from_the_after_sales_list(as_page):
    page = as_page
    log_in(page, "cs", path="/aftersales")
    assert page.locator('a[data-tab="todo"] .count').inner_text() == "3"
    assert page.locator('a[data-tab="due_soon"] .count').inner_text() == "2"  # 8 h left on the two new requests
    assert "商品破损/污渍" in page.locator(f'tr[data-aftersale-id="{AGREE}"]').inner_text()

    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.message), d.accept()))  # every step asks once more (QA 9 #18, 10 D10)
    _decide(page, AGREE, "agree")
    assert page.locator(".as-status").first.get_attribute("data-status") == "refunding"
    assert asked == ["同意退款 ¥89.90？同意后不能撤回。"]
    assert page.locator('.alert.ok[role="status"]').inner_text() == "已同意，等待退款 ¥89.90"

    _decide(page, REJECT, "reject", {"reject_code": "evidence_insufficient"}, navigate=False)  # no note
    page.wait_for_timeout(300)
    assert page.locator("form.act-reject").count() == 1  # the browser's required check kept us on the page
    assert page.locator(".as-status").first.get_attribute("data-status") == "waiting_merchant"
    page.fill("form.act-reject textarea[name=note]", "照片看不出破损，已请买家补充")
    with page.expect_navigation():
        page.click("form.act-reject button[type=submit]")
    assert page.locator(".as-status").first.get_attribute("data-status") == "rejected"
    assert len(asked) == 2 and "确认拒绝" in asked[1]
    assert "买家可以在平台上自行更正" in page.locator(".guidance").inner_text()

    _decide(page, RECEIVE, "receive", {"inspection": "as_expected"})
    assert page.locator(".as-status").first.get_attribute("data-status") == "refunding"
    assert asked[2] == "确认已收到买家退回的商品？确认后应退款 ¥89.90 给买家，不能撤回。"

    page.goto("/aftersales")
    assert page.locator(f'tr[data-aftersale-id="{REJECT}"]').count() == 0  # the buyer's move now
    assert page.locator(f'tr[data-aftersale-id="{AGREE}"]').count() == 1  # the refund still to pay
    page.goto("/aftersales?tab=waiting_receipt")
    assert page.locator(f'tr[data-aftersale-id="{RECEIVE}"]').count() == 0
    assert not page.js_errors, page.js_errors


@pytest.fixture
def as_phone(request, browser, aftersale_server):
    from .conftest import PHONE

    yield from _open_page(request, browser, aftersale_server, PHONE)


def test_on_a_phone_each_case_is_a_card_with_its_deadline_on_screen(as_phone):
    """QA pass 6, #11: on a phone the product wrapped one character a line and the deadline and 处理 were beyond the
    right edge of an eight-column table."""
    page = as_phone
    log_in(page, "cs", path="/aftersales?tab=all")
    for row in phone_cards(page, "table.cases tbody tr"):
        product = row.locator("td.as-product").bounding_box()
        assert product["width"] > page.viewport_size["width"] / 2  # a line of its own, not a squeezed column
    assert not page.js_errors, page.js_errors


def test_a_refund_asks_once_more_and_a_no_leaves_the_case_as_it_was(as_page):
    """QA pass 9, #18: 退款 sends money at once; the page now asks, naming the amount, and Cancel sends nothing."""
    page = as_page
    log_in(page, "cs", path=f"/aftersales/{AGREE}")
    answer = {"accept": True}
    asked: list[str] = []

    def reply(dialog):
        asked.append(dialog.message)
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", reply)
    if page.locator("form.act-agree").count():  # the other test of this module may have agreed it already
        with page.expect_navigation():
            page.locator("form.act-agree button[type=submit]").click()
    answer["accept"], asked[:] = False, []
    page.locator("form.act-refund button[type=submit]").click()
    page.wait_for_timeout(500)
    assert asked and "确认退款 ¥89.90 给买家" in asked[0]
    assert page.locator(".as-status").first.get_attribute("data-status") == "refunding"  # nothing was sent
    answer["accept"] = True
    with page.expect_navigation():
        page.locator("form.act-refund button[type=submit]").click()
    assert page.locator(".as-status").first.get_attribute("data-status") == "succeeded"
    assert not page.js_errors, page.js_errors
