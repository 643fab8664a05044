"""A refund the buyer asked for on an unshipped order stops it from shipping (domain.md §4): the deadline views, the
home page, the ship form and the pick list say so before anyone packs the box (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import service as aftersales
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.queries import require_order
from xiaodian.shipping import reports, service

from ..conftest import NOW, login
from ..factories import make_record

OWNER = Principal(1, "owner", "owner", "web")
H = timedelta(hours=1)
ASKED = "6938459704022600001"       # 未发货仅退款, waiting for the merchant: held
REFUSED = "6938459704022600002"     # the same, refused by the merchant: ships
EXPORT_ONLY = "6938459704022600003"  # no case the desk has seen; the export says 退款中: held
PLAIN = "6938459704022600004"       # nothing: ships
EXCHANGE = "6938459704022600005"    # an exchange asked for: not a refund, ships


def _case(session, shop_id, order_id, aftersale_id, kind=CaseType.REFUND_UNSHIPPED):
    aftersales.open_case(session, shop_id=shop_id, aftersale_id=aftersale_id, order_id=order_id, sku_order_id=None,
                         case_type=kind, applied_at=NOW - H, now=NOW, source="sync", principal=None,
                         reason=aftersales.BuyerReason("多拍/拍错/不想要", None, None, 0), refund_fen=8990)


def _shop(ctx, shop_id) -> None:
    records = [make_record(order_id, status=OrderStatus.AWAITING_SHIPMENT, ship_by=NOW + (i + 1) * H,
                           product=f"五常大米 {i + 1}号", after_sale_status="退款中" if order_id == EXPORT_ONLY else None,
                           buyer_note="不要放价格单" if order_id == PLAIN else None)
               for i, order_id in enumerate((ASKED, REFUSED, EXPORT_ONLY, PLAIN, EXCHANGE))]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    with transaction(ctx.sessions) as session:
        _case(session, shop_id, ASKED, "7000000000000000001")
        _case(session, shop_id, REFUSED, "7000000000000000002")
        _case(session, shop_id, EXCHANGE, "7000000000000000005", kind=CaseType.EXCHANGE)
    with transaction(ctx.sessions) as session:
        aftersales.merchant_action(session, shop_id=shop_id, aftersale_id="7000000000000000002", action=Action.REJECT,
                                   given=ActionInput(reject_code="other", note="已备货，请联系客服"), principal=OWNER,
                                   now=NOW)


def test_the_batch_rule_is_the_ship_blocker_rule(ctx, shop_id):
    _shop(ctx, shop_id)
    with ctx.sessions() as session:
        held = aftersales.refund_pending_orders(session, shop_id, [ASKED, REFUSED, EXPORT_ONLY, PLAIN, EXCHANGE])
        one_by_one = {o for o in (ASKED, REFUSED, EXPORT_ONLY, PLAIN, EXCHANGE)
                      if service.blocker_of(session, require_order(session, shop_id, o)) is not None}
    assert held == one_by_one == {ASKED, EXPORT_ONLY}


def test_the_whole_shop_rule_is_the_ship_blocker_rule_too(ctx, shop_id):
    """What the forecast leaves out (every unshipped order of the shop at once) is what shipping refuses; a shipped
    order whose export says 退款中 is not unshipped work and is not counted."""
    _shop(ctx, shop_id)
    shipped = make_record("6938459704022600006", status=OrderStatus.SHIPPED, ship_by=NOW - H, product="小米",
                          after_sale_status="退款中")
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[shipped], cipher=ctx.cipher, now=NOW)
    with ctx.sessions() as session:
        from xiaodian.shipping.queries import awaiting_deadline_keys

        pks = aftersales.refund_pending_unshipped(session, shop_id, awaiting_deadline_keys(session, shop_id)[1])
        held = {require_order(session, shop_id, o).order_id for o in (ASKED, REFUSED, EXPORT_ONLY, PLAIN, EXCHANGE)
                if require_order(session, shop_id, o).id in pks}
        one_by_one = {o for o in (ASKED, REFUSED, EXPORT_ONLY, PLAIN, EXCHANGE)
                      if service.blocker_of(session, require_order(session, shop_id, o)) is not None}
    assert held == one_by_one == {ASKED, EXPORT_ONLY} and len(pks) == 2


def test_the_forecast_leaves_them_out_of_the_plan_and_lists_them_apart(ctx, shop_id):
    """Packing an order that cannot ship (and whose refund is usually agreed) is wasted work: it takes no place in
    the plan, so the orders after it are packed sooner, and it is listed apart for after-sales to decide."""
    _shop(ctx, shop_id)
    with ctx.sessions() as session:
        data = reports.forecast_report(session, shop_id, NOW, capacity=1)
    assert [p["order_id"] for p in data["pick_list"]] == [REFUSED, PLAIN, EXCHANGE]
    assert not any(p["refund_pending"] for p in data["pick_list"])
    assert (data["awaiting"], data["planned"], data["refund_pending"]) == (5, 3, 2)
    assert [h["order_id"] for h in data["refund_pending_orders"]] == [ASKED, EXPORT_ONLY]
    # NOW is 18:00, the end of the working day: one an hour from 09:00 tomorrow, PLAIN second (fourth if they counted)
    assert data["pick_list"][1]["done_at"] == "2026-11-25T11:00:00+08:00"
    assert sorted(t["product_name"] for t in data["pick_totals"]) == ["五常大米 2号", "五常大米 4号", "五常大米 5号"]
    assert "另有2单买家已申请退款，未排入计划" in data["summary"]


def test_every_page_where_the_box_is_packed_says_so(app, users, ctx, shop_id):
    _shop(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "warehouse")
        pages = {path: client.get(path).text for path in ("/shipping?view=awaiting", "/shipping?view=awaiting&q=五常",
                                                          "/")}
        picklist = client.get("/shipping/picklist").text
        forecast = client.get("/shipping/forecast").text
        held_form = client.get(f"/shipping/orders/{ASKED}/ship").text
        free_form = client.get(f"/shipping/orders/{REFUSED}/ship").text
    for path, html in pages.items():
        rows = {order_id: html.split(order_id, 1)[1].split("</tr>", 1)[0] for order_id in (ASKED, PLAIN)}
        assert "退款待处理，先别打包" in rows[ASKED], path
        assert "退款待处理，先别打包" not in rows[PLAIN], path
    for html in (picklist, forecast):  # listed apart from the orders to pack, with the reason
        apart = html.split('id="refund-pending-h"', 1)[1]
        assert "未排入计划：退款待处理（2 单）" in apart and ASKED in apart and EXPORT_ONLY in apart
        assert PLAIN not in apart and "退款待处理，先别打包" in apart.split(ASKED, 1)[1].split("</tr>", 1)[0]
        assert ASKED not in html.split('id="refund-pending-h"', 1)[0].split("<h1", 1)[1]
    assert 'data-code="refund_pending"' in held_form and "买家已申请退款" in held_form
    assert '<button type="submit" class="primary" disabled>' in held_form
    assert 'data-code="refund_pending"' not in free_form and '<button type="submit" class="primary">' in free_form


def test_the_bulk_ship_template_carries_the_notes_and_the_warning(app, users, ctx, shop_id):
    """The sheet the warehouse works from says it too, beside the notes; the upload still reads only its three
    columns."""
    import io

    from openpyxl import load_workbook

    _shop(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "warehouse")
        download = client.get("/shipping/bulk/template.xlsx", params={"view": "awaiting"})
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(download.content)).active.iter_rows()]
    header, by_id = rows[0], {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert header[-3:] == ["买家留言", "商家备注", "提醒"]
    assert by_id[ASKED]["提醒"] == "退款待处理，先别打包"
    assert by_id[EXPORT_ONLY]["提醒"] == "已同意退款，不要发货"  # 退款中: agreed, being paid (QA pass 10, D13)
    assert not by_id[PLAIN]["提醒"] and not by_id[REFUSED]["提醒"]
    assert by_id[PLAIN]["买家留言"] == "不要放价格单"


def test_the_forecast_is_not_all_clear_while_refunds_wait(app, users, ctx, shop_id):
    """Nothing will miss, but an order waits on a refund decision: the summary is a warning, not the green all-clear
    (it was green even with orders already overdue)."""
    records = [make_record(order_id, status=OrderStatus.AWAITING_SHIPMENT, ship_by=NOW + timedelta(days=3),
                           product="小米", after_sale_status="退款中" if order_id == ASKED else None)
               for order_id in (ASKED, PLAIN)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    with TestClient(app) as client:
        login(client, "warehouse")
        html = client.get("/shipping/forecast").text
    summary = html.split("forecast-summary", 1)[1].split("</div>", 1)[0]
    assert 'class="alert warn forecast-summary"' in html and "另有1单买家已申请退款" in summary
    assert "买家已申请退款的订单不在计划内（见下方）" in html.split('class="muted plan-rule"', 1)[1].split("</p>", 1)[0]
