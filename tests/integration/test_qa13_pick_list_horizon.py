"""QA pass 13, #4, #5, #6 and #11: the printed pick list covers what must leave soon (overdue and due within 48 hours
by default, with 24 h / 3 days / all to choose), says how many later orders it leaves out and totals only what it
lists; after-sale goods to send the buyer (补寄, 换货) take their place by deadline among the orders and count in the
totals; the list warns, as the forecast does, when its capacity is far above the warehouse's real pace; the advice to
work longer says 今晚 once the working day is over; and /shipping opens on 超时未发货 while orders are overdue."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import forecast as fc, reports
from xiaodian.shipping.domain import SHOP_TZ
from xiaodian.shipping.pages import opening_view
from xiaodian.shipping.picking import DEFAULT_HORIZON, PickItem, ToSend, horizon_of, in_deadline_order

from ..conftest import NOW, login
from ..factories import make_record
from . import test_aftersale_resend_parcel as resend

H = timedelta(hours=1)
LATE, SOON, TOMORROW, IN_60H, PRESALE = ("6938459704022613001", "6938459704022613002", "6938459704022613003",
                                         "6938459704022613004", "6938459704022613005")
desk = resend.desk  # a completed order with a 补寄 case the merchant agreed to: 待商家发货


def _item(order_id: str, name: str, spec: str, qty: int) -> list[ItemRecord]:
    return [ItemRecord(sku_order_id=order_id[:-5] + order_id[-3:] + "11", product_name=name, spec=spec, quantity=qty,
                       unit_price_fen=1000, product_id="3512000000000000111", merchant_code=None)]


def _backlog(ctx, shop_id) -> None:
    """One order overdue, two due within 48 h, one in 60 h and a presale box due in 40 days."""
    rows = ((LATE, -3 * H, "有机小米", "500g", 1), (SOON, 2 * H, "有机小米", "500g", 2),
            (TOMORROW, 30 * H, "五常大米", "5kg", 1), (IN_60H, 60 * H, "五常大米", "5kg", 3),
            (PRESALE, timedelta(days=40), "【预售】五常稻花香 礼盒装", "5kg 礼盒", 1))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(oid, ship_by=NOW + due, items=_item(oid, name, spec, qty))
            for oid, due, name, spec, qty in rows])


def _totals(data) -> dict:
    return {(t["product_name"], t["spec"]): (t["quantity"], t["orders"]) for t in data["pick_totals"]}


def test_the_report_lists_and_totals_only_the_orders_within_the_horizon(ctx, shop_id):
    _backlog(ctx, shop_id)
    with ctx.sessions() as session:
        soon = reports.forecast_report(session, shop_id, NOW, within_hours=48)
        wider = reports.forecast_report(session, shop_id, NOW, within_hours=72)
        every = reports.forecast_report(session, shop_id, NOW)
    assert [p["order_id"] for p in soon["pick_list"]] == [LATE, SOON, TOMORROW]
    assert _totals(soon) == {("有机小米", "500g"): (3, 2), ("五常大米", "5kg"): (1, 1)}  # no presale box
    assert (soon["later"], soon["until"]) == (2, "2026-11-26T18:00:00+08:00")
    assert soon["planned"] == every["planned"] == 5 and soon["summary"] == every["summary"]  # the plan is whole
    assert [p["order_id"] for p in wider["pick_list"]][-1] == IN_60H and wider["later"] == 1
    assert len(every["pick_list"]) == 5 and every["later"] == 0 and every["until"] is None


def test_after_sales_to_send_take_their_place_by_deadline_and_count_in_the_totals(ctx, shop_id):
    _backlog(ctx, shop_id)
    late = ToSend("7400000000000000009", "6938459704022600999", "resend", NOW - 72 * H, True,
                  (PickItem("有机小米", "500g", 1, None, None),))
    far = ToSend("7400000000000000010", "6938459704022600998", "exchange", NOW + 100 * H, False,
                 (PickItem("五常大米", "5kg", 1, None, None),))
    with ctx.sessions() as session:
        data = reports.forecast_report(session, shop_id, NOW, within_hours=48, sends=[far, late])
    rows = [p.get("aftersale_id") or p["order_id"] for p in data["pick_list"]]
    assert rows == ["7400000000000000009", LATE, SOON, TOMORROW]  # three days overdue: first, not after every order
    assert _totals(data)[("有机小米", "500g")] == (4, 3) and data["later_sends"] == 1


def test_rows_without_a_deadline_come_last_and_ties_keep_their_order():
    rows = [{"order_id": "a", "ship_by": "2026-11-24T20:00:00+08:00"}, {"order_id": "b", "ship_by": None},
            {"order_id": "c", "ship_by": "2026-11-24T12:00:00+00:00"},  # 20:00 in shop time: a tie with a
            {"order_id": "d", "ship_by": "2026-11-24T10:00:00+08:00"}]
    assert [r["order_id"] for r in in_deadline_order(rows)] == ["d", "a", "c", "b"]


def test_the_horizon_choice_reads_only_the_offered_values():
    assert [horizon_of(v) for v in ("24", "48", "72", "all", "ALL", None, "", "5", "abc", "-24")] == [
        24, 48, 72, None, None, DEFAULT_HORIZON, DEFAULT_HORIZON, DEFAULT_HORIZON, DEFAULT_HORIZON, DEFAULT_HORIZON]


def test_the_page_prints_the_horizon_the_left_out_orders_and_offers_the_choice(ctx, shop_id, app, users):
    _backlog(ctx, shop_id)
    with TestClient(app) as warehouse:
        login(warehouse, "warehouse")
        page = warehouse.get("/shipping/picklist").text
        every = warehouse.get("/shipping/picklist", params={"within": "all"}).text
        three_days = warehouse.get("/shipping/picklist", params={"within": "72"}).text
    table = page.split('class="grid picks"', 1)[1]
    assert LATE in table and TOMORROW in table and IN_60H not in table and PRESALE not in table
    assert "预售" not in page.split("拣货汇总", 1)[1].split("订单（按打包顺序）", 1)[0]
    assert "另有 2 单承诺发货时间在 2026-11-26 18:00 之后，未列入本单。" in page
    assert 'data-within="48" class="active"' in page and "已超时及24小时内到期" in page and "已超时及3天内到期" in page
    assert "全部待发" in page and 'href="/shipping/picklist?within=all"' in page
    assert PRESALE in every and "未列入本单" not in every and 'data-within="all" class="active"' in every
    assert IN_60H in three_days and PRESALE not in three_days
    # on paper the window is named (the links are screen-only): QA pass 15, #13
    assert '<p class="print-only horizon-printed">拣货范围：已超时及48小时内到期</p>' in page


def test_an_overdue_re_send_is_first_on_the_page_and_its_goods_are_in_the_totals(desk, shop_id, app, users):
    with transaction(desk.sessions) as session:  # three days past its deadline, as in the QA pass
        session.execute(update(AfterSaleCase).where(AfterSaleCase.aftersale_id == resend.CASE)
                        .values(due_by=NOW - 72 * H))
        upsert_orders(session, shop_id=shop_id, cipher=desk.cipher, now=NOW,
                      records=[make_record(SOON, ship_by=NOW + 2 * H)])  # the same rice, due in two hours
    with TestClient(app) as warehouse:
        login(warehouse, "warehouse")
        page = warehouse.get("/shipping/picklist").text
    rows = page.split('class="grid picks"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    first = rows.split("<tr", 2)[1]
    assert f'data-aftersale="{resend.CASE}"' in first and resend.ORDER in first and "已超时" in first
    assert rows.index(resend.CASE) < rows.index(SOON)
    totals = page.split("拣货汇总", 1)[1].split("订单（按打包顺序）", 1)[0]
    rice = totals.split("五常大米 稻花香2号", 1)[1].split("</tr>", 1)[0]
    assert '<td class="num qty">2</td><td class="num">2</td>' in rice  # the order's rice and the re-sent one


def test_the_pick_list_warns_when_its_capacity_is_far_above_the_real_pace(ctx, shop_id, app, users):
    """Six orders shipped in the last seven days (0.1 an hour) against the default 100 an hour: the printed list
    says so, as the forecast page does, and links to the list at that pace."""
    midnight = NOW.replace(hour=0, minute=0)
    shipped = [make_record(f"69384597040226140{i:02d}", status=OrderStatus.SHIPPED, carrier="中通快递",
                           created_at=midnight - timedelta(days=d + 1), tracking_no=f"7310000001{i:04d}",
                           shipped_at=midnight - timedelta(days=d, hours=2)) for i, d in enumerate((1, 1, 2, 3, 4, 5))]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=shipped)
    _backlog(ctx, shop_id)
    with TestClient(app) as warehouse:
        login(warehouse, "warehouse")
        page = warehouse.get("/shipping/picklist").text
        at_pace = warehouse.get("/shipping/picklist", params={"capacity": "0.1"}).text
        forecast = warehouse.get("/shipping/forecast").text
    assert 'class="alert warn capacity-vs-pace" data-ratio="1000"' in page
    assert "是仓库近 7 天实际发货节奏（每小时 0.1 单）的 1000 倍" in page
    assert 'href="/shipping/picklist?capacity=0.1&within=48"' in page and "按实际节奏打印拣货单" in page
    assert 'data-ratio="1000"' in forecast  # the same rule on both pages
    assert "capacity-vs-pace" not in at_pace and "按每小时0.1单" in at_pace
    assert 'href="/shipping/picklist?within=all&capacity=0.1"' in at_pace  # the choice keeps the capacity


def _evening_plan(need: int) -> fc.Plan:
    """21:30 on a working day, after the 09:00–18:00 window: ``need`` orders due at 23:30 at 60 an hour."""
    evening = datetime(2026, 11, 24, 21, 30, tzinfo=SHOP_TZ)
    due = evening.replace(hour=23, minute=30)
    return fc.plan([(f"{i:03d}", due) for i in range(need)], now=evening, capacity_per_hour=60)


def test_after_the_working_day_the_advice_says_tonight():
    one_hour = _evening_plan(60)
    assert one_hour.extra_hours_today == 1.0
    assert fc.summary(one_hour, "zh").endswith("今晚加班打包1小时可避免")
    assert fc.summary(one_hour, "en").endswith("packing 1 h tonight avoids them.")
    too_many = _evening_plan(180)  # three hours of packing, two hours to the deadline
    assert too_many.extra_hours_today is None
    assert fc.summary(too_many, "zh").endswith("仅靠今晚加班无法避免，需提高产能")


@pytest.mark.parametrize(("asked", "overdue", "shown"), [
    ("", 3, "overdue"), ("", 0, "due24h"), ("due24h", 3, "due24h"), ("awaiting", 3, "awaiting"),
    ("nonsense", 3, "overdue"), ("nonsense", 0, "due24h")])
def test_the_shipping_page_opens_on_the_most_urgent_view(asked, overdue, shown):
    assert opening_view(asked, {"awaiting": 9, "due24h": 2, "overdue": overdue}) == shown


def test_the_shipping_page_opens_on_overdue_orders_unless_a_view_is_asked(ctx, shop_id, app, users):
    with TestClient(app) as warehouse:
        login(warehouse, "warehouse")
        with transaction(ctx.sessions) as session:
            upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                          records=[make_record(SOON, ship_by=NOW + 2 * H)])
        assert 'data-view="due24h" class="active"' in warehouse.get("/shipping").text
        _backlog(ctx, shop_id)
        opened = warehouse.get("/shipping").text
        assert 'data-view="overdue" class="active"' in opened and LATE in opened.split("<tbody", 1)[1]
        asked = warehouse.get("/shipping", params={"view": "due24h"}).text
        assert 'data-view="due24h" class="active"' in asked


def test_the_cli_forecast_takes_the_same_horizon(ctx, shop_id, cli_env):
    from typer.testing import CliRunner

    _backlog(ctx, shop_id)
    result = CliRunner().invoke(cli_env, ["forecast", "--within", "48"])
    assert result.exit_code == 0, result.output
    assert LATE in result.stdout and TOMORROW in result.stdout and PRESALE not in result.stdout
    assert "2 more orders have a ship-by after 2026-11-26 18:00: not on this list" in result.stdout
    every = CliRunner().invoke(cli_env, ["forecast", "--json"])
    assert len(json.loads(every.stdout)["pick_list"]) == 5  # without --within: every order, as before
