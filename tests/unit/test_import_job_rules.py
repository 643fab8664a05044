"""Rules of an import job (imports/domain.py): how far a worker got, and what a job keeps of its report."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from xiaodian.channels.exportfile.rows import RowError
from xiaodian.channels.exportfile.service import ImportReport
from xiaodian.imports.domain import KEPT_REJECTIONS, percent, stored_report


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=10**12))
def test_progress_stays_within_0_and_100_and_is_100_only_at_the_end(done, size):
    shown = percent(min(done, size), size)
    assert 0 <= shown <= 100
    assert (shown == 100) == (min(done, size) == size)


def test_an_empty_file_is_done():
    assert percent(0, 0) == 100


def test_the_kept_report_counts_every_rejection_and_keeps_the_first_ones_in_row_order():
    errors = [RowError(row, "收件人手机号", "phone_invalid", f"row {row}") for row in range(2, KEPT_REJECTIONS + 12)]
    report = ImportReport(created=3, updated=1, unchanged=2, rejected=errors, dry_run=True,
                          orders={"created": 3, "updated": 1, "unchanged": 2, "rejected": 7},
                          ignored_columns=("备注2",))
    kept = stored_report(report)
    assert kept["rejected_total"] == KEPT_REJECTIONS + 10 and len(kept["rejected"]) == KEPT_REJECTIONS
    assert kept["rejected"][0] == {"row": 2, "column": "收件人手机号", "code": "phone_invalid", "message": "row 2"}
    assert (kept["created"], kept["updated"], kept["unchanged"], kept["dry_run"]) == (3, 1, 2, True)
    assert kept["orders"]["rejected"] == 7 and kept["ignored_columns"] == ["备注2"]


@given(st.lists(st.lists(st.integers(min_value=2, max_value=60), max_size=12), max_size=8),
       st.integers(min_value=1, max_value=6))
def test_keeping_the_first_rejections_batch_by_batch_keeps_what_sorting_them_all_keeps(batches, keep):
    """An import job keeps its first rejections up to date batch by batch (for its checkpoint) instead of sorting
    all of them each time: the result must be the first ones of the whole file, in row order."""
    from xiaodian.imports import domain

    kept: list[RowError] = []
    every: list[RowError] = []
    for rows in batches:
        new = [RowError(row, "商品数量", "quantity_invalid", f"row {row}") for row in rows]
        kept = domain.first_rejections(kept, new, limit=keep)
        every += new
    assert kept == sorted(every, key=domain.rejection_order)[:keep]


def test_a_checkpoint_counts_every_rejection_but_lists_only_the_kept_ones():
    from xiaodian.imports.domain import checkpoint

    errors = [RowError(row, "商品数量", "quantity_invalid", f"row {row}") for row in (9, 4, 7)]
    report = ImportReport(created=5, rejected=errors, orders={"created": 5, "updated": 0, "unchanged": 0,
                                                              "rejected": 3})
    saved = checkpoint(report, 8, sorted(errors, key=lambda e: e.row)[:2], attempt=1, resumed_from=0)
    assert saved["orders_done"] == 8
    assert saved["report"]["rejected_total"] == 3 and [e["row"] for e in saved["report"]["rejected"]] == [4, 7]


def test_where_the_current_attempt_took_over_is_the_dead_workers_last_commit_not_its_own_progress():
    """The page says after how many orders the dead worker stopped; the current attempt's own checkpoints move on
    and must not change that figure (seen on the demo: it said 30,000 where the dead worker had stopped at 20,000)."""
    from xiaodian.imports.domain import checkpoint, resumed_from

    report = ImportReport()
    first = checkpoint(report, 20000, [], attempt=1, resumed_from=0)
    assert resumed_from(None, 2) is None and resumed_from(first, 1) is None  # from the start
    assert resumed_from(first, 2) == 20000  # taken over, nothing committed yet by attempt 2
    second = checkpoint(report, 30000, [], attempt=2, resumed_from=20000)
    assert resumed_from(second, 2) == 20000  # attempt 2 moved on
    assert resumed_from(second, 3) == 30000  # and died in turn
    assert resumed_from(checkpoint(report, 5000, [], attempt=2, resumed_from=0), 2) is None  # attempt 1 wrote none
