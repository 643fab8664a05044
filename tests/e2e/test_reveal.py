"""Revealing buyer contact details: only roles allowed, only with a reason, rate-limited, always audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from xiaodian.accounts import audit
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of, login
from ..factories import make_record

ORDER = "6938459704022656025"


@pytest.fixture
def seeded(ctx, shop_id, users):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(order_id=ORDER, phone="13812345678", buyer_name="王小明")])
    return ctx


def test_customer_service_reveals_with_a_reason_and_it_is_audited(app, seeded):
    with TestClient(app) as client:
        login(client, "cs")
        detail = client.get(f"/orders/{ORDER}")
        assert "138****5678" in detail.text and "13812345678" not in detail.text
        assert 'action="/orders/' + ORDER + '/reveal"' in detail.text
        shown = client.post(f"/orders/{ORDER}/reveal",
                            data={"reason": "买家来电核对地址", "csrf_token": csrf_of(client)})
        assert shown.status_code == 200 and "13812345678" in shown.text and "王小明" in shown.text
        api = client.post(f"/api/v1/orders/{ORDER}/reveal", json={"reason": "callback"},
                          headers={"x-csrf-token": csrf_of(client)})
        assert api.json()["phone"] == "13812345678"
    with seeded.sessions() as session:
        total, entries = audit.search(session, audit.AuditFilter(action="pii.reveal"))
    assert total == 2
    first = audit.entry_json(entries[-1])
    assert first["login"] == "cs" and first["target_id"] == ORDER and first["detail"]["reason"] == "买家来电核对地址"
    assert "13812345678" not in str([audit.entry_json(e) for e in entries])


def test_warehouse_cannot_reveal_and_sees_no_reveal_form(app, seeded):
    with TestClient(app) as client:
        login(client, "warehouse")
        assert "/reveal" not in client.get(f"/orders/{ORDER}").text
        refused = client.post(f"/api/v1/orders/{ORDER}/reveal", json={"reason": "curious"},
                              headers={"x-csrf-token": csrf_of(client)})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


def test_a_reveal_needs_a_reason(app, seeded):
    with TestClient(app) as client:
        login(client, "owner")
        response = client.post(f"/api/v1/orders/{ORDER}/reveal", json={"reason": " "},
                               headers={"x-csrf-token": csrf_of(client)})
    assert response.status_code == 422 and "reason" in response.json()["error"]["message"]


def test_reveals_are_rate_limited_per_user(app, seeded):
    limit = seeded.settings.reveal_limit_per_hour
    with TestClient(app) as client:
        login(client, "owner")
        csrf = csrf_of(client)
        codes = [client.post(f"/api/v1/orders/{ORDER}/reveal", json={"reason": "checking"},
                             headers={"x-csrf-token": csrf}).status_code for _ in range(limit + 1)]
    assert codes[:limit] == [200] * limit and codes[limit] == 429
