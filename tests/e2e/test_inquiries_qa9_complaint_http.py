"""QA pass 9, #7 on the 客服工作台 page and the API: a new complaint about the goods is shown as such (投诉：少件/漏发),
not as 退款退货进度, and the API gives its kind beside the intent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from xiaodian.demo.shop import build_demo_shop

from ..conftest import csrf_of, login

MESSAGE = "我买的五常大米少了一袋，怎么处理？"


@pytest.fixture
def scenarios(ctx):
    summary = build_demo_shop(ctx, orders=300, progress=False)
    return {s["label"]: s for s in summary["scenarios"]}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_desk_shows_a_missing_item_complaint_and_the_api_gives_its_kind(app, users, scenarios):
    shipped = scenarios["question_shipped_other_buyer"]
    last4 = shipped["buyer_phone"][-4:]
    with TestClient(app) as client:
        login(client, "cs")
        page = client.post("/inquiries", data={"message": MESSAGE, "phone": last4, "order_id": "",
                                               "at": "2026-11-24T18:00", "csrf_token": csrf_of(client, "/inquiries")})
        api = client.post("/api/v1/inquiries", json={"message": MESSAGE, "phone": last4},
                          headers={"x-csrf-token": csrf_of(client)})
    assert page.status_code == 200
    intent = page.text.split('data-field="intent"', 1)[1].split("</dd>", 1)[0]
    assert 'data-complaint="missing_item"' in intent and "投诉：少件/漏发" in intent and "退款退货进度" not in intent
    out = api.json()
    assert (out["intent"], out["complaint"]) == ("after_sale_status", "missing_item")
    assert out["diagnosis"]["code"] == "found_shipped" and shipped["order_id"] in out["reply"]
    assert "少件/漏发" in out["reply"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_question_about_a_refund_has_no_complaint(app, users, scenarios):
    with TestClient(app) as client:
        login(client, "cs")
        out = client.post("/api/v1/inquiries", json={"message": "退款什么时候到账"},
                          headers={"x-csrf-token": csrf_of(client)}).json()
    assert out["intent"] == "after_sale_status" and out["complaint"] is None
