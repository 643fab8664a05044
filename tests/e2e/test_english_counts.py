"""QA pass 5: a count followed by a noun takes its plural form in English ("1 order", not "1 orders": E8) and large
counts have thousands separators in both languages ("1,001 of 1,001 orders", not "1001 of 1001": E9)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
ONE = "6938459704022659401"


@sqlite_only
def test_one_order_one_case_one_entry_are_singular_in_english_and_one_form_in_chinese(ctx, shop_id, owner_client):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(ONE, ship_by=NOW + timedelta(hours=5))])
    owner_client.get("/lang/en")
    assert ">1 order<" in owner_client.get(f"/orders?q={ONE}").text
    assert "<p class=\"summary\">1 order ·" in owner_client.get(f"/shipping?q={ONE}").text
    audit = owner_client.get("/audit?action=session.login").text
    assert "1 entry ·" in audit and "1 entries" not in audit
    owner_client.get("/lang/zh")
    assert "共 1 单" in owner_client.get(f"/orders?q={ONE}").text
    assert "共 1 条" in owner_client.get("/audit?action=session.login").text


@sqlite_only
def test_large_counts_on_the_health_and_quality_pages_have_thousands_separators(ctx, shop_id, owner_client):
    records = [make_record(f"69384597040226{n:05d}", status=OrderStatus.SHIPPED, created_at=NOW - timedelta(days=3),
                           ship_by=NOW - timedelta(days=1), shipped_at=NOW - timedelta(days=1, hours=2))
               for n in range(1001)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=records)
    owner_client.get("/lang/en")
    health = owner_client.get("/shipping/health").text
    assert "1,001 of 1,001 orders shipped by their ship-by" in health and "1001" not in health
    quality = owner_client.get("/quality-rate").text
    assert "0 of 1,001 paid SKU orders" in quality
    owner_client.get("/lang/zh")
    assert "1,001 单中 1,001 单在承诺时间内发货" in owner_client.get("/shipping/health").text


@sqlite_only
def test_the_forecast_pace_and_the_tracking_import_summary_read_right_for_one(ctx, shop_id, owner_client, tmp_path):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(ONE, status=OrderStatus.SHIPPED, created_at=NOW - timedelta(days=2),
                        shipped_at=NOW - timedelta(days=1), carrier="中通快递", tracking_no="73123456789012")])
    owner_client.get("/lang/en")
    forecast = owner_client.get("/shipping/forecast").text
    assert " 1 order shipped, " in forecast and "1 orders" not in forecast
    path = tmp_path / "scans.csv"
    path.write_text("快递单号,快递公司,时间,状态码,地点,描述\n"
                    "YT0000000000001,圆通速递,2026-11-24 10:00:00,0,杭州,到达杭州\n", encoding="utf-8")
    with path.open("rb") as handle:
        page = owner_client.post("/logistics/import", data={"csrf_token": csrf_of(owner_client, "/logistics/import")},
                                 files={"file": ("scans.csv", handle)}).text
    assert "Rows: 1 · new scans: 0 · already known: 0 · rejected: 1" in page
