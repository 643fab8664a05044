"""Browser: the owner opens 设置 → 物流异常设置, is told which field is wrong, lowers the pickup thresholds, sees
them on the 物流异常 worklist, and after the next scan the parcel that was fine by the defaults is on the list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ..conftest import NOW
from .conftest import DESKTOP, _open_page, log_in, new_desk, serve_desk

ORDER = "6938459704022658101"  # shipped 14 h ago, no pickup scan: nothing by the defaults (20 h)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def desk(sqlite_template, tmp_path_factory):
    from xiaodian.bootstrap import default_shop_id
    from xiaodian.db import transaction
    from xiaodian.logistics.jobs import scan_shop
    from xiaodian.orders.domain import OrderStatus
    from xiaodian.orders.intake import upsert_orders

    from ..factories import make_record

    ctx = new_desk(sqlite_template, tmp_path_factory.mktemp("logistics-thresholds-live"))
    shop_id = default_shop_id(ctx)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(ORDER, status=OrderStatus.SHIPPED, carrier="圆通速递", tracking_no="YT1000000000101",
                        shipped_at=NOW - timedelta(hours=14))])
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    server = serve_desk(ctx)
    url = next(server)
    yield {"url": url, "ctx": ctx, "shop_id": shop_id}
    server.close()


@pytest.fixture
def owner_page(request, browser, desk):
    yield from _open_page(request, browser, desk["url"], DESKTOP)


def test_owner_lowers_the_pickup_thresholds_and_the_worklist_and_the_next_scan_follow(owner_page, desk):
    from xiaodian.logistics.jobs import scan_shop

    page = owner_page
    log_in(page, "owner", path="/logistics")
    assert page.locator("table.anomalies").count() == 0
    assert "20 / 24 / 48" in page.locator('section.thresholds li[data-kind="pickup_timeout"]').inner_text()
    page.click("details.navmenu summary")
    with page.expect_navigation():
        page.click('a[href="/settings/logistics"]')
    assert page.locator("h1").inner_text() == "物流异常设置"
    assert page.locator('.thresholds-source[data-custom="no"]').is_visible()
    page.fill("#th-stalled_timeout", "30")  # below the warning (36): refused by the desk, naming the field
    with page.expect_navigation():
        page.click("form.thresholds-form button[type=submit]")
    alert = page.locator('.alert.error[data-field="stalled_timeout"]')
    assert "物流停滞 · 已超时" in alert.inner_text()
    assert page.locator("#th-stalled_timeout").get_attribute("aria-invalid") == "true"
    page.fill("#th-stalled_timeout", "48")
    page.fill("#th-pickup_warning", "10")
    page.fill("#th-pickup_timeout", "12")
    with page.expect_navigation():
        page.click("form.thresholds-form button[type=submit]")
    assert "阈值已保存" in page.locator(".alert.ok").inner_text()
    assert page.locator("#th-pickup_timeout").input_value() == "12"
    assert "10 → " not in page.locator("table.changes").inner_text()
    assert "24 → 12" in page.locator("table.changes").inner_text()
    page.goto("/logistics")
    assert "10 / 12 / 48" in page.locator('section.thresholds li[data-kind="pickup_timeout"]').inner_text()
    scan_shop(desk["ctx"].sessions, desk["shop_id"], NOW + timedelta(minutes=1))  # the change makes it a full scan
    page.reload()
    rows = page.locator("table.anomalies tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-kind") == "pickup_timeout"
    assert "已超时" in rows.first.inner_text()
    page.goto("/settings/logistics")
    with page.expect_navigation():
        page.click("form.reset-form button[type=submit]")
    assert page.locator('.thresholds-source[data-custom="no"]').is_visible()
    assert page.locator("#th-pickup_warning").input_value() == "20"
    assert not page.js_errors, page.js_errors
