"""QA pass 10, D18/D19: a page that answered a form lives at the form's POST address; switching language there, or
reloading it, must not land on a bare 405. The language switch goes back to the page the form was on, and opening a
form's address as a page leads to the page above it. An unknown after-sale case or anomaly is named, and the error
page leads back to its own section."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from ..conftest import csrf_of

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_language_switch_on_a_refused_form_goes_back_to_the_forms_page(owner_client):
    token = csrf_of(owner_client, "/shipping/forecast")
    refused = owner_client.post("/shipping/settings", data={"csrf_token": token, "capacity_per_hour": "abc"},
                                headers={"referer": "http://testserver/shipping/forecast?x=1"})
    assert refused.status_code == 422
    assert _switch_next(refused.text) == "/shipping/forecast?x=1"
    foreign = owner_client.post("/shipping/settings", data={"csrf_token": token, "capacity_per_hour": "abc"},
                                headers={"referer": "https://elsewhere.example/phish"})
    assert _switch_next(foreign.text) == "/"
    assert _switch_next(owner_client.get("/orders?tab=shipped").text) == "/orders?tab=shipped"  # a page: itself


def _switch_next(page: str) -> str:
    href = unescape(re.search(r'<a class="lang"[^>]*href="([^"]+)"', page).group(1))
    return parse_qs(urlsplit(href).query)["next"][0]


@pytest.mark.parametrize(("address", "page"), [
    ("/shipping/products/3512000000000000101/promise", "/shipping"),
    ("/shipping/settings", "/shipping"),
    ("/aftersales/7100000000000000001/act", "/aftersales/7100000000000000001"),
    ("/orders/6938459704022656025/reveal", "/orders/6938459704022656025"),
])
def test_opening_a_forms_address_leads_to_the_page_above_it(owner_client, address, page):
    opened = owner_client.get(address, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == page


def test_the_api_keeps_its_405(owner_client):
    response = owner_client.get("/api/v1/shipments/bulk")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(("path", "says", "back"), [
    ("/aftersales/7100999999999999999", "找不到售后单 7100999999999999999。", ('/aftersales', "返回售后列表")),
    ("/logistics/anomalies/999999", "找不到物流异常 999999。", ('/logistics', "返回物流异常")),
    ("/orders/1234567890123456789", "找不到订单 1234567890123456789。", ('/orders', "返回订单列表")),
])
def test_an_unknown_record_is_named_and_the_page_leads_back_to_its_section(owner_client, path, says, back):
    page = owner_client.get(path)
    assert page.status_code == 404 and says in page.text
    assert f'<a class="button" href="{back[0]}">‹ {back[1]}</a>' in page.text
