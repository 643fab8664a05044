"""QA pass 9, #3 and #4: refusals on the Chinese case page read in Chinese (a note of only spaces, a case someone
else just settled), and 已发货，请拒收后退货 is neither offered nor accepted on an order that has no parcel."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.aftersales import service
from xiaodian.aftersales.domain import CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

ORDER = "6938459704022656025"
CASE = "7200000000000000001"


@pytest.fixture
def desk(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(order_id=ORDER, status=OrderStatus.AWAITING_SHIPMENT)])
        service.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                          case_type=CaseType.REFUND_UNSHIPPED, applied_at=NOW - timedelta(hours=4), now=NOW,
                          source="sync", principal=None, reason=service.BuyerReason("多拍/拍错/不想要"),
                          refund_fen=8990)
    return ctx


def _act(client, **data):
    csrf = csrf_of(client, f"/aftersales/{CASE}")
    return client.post(f"/aftersales/{CASE}/act", data={**data, "csrf_token": csrf}, follow_redirects=False)


def _alert(page: str) -> str:
    return page.split('role="alert"', 1)[1].split("</div>", 1)[0]


def test_a_note_of_spaces_and_a_case_already_settled_are_refused_in_chinese(owner_client, desk):
    spaces = _act(owner_client, action="reject", reject_code="other", note="   ")
    assert spaces.status_code == 422 and "拒绝时请写明理由" in _alert(spaces.text)
    assert "in words" not in spaces.text
    assert _act(owner_client, action="agree").status_code == 303
    assert _act(owner_client, action="refund").status_code == 303
    again = _act(owner_client, action="refund")  # the second clerk's tab, still showing the button
    assert again.status_code == 409 and "这笔售后已经结束" in _alert(again.text)
    assert "nothing can change" not in again.text


def test_already_shipped_is_not_a_reason_for_an_order_without_a_parcel(owner_client, desk):
    form = owner_client.get(f"/aftersales/{CASE}").text.split('class="act-form act-reject"', 1)[1].split("</form>")[0]
    assert 'value="already_shipped"' not in form and 'value="other"' in form
    untrue = _act(owner_client, action="reject", reject_code="already_shipped", note="已经发出了")
    assert untrue.status_code == 422 and "这笔订单还没有包裹" in _alert(untrue.text)
    api = owner_client.post(f"/api/v1/aftersales/{CASE}/actions", headers={"x-csrf-token": csrf_of(owner_client)},
                            json={"action": "reject", "reject_code": "already_shipped", "note": "已经发出了"})
    assert api.status_code == 422 and api.json()["error"]["code"] == "reject_reason_untrue"
    assert owner_client.get(f"/api/v1/aftersales/{CASE}").json()["status"] == "waiting_merchant"  # nothing written


def test_already_shipped_is_offered_and_taken_once_the_order_has_a_parcel(owner_client, desk, shop_id):
    with transaction(desk.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=desk.cipher, now=NOW + timedelta(minutes=5), records=[
            make_record(order_id=ORDER, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(hours=1),
                        carrier="中通快递", tracking_no="76331621579714")])
    form = owner_client.get(f"/aftersales/{CASE}").text.split('class="act-form act-reject"', 1)[1].split("</form>")[0]
    assert 'value="already_shipped"' in form
    done = _act(owner_client, action="reject", reject_code="already_shipped", note="已发出，请拒收")
    assert done.status_code == 303, done.text
