"""An import taken over from a dead worker carries on from its checkpoint, and its progress bar never goes back
(QA pass 12, #4: 51% → 17% while the page said it carried on from where it stopped)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian import job_queue
from xiaodian.imports import runner
from xiaodian.job_queue import LEASE

from .test_import_jobs import batches_of_ten, checked_and_applied, dies_after_two_batches, job, thirty_orders

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_bar_of_an_import_taken_over_stays_where_the_dead_worker_left_it(ctx, shop_id, users, tmp_path,
                                                                             monkeypatch):
    _clean, imported = checked_and_applied(ctx, shop_id, thirty_orders(tmp_path))
    reported: list[tuple[str, int]] = []
    real_report = job_queue.report

    def recording(sessions, model, job_id, holder, now, **values):
        if "bytes_done" in values:
            reported.append((holder, values["bytes_done"]))
        return real_report(sessions, model, job_id, holder, now, **values)

    monkeypatch.setattr(job_queue, "REPORT_EVERY_SECONDS", 0.0)  # every progress call is a report
    monkeypatch.setattr(job_queue, "report", recording)

    now = dies_after_two_batches(ctx, monkeypatch, imported)
    left_at = job(ctx, imported).bytes_done
    assert left_at > 0

    batches_of_ten(monkeypatch)
    assert runner.claim_next(ctx.sessions, now + LEASE + timedelta(seconds=1), "next") == imported
    assert job(ctx, imported).bytes_done == left_at  # taking the job over does not reset its bar
    assert runner.run_job(ctx, imported, "next") == "done"
    after = [done for holder, done in reported if holder == "next"]
    assert after and min(after) > left_at, (left_at, after)  # nothing below where the dead worker was
    assert job(ctx, imported).bytes_done == job(ctx, imported).size_bytes


def test_the_log_says_a_job_was_taken_over_and_scans_read_as_fields(ctx, shop_id, users, tmp_path, monkeypatch,
                                                                     caplog):
    """QA pass 12, #5: nothing in the worker's log said that a worker had died and another carried its job on, and
    the scans' lines were Python dict reprs."""
    from xiaodian.worker import _fields

    _clean, imported = checked_and_applied(ctx, shop_id, thirty_orders(tmp_path))
    now = ctx.clock.now()
    assert runner.claim_next(ctx.sessions, now, "dies") == imported
    with caplog.at_level("INFO", logger="xiaodian.jobs"):
        assert runner.claim_next(ctx.sessions, now + LEASE + timedelta(seconds=1), "next") == imported
    assert f"import_job {imported} taken over by next (attempt 2)" in caplog.text
    assert _fields({"shop_id": 1, "overdue": 3, "reminders": 0, "skipped": False}) == "shop_id=1 overdue=3"
