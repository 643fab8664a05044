"""Small defects of QA pass 7 (English, PostgreSQL, the API), each with the behaviour it now has."""

from __future__ import annotations

import pytest

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

ORDER = "6938459704022656025"


def _seed(ctx, shop_id, **kw):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[make_record(ORDER, **kw)], cipher=ctx.cipher, now=NOW)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_note_edit_that_names_no_known_field_is_refused_not_ignored(owner_client, ctx, shop_id):
    """#7: {"note": …} and {} answered 200 with the order unchanged; a client believed it had saved."""
    _seed(ctx, shop_id)
    headers = {"X-CSRF-Token": csrf_of(owner_client)}
    for body in ({"note": "缺货"}, {}, {"expected_merchant_note": None}):
        refused = owner_client.patch(f"/api/v1/orders/{ORDER}/note", json=body, headers=headers)
        assert refused.status_code == 422 and refused.json()["error"]["code"], body
    saved = owner_client.patch(f"/api/v1/orders/{ORDER}/note", json={"merchant_note": "缺货"}, headers=headers)
    assert saved.status_code == 200 and saved.json()["merchant_note"] == "缺货"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_shipping_from_the_reminders_page_says_it_shipped_there(owner_client, ctx, shop_id):
    """#6: back on /shipping/reminders after 发货 the row was simply gone, with no word that the order shipped."""
    from datetime import timedelta

    from xiaodian.shipping.jobs import scan_shop

    _seed(ctx, shop_id, ship_by=NOW + timedelta(hours=1))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    form = {"csrf_token": csrf_of(owner_client, "/shipping"), "carrier": "shunfeng", "tracking_no": "SF1234567890123",
            "confirm_warnings": "1", "back": "/shipping/reminders"}
    done = owner_client.post(f"/shipping/orders/{ORDER}/ship", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/shipping/reminders?shipped=")
    page = owner_client.get(done.headers["location"]).text
    assert f"订单 {ORDER} 已发货" in page.split('role="status"', 1)[1].split("</div>", 1)[0]
    forged = owner_client.get(f"/shipping/reminders?shipped={ORDER}&shipped_sig=bad").text
    assert 'role="status"' not in forged  # only the desk's own notice is shown


def test_the_forecast_sentence_writes_counts_as_the_page_does_and_ends_in_english():
    """#14: "the other 1660 ship on time" beside "5,944", and no full stop."""
    from datetime import timedelta

    from xiaodian.shipping.forecast import plan, summary

    orders = [(f"{i:04d}", NOW + timedelta(days=30)) for i in range(1660)]
    result = plan(orders, now=NOW, capacity_per_hour=1000)
    assert "all 1,660 ship on time" in summary(result, "en") and summary(result, "en").endswith(".")
    assert "全部1,660单都能按时发出" in summary(result, "zh") and summary(result, "en").startswith("At 1,000 orders")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_english_pages_name_carriers_and_pages_in_english_without_repeating_themselves(owner_client, ctx, shop_id):
    """#5, #14: the correction page said 圆通速递 for an imported parcel, its refusal repeated "can no longer be
    corrected", and a 404 read "Not found" then "Not Found"."""
    from xiaodian.orders.domain import OrderStatus

    _seed(ctx, shop_id, status=OrderStatus.COMPLETED, carrier="圆通速递", tracking_no="YT5092202593088")
    owner_client.get("/lang/en")
    page = owner_client.get(f"/shipping/orders/{ORDER}/tracking").text
    assert "YTO Express" in page and "圆通速递" not in page
    refusal = page.split('class="alert warn refusal"', 1)[1].split("</p>", 1)[0]
    assert refusal.count("can no longer be corrected") == 1 and "the buyer has the goods" in refusal
    missing = owner_client.get("/no/such/page")
    assert missing.status_code == 404 and "Not Found" not in missing.text
    assert "There is nothing at this address; check the link" in missing.text
    owner_client.get("/lang/zh")
    refusal_zh = owner_client.get(f"/shipping/orders/{ORDER}/tracking").text.split('class="alert warn refusal"', 1)[1]
    assert "订单已完成（买家已收货）</p>" in refusal_zh and "运单号不能再更正" not in refusal_zh.split("</p>", 1)[0]


def test_items_and_reasons_are_separated_as_the_readers_language_does():
    """#13: English pages joined items and match reasons with the Chinese "；"."""
    from xiaodian.web.i18n import current_language
    from xiaodian.web.templating import items_text

    summary = "高筋小麦粉 面包粉 5斤 ×1；压榨一级花生油 5L ×1"
    token = current_language.set("en")
    try:
        assert items_text(summary) == "高筋小麦粉 面包粉 5斤 ×1; 压榨一级花生油 5L ×1"
    finally:
        current_language.reset(token)
    assert items_text(summary) == summary and items_text(None) == ""


def test_the_demo_says_it_did_not_use_the_database_url_and_how_to_reach_its_own(tmp_path):
    """#11: with XIAODIAN_DATABASE_URL naming PostgreSQL the demo went into SQLite without a word, and the next
    command on the same environment found an empty database. The demo never writes there (it wipes its database)."""
    import json

    from typer.testing import CliRunner

    from xiaodian.cli import _register, app

    from ..conftest import TEST_KEYS

    _register()
    env = {"XIAODIAN_DATABASE_URL": "postgresql://ops:secret@db.example/shop", "XIAODIAN_DATA_DIR": str(tmp_path),
           "XIAODIAN_NOW": NOW.isoformat(), **{f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()}}
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--orders", "10", "--json"], env=env)
    assert result.exit_code == 0, result.output
    built = json.loads(result.stdout.strip().splitlines()[-1])
    assert built["database_url"] == f"sqlite:///{(tmp_path / 'demo.db').resolve()}"
    assert "not in XIAODIAN_DATABASE_URL" in result.stderr and built["database_url"] in result.stderr
    assert "secret" not in result.stderr  # the password is not repeated
