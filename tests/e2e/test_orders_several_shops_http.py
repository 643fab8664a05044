"""Several shops in one desk through HTTP and the CLI: the ``shop`` parameter of the API (id or all; 404/422
naming the field), the header switcher and its cookie, an explicit ``shop`` in a shared link winning over it,
the shop column, the detail of an order id two shops share, pages that show one shop saying so, orders search
--shop."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from xiaodian.web.deps import SHOP_COOKIE

from ..conftest import NOW, TEST_KEYS, csrf_of, login
from ..integration.test_orders_several_shops import SHARED_ID, two_shops

pytestmark = pytest.mark.both_backends


@pytest.fixture
def second(ctx, shop_id):
    return two_shops(ctx, shop_id)


@pytest.fixture
def client(app, users, second):
    with TestClient(app) as test_client:
        login(test_client, "owner")
        yield test_client


def _switch(client, shop, next_url="/orders"):
    return client.post("/shops/select", data={"shop": str(shop), "next": next_url, "csrf_token": csrf_of(client)},
                       follow_redirects=False)


def test_api_lists_one_shop_by_default_a_named_shop_or_all(client, shop_id, second):
    default = client.get("/api/v1/orders", params={"page_size": 200}).json()
    assert default["total"] == 13 and {o["shop_id"] for o in default["orders"]} == {None}
    theirs = client.get("/api/v1/orders", params={"shop": second, "page_size": 200}).json()
    assert theirs["total"] == 10
    both = client.get("/api/v1/orders", params={"shop": "all", "page_size": 200, "q": "米"}).json()
    assert both["total"] == 23 and {o["shop_id"] for o in both["orders"]} == {shop_id, second}
    counts = client.get("/api/v1/orders/counts", params={"shop": "all"}).json()["counts"]
    assert counts["all"] == 23
    shops = client.get("/api/v1/shops").json()["shops"]
    assert [(s["id"], s["default"]) for s in shops] == [(shop_id, True), (second, False)]


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/orders/counts", f"/api/v1/orders/{SHARED_ID}"])
def test_api_names_the_shop_field_for_an_unknown_or_unreadable_shop(client, path):
    unknown = client.get(path, params={"shop": "987654"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["details"]["field"] == "shop"
    unreadable = client.get(path, params={"shop": "店铺一"})
    assert unreadable.status_code == 422
    assert [f["field"] for f in unreadable.json()["error"]["details"]["fields"]] == ["shop"]


def test_api_detail_of_an_order_id_two_shops_share(client, shop_id, second):
    # Without a shop the default shop's order wins (as before several shops); a named shop is the only one looked in.
    assert client.get(f"/api/v1/orders/{SHARED_ID}").json()["shop_id"] == shop_id
    named = client.get(f"/api/v1/orders/{SHARED_ID}", params={"shop": second}).json()
    assert (named["shop_id"], named["status"]) == (second, "shipped")
    assert client.get(f"/api/v1/orders/{SHARED_ID}", params={"shop": "all"}).status_code == 422
    only_second = "6938459704033710001"
    assert client.get(f"/api/v1/orders/{only_second}").json()["shop_id"] == second
    assert client.get(f"/api/v1/orders/{only_second}", params={"shop": shop_id}).status_code == 404
    csrf = csrf_of(client)
    edited = client.patch(f"/api/v1/orders/{SHARED_ID}/note", params={"shop": second},
                          json={"merchant_note": "二店"}, headers={"X-CSRF-Token": csrf})
    assert edited.status_code == 200 and edited.json()["shop_id"] == second
    assert client.get(f"/api/v1/orders/{SHARED_ID}").json()["merchant_note"] is None


def test_the_switcher_is_shown_only_on_a_desk_of_several_shops(app, users, ctx, shop_id):
    with TestClient(app) as one_shop:
        login(one_shop, "owner")
        assert 'action="/shops/select"' not in one_shop.get("/orders").text
    second = two_shops(ctx, shop_id)
    app.state.shop_list = None  # the desk re-reads its shops every few seconds; a test does not wait
    with TestClient(app) as several:
        login(several, "owner")
        html = several.get("/orders").text
        assert 'action="/shops/select"' in html and f'<option value="{second}"' in html and "全部店铺" in html


def test_switching_shops_keeps_the_pick_in_a_cookie_and_the_list_follows(client, shop_id, second):
    switched = _switch(client, second, f"/orders?shop={shop_id}&tab=shipped&page=2")
    assert switched.status_code == 303
    assert switched.headers["location"] == "/orders?tab=shipped"  # the old shop= and page dropped
    assert client.cookies.get(SHOP_COOKIE) == str(second)
    html = client.get("/orders").text
    assert re.search(r'data-tab="all">[^<]*<span class="count">10</span>', html)
    assert f'<option value="{second}" selected' in html
    assert f"/orders/{SHARED_ID}?shop={second}" in unescape(html)  # detail links name the order's shop
    _switch(client, "all")
    html = client.get("/orders").text
    assert re.search(r'data-tab="all">[^<]*<span class="count">23</span>', html)
    assert 'class="c-shop"' in html and "第二家店" in html and "我的小店" in html
    assert f"/orders/{SHARED_ID}?shop={shop_id}" in unescape(html) and f"/orders/{SHARED_ID}?shop={second}" in unescape(html)
    # no export link over all shops (an export covers one shop)
    assert "/api/v1/exports/orders" not in html


def test_an_explicit_shop_in_a_shared_link_wins_over_the_switcher(client, shop_id, second):
    _switch(client, second)
    html = client.get("/orders", params={"shop": shop_id}).text
    assert re.search(r'data-tab="all">[^<]*<span class="count">13</span>', html)
    links = [unescape(h) for h in re.findall(r'href="(/orders\?[^"]*)"', html)]
    assert links and all(f"shop={shop_id}" in link for link in links)  # tabs, pages and the share link keep it
    assert client.get("/orders", params={"shop": "987654"}).status_code == 404


def test_a_stale_or_junk_cookie_falls_back_to_the_default_shop(client):
    client.cookies.set(SHOP_COOKIE, "987654")
    assert re.search(r'data-tab="all">[^<]*<span class="count">13</span>', client.get("/orders").text)
    client.cookies.set(SHOP_COOKIE, "<script>")
    assert client.get("/orders").status_code == 200


def test_the_detail_of_an_id_two_shops_share_asks_which_shop_when_all_are_shown(client, shop_id, second):
    _switch(client, "all")
    choose = client.get(f"/orders/{SHARED_ID}")
    assert choose.status_code == 409
    assert f"/orders/{SHARED_ID}?shop={shop_id}" in choose.text and f"/orders/{SHARED_ID}?shop={second}" in choose.text
    detail = client.get(f"/orders/{SHARED_ID}", params={"shop": second})
    assert detail.status_code == 200 and "第二家店" in detail.text
    assert f'/orders/{SHARED_ID}/note?shop={second}' in detail.text
    _switch(client, second)
    assert "第二家店" in client.get(f"/orders/{SHARED_ID}").text  # the picked shop's order wins


def test_a_note_saved_from_the_detail_goes_to_that_shops_order(client, shop_id, second):
    saved = client.post(f"/orders/{SHARED_ID}/note", params={"shop": second}, follow_redirects=False,
                        data={"merchant_note": "只改二店", "flag_colour": "2", "csrf_token": csrf_of(client)})
    assert saved.status_code == 303 and f"shop={second}" in saved.headers["location"]
    assert client.get(f"/api/v1/orders/{SHARED_ID}", params={"shop": second}).json()["merchant_note"] == "只改二店"
    assert client.get(f"/api/v1/orders/{SHARED_ID}", params={"shop": shop_id}).json()["merchant_note"] is None


def test_pages_that_show_one_shop_follow_the_pick_or_say_they_show_the_default(client, shop_id, second):
    _switch(client, second)
    shipping = client.get("/shipping")
    assert shipping.status_code == 200 and "shop-fallback" not in shipping.text
    _switch(client, "all")
    shipping = client.get("/shipping")
    assert shipping.status_code == 200 and "shop-fallback" in shipping.text and "我的小店" in shipping.text
    assert "shop-fallback" not in client.get("/orders").text  # the order list can show all shops


def _cli_env(tmp_path):
    values = {"XIAODIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "XIAODIAN_DATA_DIR": str(tmp_path / "data"),
              "XIAODIAN_NOW": NOW.isoformat()}
    values.update({f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()})
    return values


def test_cli_orders_search_takes_a_shop_or_all(tmp_path):
    from xiaodian.bootstrap import default_shop_id, open_context
    from xiaodian.cli import _register, app
    from xiaodian.settings import Settings

    _register()
    env = _cli_env(tmp_path)
    ctx = open_context(Settings(database_url=env["XIAODIAN_DATABASE_URL"], data_dir=env["XIAODIAN_DATA_DIR"],
                                now=NOW, **TEST_KEYS), migrate=True)
    shop_id = default_shop_id(ctx)
    second = two_shops(ctx, shop_id)
    ctx.engine.dispose()

    def run(*args):
        return CliRunner().invoke(app, list(args), env=env)

    assert json.loads(run("orders", "search", "--json").stdout)["total"] == 13
    theirs = json.loads(run("orders", "search", "--shop", str(second), "--json").stdout)
    assert theirs["total"] == 10
    both = json.loads(run("orders", "search", "米", "--shop", "all", "--limit", "200", "--json").stdout)
    assert both["total"] == 23 and {o["shop_id"] for o in both["orders"]} == {shop_id, second}
    unknown = run("orders", "search", "--shop", "987654")
    assert unknown.exit_code == 2 and "--shop" in unknown.output
    assert run("orders", "search", "--shop", "x1").exit_code == 2
    shown = json.loads(run("orders", "show", SHARED_ID, "--shop", str(second), "--json").stdout)
    assert shown["shop_id"] == second
    assert json.loads(run("orders", "show", SHARED_ID, "--json").stdout)["shop_id"] == shop_id  # the default shop's
    listed = json.loads(run("orders", "shops", "--json").stdout)["shops"]
    assert [s["id"] for s in listed] == [shop_id, second]


def test_ship_and_correct_from_the_detail_of_another_shops_order_stay_in_that_shop(client, shop_id, second):
    """The switcher shows the default shop; a link to the second shop's unshipped order offers 发货, and the form
    ships that shop's order (not an order of the picked shop) and returns to it; its tracking correction too."""
    _switch(client, shop_id)
    first_before = client.get("/api/v1/orders", params={"shop": shop_id, "page_size": 200}).json()
    waiting = client.get("/api/v1/orders", params={"shop": second, "status": "awaiting_shipment"}).json()["orders"]
    order_id = waiting[0]["order_id"]
    detail = client.get(f"/orders/{order_id}", params={"shop": second}).text
    link = unescape(re.search(r'class="button primary ship" href="([^"]+)"', detail).group(1))
    assert link.startswith(f"/shipping/orders/{order_id}/ship?shop={second}&back=")
    form_page = client.get(link).text
    action = unescape(re.search(r'<form method="post" action="([^"]+)" class="shipform"', form_page).group(1))
    assert action == f"/shipping/orders/{order_id}/ship?shop={second}"
    back = unescape(re.search(r'name="back" value="([^"]+)"', form_page).group(1))
    assert back == f"/orders/{order_id}?shop={second}"
    done = client.post(action, follow_redirects=False,
                       data={"csrf_token": csrf_of(client), "carrier": "shunfeng", "tracking_no": "SF1234567890123",
                             "confirm_warnings": "1", "back": back})
    assert done.status_code == 303 and done.headers["location"].startswith(f"/orders/{order_id}?shop={second}&shipped=")
    shipped = client.get(f"/api/v1/orders/{order_id}", params={"shop": second}).json()
    assert shipped["status"] == "shipped" and shipped["tracking"][0]["tracking_no"] == "SF1234567890123"
    after = client.get(done.headers["location"]).text
    correct = unescape(re.search(r'class="correct-tracking" href="([^"]+)"', after).group(1))
    assert correct == f"/shipping/orders/{order_id}/tracking?shop={second}"
    fix = unescape(re.search(r'action="([^"]+/correct[^"]*)"', client.get(correct).text).group(1))
    assert fix.endswith(f"/correct?shop={second}")
    fixed = client.post(fix, follow_redirects=False, data={"csrf_token": csrf_of(client), "carrier": "shunfeng",
                                                            "tracking_no": "SF1234567890124", "reason": "贴错面单",
                                                            "confirm_warnings": "1"})
    assert fixed.status_code == 303 and f"shop={second}" in fixed.headers["location"]
    assert "SF1234567890124" in client.get(fixed.headers["location"]).text
    tracking = client.get(f"/api/v1/orders/{order_id}", params={"shop": second}).json()["tracking"]
    assert [t["tracking_no"] for t in tracking] == ["SF1234567890124"]
    assert client.get("/api/v1/orders", params={"shop": shop_id, "page_size": 200}).json() == first_before


