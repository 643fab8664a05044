"""The upload page's Apply answers with a redirect to a result page (POST/redirect/GET): reloading it shows the same
report, a second Apply of the same preview lands there too and imports nothing twice, and the page is the
uploader's (or an owner's) only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from xiaodian.channels.exportfile.samplegen import export_row, write_rows

from ..conftest import csrf_of, login


def _preview(client, tmp_path):
    rows = [export_row(), export_row(主订单编号="6938000000000000001", 子订单编号="6938000000000000001",
                                     订单提交时间="2026-13-01 00:00:00")]
    content = write_rows(tmp_path / "e.csv", rows).read_bytes()
    token = csrf_of(client, "/imports/orders")
    preview = client.post("/imports/orders", files={"file": ("my-export.csv", content, "text/csv")},
                          data={"csrf_token": token})
    assert preview.status_code == 200, preview.text
    action = "/imports/orders/" + preview.text.split('action="/imports/orders/', 1)[1].split('"', 1)[0]
    return action, token


def _imports(ctx) -> int:
    """Imports done, as the audit log counts them (each real import writes one entry)."""
    from sqlalchemy import func, select

    from xiaodian.accounts.models import AuditEntry

    with ctx.sessions() as session:
        return session.scalar(select(func.count()).where(AuditEntry.action == "orders.import"))


def test_apply_redirects_to_a_result_page_that_can_be_reloaded(owner_client, ctx, tmp_path):
    action, token = _preview(owner_client, tmp_path)
    applied = owner_client.post(action, data={"csrf_token": token}, follow_redirects=False)
    assert applied.status_code == 303, applied.text
    result_url = applied.headers["location"]
    assert result_url.startswith("/imports/orders/") and result_url != action
    for _reload in range(2):
        page = owner_client.get(result_url)
        assert page.status_code == 200, page.text
        assert "my-export.csv" in page.text and "已导入" in page.text and "date_invalid" in page.text
        created = page.text.split('data-count="created"', 1)[1].split("</tr>", 1)[0]
        assert '<td class="num">1</td>' in created
    assert owner_client.get("/api/v1/orders").json()["total"] == 1
    assert not list((ctx.settings.data_dir / "uploads").glob("*.upload"))  # the parked file is gone


def test_a_second_apply_of_the_same_preview_lands_on_the_result_and_imports_nothing_again(owner_client, ctx,
                                                                                          tmp_path):
    action, token = _preview(owner_client, tmp_path)
    first = owner_client.post(action, data={"csrf_token": token}, follow_redirects=False)
    assert _imports(ctx) == 1
    again = owner_client.post(action, data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    page = owner_client.get(again.headers["location"])
    assert '<td class="num">1</td>' in page.text.split('data-count="created"', 1)[1].split("</tr>", 1)[0]
    assert _imports(ctx) == 1  # not imported a second time
    assert owner_client.get("/api/v1/orders").json()["total"] == 1


def test_the_result_page_is_the_uploaders_or_an_owners(app, users, tmp_path):
    with TestClient(app) as cs:
        login(cs, "cs")
        action, token = _preview(cs, tmp_path)
        result_url = cs.post(action, data={"csrf_token": token}, follow_redirects=False).headers["location"]
        assert cs.get(result_url).status_code == 200
    with TestClient(app) as owner:
        login(owner, "owner")
        assert owner.get(result_url).status_code == 200
    with TestClient(app) as warehouse:
        login(warehouse, "warehouse")
        assert warehouse.get(result_url).status_code == 403  # no import permission at all
    for wrong in ("0" * 32, "nothex", "..%2F..%2Fetc"):
        with TestClient(app) as owner:
            login(owner, "owner")
            assert owner.get(f"/imports/orders/{wrong}/result").status_code == 404


def test_an_apply_result_is_swept_after_a_day_as_parked_files_are(owner_client, ctx, tmp_path):
    """Its rejected rows quote the file's cells (buyer data): it goes with the parked files."""
    import time

    from xiaodian.channels.exportfile import uploads

    action, token = _preview(owner_client, tmp_path)
    result_url = owner_client.post(action, data={"csrf_token": token}, follow_redirects=False).headers["location"]
    assert uploads.sweep(ctx.settings.data_dir, time.time()) == 0
    assert owner_client.get(result_url).status_code == 200
    uploads.sweep(ctx.settings.data_dir, time.time() + uploads.KEEP_PARKED_SECONDS + 60)
    assert not list((ctx.settings.data_dir / "uploads").iterdir())
    assert owner_client.get(result_url).status_code == 404
