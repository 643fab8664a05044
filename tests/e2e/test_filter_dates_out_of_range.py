"""Dates a person types far outside any order's life (0001-01-01, 9999-12-31) are named and ignored on the pages and
refused by the API, never a server error: shop-time arithmetic on them overflows."""

from __future__ import annotations

import pytest

EXTREMES = ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"]


@pytest.mark.parametrize("field", ["created_from", "created_to", "paid_from", "paid_to"])
def test_the_order_list_names_and_ignores_an_impossible_date(owner_client, field):
    for value in EXTREMES:
        page = owner_client.get("/orders", params={field: value})
        assert page.status_code == 200, (field, value)
        assert f'<li data-field="{field}">' in page.text and "不在 2000 至 2100 年之间" in page.text
        api = owner_client.get("/api/v1/orders", params={field: value})
        assert api.status_code == 422 and api.json()["error"]["details"]["field"] == field
    assert "不在 2000 至 2100 年之间" not in owner_client.get("/orders", params={field: "2026-11-20"}).text


def test_the_audit_log_ignores_an_impossible_date(owner_client):
    for field in ("since", "until"):
        for value in EXTREMES:
            assert owner_client.get("/audit", params={field: value}).status_code == 200, (field, value)
            assert owner_client.get("/audit/export.csv", params={field: value}).status_code == 200, (field, value)
    for path in ("/api/v1/audit", "/api/v1/audit.csv"):
        for value in ("0001-01-01T00:00:00", "9999-12-31T23:59:59+08:00"):
            refused = owner_client.get(path, params={"since": value})
            assert refused.status_code == 422 and refused.json()["error"]["details"]["field"] == "since", path
