"""Browser: the after-sale deadline countdowns are live. The server renders them (right without JavaScript);
aftersales.js refreshes them every minute without a reload: red once 12 hours or less remain, 已超时 once the
deadline passes, on the list and on the case page. The browser's clock is driven by Playwright (own live desk)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ..conftest import NOW
from .conftest import DESKTOP, _open_page, log_in, new_desk, serve_desk

ORDER = "6938459704022659001"
CASE = "7300000000000000091"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def countdown_server(sqlite_template, tmp_path_factory):
    from xiaodian.aftersales import service
    from xiaodian.aftersales.domain import CaseType
    from xiaodian.bootstrap import default_shop_id
    from xiaodian.db import transaction
    from xiaodian.orders.domain import OrderStatus
    from xiaodian.orders.intake import upsert_orders

    from ..factories import make_record

    ctx = new_desk(sqlite_template, tmp_path_factory.mktemp("aftersale-countdown"))
    shop_id = default_shop_id(ctx)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(ORDER, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=3))])
        # The platform's deadline: 12 h 2 min 30 s from the desk's now, so the first render is not yet urgent.
        service.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                          case_type=CaseType.REFUND_SHIPPED, applied_at=NOW - timedelta(hours=36), now=NOW,
                          source="sync", principal=None, reason=service.BuyerReason("质量问题"), refund_fen=8990,
                          due_by=NOW + timedelta(hours=12, minutes=2, seconds=30))
    yield from serve_desk(ctx)


@pytest.fixture
def cd_page(request, browser, countdown_server):
    yield from _open_page(request, browser, countdown_server, DESKTOP)


def _clock(page, selector):
    el = page.locator(selector)
    return el.get_attribute("data-level"), el.inner_text()


@pytest.mark.parametrize("path,selector", [
    ("/aftersales", f'tr[data-aftersale-id="{CASE}"] .countdown'),
    (f"/aftersales/{CASE}", ".order-head .countdown"),
])
def test_the_countdown_ticks_every_minute_turns_red_within_12_hours_and_says_overdue_once_past(cd_page, path,
                                                                                                  selector):
    page = cd_page
    page.clock.install()
    log_in(page, "cs", path=path)
    page.wait_for_url(f"**{path}")
    assert _clock(page, selector) == ("soon", "剩余 12小时2分")  # as the server rendered it
    page.clock.run_for(60_000)  # one minute: the script's first tick
    assert _clock(page, selector) == ("soon", "剩余 12小时1分")
    page.clock.run_for(2 * 60_000)
    level, text = _clock(page, selector)
    assert level == "urgent" and text == "剩余 11小时59分"
    assert page.locator(selector).evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(245, 63, 63)"
    # long jumps fire the due tick once (fast_forward), not every timer of 12 hours: the text must come from the
    # clock, not from counting ticks
    page.clock.fast_forward(12 * 3600_000)  # 30 s past the deadline
    assert _clock(page, selector) == ("overdue", "已超时 0小时0分")
    page.clock.run_for(2 * 60_000)
    assert _clock(page, selector) == ("overdue", "已超时 0小时2分")
    page.clock.fast_forward(2 * 86400_000)
    assert _clock(page, selector) == ("overdue", "已超时 2天0小时")
    assert page.url.endswith(path)  # no reload happened
    assert not page.js_errors, page.js_errors
