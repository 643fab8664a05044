"""The 客服工作台 page after the QA pass of the assistant (care report): what the agent reads when the phone and the
order number disagree, when the buyer already gave some details, how many orders fit, and refusals in Chinese."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from xiaodian.demo.shop import build_demo_shop

from ..conftest import csrf_of, login


HEADLINE = "我这个月20号下了2份五常大米的订单，已经付款了，怎么还没有订单信息？"


@pytest.fixture
def scenarios(ctx):
    summary = build_demo_shop(ctx, orders=300, progress=False)
    return {s["label"]: s for s in summary["scenarios"]}


def post(client, **form):
    data = {"message": "", "phone": "", "order_id": "", "at": "2026-11-24T18:00", **form}
    return client.post("/inquiries", data={**data, "csrf_token": csrf_of(client, "/inquiries")})


def _diagnosis(html: str) -> str:
    return html.split('id="diagnosis-h"', 1)[1].split("</section>", 1)[0]


def test_the_agent_is_warned_that_the_phone_is_not_the_orders_and_the_draft_tells_nothing(app, users, scenarios):
    shipped = scenarios["question_shipped_other_buyer"]
    wrong = "".join(str((int(d) + 1) % 10) for d in shipped["buyer_phone"][-4:])
    with TestClient(app) as client:
        login(client, "cs")
        r = post(client, message="快递好几天没动了，怎么回事？", phone=wrong, order_id=shipped["order_id"])
    assert r.status_code == 200
    section = _diagnosis(r.text)
    assert 'data-code="phone_mismatch"' in section and "手机号与订单不符" in section
    assert "未提供买家身份" not in section and "不要向买家透露" in section
    values = dict(re.findall(r'<dd data-fact="(\w+)">([^<]*)</dd>', section))
    assert values["phone_matches_order"] == "否" and values["identity_confirmed"] == "否"
    reply = r.text.split('id="reply-text"', 1)[1].split("</textarea>", 1)[0]
    assert "不一致" in reply and "运单" not in reply and "发货" not in reply
    assert "与订单手机号不符" in r.text.split('id="matches-h"', 1)[1]


def test_the_diagnosis_title_does_not_ask_for_what_the_buyer_gave(app, users, scenarios):
    """D3: with the last 4 digits given, the title and the 还需买家提供 line agree: only the order date is missing.
    (The asking buyer has two orders and the question names no state: one order alone, or one unshipped order for
    a shipping question, would be answered, QA pass 9, #5.)"""
    last4 = scenarios["question_awaiting_within_promise"]["buyer_phone"][-4:]
    with TestClient(app) as client:
        login(client, "cs")
        r = post(client, message="你好，在吗？我想问一下我的订单", phone=last4)
    section = _diagnosis(r.text)
    title = section.split("<strong>", 1)[1].split("</strong>", 1)[0]
    assert 'data-code="not_found_need_details"' in section and "后4位" not in title and "订单号" not in title
    values = dict(re.findall(r'<dd data-fact="(\w+)">([^<]*)</dd>', section))
    assert values["missing"] == "下单日期"


def test_the_matching_orders_heading_counts_those_that_fit_and_names_the_close_ones_apart(app, users, scenarios):
    """D4: the headline question fits a handful of orders exactly; the ones a day off or of another quantity are
    counted apart as close, not as matches."""
    with TestClient(app) as client:
        login(client, "cs")
        r = post(client, message=HEADLINE)
        api = client.post("/api/v1/inquiries", json={"message": HEADLINE, "at": "2026-11-24T18:00:00+08:00"},
                          headers={"x-csrf-token": csrf_of(client)})
    out = api.json()
    exact, close = out["matches_fitting"], out["matches_close"]
    assert exact >= 1 and close >= 1 and out["diagnosis"]["facts"]["count"] == exact
    heading = r.text.split('id="matches-h">', 1)[1].split("</h2>", 1)[0]
    assert f"{exact} 单相符" in heading and f"另有 {close} 单相近" in heading, heading
    values = dict(re.findall(r'<dd data-fact="(\w+)">([^<]*)</dd>', _diagnosis(r.text)))
    assert values["count"] == str(exact) and values["close"] == str(close)


@pytest.mark.parametrize("form,field,words", [
    ({"phone": "<b>12"}, "phone", "手机号"), ({"order_id": "' or 1=1--"}, "order_id", "订单号"),
    ({"at": "yesterday"}, "at", "消息时间"),
])
def test_a_refused_form_is_explained_in_the_pages_language(app, users, form, field, words):
    """D12: the Chinese desk showed the domain's English text ("phone: give an 11-digit mobile number…")."""
    with TestClient(app) as client:
        login(client, "cs")
        r = post(client, message="我的订单什么时候发货？", **form)
    assert r.status_code == 422
    alert = r.text.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert 'data-code="validation_failed"' in r.text and words in alert and "<b>" not in alert
    assert not re.search(r"[a-z]{3,}", alert.split(">", 1)[1]), alert
