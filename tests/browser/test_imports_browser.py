"""Uploading an order export in the browser: preview a file with a bad row, read the report, apply it,
and find the imported orders in the list. Runs on its own desk so the shared shop's counts stay known."""

from __future__ import annotations

import re

import pytest

from .conftest import ARTIFACTS, DESKTOP, _open_page, desk_with_context, log_in, start_desk

pytestmark = pytest.mark.browser

HEADER = ("主订单编号,子订单编号,选购商品,商品ID,商家编码,商品数量,商品金额,订单应付金额,订单提交时间,支付完成时间,"
          "订单完成时间,订单状态,售后状态,取消原因,买家留言,商家备注,收件人,收件人手机号,省,市,区,详细地址,快递公司,"
          "快递单号,发货时间,承诺发货时间")
GOOD_1 = ("6938000000000000101,6938000000000000101,五常大米 稻花香2号 5kg,3512000000000000101,,1,89.90,89.90,"
          "2026-11-20 10:00:00,2026-11-20 10:05:00,,备货中,,,请发顺丰,,赵敏,13955556605,江苏省,南京市,鼓楼区,"
          "科苑南路2666号,,,,2026-11-22 10:05:00")
BAD_ID = ("4.90754E+18,4.90754E+18,有机黄小米 2袋装,3512000000000000102,,1,39.00,39.00,2026-11-20 11:00:00,"
          "2026-11-20 11:05:00,,备货中,,,,,王芳,13512345601,浙江省,杭州市,西湖区,文三路90号,,,,2026-11-22 11:05:00")
GOOD_2 = ("6938000000000000102,6938000000000000102,西湖龙井 明前茶叶 250g,3512000000000000106,,2,128.00,256.00,"
          "2026-11-21 09:00:00,2026-11-21 09:02:00,,备货中,,,,,陈静,15011112203,四川省,成都市,武侯区,科苑南路1号,,,,"
          "2026-11-23 09:02:00")


@pytest.fixture(scope="module")
def import_server(sqlite_template, tmp_path_factory):
    yield from start_desk(sqlite_template, tmp_path_factory.mktemp("imports"), seed=False)


@pytest.fixture
def import_page(request, browser, import_server):
    yield from _open_page(request, browser, import_server, DESKTOP)


def test_upload_a_file_with_a_bad_row_read_the_report_and_apply(import_page, tmp_path):
    page = import_page
    export = tmp_path / "订单导出.csv"
    export.write_text("\n".join([HEADER, GOOD_1, BAD_ID, GOOD_2]) + "\n", encoding="utf-8-sig")
    log_in(page, path="/imports/orders")
    assert page.locator("h1").inner_text() == "导入订单"
    page.set_input_files("input[type=file]", str(export))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "尚未导入" in page.locator(".alert.warn").inner_text()
    assert page.locator("tr[data-count=created] td.num").first.inner_text() == "2"
    assert page.locator("tr[data-count=rejected] td.num").first.inner_text() == "1"
    rejected = page.locator("table.rejected tbody tr")
    assert rejected.count() == 1
    cells = rejected.first.locator("td").all_inner_texts()
    assert cells[0] == "3" and cells[1] == "主订单编号"  # spreadsheet row numbers: the header is row 1
    (ARTIFACTS / "layout").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "layout" / "import-preview-desktop.png"), full_page=True)
    other_tab = page.context.new_page()
    other_tab.goto("/orders")
    assert other_tab.locator(".listmeta .total").inner_text() == "共 0 单"  # the preview changed nothing
    other_tab.close()
    with page.expect_navigation():
        page.click("button:has-text('确认导入这些订单')")
    assert "已导入" in page.locator(".alert.ok").inner_text()
    page.goto("/orders")
    assert re.sub(r"\D", "", page.locator(".listmeta .total").inner_text()) == "2"
    ids = page.locator("tbody.order").evaluate_all("rows => rows.map(r => r.dataset.orderId)")
    assert ids == ["6938000000000000102", "6938000000000000101"]
    assert not page.js_errors, page.js_errors


