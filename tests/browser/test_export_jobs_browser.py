"""A list too long to download at once, exported in the background: from the order list's form to the jobs page,
which follows the job by itself (the desk's worker threads write it) until the file can be downloaded."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from . import shop
from .conftest import ARTIFACTS, DESKTOP, _open_page, desk_with_context, log_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def export_desk(sqlite_template, tmp_path_factory):
    """A desk of its own, served, with the background jobs running as in ``xiaodian serve``."""
    yield from desk_with_context(sqlite_template, tmp_path_factory.mktemp("exports"), background=True)


@pytest.fixture
def export_page(request, browser, export_desk):
    yield from _open_page(request, browser, export_desk[0], DESKTOP)


def test_a_long_list_is_exported_in_the_background_and_downloaded(export_page, export_desk, monkeypatch):
    from xiaodian.orders import pages
    from xiaodian.orders.domain import OrderStatus

    page = export_page
    monkeypatch.setattr(pages, "PAGE_EXPORT_ORDERS", 1)  # every list of two or more is "too long" here
    log_in(page, path="/orders?tab=awaiting_shipment")
    awaiting = sum(1 for r in shop.RECORDS if r.status == OrderStatus.AWAITING_SHIPMENT)
    assert awaiting > 1
    form = page.locator("form.export-too-large")
    assert "后台生成" in form.inner_text()
    (ARTIFACTS / "layout").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "layout" / "orders-background-export-desktop.png"))
    form.locator("select[name=per]").select_option("order")
    with page.expect_navigation():
        form.locator("button[value=xlsx]").click()
    assert "/exports?created=" in page.url
    assert "已排队" in page.locator(".alert.ok").inner_text()
    job = page.locator("table.export-jobs tbody tr").first
    job_id = job.get_attribute("data-job")
    # The page reloads itself every 3 s while the job is open; the worker thread writes the file meanwhile.
    page.wait_for_selector(f"tr[data-job='{job_id}'][data-status=done]", timeout=30_000)
    row = page.locator(f"tr[data-job='{job_id}']")
    assert "备货中" in row.inner_text() and "Excel · 每个订单一行" in row.inner_text()
    assert "已完成，请在下方下载文件" in page.locator(".alert.ok").inner_text()
    page.screenshot(path=str(ARTIFACTS / "layout" / "export-jobs-desktop.png"), full_page=True)
    with page.expect_download() as download:
        row.locator("a.download").click()
    assert download.value.suggested_filename.endswith(f"-{job_id}.xlsx")
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    assert sheet.max_row - 1 == awaiting


@pytest.fixture(scope="module")
def quiet_desk(sqlite_template, tmp_path_factory):
    """A desk served without its background jobs: the test runs the export worker itself, when it chooses."""
    yield from desk_with_context(sqlite_template, tmp_path_factory.mktemp("exports-quiet"))


@pytest.fixture
def quiet_page(request, browser, quiet_desk):
    yield from _open_page(request, browser, quiet_desk[0], DESKTOP)


def test_a_finished_job_is_announced_on_whatever_page_its_asker_is_on(quiet_page, quiet_desk, monkeypatch):
    """Whoever asks for an export goes back to work; when the worker has written the file, the page they are on
    (not the jobs page) offers it, once."""
    from xiaodian.exports import runner
    from xiaodian.orders import pages

    page, ctx = quiet_page, quiet_desk[1]
    monkeypatch.setattr(pages, "PAGE_EXPORT_ORDERS", 1)
    log_in(page, path="/orders?tab=awaiting_shipment")
    with page.expect_navigation():
        page.locator("form.export-too-large button[value=csv]").click()
    job_id = page.locator("table.export-jobs tbody tr").first.get_attribute("data-job")
    assert page.locator(f".alert[data-watch-job='{job_id}']").count() == 1
    page.goto("/shipping")
    page.wait_for_timeout(300)
    assert page.locator("#export-notice").is_hidden()  # still waiting for a worker
    assert dict(runner.run_waiting(ctx)) == {int(job_id): "done"}
    notice = page.locator(f"#export-notice .export-notice-item[data-job='{job_id}']")
    notice.wait_for(timeout=15_000)  # the next poll, within 5 s
    assert f"导出任务 {job_id} 已完成" in notice.inner_text()
    page.screenshot(path=str(ARTIFACTS / "layout" / "export-done-notice-desktop.png"))
    with page.expect_download() as download:
        notice.locator("a.download").click()
    assert download.value.suggested_filename.endswith(f"-{job_id}.csv")
    notice.locator("button.close").click()
    assert page.locator("#export-notice").is_hidden()
    page.reload()
    page.wait_for_timeout(500)
    assert page.locator("#export-notice .export-notice-item").count() == 0  # announced once
    # A job that fails says so, with the way to the jobs page (which says why) and no file.
    from xiaodian import spreadsheets

    page.goto("/orders?tab=awaiting_shipment")
    with page.expect_navigation():
        page.locator("form.export-too-large button[value=xlsx]").click()
    failing = page.locator("table.export-jobs tbody tr").first.get_attribute("data-job")
    page.goto("/orders")
    monkeypatch.setattr(spreadsheets, "MAX_SHEET_ROWS", 1)
    assert dict(runner.run_waiting(ctx)) == {int(failing): "failed"}
    notice = page.locator(f"#export-notice .export-notice-item.failed[data-job='{failing}']")
    notice.wait_for(timeout=15_000)
    assert "未能完成" in notice.inner_text() and notice.locator("a.download").count() == 0
    assert notice.locator("a[href^='/exports']").count() == 1
    assert page.js_errors == []
