"""Rules of export jobs (exports/domain.py): progress, who may take a job, the allowed moves, the file's name."""

from datetime import UTC, datetime, timedelta

from xiaodian.exports.domain import KEEP_FOR, JobStatus, can_move, download_name, expires_at, percent, takeable

NOW = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)


def test_progress_is_unknown_before_the_count_and_whole_only_when_every_order_is_written():
    assert percent(0, None) is None
    assert percent(0, 0) == 100  # an empty list is done at once
    assert percent(0, 1000) == 0 and percent(996, 1000) == 99 and percent(1000, 1000) == 100
    assert percent(None, 10) == 0 and percent(12, 10) == 100


def test_a_worker_takes_a_waiting_job_or_one_whose_worker_stopped_reporting():
    assert takeable("queued", None, NOW)
    assert not takeable("running", NOW + timedelta(seconds=1), NOW)
    assert takeable("running", NOW - timedelta(seconds=1), NOW) and takeable("running", None, NOW)
    for finished in ("done", "failed", "cancelled", "expired"):
        assert not takeable(finished, None, NOW)


def test_moves_follow_the_table():
    assert can_move("queued", "running") and can_move("queued", "cancelled")
    assert can_move("running", "done") and can_move("running", "cancelled") and can_move("running", "running")
    assert can_move("done", "expired")
    assert not can_move("queued", "done")  # a file is only ever written by a running job
    assert not can_move("done", "cancelled") and not can_move("failed", "running")
    assert not any(can_move(s, t) for s in ("failed", "cancelled", "expired") for t in JobStatus)


def test_the_file_keeps_a_week_and_is_named_in_shop_time():
    assert expires_at(NOW) - NOW == KEEP_FOR == timedelta(days=7)
    # 02:30 UTC is 10:30 in Shanghai; the name says the tab and the layout too (QA pass 9, #19)
    assert download_name(NOW, 12, "csv") == "orders-all-per-sku-20261128-103000-12.csv"


def test_file_sizes_read_as_people_say_them():
    from xiaodian.web.templating import file_size

    assert [file_size(n) for n in (None, 0, 980, 36 * 1024, 12_999_000, 3 * 1024**3)] == [
        "", "0 B", "980 B", "36 KB", "12.4 MB", "3,072.0 MB"]