def test_a_running_import_says_so_and_cannot_be_sent_twice(import_page, tmp_path):
    """A large file takes a while: while the server works, the button is disabled, the page counts the seconds,
    and a second click sends nothing (it would import the same file again in parallel)."""
    page = import_page
    export = tmp_path / "one-order.csv"
    export.write_text("\n".join([HEADER, GOOD_1]) + "\n", encoding="utf-8-sig")
    log_in(page, path="/imports/orders")
    page.set_input_files("input[type=file]", str(export))
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    with page.expect_navigation():
        # The submit handler runs inside requestSubmit(), before the browser sends anything: read what the page
        # shows at that moment, then submit again as an impatient second click would.
        state = page.evaluate("""() => {
            const form = document.querySelector('main form'), button = form.querySelector('button');
            const note = form.querySelector('.busy-note');
            form.requestSubmit();
            const seen = {disabled: button.disabled, label: button.textContent, shown: !note.hidden,
                          note: note.textContent};
            form.requestSubmit();
            return seen;
        }""")
    assert state["disabled"] and state["label"] == "正在检查…" and state["shown"], state
    assert "已用 0 秒" in state["note"] and "KB" in state["note"], state  # the seconds so far and the file's size
    assert len(posts) == 1, posts  # the second submit sent nothing
    assert "尚未导入" in page.locator(".alert.warn").inner_text()
    assert not page.js_errors, page.js_errors


@pytest.fixture(scope="module")
def working_desk(sqlite_template, tmp_path_factory):
    """A desk of its own, served, with its background jobs running as in ``xiaodian serve``."""
    for url, _ctx in desk_with_context(sqlite_template, tmp_path_factory.mktemp("imports-bg"), seed=False,
                                       background=True):
        yield url


@pytest.fixture
def working_page(request, browser, working_desk):
    yield from _open_page(request, browser, working_desk, DESKTOP)


def test_a_large_file_is_checked_and_imported_by_the_worker_while_its_page_follows(working_page, tmp_path,
                                                                                     monkeypatch):
    from xiaodian.channels.exportfile import pages

    page = working_page
    monkeypatch.setattr(pages, "BACKGROUND_BYTES", 100)  # every file here is "large"
    export = tmp_path / "大文件.csv"
    export.write_text("\n".join([HEADER, GOOD_1, BAD_ID, GOOD_2]) + "\n", encoding="utf-8-sig")
    log_in(page, path="/imports/orders")
    page.set_input_files("input[type=file]", str(export))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert re.search(r"/imports/orders/jobs/\d+$", page.url)
    job_url = page.url
    # The page reloads itself every 2 s while the worker thread checks the file, then shows the preview.
    page.wait_for_selector("tr[data-count=created]", timeout=30_000)
    assert "尚未导入" in page.locator(".alert.warn").inner_text()
    assert page.locator("tr[data-count=created] td.num").first.inner_text() == "2"
    assert page.locator("table.rejected tbody tr").first.locator("td").all_inner_texts()[:2] == ["3", "主订单编号"]
    page.screenshot(path=str(ARTIFACTS / "layout" / "import-job-preview-desktop.png"), full_page=True)
    with page.expect_navigation():
        page.click("button:has-text('确认导入这些订单')")
    assert page.url != job_url
    page.wait_for_selector(".alert.ok:has-text('已导入')", timeout=30_000)
    assert page.locator("tr[data-count=created] td.num").first.inner_text() == "2"
    page.goto("/imports/orders")
    listed = page.locator("table.import-jobs tbody tr")
    assert listed.count() == 2 and "大文件.csv" in listed.first.inner_text()
    page.goto("/orders")
    assert page.locator(".listmeta .total").inner_text() == "共 2 单"
    assert page.js_errors == []


@pytest.fixture(scope="module")
def quiet_desk(sqlite_template, tmp_path_factory):
    """A desk served without its background jobs: the test runs the import worker itself, when it chooses."""
    yield from desk_with_context(sqlite_template, tmp_path_factory.mktemp("imports-quiet"), seed=False)


@pytest.fixture
def quiet_page(request, browser, quiet_desk):
    yield from _open_page(request, browser, quiet_desk[0], DESKTOP)


