"""The order pages through the ASGI app: tab counts in the HTML, filters that round-trip in every link,
bad filter values named on the page (never a 500), the detail page, the language switch."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from ..browser import shop
from ..conftest import login


@pytest.fixture
def client(app, users, ctx, shop_id):
    shop.seed(ctx, shop_id)
    with TestClient(app) as test_client:
        login(test_client, "owner")
        yield test_client


def hrefs(html: str, css_class: str | None = None) -> list[str]:
    pattern = r'<a href="([^"]*)"' + (rf'[^>]*class="{css_class}"' if css_class else "")
    return [unescape(h) for h in re.findall(pattern, html)]


def tab_counts(html: str) -> dict[str, int]:
    found = re.findall(r'data-tab="(\w+)">[^<]*<span class="count">([\d,]+)</span>', html)
    return {tab: int(n.replace(",", "")) for tab, n in found}


@pytest.mark.parametrize("params", [
    {}, {"tab": "shipped"}, {"q": "米"}, {"q": "米", "tab": "completed"}, {"q": "五常", "tab": "after_sale"},
    {"created_from": "2026-11-10", "tab": "awaiting_shipment"}, {"paid_from": "2026-11-01"},
    {"product_id": shop.PRODUCTS[0][0], "tab": "completed"}, {"q": "8000"}, {"q": "米", "created_to": "2026-11-15"},
])
def test_the_pages_total_is_its_tabs_figure_and_the_apis_total(client, params):
    """The page takes the list's total from its tab bar (counted once, under the same filter): it must be the
    figure of the current tab and what the API, which counts on its own, says."""
    html = client.get("/orders", params=params).text
    shown = int(re.search(r'<span class="total">[^<\d]*([\d,]+)', html).group(1).replace(",", ""))
    assert shown == tab_counts(html)[params.get("tab", "all")]
    api = {"status" if k == "tab" else k: v for k, v in params.items()}
    assert shown == client.get("/api/v1/orders", params=api).json()["total"], params


def test_the_list_shows_every_tab_with_its_count(client):
    html = client.get("/orders").text
    expected = shop.expected_counts()
    assert tab_counts(html) == {tab: expected.get(tab, 0) for tab in
                                ("all", "unpaid", "paid_pending", "awaiting_shipment", "partially_shipped",
                                 "shipped", "completed", "cancelled", "after_sale")}
    for word in ("全部", "待支付", "待处理", "备货中", "部分发货", "已发货", "已完成", "已关闭", "售后中"):
        assert word in html


def test_tab_counts_follow_the_search_but_not_the_tab(client):
    html = client.get("/orders", params={"q": "米", "tab": "shipped"}).text
    rice = [r for r in shop.RECORDS if "米" in r.items[0].product_name]
    counts = tab_counts(html)
    assert counts["all"] == len(rice)
    assert counts["shipped"] == sum(1 for r in rice if r.status.value == "shipped")


def test_every_link_on_the_list_keeps_the_filters(client):
    params = {"q": "米", "tab": "completed", "created_from": "2026-10-01", "created_to": "2026-11-24",
              "paid_from": "2026-10-02", "product_id": "3512000000000000101", "page_size": "20"}
    html = client.get("/orders", params=params).text
    tab_links = [h for h in hrefs(html) if "tab=" in h or h.startswith("/orders?")]
    assert tab_links
    for link in tab_links:
        query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
        for key in ("q", "created_from", "created_to", "paid_from", "product_id", "page_size"):
            assert query.get(key) == params[key], (link, key)
    share = re.search(r'class="sharelink" href="([^"]*)"', html).group(1)
    assert {k: v[0] for k, v in parse_qs(urlsplit(unescape(share)).query).items()} == params


def test_paging_links_and_page_size(client):
    html = client.get("/orders", params={"page_size": "20", "page": "2"}).text
    assert html.count('class="order ') == 20
    nxt = unescape(re.search(r'<a href="([^"]*)" rel="next"', html).group(1))
    assert parse_qs(urlsplit(nxt).query) == {"page_size": ["20"], "page": ["3"]}
    last = client.get("/orders", params={"page_size": "20", "page": "4"}).text
    assert last.count('class="order ') == shop.ORDER_COUNT - 60
    # a link to a page past the end (the list shrank since it was shared) shows the last page
    beyond = client.get("/orders", params={"page_size": "20", "page": "99"}).text
    assert beyond.count('class="order ') == shop.ORDER_COUNT - 60


@pytest.mark.parametrize("field,label", [("created_from", "下单开始日期"), ("created_to", "下单结束日期"),
                                         ("paid_from", "支付开始日期"), ("paid_to", "支付结束日期")])
def test_a_bad_date_names_the_field_and_the_list_still_shows(client, field, label):
    response = client.get("/orders", params={field: "garbage<b>", "tab": "shipped"})
    assert response.status_code == 200
    errors = re.search(r'<div class="alert error filter-errors" role="alert">(.*?)</div>', response.text, re.S).group(1)
    assert label in errors and "garbage&lt;b&gt;" in errors and "YYYY-MM-DD" in errors
    assert tab_counts(response.text)["all"] == shop.ORDER_COUNT  # the bad filter was ignored, not applied
    assert f'name="{field}" value=""' in response.text
    assert "garbage" not in "".join(hrefs(response.text))  # links do not carry the unreadable value on


def test_a_reversed_date_range_is_explained_and_ignored(client):
    response = client.get("/orders", params={"created_from": "2026-11-20", "created_to": "2026-11-01"})
    assert response.status_code == 200
    assert "下单结束日期早于下单开始日期" in response.text
    assert tab_counts(response.text)["all"] == shop.ORDER_COUNT


@pytest.mark.parametrize("params,field,words", [
    ({"page": "abc"}, "page", ["页码", "“abc”", "第 1 页"]),
    ({"page": "-3"}, "page", ["页码", "“-3”"]),
    ({"page": "١٢"}, "page", ["页码"]),  # digits, but not ones a page number is written in
    ({"page_size": "7"}, "page_size", ["每页条数", "“7”", "20, 50, 100"]),
    ({"page_size": "x"}, "page_size", ["每页条数", "“x”"]),
    ({"tab": "nonsense<i>"}, "tab", ["状态页签", "“nonsense&lt;i&gt;”", "备货中"]),
    ({"logistics_state": "lost"}, "logistics_state", ["物流状态", "“lost”", "待揽收"]),
    ({"anomaly": "late"}, "anomaly", ["物流异常", "“late”", "任意异常"]),
])
def test_an_odd_list_value_is_named_and_the_default_shown(client, params, field, words):
    """A shared link with a value the list cannot use still opens, showing the default, and says which field it
    ignored and what that field may be: the API refuses the same values with a 422."""
    response = client.get("/orders", params=params)
    assert response.status_code == 200, params
    assert response.text.count('class="order ') == 50
    assert tab_counts(response.text)["all"] == shop.ORDER_COUNT
    errors = re.search(r'<div class="alert error filter-errors" role="alert">(.*?)</div>', response.text, re.S).group(1)
    assert re.findall(r'data-field="(\w+)"', errors) == [field]
    for word in words:
        assert word in errors, (word, errors)
    assert "nonsense" not in "".join(hrefs(response.text))  # links do not carry the unreadable value on


def test_a_page_past_the_end_says_the_last_page_is_shown(client):
    response = client.get("/orders", params={"page_size": "20", "page": "99"})
    pages = -(-shop.ORDER_COUNT // 20)
    assert f"第 99 页超出了列表范围，已显示最后一页（第 {pages} 页）" in response.text
    client.get("/lang/en", params={"next": "/orders"})
    english = client.get("/orders", params={"page_size": "20", "page": "99"}).text
    assert f"Page 99 is past the end of this list; its last page, {pages}, is shown." in english


def test_a_logistics_filter_is_shown_kept_by_the_search_and_removable(client):
    html = client.get("/orders", params={"logistics_state": "pending", "anomaly": "any", "tab": "shipped"}).text
    shown = dict(re.findall(r'data-field="(\w+)">[^<]*<span class="chip">([^<]*)</span>', html))
    assert shown == {"logistics_state": "待揽收", "anomaly": "任意异常"}
    form = re.search(r'<form class="searchbar".*?</form>', html, re.S).group(0)
    assert '<input type="hidden" name="logistics_state" value="pending">' in form
    assert '<input type="hidden" name="anomaly" value="any">' in form
    remove = [h for h in hrefs(html) if "anomaly" not in h and "logistics_state=pending" in h]
    assert remove and parse_qs(urlsplit(remove[0]).query) == {"tab": ["shipped"], "logistics_state": ["pending"]}


def test_a_good_list_link_shows_no_complaint(client):
    html = client.get("/orders", params={"page_size": "20", "page": "2", "created_from": "2020-01-01",
                                         "logistics_state": "in_transit", "anomaly": "stalled"}).text
    assert 'class="total"' in html and "filter-errors" not in html


def test_the_understood_search_kind_is_shown(client):
    cases = {shop.order_id(5): "订单号", "+86 138 0013 8000": "手机号", "8000": "手机尾号",
             shop.TRACKING_NO: "运单号", "米": "商品名称"}
    for query, kind in cases.items():
        html = client.get("/orders", params={"q": query}).text
        assert f'<span class="chip">{kind}</span>' in html, query


def test_search_text_is_escaped_in_the_page(client):
    html = client.get("/orders", params={"q": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html


def test_detail_page_shows_what_the_merchant_needs(client):
    html = client.get(f"/orders/{shop.TRACKED_ORDER}").text
    for text in ("商品信息", "有机黄小米 2袋装", "2袋装", "¥39.00", "¥78.00", "139****0001", "浙江省 杭州市 西湖区",
                 "科苑南****", shop.TRACKING_NO, "顺丰速运", "下单", "添加运单号", 'name="csrf_token"', "商家备注"):
        assert text in html, text
    assert "13900000001" not in html and "科苑南路2666号" not in html  # masked only
    assert "event_" not in html and "status_" not in html and "via_" not in html


def test_detail_of_an_unknown_order_is_a_readable_404(client):
    response = client.get("/orders/1234567890123456789")
    assert response.status_code == 404
    assert "找不到该页面或订单" in response.text


def test_note_round_trip_shows_the_change_in_the_log(client):
    from ..conftest import csrf_of

    token = csrf_of(client, f"/orders/{shop.NOTE_ORDER}")
    saved = client.post(f"/orders/{shop.NOTE_ORDER}/note",
                        data={"merchant_note": "周五前发", "flag_colour": "5", "csrf_token": token,
                              "back": "/orders?tab=shipped"})
    assert saved.status_code == 200 and "已保存。" in saved.text
    assert 'href="/orders?tab=shipped"' in saved.text  # back to the list the user came from
    assert "修改备注" in saved.text and "— → 周五前发" in saved.text and "无 → 橙" in saved.text


def test_english_pages_use_english_words(client):
    response = client.get("/lang/en", params={"next": "/orders?tab=shipped"}, follow_redirects=False)
    assert response.headers["location"] == "/orders?tab=shipped"
    html = client.get("/orders?tab=shipped").text
    assert '<html lang="en">' in html
    assert "After-sales" in html and "Shipped" in html and "已发货" not in html
    detail = client.get(f"/orders/{shop.TRACKED_ORDER}").text
    assert "Tracking number added" in detail and "Items" in detail


def test_the_login_page_takes_the_language_from_the_url(app):
    with TestClient(app) as anonymous:
        assert "Log in to the order desk" in anonymous.get("/login?lang=en").text
        assert "登录订单工作台" in anonymous.get("/login?lang=zh").text
        assert "登录订单工作台" in TestClient(app).get("/login").text  # Chinese by default


def test_pages_have_no_inline_script_or_style(client):
    for path in ("/orders", f"/orders/{shop.TRACKED_ORDER}", "/orders?created_from=x", "/login"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path


def test_the_list_links_an_export_of_exactly_what_it_shows(owner_client, ctx, shop_id):
    html = owner_client.get("/orders", params={"q": "小米", "tab": "awaiting_shipment",
                                               "created_from": "2026-11-01"}).text
    link = html.split('href="/api/v1/exports/orders?format=csv', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert "q=%E5%B0%8F%E7%B1%B3" in link and "status=awaiting_shipment" in link and "created_from=2026-11-01" in link
    exported = owner_client.get("/api/v1/exports/orders?format=csv" + link)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
