"""The home page shows the to-do cards of the work each role can do, each linking to its view."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ..conftest import login

CARDS = {
    "owner": {"overdue", "due24h", "awaiting", "address_changed", "anomalies", "aftersale_todo", "aftersale_due_soon",
              "aftersale_overdue"},
    "cs": {"overdue", "due24h", "awaiting", "address_changed", "anomalies", "aftersale_todo", "aftersale_due_soon",
           "aftersale_overdue"},
    "warehouse": {"overdue", "due24h", "awaiting", "address_changed", "anomalies", "aftersale_to_send"},
}


@pytest.mark.parametrize("role", sorted(CARDS))
def test_home_cards_follow_the_role(app, users, role, backend):
    if backend != "sqlite":
        pytest.skip("page composition; one backend is enough")
    with TestClient(app) as client:
        login(client, role)
        html = client.get("/").text
    shown = {part.split('"', 1)[0] for part in html.split('data-card="')[1:]}
    assert shown == CARDS[role]


def _seed_day(ctx, shop_id):
    """Unshipped orders around their deadlines, and orders placed and paid either side of the shop's midnight."""
    from datetime import timedelta

    from xiaodian.db import transaction
    from xiaodian.orders.domain import OrderStatus
    from xiaodian.orders.intake import upsert_orders

    from ..conftest import NOW
    from ..factories import make_record

    earlier = NOW - timedelta(days=2)
    due = {f"69384597040226570{i:02d}": NOW + timedelta(hours=h) for i, h in enumerate((-3, -1, 2, 5, 30, 50, 70))}
    records = [make_record(oid, created_at=earlier, ship_by=ship_by) for oid, ship_by in due.items()]
    # 部分发货 owes its parcel by its deadline too: it is the most urgent of all here.
    partial = "6938459704022657100"
    records.append(make_record(partial, status=OrderStatus.PARTIALLY_SHIPPED, created_at=earlier,
                               ship_by=NOW - timedelta(hours=4), shipped_at=earlier + timedelta(hours=1)))
    midnight = NOW.replace(hour=0, minute=0)  # NOW is shop time (+08:00)
    records += [
        make_record("6938459704022657201", created_at=NOW - timedelta(hours=3), unit_price_fen=1250,
                    ship_by=NOW + timedelta(days=4)),  # placed and paid today
        make_record("6938459704022657202", status=OrderStatus.UNPAID, created_at=NOW - timedelta(minutes=30)),
        make_record("6938459704022657203", created_at=midnight - timedelta(minutes=10), unit_price_fen=2000,
                    paid_at=midnight + timedelta(minutes=5), ship_by=NOW + timedelta(days=4)),  # paid today only
        make_record("6938459704022657204", created_at=midnight - timedelta(minutes=20), unit_price_fen=9999,
                    paid_at=midnight - timedelta(minutes=15), ship_by=NOW + timedelta(days=4)),  # neither
    ]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=records)
    first = [partial] + list(due)[:4]
    return first


def _figure(html: str, name: str) -> str:
    return html.split(f'data-figure="{name}"', 1)[1].split(">", 1)[1].split("<", 1)[0]


def test_home_lists_the_orders_to_ship_first_and_the_shop_day(app, users, ctx, shop_id, backend):
    """The five unshipped orders whose deadline comes first (a partly shipped one included), and today's placed /
    paid figures in shop time, each equal to what the order list shows for the filter its link carries."""
    from ..conftest import csrf_of

    first = _seed_day(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "owner")
        html = client.get("/").text
        shown = [part.split('"', 1)[0] for part in html.split('<tr data-order-id="')[1:]]
        assert shown == first
        assert html.count('class="button primary ship"') == 5
        assert _figure(html, "placed") == "2" and _figure(html, "paid") == "2"
        assert _figure(html, "paid_fen") == "¥32.50"
        for name, params in (("placed", {"created_from": "2026-11-24", "created_to": "2026-11-24"}),
                             ("paid", {"paid_from": "2026-11-24", "paid_to": "2026-11-24"})):
            assert client.get("/api/v1/orders", params=params).json()["total"] == int(_figure(html, name))
            assert f'href="/orders?{"&amp;".join(f"{k}={v}" for k, v in params.items())}"' in html
        assert _figure(html, "violations") == "0" and _figure(html, "points") == "0"
        # Ship the order an hour late: the month's violations and points follow.
        late = first[2]
        shipped = client.post(f"/api/v1/orders/{late}/shipments", headers={"x-csrf-token": csrf_of(client)},
                              json={"carrier": "shunfeng", "tracking_no": "SF1234567890123",
                                    "confirm_warnings": True})
        assert shipped.status_code == 201, shipped.text
        html = client.get("/").text
        assert late not in html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert _figure(html, "violations") == "1" and int(_figure(html, "points")) > 0
    with TestClient(app) as client:
        login(client, "cs")  # may not ship: the list shows, its buttons do not
        html = client.get("/").text
        assert '<tr data-order-id="' in html and 'class="button primary ship"' not in html
