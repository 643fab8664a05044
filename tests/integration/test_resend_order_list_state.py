"""The order list's logistics state, and its filter by it, describe the order's own delivery (SQLite and PostgreSQL):
an order the buyer signed for is 已签收 on the list, and is not found under 运输中 or 待揽收 because the after-sale
re-send (补寄) it later sent is on its way. The re-send keeps its own state on the order page, the case page and the
worklist, and a case being worked on for it still marks the order (the anomaly filter and badge)."""

from __future__ import annotations

from xiaodian.logistics.importfile import import_tracking_file
from xiaodian.logistics.jobs import scan_shop
from xiaodian.logistics.queries import order_logistics, orders_logistics
from xiaodian.orders.queries import OrderFilter, search_orders, tab_counts

from ..conftest import NOW
from . import test_aftersale_resend_parcel as resend
from .test_aftersale_resend_parcel import CS, H, ORDER, OWN, RESEND, _reship

desk = resend.desk  # the fixture: a completed order with a 补寄 case the merchant agreed to


def _scans(ctx, shop_id, tmp_path, lines: str) -> None:
    path = tmp_path / "events.csv"
    path.write_text("快递单号,快递公司,时间,状态码,描述\n" + lines, encoding="utf-8")
    report = import_tracking_file(ctx.sessions, shop_id=shop_id, path=path, principal=CS, now=NOW + 3 * H)
    assert report.rejected == []


def _found(ctx, shop_id, **filters) -> tuple[list[str], int]:
    """The order ids the list finds under these filters, and the 全部 tab's count under the same ones."""
    with ctx.sessions() as session:
        flt = OrderFilter(now=NOW + 3 * H, **filters)
        _total, orders = search_orders(session, shop_id, flt, ctx.cipher)
        return [o.order_id for o in orders], tab_counts(session, shop_id, flt, ctx.cipher)["all"]


def test_the_list_filters_by_the_orders_own_parcel_not_by_its_resend(desk, shop_id, tmp_path):
    _scans(desk, shop_id, tmp_path, f"{OWN},中通快递,2026-11-20 09:00:00,1,【杭州】已揽收\n"
                                    f"{OWN},中通快递,2026-11-21 15:00:00,3,已签收\n")
    _reship(desk, shop_id, at=NOW + H)
    _scans(desk, shop_id, tmp_path, f"{RESEND},中通快递,2026-11-24 20:00:00,0,【杭州】已发出\n")
    scan_shop(desk.sessions, shop_id, NOW + 3 * H, full=True)
    assert _found(desk, shop_id, logistics_state="signed") == ([ORDER], 1)
    assert _found(desk, shop_id, logistics_state="in_transit") == ([], 0)
    with desk.sessions() as session:  # the state the list shows (one order, and a page)
        _total, (order,) = search_orders(session, shop_id, OrderFilter(now=NOW + 3 * H, query=ORDER), desk.cipher)
        assert order_logistics(session, order.id)["logistics_states"] == ["signed"]
        assert orders_logistics(session, [order.id])[order.id]["logistics_states"] == ["signed"]


def test_a_resend_alone_gives_a_completed_order_no_state_on_the_list(desk, shop_id, owner_client):
    """The order's own parcel was never scanned by the desk (an order imported completed): no state to show, and a
    re-send on its way does not make the order 待揽收; the re-send's open case still marks the order."""
    _reship(desk, shop_id)
    scan_shop(desk.sessions, shop_id, NOW + 25 * H, full=True)  # the re-send: pickup_timeout
    assert _found(desk, shop_id, logistics_state="pending") == ([], 0)
    assert _found(desk, shop_id, anomaly="pickup_timeout") == ([ORDER], 1)
    listed = owner_client.get("/api/v1/orders", params={"q": ORDER}).json()["orders"]
    assert [(o["logistics_state"], o["anomaly"]["kind"]) for o in listed] == [(None, "pickup_timeout")]
    row = owner_client.get("/orders", params={"q": ORDER}).text.split(f'data-order-id="{ORDER}"', 1)[1]
    row = row.split("</tbody>", 1)[0]
    assert 'data-kind="pickup_timeout"' in row and "logistics-state" not in row
    resend = owner_client.get(f"/orders/{ORDER}").text.split('class="tracking resends"', 1)[1].split("</ul>", 1)[0]
    assert f"<code>{RESEND}</code>" in resend and 'data-state="pending"' in resend
