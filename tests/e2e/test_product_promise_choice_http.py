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


def test_a_presale_date_already_past_is_refused_in_the_form_and_as_a_code(ctx, desk):
    """QA pass 10, D1/D2: a past presale date (every order would be overdue at once) and a date that is no date."""
    _post(desk, promise_kind="next_day")
    past = _post(desk, promise_kind="presale_date", promise_date="2020-01-01")
    assert past.status_code == 422 and 'data-field="promise_date"' in past.text
    assert "预售发货日期不能早于今天（2026-11-24）" in past.text
    typed = _post(desk, ship_promise="presale:2020-01-01")
    assert typed.status_code == 422 and "presale_date_past" in typed.text
    garbled = _post(desk, promise_kind="presale_date", promise_date="2026-13-45")
    assert "日期无效：应为 2026-12-05 这样的日期" in garbled.text and "07:04:00" not in garbled.text
    assert _promise(ctx) == "next_day"


def test_a_saved_row_says_so_where_the_owner_is_looking(ctx, desk):
    """QA pass 10, D3: the page-top 已保存 was 670 px out of sight after saving a row far down the list."""
    saved = _post(desk, promise_kind="days", promise_days="5")
    assert saved.headers["location"] == f"/shipping/forecast?saved_product={RICE}#promise-{RICE}"
    page = desk.get(saved.headers["location"]).text
    row = _row(page)
    assert f'id="promise-{RICE}"' in row and "已保存" in row
    assert "已保存" not in _row(page, "3512000000000000102")


def test_the_audit_log_says_the_promise_in_words_and_names_the_product(ctx, desk):
    """QA pass 10, D4: the log read "48h → same_day:14" against a bare product id."""
    _post(desk, promise_kind="same_day", promise_cutoff="14")
    _post(desk, promise_kind="default")
    log = desk.get("/audit").text
    assert "承诺当日发货（14:00 前付款）" in log and "跟随店铺默认" in log
    assert "五常大米" in log and "same_day:14" not in log
