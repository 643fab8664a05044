"""A refund whose amount the clerk types may not give back money other cases already gave back: the most allowed is
what the SKU order paid less earlier refunds on it (and, for an item of a larger order, never more than the whole
order has left). Only money paid out or being paid counts: a case still waiting, or one that closed, gave nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import service
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

ORDER = "6938459704022656025"
CASE = "7500000000000000009"  # the later case, its amount not known
EARLIER = "7500000000000000001"
CS = Principal(None, "cs", "cs", "web")


def _open_known(session, shop_id, aftersale_id, refund_fen, sku_order_id=None, order_id=ORDER):
    service.open_case(session, shop_id=shop_id, aftersale_id=aftersale_id, order_id=order_id,
                      sku_order_id=sku_order_id, case_type=CaseType.REFUND_SHIPPED,
                      applied_at=NOW - timedelta(hours=30), now=NOW, source="sync", principal=None,
                      refund_fen=refund_fen)


def _act(session, shop_id, aftersale_id, action, **given):
    service.merchant_action(session, shop_id=shop_id, aftersale_id=aftersale_id, action=action, now=NOW,
                            given=ActionInput(**given), principal=CS)


@pytest.fixture
def single(ctx, shop_id):
    """A shipped ¥238.00 one-item order: an earlier case (¥30.00, amount known) and the export's provisional case."""
    item = ItemRecord(sku_order_id=ORDER, product_name="五常大米 10kg", quantity=1, unit_price_fen=23800,
                      product_id="p1")
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.SHIPPED, items=[item], shipped_at=NOW - timedelta(days=2))])
        _open_known(session, shop_id, EARLIER, 3000)
    return ctx


def _open_later(ctx, shop_id, sku_order_id=ORDER):
    """The later case, from an after-sale export whose 退款金额 was empty: its amount is not known."""
    with transaction(ctx.sessions) as session:
        _open_known(session, shop_id, CASE, 0, sku_order_id=sku_order_id)


def _limit(ctx, aftersale_id=CASE):
    with ctx.sessions() as session:
        case = session.execute(select(AfterSaleCase).where(AfterSaleCase.aftersale_id == aftersale_id)).scalar_one()
        return service.refund_limit(session, case)


def _api_refund(client, amount):
    return client.post(f"/api/v1/aftersales/{CASE}/actions", headers={"x-csrf-token": csrf_of(client)},
                       json={"action": "refund", "refund_fen": amount})


def test_an_earlier_refund_on_the_item_lowers_the_most_a_later_refund_may_give(single, shop_id, owner_client):
    with transaction(single.sessions) as session:
        _act(session, shop_id, EARLIER, Action.AGREE)
        _act(session, shop_id, EARLIER, Action.REFUND)  # ¥30.00 back to the buyer
    _open_later(single, shop_id)
    limit = _limit(single)
    assert (limit.max_fen, limit.paid_fen, limit.earlier) == (20800, 23800, ((EARLIER, 3000),))
    with transaction(single.sessions) as session:
        _act(session, shop_id, CASE, Action.AGREE)
    refused = _api_refund(owner_client, 23800)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "refund_amount_invalid"
    assert {k: error["details"][k] for k in ("max_fen", "refunded_fen", "refunded_by")} == {
        "max_fen": 20800, "refunded_fen": 3000, "refunded_by": [EARLIER]}
    assert EARLIER in error["message"] and "¥208.00" in error["message"]
    page = owner_client.get(f"/aftersales/{CASE}").text
    form = page.split('class="act-form act-refund"', 1)[1].split("</form>")[0]
    assert "不超过 ¥208.00" in form and f"售后单 {EARLIER} 已退 ¥30.00" in form
    csrf = csrf_of(owner_client, f"/aftersales/{CASE}")
    too_much = owner_client.post(f"/aftersales/{CASE}/act", follow_redirects=False,
                                 data={"action": "refund", "refund_amount": "238", "csrf_token": csrf})
    alert = too_much.text.split('role="alert"', 1)[1].split("</div>")[0]
    assert too_much.status_code == 422 and "不超过 ¥208.00" in alert and f"售后单 {EARLIER} 已退 ¥30.00" in alert
    done = _api_refund(owner_client, 20800)
    assert done.status_code == 200 and done.json()["refund_fen"] == 20800


def test_an_item_refunded_in_full_has_nothing_left_and_the_clerk_is_told_which_case_took_it(single, shop_id,
                                                                                           owner_client):
    with transaction(single.sessions) as session:
        _open_known(session, shop_id, "7500000000000000002", 20800)
        for case in (EARLIER, "7500000000000000002"):
            _act(session, shop_id, case, Action.AGREE)
            _act(session, shop_id, case, Action.REFUND)
    _open_later(single, shop_id)
    with transaction(single.sessions) as session:
        _act(session, shop_id, CASE, Action.AGREE)
    refused = _api_refund(owner_client, 100)
    error = refused.json()["error"]
    assert refused.status_code == 422 and error["details"]["max_fen"] == 0
    assert error["details"]["refunded_by"] == [EARLIER, "7500000000000000002"] and "nothing is left" in error["message"]
    csrf = csrf_of(owner_client, f"/aftersales/{CASE}")
    page = owner_client.post(f"/aftersales/{CASE}/act", follow_redirects=False,
                             data={"action": "refund", "refund_amount": "1", "csrf_token": csrf}).text
    assert "该商品已无可退金额" in page and "¥238.00" in page


def test_cases_that_gave_nothing_back_leave_the_limit_alone(single, shop_id):
    """A case the merchant rejected (or one still waiting): no money moved, so none is taken off."""
    with transaction(single.sessions) as session:
        _open_known(session, shop_id, "7500000000000000003", 5000)
        _act(session, shop_id, "7500000000000000003", Action.REJECT, reject_code=_a_reject_code(),
             note="买家已收货，质量无问题")
    _open_later(single, shop_id)
    limit = _limit(single)
    assert (limit.max_fen, limit.earlier) == (23800, ())


def _a_reject_code() -> str:
    from xiaodian.aftersales.domain import reject_codes_for

    return reject_codes_for("refund_shipped", "waiting_merchant")[0]


def test_refunds_on_other_items_count_against_what_the_whole_order_has_left(ctx, shop_id):
    """¥238 rice and ¥60 millet, ¥250 paid after a shop coupon: ¥60 back on the millet leaves ¥190 for the rice."""
    other = "6938459704022656026"
    items = [ItemRecord(sku_order_id=ORDER, product_name="五常大米 10kg", quantity=1, unit_price_fen=23800),
             ItemRecord(sku_order_id=other, product_name="小米 2kg", quantity=2, unit_price_fen=3000)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[replace(make_record(
            order_id=ORDER, status=OrderStatus.SHIPPED, items=items, shipped_at=NOW - timedelta(days=2)),
            pay_amount_fen=25000)])
        _open_known(session, shop_id, EARLIER, 6000, sku_order_id=other)
        _act(session, shop_id, EARLIER, Action.AGREE)
        _act(session, shop_id, EARLIER, Action.REFUND)
    _open_later(ctx, shop_id)
    limit = _limit(ctx)
    assert (limit.max_fen, limit.paid_fen, limit.earlier) == (19000, 25000, ((EARLIER, 6000),))
