"""QA pass 9, #19: on /shipping/health the list of violations said neither its period nor that it was not the home
page's 本月 figure (131 beside home's 128). The whole list now says where it begins and that it is all of them; the
month view (home's link) still says 本月 and its figure matches home's."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping.jobs import scan_shop

from ..conftest import NOW, login
from ..factories import make_record


def seed(ctx, shop_id) -> None:
    """Two late orders in October (from 10-27), two in November."""
    first = NOW.replace(day=1, hour=0, minute=0)
    deadlines = [first - timedelta(days=5), first - timedelta(days=1), first + timedelta(days=3),
                 first + timedelta(days=10)]
    records = [make_record(f"69384597040226591{i:02d}", created_at=ship_by - timedelta(days=2), ship_by=ship_by,
                           status=OrderStatus.SHIPPED, shipped_at=ship_by + timedelta(hours=3),
                           tracking_no=f"SF12345678902{i:02d}") for i, ship_by in enumerate(deadlines)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)


def heading(html: str) -> str:
    section = html.split('id="violations"', 1)[1]
    return re.sub(r"<[^>]+>", "", section.split("<h2>", 1)[1].split("</h2>", 1)[0]).strip()


def test_the_whole_list_says_its_period_and_the_month_view_says_this_month(app, users, ctx, shop_id):
    seed(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "owner")
        whole = client.get("/shipping/health").text
        home = client.get("/").text
        month = client.get("/shipping/health?since=2026-11-01").text
    assert heading(whole).startswith("全部违规（2026-10-27 至今）") and "只看本月" in heading(whole)
    assert "不是首页的“本月”数字" in whole and "自 2026-10-27 以来记录的全部违规" in whole
    assert re.search(r'data-violations="4"', whole)
    assert heading(month).startswith("本月违规（2026-11-01 起）") and re.search(r'data-violations="2"', month)
    assert ">2</a>" in home.split('data-figure="violations"', 1)[1][:40]  # home's 本月 = the month view


def test_no_violation_no_period(app, users):
    with TestClient(app) as client:
        login(client, "owner")
        page = client.get("/shipping/health").text
    assert heading(page).startswith("违规记录") and "至今" not in heading(page)
