"""A re-send / exchange parcel goes through shipping's own checks (QA care D8): a carrier from the desk's list and a
tracking number of the usual form, or 422 naming the field with shipping's codes; a number unusual for its carrier
ships only once the person confirms (as a single shipment); the case page and its history name the carrier."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import service
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

ORDER = "6938459704022656025"
CASE = "7400000000000000001"
URL = f"/api/v1/aftersales/{CASE}/actions"
CS = Principal(None, "cs", "cs", "web")


@pytest.fixture
def desk(ctx, shop_id):
    """A shipped order with a 补寄 case the merchant agreed to: it waits for the merchant to ship."""
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=2))])
        service.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                          case_type=CaseType.RESEND, applied_at=NOW - timedelta(hours=4), now=NOW, source="sync",
                          principal=None, reason=service.BuyerReason("少件/漏发"), refund_fen=0)
        service.merchant_action(session, shop_id=shop_id, aftersale_id=CASE, action=Action.AGREE, now=NOW,
                                given=ActionInput(), principal=CS)
    return ctx


def _reship(client, **body):
    return client.post(URL, headers={"x-csrf-token": csrf_of(client)}, json={"action": "reship", **body})


def _stored(ctx):
    with ctx.sessions() as session:
        case = session.execute(select(AfterSaleCase).where(AfterSaleCase.aftersale_id == CASE)).scalar_one()
        return case.status, case.reship_carrier, case.reship_tracking_no


def test_an_unknown_carrier_or_a_malformed_number_is_refused_naming_the_field(owner_client, desk):
    for body, code, field in (({"carrier": "<b>x</b>", "tracking_no": "73123456789012"}, "carrier_unknown", "carrier"),
                              ({"tracking_no": "73123456789012"}, "carrier_unknown", "carrier"),
                              ({"carrier": "zhongtong", "tracking_no": "abc"}, "tracking_malformed", "tracking_no")):
        refused = _reship(owner_client, **body)
        assert refused.status_code == 422, body
        error = refused.json()["error"]
        assert error["code"] == code and error["details"]["field"] == field
    assert _stored(desk) == ("waiting_merchant_ship", None, None)


def test_a_number_unusual_for_its_carrier_ships_only_when_confirmed(owner_client, desk):
    asked = _reship(owner_client, carrier="zhongtong", tracking_no="SF1234567890123")
    assert asked.status_code == 409 and asked.json()["error"]["code"] == "confirmation_required"
    error = asked.json()["error"]  # what ZTO numbers look like, and whose this one looks like (QA pass 13, #12)
    assert "ZTO Express numbers are usually" in error["message"]
    assert "its shape is that of SF Express numbers" in error["message"]
    assert error["details"]["looks_like"] == ["shunfeng"] and error["details"]["usual"]
    assert _stored(desk) == ("waiting_merchant_ship", None, None)
    done = _reship(owner_client, carrier="zhongtong", tracking_no="SF1234567890123", confirm_warnings=True)
    assert done.status_code == 200 and done.json()["reship_carrier"] == "zhongtong"
    assert _stored(desk) == ("waiting_buyer_receive", "zhongtong", "SF1234567890123")


def test_the_carrier_code_is_stored_and_its_name_shown_beside_the_number(owner_client, desk):
    done = _reship(owner_client, carrier="中通", tracking_no="7312 3456 7890 12")
    assert done.status_code == 200
    assert _stored(desk) == ("waiting_buyer_receive", "zhongtong", "73123456789012")  # normalised as shipping does
    page = owner_client.get(f"/aftersales/{CASE}").text
    shown = page.split('<dd class="reship-parcel">', 1)[1].split("</dd>", 1)[0]
    assert shown.startswith('<span class="carrier">中通快递</span> <code>73123456789012</code>')
    assert 'data-state="pending"' in shown  # logistics watches the re-send like any parcel (待揽收 until scanned)
    history = page.split('class="card timeline"', 1)[1]
    assert '<span class="reship-parcel"> · 中通快递 <code>73123456789012</code></span>' in history
    timeline = owner_client.get(f"/orders/{ORDER}").text
    assert "中通快递" in timeline and "zhongtong" not in timeline


def test_the_case_form_offers_the_carrier_list_and_asks_to_confirm_an_unusual_number(owner_client, desk):
    form = owner_client.get(f"/aftersales/{CASE}").text.split("act-reship", 1)[1].split("</form>", 1)[0]
    assert '<select name="carrier" required>' in form and '<option value="shunfeng" >顺丰速运</option>' in form
    csrf = csrf_of(owner_client, f"/aftersales/{CASE}")
    data = {"action": "reship", "carrier": "zhongtong", "tracking_no": "SF1234567890123", "csrf_token": csrf}
    asked = owner_client.post(f"/aftersales/{CASE}/act", data=data, follow_redirects=False)
    assert asked.status_code == 409 and 'data-code="confirmation_required"' in asked.text
    assert 'name="confirm_warnings"' in asked.text and "不像该快递公司的常见单号" in asked.text
    assert "中通快递单号一般为" in asked.text and "该单号像顺丰速运的单号" in asked.text  # QA pass 15, #2
    assert '<option value="zhongtong" selected>' in asked.text and 'value="SF1234567890123"' in asked.text
    done = owner_client.post(f"/aftersales/{CASE}/act", data={**data, "confirm_warnings": "1"}, follow_redirects=False)
    assert done.status_code == 303
    assert _stored(desk) == ("waiting_buyer_receive", "zhongtong", "SF1234567890123")


def test_a_number_already_on_another_order_is_refused_on_the_api_and_the_page(owner_client, desk, shop_id):
    """A number belongs to one parcel (a re-send is a parcel logistics watches): 409 tracking_in_use, nothing kept."""
    with transaction(desk.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=desk.cipher, now=NOW, records=[make_record(
            order_id="6938459704022656026", status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=1),
            carrier="中通快递", tracking_no="73123456789012")])
    refused = _reship(owner_client, carrier="zhongtong", tracking_no="73123456789012")
    assert refused.status_code == 409
    assert refused.json()["error"]["details"] == {"tracking_no": "73123456789012", "order_id": "6938459704022656026"}
    csrf = csrf_of(owner_client, f"/aftersales/{CASE}")
    page = owner_client.post(f"/aftersales/{CASE}/act", data={"action": "reship", "carrier": "zhongtong",
                                                               "tracking_no": "73123456789012", "csrf_token": csrf})
    assert page.status_code == 409 and 'data-code="tracking_in_use"' in page.text
    assert _stored(desk) == ("waiting_merchant_ship", None, None)
