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