def test_a_checked_file_is_announced_on_whatever_page_its_uploader_is_on(quiet_page, quiet_desk, tmp_path,
                                                                        monkeypatch):
    from xiaodian.channels.exportfile import pages
    from xiaodian.imports import runner

    page, ctx = quiet_page, quiet_desk[1]
    monkeypatch.setattr(pages, "BACKGROUND_BYTES", 100)
    export = tmp_path / "十一月订单.csv"
    export.write_text("\n".join([HEADER, GOOD_1, GOOD_2]) + "\n", encoding="utf-8-sig")
    log_in(page, path="/imports/orders")
    page.set_input_files("input[type=file]", str(export))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    job_url = page.url
    assert page.locator(".import-job[data-watch-kind=import]").count() == 1
    page.goto("/orders")
    assert [status for _job, status in runner.run_waiting(ctx)] == ["done"]
    notice = page.locator("#export-notice .export-notice-item[data-kind=import]")
    notice.wait_for(timeout=15_000)
    assert "十一月订单.csv 已检查完" in notice.inner_text()
    with page.expect_navigation():
        notice.locator("a").click()
    assert page.url.split("?")[0] == job_url
    assert page.locator("tr[data-count=created] td.num").first.inner_text() == "2"
    assert page.locator("#export-notice .export-notice-item").count() == 0  # announced once, not on its own page
    assert page.js_errors == []


def _sent_through_the_api(ctx, tmp_path, name: str) -> int:
    """What POST …/imports/orders/jobs does for the owner: the file parked and its check queued. The job's id."""
    from sqlalchemy import select

    from xiaodian.accounts.models import User
    from xiaodian.accounts.service import Principal
    from xiaodian.bootstrap import default_shop_id
    from xiaodian.channels.exportfile import uploads
    from xiaodian.db import transaction
    from xiaodian.imports import service

    export = tmp_path / name
    export.write_text("\n".join([HEADER, GOOD_1, GOOD_2]) + "\n", encoding="utf-8-sig")
    with transaction(ctx.sessions) as session, open(export, "rb") as source:
        owner = session.execute(select(User).where(User.login == "owner")).scalar_one()
        return service.request_preview(session, shop_id=default_shop_id(ctx), now=ctx.clock.now(),
                                       principal=Principal(owner.id, owner.login, owner.role, "api"),
                                       upload=uploads.save(ctx.settings.data_dir, source, export.name)).id


def test_a_file_sent_through_the_api_is_announced_in_the_browser_too(quiet_page, quiet_desk, tmp_path):
    """The user's open jobs are marked on every page (web/job_watch.py), so one asked for elsewhere (the API here,
    or another computer) is announced as well once it is done, not only in the browser that uploaded it."""
    from xiaodian.imports import runner

    page, ctx = quiet_page, quiet_desk[1]
    log_in(page, path="/orders")
    job_id = _sent_through_the_api(ctx, tmp_path, "接口上传.csv")
    page.goto("/shipping")  # any page the owner happens to open next
    assert [status for _job, status in runner.run_waiting(ctx)] == ["done"]
    notice = page.locator(f"#export-notice .export-notice-item[data-kind=import][data-job='{job_id}']")
    notice.wait_for(timeout=15_000)
    assert "接口上传.csv 已检查完" in notice.inner_text()
    assert page.js_errors == []


def test_a_job_that_finished_while_no_page_was_open_is_announced_on_the_next_once(request, browser, quiet_page,
                                                                                  quiet_desk, tmp_path):
    """A check sent through the API and done before the owner opens the desk at all is announced on the first page
    they open; once announced, neither a reload nor another computer announces it again."""
    from xiaodian.imports import runner

    page, (url, ctx) = quiet_page, quiet_desk
    job_id = _sent_through_the_api(ctx, tmp_path, "夜里上传.csv")
    assert [status for _job, status in runner.run_waiting(ctx)] == ["done"]
    log_in(page, path="/orders")
    notice = page.locator(f"#export-notice .export-notice-item[data-kind=import][data-job='{job_id}']")
    notice.wait_for(timeout=15_000)
    assert "夜里上传.csv 已检查完" in notice.inner_text()
    page.wait_for_timeout(500)  # the watcher tells the desk it has announced the job
    page.reload()
    page.wait_for_timeout(500)
    assert page.locator("#export-notice .export-notice-item").count() == 0
    another_computer = _open_page(request, browser, url, DESKTOP)
    other = next(another_computer)
    log_in(other, path="/shipping")
    other.wait_for_timeout(800)
    assert other.locator("#export-notice .export-notice-item").count() == 0
    assert page.js_errors == [] and other.js_errors == []
    next(another_computer, None)  # its context closed
