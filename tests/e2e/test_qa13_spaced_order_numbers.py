"""QA pass 13, #1: an order number written in groups (6979 5149 9790 4203 398, 6979-5867-…) is the order number,
in the order search box, in the inquiry form's 订单号 field and inside a buyer's message. Before, the search found
nothing and the assistant's draft asked the buyer for the number they had just sent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from xiaodian.db import transaction
from xiaodian.errors import ValidationFailed
from xiaodian.inquiries.service import check_inputs
from xiaodian.inquiries.understanding import normalise, read_ids
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.search_query import classify, order_number

from ..conftest import NOW, csrf_of, login
from ..factories import make_record

ORDER = "6979514997904203398"
GROUPED = ["6979 5149 9790 4203 398", "6979-5149-9790-4203-398", " 6979 514997904203398 ",
           "６９７９ ５１４９ ９７９０ ４２０３ ３９８", "6979–5149–9790–4203–398", "6979.5149.9790.4203.398"]


@pytest.mark.parametrize("typed", GROUPED)
def test_the_search_box_reads_a_grouped_number_as_the_order_id(typed):
    q = classify(typed)
    assert (q.kind, q.value) == ("order_id", ORDER)


@pytest.mark.parametrize("typed", ["6979 5149 9790 4203 3981", "6979 5149 9790 4203 39", "1234 5678", "6979 5149 ab",
                                   "6979--5149 9790 4203 398x"])
def test_other_digit_groups_are_no_order_id(typed):
    assert order_number(typed.strip()) is None and classify(typed).kind != "order_id"


@pytest.mark.parametrize("message", ["我的订单号是 6979 5149 9790 4203 398 怎么还不发货啊",
                                     "订单 6979–5149–9790–4203–398 还没发",
                                     "订单号6979-5149-9790-4203-398退款呢", "6979 5149 9790 4203 398 2份什么时候发",
                                     "order 6979 5149 9790 4203 398 where is it"])
def test_a_buyers_message_gives_the_grouped_number(message):
    assert read_ids(normalise(message))[0] == ORDER


@pytest.mark.parametrize("message", ["2026-11-20 13812345678 下单的", "1234 5678 9012 3456 7890 12", "11 20 下单 2份"])
def test_digit_groups_that_are_no_order_number_are_left_alone(message):
    order_id, phone, *_ = read_ids(normalise(message))
    assert order_id is None
    if "138" in message:
        assert phone == "13812345678"  # the date beside the phone is not glued to it


def test_the_inquiry_forms_order_field_takes_a_grouped_number():
    assert check_inputs("什么时候发货", None, "6979 5149 9790 4203 398")[3] == ORDER
    assert check_inputs("什么时候发货", None, "6979–5149–9790–4203–398")[3] == ORDER  # en dash (QA pass 15, #6)


@pytest.mark.parametrize("typed", ["697951499790420339", "69795149979042033981", "6979 5149 9790 4203 39"])
def test_the_order_field_refuses_a_number_of_another_length(typed):
    """QA pass 15, #6: an 18- or 20-digit typo was looked up and answered "not found: another account?"."""
    with pytest.raises(ValidationFailed):
        check_inputs("什么时候发货", None, typed)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_list_and_the_assistant_find_the_order(app, ctx, shop_id, users):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=ORDER), make_record(order_id="6979514997904203399", product="东北小米")])
    with TestClient(app) as client:
        login(client, "owner")
        listed = client.get("/api/v1/orders", params={"q": "6979 5149 9790 4203 398"}).json()
        assert [o["order_id"] for o in listed["orders"]] == [ORDER]
        page = client.get("/orders", params={"q": "6979-5149-9790-4203-398"}).text
        assert ORDER in page and "6979514997904203399" not in page
        r = client.post("/api/v1/inquiries", headers={"x-csrf-token": csrf_of(client)}, json={
            "message": "我的订单号是 6979 5149 9790 4203 398 怎么还不发货啊", "at": NOW.isoformat()})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["entities"]["order_id"] == ORDER
    assert out["matches"][0]["order_id"] == ORDER and ORDER in out["reply"]
