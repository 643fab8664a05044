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


def test_the_pick_list_holds_them_back_from_the_totals(ctx, shop_id):
    _shop(ctx, shop_id)
    with ctx.sessions() as session:
        data = reports.forecast_report(session, shop_id, NOW)
    assert {p["order_id"]: p["refund_pending"] for p in data["pick_list"]} == {
        ASKED: True, REFUSED: False, EXPORT_ONLY: True, PLAIN: False, EXCHANGE: False}
    assert sorted(t["product_name"] for t in data["pick_totals"]) == ["五常大米 2号", "五常大米 4号", "五常大米 5号"]


def test_every_page_where_the_box_is_packed_says_so(app, users, ctx, shop_id):
    _shop(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "warehouse")
        pages = {path: client.get(path).text for path in ("/shipping?view=awaiting", "/shipping?view=awaiting&q=五常",
                                                          "/", "/shipping/picklist")}
        held_form = client.get(f"/shipping/orders/{ASKED}/ship").text
        free_form = client.get(f"/shipping/orders/{REFUSED}/ship").text
    for path, html in pages.items():
        rows = {order_id: html.split(order_id, 1)[1].split("</tr>", 1)[0] for order_id in (ASKED, PLAIN)}
        assert "退款待处理，先别打包" in rows[ASKED], path
        assert "退款待处理，先别打包" not in rows[PLAIN], path
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
    assert by_id[ASKED]["提醒"] == by_id[EXPORT_ONLY]["提醒"] == "退款待处理，先别打包"
    assert not by_id[PLAIN]["提醒"] and not by_id[REFUSED]["提醒"]
    assert by_id[PLAIN]["买家留言"] == "不要放价格单"
