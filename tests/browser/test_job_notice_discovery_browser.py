"""QA 7 #8: a page already open when its user asks for a job elsewhere (the API, another computer) announces it when
it is done, without a reload: the page asks the desk for the user's jobs now and then (GET /jobs/watched)."""

from __future__ import annotations

import pytest

from .conftest import DESKTOP, _open_page, desk_with_context, log_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def quiet_desk(sqlite_template, tmp_path_factory):
    """Served without its background jobs: the test runs the export worker's turn itself."""
    yield from desk_with_context(sqlite_template, tmp_path_factory.mktemp("notice-discovery"))


@pytest.fixture
def quiet_page(request, browser, quiet_desk):
    yield from _open_page(request, browser, quiet_desk[0], DESKTOP)


def test_an_export_asked_for_through_the_api_is_announced_on_a_page_open_before(quiet_page, quiet_desk):
    from xiaodian.exports import runner

    page, ctx = quiet_page, quiet_desk[1]
    log_in(page, path="/shipping")
    page.wait_for_timeout(300)
    assert page.locator("#export-notice").is_hidden()
    csrf = page.evaluate("window.xiaodianCsrf")
    asked = page.request.post("/api/v1/exports/jobs", data={"format": "csv", "per": "order"},
                              headers={"x-csrf-token": csrf})  # the API, with this browser's session
    assert asked.status == 202, asked.text()
    job_id = str(asked.json()["id"])
    assert dict(runner.run_waiting(ctx)) == {int(job_id): "done"}
    # The page was loaded before the job existed. Its next look at the user's jobs (every 20 s while in view, and
    # whenever it comes back into view: prompted here) finds it, and the next poll announces it.
    # The page tells the desk it announced the job (POST …/noticed) just after showing it: wait for that answer, or a
    # reload in between (CI once did) finds the job still unannounced and rightly shows it again.
    with page.expect_response(lambda r: f"/{job_id}/noticed?" in r.url, timeout=15_000) as told:
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        notice = page.locator(f"#export-notice .export-notice-item[data-job='{job_id}']")
        notice.wait_for(timeout=15_000)
    assert told.value.ok and f"导出任务 {job_id} 已完成" in notice.inner_text()
    page.reload()
    page.wait_for_timeout(500)
    assert page.locator("#export-notice .export-notice-item").count() == 0  # announced once
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_timeout(1000)
    assert page.locator("#export-notice .export-notice-item").count() == 0
    assert page.js_errors == []


def test_a_reload_before_the_desk_has_recorded_the_announcement_does_not_announce_the_job_again(quiet_page,
                                                                                                quiet_desk):
    """The page that announced a job reloads before its POST …/noticed reached the desk (here: it never does): the
    desk still lists the job as unannounced, and the browser remembers it has already shown it."""
    from xiaodian.exports import runner

    page, ctx = quiet_page, quiet_desk[1]
    log_in(page, path="/shipping")
    told = []
    page.route("**/noticed?*", lambda route: (told.append(route.request.url), route.abort()))
    csrf = page.evaluate("window.xiaodianCsrf")
    asked = page.request.post("/api/v1/exports/jobs", data={"format": "csv", "per": "order"},
                              headers={"x-csrf-token": csrf})
    job_id = str(asked.json()["id"])
    assert dict(runner.run_waiting(ctx)) == {int(job_id): "done"}
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.locator(f"#export-notice .export-notice-item[data-job='{job_id}']").wait_for(timeout=15_000)
    page.wait_for_timeout(300)
    assert any(f"/{job_id}/noticed?" in url for url in told)  # it tried to tell the desk, and could not
    page.reload()
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_timeout(1500)
    assert page.locator("#export-notice .export-notice-item").count() == 0
