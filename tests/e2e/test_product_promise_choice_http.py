"""商品发货时效 chosen from a list, as the shop default is (QA pass 9, #17): the owner no longer types codes such as
same_day:16. Each row says the promise in words; 跟随店铺默认 clears the product's own; a choice missing its hour,
days or date is refused on the page naming the product and the field, with nothing saved."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.orders.models import Product

from ..conftest import NOW, SAMPLES, csrf_of

RICE = "3512000000000000101"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def desk(ctx, shop_id, owner_client):
    import_order_file(ctx.sessions, shop_id=shop_id, path=SAMPLES / "douyin_orders_export.csv", cipher=ctx.cipher,
                      now=NOW)
    return owner_client


def _promise(ctx, product_id=RICE):
    with ctx.sessions() as session:
        return session.execute(select(Product.ship_promise).where(Product.product_id == product_id)).scalar_one()


def _row(page: str, product_id=RICE) -> str:
    pattern = r'<tr[^>]*>(?:(?!</tr>).)*?/shipping/products/%s/promise.*?</tr>' % product_id
    return re.search(pattern, page, re.S).group(0)


def _post(client, **form):
    form.setdefault("csrf_token", csrf_of(client, "/shipping/forecast"))
    return client.post(f"/shipping/products/{RICE}/promise", data=form, follow_redirects=False)


def test_a_choice_is_stored_as_the_promise_and_shown_in_words(ctx, desk):
    before = _row(desk.get("/shipping/forecast").text)
    assert "跟随店铺默认" in before and "same_day" not in before.split("<form", 1)[0]
    assert _post(desk, promise_kind="same_day", promise_cutoff="16").status_code == 303
    assert _promise(ctx) == "same_day:16"
    row = _row(desk.get("/shipping/forecast").text)
    assert "承诺当日发货（16:00 前付款）" in row
    assert re.search(r'<option value="same_day" selected>', row)
    assert re.search(r'name="promise_cutoff"[^>]*value="16"', row)


def test_presale_by_a_date_and_back_to_the_shop_default(ctx, desk):
    assert _post(desk, promise_kind="presale_date", promise_date="2026-12-05").status_code == 303
    assert _promise(ctx) == "presale:2026-12-05"
    assert "预售，12-05 前发货" in _row(desk.get("/shipping/forecast").text)
    assert _post(desk, promise_kind="default", promise_days="9").status_code == 303
    assert _promise(ctx) is None


@pytest.mark.parametrize(("form", "field", "label"), [
    ({"promise_kind": "days", "promise_days": ""}, "promise_days", "天数"),
    ({"promise_kind": "same_day", "promise_cutoff": "25"}, "promise_cutoff", "截单"),
    ({"promise_kind": "presale_date", "promise_date": "12/05"}, "promise_date", "预售"),
    ({"promise_kind": "soon"}, "promise_kind", "时效"),
])
def test_a_choice_missing_what_it_needs_is_refused_naming_product_and_field(ctx, desk, form, field, label):
    _post(desk, promise_kind="next_day")
    response = _post(desk, **form)
    assert response.status_code == 422
    alert = re.search(r'<div class="alert error product-promise-error".*?</div>', response.text, re.S).group(0)
    assert f'data-field="{field}"' in alert and "五常大米" in alert and label in alert
    assert "未保存" in alert or "没有保存" in alert or "Nothing was saved" in alert
    assert _promise(ctx) == "next_day"  # nothing saved
    assert 'class="refused"' in _row(response.text)


def test_the_typed_code_is_still_accepted(ctx, desk):
    assert _post(desk, ship_promise="days:3").status_code == 303
    assert _promise(ctx) == "days:3"
    response = _post(desk, ship_promise="tomorrow-ish")
    assert response.status_code == 422 and 'data-field="ship_promise"' in response.text
    assert _promise(ctx) == "days:3"
