"""A date range typed the wrong way round (from after to) finds nothing, and an empty list reads as "no such
orders": the API, the export and the CLI refuse it naming the field; the page names it and ignores the range."""

from __future__ import annotations

import json

import pytest

REVERSED = [("created_from", "created_to"), ("paid_from", "paid_to")]


@pytest.mark.parametrize(("start", "end"), REVERSED)
def test_the_api_and_the_export_refuse_a_reversed_range_naming_the_field(owner_client, start, end):
    params = {start: "2026-11-30", end: "2026-11-01"}
    for path in ("/api/v1/orders", "/api/v1/orders/counts", "/api/v1/exports/orders"):
        refused = owner_client.get(path, params=params)
        assert refused.status_code == 422, (path, refused.text)
        error = refused.json()["error"]
        assert error["code"] == "date_range_reversed" and error["details"]["field"] == end, path
        assert "2026-11-01 is before" in error["message"], path
    for path in ("/api/v1/orders", "/api/v1/orders/counts", "/api/v1/exports/orders"):  # one day is a range too
        assert owner_client.get(path, params={start: "2026-11-20", end: "2026-11-20"}).status_code == 200, path
    page = owner_client.get("/orders", params=params)
    assert page.status_code == 200 and f'<li data-field="{end}">' in page.text and "该时间范围未生效" in page.text


def test_the_cli_refuses_a_reversed_range_as_a_usage_error(tmp_path):
    from ..conftest import cli_desk

    run = cli_desk(tmp_path)
    refused = run("orders", "search", "--created-from", "2026-11-30", "--created-to", "2026-11-01", "--json")
    assert refused.exit_code == 2 and "--created-to: 2026-11-01 is before --created-from 2026-11-30" in refused.output
    fine = run("orders", "search", "--created-from", "2026-11-01", "--created-to", "2026-11-30", "--json")
    assert fine.exit_code == 0 and json.loads(fine.stdout)["total"] == 0
    exported = run("export", "orders", "--output", str(tmp_path / "out.csv"), "--created-from", "2026-11-30",
                   "--created-to", "2026-11-01")
    assert exported.exit_code == 2 and "is before" in exported.output


def test_the_audit_api_refuses_a_reversed_range_naming_the_field(owner_client):
    for path in ("/api/v1/audit", "/api/v1/audit.csv"):
        refused = owner_client.get(path, params={"since": "2026-11-30T00:00:00", "until": "2026-11-01T00:00:00+08:00"})
        assert refused.status_code == 422 and refused.json()["error"]["details"]["field"] == "until", path
        assert refused.json()["error"]["code"] == "date_range_reversed", path
        assert owner_client.get(path, params={"since": "2026-11-01T00:00:00", "until": "2026-11-30T00:00:00"}
                                ).status_code == 200, path
