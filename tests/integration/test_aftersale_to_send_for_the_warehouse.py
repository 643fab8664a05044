"""An exchange or re-send the merchant must ship (售后 待商家发货) reaches the warehouse: a 待发给买家 tab it sees,
a home card counting them, and a row of the pick list at the case's deadline (QA pass 6, #18: they reached
none of the warehouse's lists, which only learnt of them if someone said so). Shipping it from the case stays with
cs and the owner, who record the parcel with the case."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ..conftest import login
from . import test_aftersale_resend_parcel as resend
from .test_aftersale_resend_parcel import CASE, ORDER, _reship

desk = resend.desk  # a completed order with a 补寄 case the merchant agreed to: 待商家发货


def test_the_warehouse_sees_what_after_sales_it_must_send(desk, shop_id, app, users):
    with TestClient(app) as warehouse:
        login(warehouse, "warehouse")
        home = warehouse.get("/").text
        card = home.split('data-card="aftersale_to_send"', 1)[1].split("</a>", 1)[0]
        assert '<span class="big">1</span><span>换货/补寄待发</span>' in card
        assert 'href="/aftersales?tab=to_send"' in home
        tab = warehouse.get("/aftersales", params={"tab": "to_send"}).text
        assert "待发给买家" in tab and CASE in tab
        picks = warehouse.get("/shipping/picklist").text
        row = picks.split(f'<tr class="to-send" data-aftersale="{CASE}">', 1)[1].split("</tr>", 1)[0]
        assert ORDER in row  # among the orders by its deadline (QA pass 13, #5), no longer a section at the end
    _reship(desk, shop_id)  # cs ships it: off every list
    with TestClient(app) as warehouse:
        login(warehouse, "warehouse")
        assert 'class="to-send"' not in warehouse.get("/shipping/picklist").text
        assert CASE not in warehouse.get("/aftersales", params={"tab": "to_send"}).text.split("<tbody", 1)[-1]


def test_the_warehouse_ships_the_re_send_from_the_case_but_decides_nothing(desk, shop_id, app, users):
    """The warehouse packs the re-send and holds its tracking number: 发货给买家 is its move too (aftersales.ship);
    agreeing, rejecting or refunding stay with cs and the owner."""
    from ..conftest import csrf_of

    with TestClient(app) as warehouse:
        login(warehouse, "warehouse")
        page = warehouse.get(f"/aftersales/{CASE}").text
        assert 'class="act-form act-reship"' in page
        refused = warehouse.post(f"/api/v1/aftersales/{CASE}/actions", headers={"x-csrf-token": csrf_of(warehouse)},
                                 json={"action": "reject", "reject_code": "other", "note": "不行"})
        assert refused.status_code == 403 and refused.json()["error"]["details"]["permission"] == "aftersales.decide"
        shipped = warehouse.post(f"/aftersales/{CASE}/act", follow_redirects=False, data={
            "csrf_token": csrf_of(warehouse, f"/aftersales/{CASE}"), "action": "reship", "carrier": "zhongtong",
            "tracking_no": "73123456789012"})
        assert shipped.status_code == 303, shipped.text
        case = warehouse.get(f"/api/v1/aftersales/{CASE}").json()
        assert (case["status"], case["reship_tracking_no"]) == ("waiting_buyer_receive", "73123456789012")
        assert case["history"][-1]["actor"] == "warehouse"