def test_batch_note_on_the_list_of_all_shops_reaches_each_ticked_order_in_its_own_shop(client, shop_id, second):
    """The all-shops list ticks ``shop:order``: an order id both shops share is changed only in the shop ticked; a
    tick naming a shop outside the desk refuses the whole batch, nothing written in either shop."""
    page = client.get("/orders", params={"shop": "all"}).text
    assert f'value="{shop_id}:{SHARED_ID}"' in page and f'value="{second}:{SHARED_ID}"' in page
    assert 'id="batch-note"' in page
    theirs = next(o["order_id"] for o in client.get("/api/v1/orders", params={"shop": second}).json()["orders"]
                  if o["order_id"] != SHARED_ID)

    def flags():
        out = {}
        for shop in (shop_id, second):
            for oid in (SHARED_ID, theirs):
                got = client.get(f"/api/v1/orders/{oid}", params={"shop": shop})
                out[shop, oid] = (got.json()["flag_colour"], got.json()["merchant_note"]) if got.status_code == 200 \
                    else None
        return out

    before = flags()
    refused = client.post("/orders/batch-note?shop=all", follow_redirects=False, data={
        "csrf_token": csrf_of(client), "order_id": [f"{shop_id}:{SHARED_ID}", f"987654:{theirs}"],
        "flag_colour": "6", "back": "/orders?shop=all"})
    assert refused.status_code == 303 and "refused=" in refused.headers["location"]
    assert "987654:" in unescape(client.get(refused.headers["location"]).text)
    assert flags() == before
    done = client.post("/orders/batch-note?shop=all", follow_redirects=False, data={
        "csrf_token": csrf_of(client), "order_id": [f"{shop_id}:{SHARED_ID}", f"{second}:{theirs}"],
        "flag_colour": "6", "note_mode": "append", "merchant_note": "已核对", "back": "/orders?shop=all"})
    assert done.status_code == 303 and "done=" in done.headers["location"]
    after = flags()
    assert after[shop_id, SHARED_ID] == (6, "已核对") and after[second, theirs] == (6, "已核对")
    assert after[second, SHARED_ID] == before[second, SHARED_ID]  # the same id in the other shop: not ticked
