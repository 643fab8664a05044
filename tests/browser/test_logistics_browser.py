"""Browser: the 物流异常 worklist (own live desk): most severe first, open a case, copy the buyer message, record
"contacted the carrier" and see the status and who did it; also on a phone-sized screen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ..conftest import NOW
from .conftest import DESKTOP, PHONE, _open_page, log_in, new_desk, phone_cards, serve_desk

STALLED_LONG = "6938459704022658001"  # picked up, silent for 80 h: serious
PICKUP_LATE = "6938459704022658002"  # shipped 21 h ago, no pickup: warning

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def logistics_server(sqlite_template, tmp_path_factory):
    from xiaodian.bootstrap import default_shop_id
    from xiaodian.db import transaction
    from xiaodian.logistics.ingest import Scan, find_parcels, record_scans
    from xiaodian.logistics.jobs import scan_shop
    from xiaodian.orders.domain import OrderStatus
    from xiaodian.orders.intake import upsert_orders

    from ..factories import make_record

    ctx = new_desk(sqlite_template, tmp_path_factory.mktemp("logistics-live"))
    shop_id = default_shop_id(ctx)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(PICKUP_LATE, status=OrderStatus.SHIPPED, carrier="圆通速递", tracking_no="YT1000000000002",
                        shipped_at=NOW - timedelta(hours=21)),
            make_record(STALLED_LONG, status=OrderStatus.SHIPPED, carrier="中通快递", tracking_no="73100000008001",
                        shipped_at=NOW - timedelta(hours=90))])
    with transaction(ctx.sessions) as session:
        parcel = find_parcels(session, shop_id, "73100000008001", NOW)[0]
        record_scans(session, parcel, [Scan(NOW - timedelta(hours=88), "【五常市】已揽收", 1, "五常市"),
                                       Scan(NOW - timedelta(hours=80), "快件已到达【廊坊转运中心】", 0, "廊坊转运中心")],
                     source="file", now=NOW)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    yield from serve_desk(ctx)


@pytest.fixture
def desk_page(request, browser, logistics_server):
    yield from _open_page(request, browser, logistics_server, DESKTOP)


@pytest.fixture
def small_page(request, browser, logistics_server):
    yield from _open_page(request, browser, logistics_server, PHONE)


def test_worklist_most_severe_first_then_handle_a_case_and_see_who_did_it(desk_page):
    page = desk_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, "cs", path="/logistics")
    rows = page.locator("table.anomalies tbody tr")
    kinds = [rows.nth(i).get_attribute("data-kind") for i in range(rows.count())]
    assert kinds[0] == "stalled" and "pickup_timeout" in kinds
    assert "最后一条轨迹 80 小时前 · 廊坊转运中心" in rows.first.locator(".evidence").inner_text()
    assert page.locator("section.contacts").get_by_text("95311").is_visible()
    rows.first.locator("a.button").click()
    page.wait_for_url("**/logistics/anomalies/**")
    message = page.locator("#msg-zh").inner_text()
    assert "五常大米" in message and "73100000008001" in message
    page.locator('button[data-copy-target="msg-zh"]').click()
    page.wait_for_selector('button[data-copy-target="msg-zh"][data-done="1"]')
    assert page.evaluate("navigator.clipboard.readText()") == message
    with page.expect_navigation():
        page.click('button[data-action="contacted_carrier"]')
    assert page.locator('[data-testid="case-status"]').inner_text() == "已联系快递"
    assert "cs" in page.locator("section.history").inner_text()
    assert not page.js_errors, page.js_errors


def test_worklist_filters_by_kind_and_fits_a_phone(small_page):
    page = small_page
    log_in(page, "cs", path="/logistics?kind=pickup_timeout")
    rows = page.locator("table.anomalies tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-kind") == "pickup_timeout"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 40, width
    assert not page.js_errors, page.js_errors


def test_on_a_phone_each_anomaly_is_a_card_with_handle_on_screen(small_page):
    """QA pass 6, #11: on a phone the kind wrapped one character a line (揽/收/超/时) and 处理 was off screen."""
    page = small_page
    log_in(page, "cs", path="/logistics")
    for row in phone_cards(page, "table.anomalies tbody tr"):  # 处理 (the last cell) on screen with the rest
        kind = row.locator("td").nth(1).bounding_box()
        assert kind["height"] < 3 * 22  # the kind reads on one or two lines, not one character a line
    assert not page.js_errors, page.js_errors
