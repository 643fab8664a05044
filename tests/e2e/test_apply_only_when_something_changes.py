"""QA 5 E13: a preview that would change nothing (no order to create or update; no row to ship) offered Apply, and
an Apply of it "imported" or "shipped" nothing and called it done. The button is gone then, and an Apply that comes
anyway (a stale page, a script) is refused with 409 ``nothing_to_apply`` and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from xiaodian.channels.exportfile.samplegen import export_row, write_rows
from xiaodian.imports import runner
from xiaodian.orders.models import Shipment

from ..conftest import csrf_of

JOBS = "/api/v1/imports/orders/jobs"


def _rejected_only(tmp_path) -> bytes:
    rows = [export_row(主订单编号="6938000000000000001", 子订单编号="6938000000000000001", 收件人手机号="1234567")]
    return write_rows(tmp_path / "bad.csv", rows).read_bytes()


def _orders(client) -> int:
    return client.get("/api/v1/orders").json()["total"]


def _parked_id(ctx) -> str:
    notes = list((ctx.settings.data_dir / "uploads").glob("*.nothing_to_apply.json"))
    assert len(notes) == 1, notes
    return notes[0].name.split(".", 1)[0]


def test_an_import_preview_with_only_rejected_rows_offers_no_apply_and_refuses_one(owner_client, ctx, tmp_path):
    token = csrf_of(owner_client, "/imports/orders")
    preview = owner_client.post("/imports/orders", files={"file": ("bad.csv", _rejected_only(tmp_path), "text/csv")},
                                data={"csrf_token": token})
    assert preview.status_code == 200, preview.text
    assert "phone_invalid" in preview.text and "data-nothing-to-apply" in preview.text
    assert "/apply" not in preview.text and "确认导入这些订单" not in preview.text
    assert not list((ctx.settings.data_dir / "uploads").glob("*.upload"))  # nothing kept parked for nothing
    stale = owner_client.post(f"/imports/orders/{_parked_id(ctx)}/apply", data={"csrf_token": token},
                              follow_redirects=False)
    assert stale.status_code == 409 and 'data-code="nothing_to_apply"' in stale.text and "bad.csv" in stale.text
    assert _orders(owner_client) == 0


def test_an_import_preview_of_unchanged_rows_offers_no_apply(owner_client, ctx, tmp_path):
    content = write_rows(tmp_path / "e.csv", [export_row()]).read_bytes()
    imported = owner_client.post("/api/v1/imports/orders", files={"file": ("e.csv", content, "text/csv")},
                                 headers={"x-csrf-token": csrf_of(owner_client)})
    assert imported.status_code == 200 and imported.json()["created"] == 1
    preview = owner_client.post("/imports/orders", files={"file": ("e.csv", content, "text/csv")},
                                data={"csrf_token": csrf_of(owner_client, "/imports/orders")})
    assert preview.status_code == 200 and "data-nothing-to-apply" in preview.text and "/apply" not in preview.text


def test_a_background_preview_with_nothing_to_import_offers_no_apply_and_refuses_one(owner_client, ctx, tmp_path):
    headers = {"x-csrf-token": csrf_of(owner_client)}
    asked = owner_client.post(JOBS, files={"file": ("bad.csv", _rejected_only(tmp_path), "text/csv")},
                              data={"dry_run": "true"}, headers=headers)
    job_id = asked.json()["id"]
    runner.run_waiting(ctx)
    page = owner_client.get(f"/imports/orders/jobs/{job_id}")
    assert page.status_code == 200 and "data-nothing-to-apply" in page.text and 'class="apply"' not in page.text
    refused = owner_client.post(f"{JOBS}/{job_id}/apply", headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "nothing_to_apply"
    stale = owner_client.post(f"/imports/orders/jobs/{job_id}/apply", data={"csrf_token": csrf_of(owner_client)})
    assert stale.status_code == 409 and 'data-code="nothing_to_apply"' in stale.text
    assert 'class="apply"' not in stale.text
    assert owner_client.get(f"{JOBS}/{job_id}").json()["applied_by"] is None
    assert runner.run_waiting(ctx) == [] and _orders(owner_client) == 0


def test_a_bulk_ship_preview_with_nothing_to_ship_offers_no_apply_and_refuses_one(owner_client, ctx):
    token = csrf_of(owner_client, "/shipping/bulk")
    lines = ("订单号,快递公司,快递单号\n6938459704022657799,中通,73000000000173\n"
             "6938459704022657798,中通,73000000000174\n")
    preview = owner_client.post("/shipping/bulk", data={"csrf_token": token},
                                files={"file": ("ship.csv", lines.encode(), "text/csv")})
    assert preview.status_code == 200, preview.text
    assert "order_not_found" in preview.text and "data-nothing-to-apply" in preview.text
    assert "/apply" not in preview.text and "确认：发货通过校验的行" not in preview.text
    assert not list((ctx.settings.data_dir / "uploads").glob("*.upload"))
    stale = owner_client.post(f"/shipping/bulk/{_parked_id(ctx)}/apply", data={"csrf_token": token},
                              follow_redirects=False)
    assert stale.status_code == 409 and "这个文件的预览里没有可导入或可发货的行" in stale.text  # errtext_nothing_to_apply
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Shipment)) == 0


def test_an_empty_bulk_ship_file_speaks_of_shipping_not_importing(owner_client):
    """The bulk-ship page said 文件是空的，没有可导入的行 (the import reader's words) for an empty file."""
    token = csrf_of(owner_client, "/shipping/bulk")
    answer = owner_client.post("/shipping/bulk", data={"csrf_token": token},
                               files={"file": ("ship.csv", b"", "text/csv")})
    assert answer.status_code == 422 and "文件是空的，没有要发货的行。" in answer.text
    assert "可导入" not in answer.text
