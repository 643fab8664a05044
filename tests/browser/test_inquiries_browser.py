"""Browser: a customer-service agent pastes the buyer's question into 客服工作台, sees the diagnosis, copies the
reply with the button, and opens the matched order in one click (own live desk holding the demo shop)."""

from __future__ import annotations

import pytest

from .conftest import DESKTOP, PHONE, _open_page, log_in, new_desk, serve_desk

pytestmark = pytest.mark.browser
SEED = "我这个月20号拍了2份五常大米，也付款了，怎么还没有订单信息？"


@pytest.fixture(scope="module")
def inquiry_server(sqlite_template, tmp_path_factory):
    from xiaodian.demo.shop import build_demo_shop

    ctx = new_desk(sqlite_template, tmp_path_factory.mktemp("inquiry-live"))
    summary = build_demo_shop(ctx, orders=300, progress=False)
    asker = next(s for s in summary["scenarios"] if s["label"] == "question_awaiting_within_promise")
    for url in serve_desk(ctx):
        yield url, asker


@pytest.fixture
def desk_page(request, browser, inquiry_server):
    yield from _open_page(request, browser, inquiry_server[0], DESKTOP)


@pytest.fixture
def desk_phone(request, browser, inquiry_server):
    yield from _open_page(request, browser, inquiry_server[0], PHONE)


def test_agent_answers_the_seed_question_copies_the_reply_and_opens_the_order(desk_page, inquiry_server):
    _, asker = inquiry_server
    page = desk_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, "cs", path="/inquiries")
    assert page.locator("nav.mainnav a[href='/inquiries']").get_attribute("aria-current") == "page"
    page.fill("textarea[name=message]", SEED)
    page.fill("input[name=phone]", asker["buyer_phone"][-4:])
    with page.expect_navigation():
        page.click("form.inq-form button[type=submit]")
    assert page.locator(".inq-code").get_attribute("data-code") == "found_awaiting_shipment"
    assert page.locator("[data-field=date]").inner_text() == "2026-11-20"
    assert page.locator("[data-field=product]").inner_text() == "五常大米"
    reply = page.locator("#reply-text").input_value()
    assert asker["order_id"] in reply and reply.startswith("亲")
    page.click("#copy-reply")
    page.wait_for_function("document.getElementById('copy-status').textContent.length > 0")
    assert page.evaluate("navigator.clipboard.readText()") == reply
    with page.expect_navigation():
        page.click(f"a.order-link[href='/orders/{asker['order_id']}']")
    assert page.url.endswith(f"/orders/{asker['order_id']}")
    assert page.js_errors == []


def test_without_identity_the_page_warns_and_the_reply_asks(desk_phone, inquiry_server):
    page = desk_phone
    log_in(page, "cs", path="/inquiries")
    page.fill("textarea[name=message]", "I placed an order for 2 portions of Wuchang rice on the 20th of this month "
                                         "and paid, but there is still no order information?")
    with page.expect_navigation():
        page.click("form.inq-form button[type=submit]")
    assert page.locator(".inq-code").get_attribute("data-code") == "multiple_matches"
    assert "last 4 digits" in page.locator("#reply-text").input_value()
    assert page.locator(".inq-matches tbody tr").count() >= 5
    assert page.js_errors == []


def test_an_example_question_fills_the_message_box_and_is_answered(desk_page):
    page = desk_page
    log_in(page, "cs", path="/inquiries")
    chips = page.locator(".inq-examples button[data-example]")
    assert chips.count() == 4 and page.locator("textarea[name=message]").input_value() == ""
    chips.first.click()
    message = page.locator("textarea[name=message]").input_value()
    assert message == "我这个月20号下单了2份五常大米，已经付款了，怎么还没有订单信息？"
    # The chip shows the start of a long question (clipped by its width); the box gets the whole question.
    assert chips.first.evaluate("b => b.scrollWidth > b.clientWidth")
    with page.expect_navigation():
        page.click("form.inq-form button[type=submit]")
    assert page.locator("[data-field=intent]").get_attribute("data-value") == "order_missing"
    assert page.locator("[data-field=product]").inner_text() == "五常大米"
    assert page.locator("[data-field=quantity]").inner_text() == "2"
    assert page.js_errors == []
