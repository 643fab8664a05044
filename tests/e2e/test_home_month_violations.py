"""The home page's 本月 发货违规 / 扣分 / 赔付 link to a page that shows that very month: the number clicked is the
number found there, with the violations behind it (QA #6: the link led to 30 days and all time, 119 for 109)."""

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


def _seed_violations(ctx, shop_id) -> None:
    """Late orders either side of the month's first midnight (NOW is 11-24, shop time): three in November, two in
    October, all within the page's 30 days."""
    first = NOW.replace(day=1, hour=0, minute=0)
    deadlines = [first - timedelta(days=5), first - timedelta(seconds=1), first, first + timedelta(days=10),
                 NOW - timedelta(hours=2)]
    records = []
    for i, ship_by in enumerate(deadlines):
        late = dict(status=OrderStatus.SHIPPED, shipped_at=ship_by + timedelta(hours=3),
                    tracking_no=f"SF12345678901{i:02d}") if i < 4 else {}
        records.append(make_record(f"69384597040226581{i:02d}", created_at=ship_by - timedelta(days=2),
                                   unit_price_fen=4000 + 9000 * i, ship_by=ship_by, **late))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)


def _figure(html: str, name: str) -> str:
    return html.split(f'data-figure="{name}"', 1)[1].split(">", 1)[1].split("<", 1)[0]


def _attr(html: str, name: str) -> str:
    return re.search(rf'data-{name}="([^"]*)"', html).group(1)


def test_the_home_month_figures_equal_what_their_link_shows(app, users, ctx, shop_id):
    _seed_violations(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "owner")
        home = client.get("/").text
        link = re.search(r'<a href="([^"]+)" data-figure="violations"', home).group(1).replace("&amp;", "&")
        page = client.get(link)
    assert page.status_code == 200
    html = page.text
    assert _figure(home, "violations") == "3" == _attr(html, "violations")
    assert _figure(home, "points") == _attr(html, "points") == "6"
    assert _figure(home, "compensation") == _attr(html, "compensation")
    section = html.split('id="violations"', 1)[1]
    assert "本月违规（2026-11-01 起）" in section
    assert section.split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr>") == 3
    assert ">5</div>" in html.split('class="card kpi"><div class="muted">近30天违规', 1)[1]  # the 30 days differ


def test_the_whole_list_is_one_click_away_and_a_bad_since_lists_everything(app, users, ctx, shop_id):
    _seed_violations(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "cs")
        filtered = client.get("/shipping/health?since=2026-11-01").text
        everything = client.get("/shipping/health?since=11-01").text
    assert 'href="/shipping/health#violations"' in filtered
    assert _attr(everything, "violations") == "5" and _attr(everything, "since") == ""
    assert "本月违规" not in everything and "/shipping/health?since=2026-11-01#violations" in everything
