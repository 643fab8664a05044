"""Import an order export file: read → validate every row → group into orders → idempotent upsert.

One transaction per batch of orders, so a killed import leaves whole batches and a re-run finishes the
job (the upsert is idempotent). An import job (imports/) also keeps, in each batch's transaction, how many of the
file's orders are done and its report so far, and a worker taking over from a dead one resumes there.

A dry run does the same work, batch by batch, and rolls each batch back, so its report is exactly what the real
import would change (each order lies in one batch, and no batch reads what another wrote) while it holds SQLite's
write lock no longer than the import does: one dry-run transaction over a whole file held it for minutes, and every
other writer (a clerk shipping an order, a push from the platform, the dry run's own progress report when run as a
job) gave up after the busy timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ...accounts import audit
from ...accounts.permissions import check
from ...accounts.service import Principal
from ...db import PlannerStatistics, mark_dry_run
from ...orders.intake import BULK_TABLES, upsert_orders
from ...privacy.crypto import PiiCipher
from ...privacy.masking import MASKED_MOBILE
from .grouping import OrderGroup, build_order, order_groups, scattered_orders, sibling_rejections
from .reader import FileUnreadable, open_export
from .rows import ParsedRow, RowError, RowParser
from .spool import RowSpool

# Orders per transaction. Each commit writes the touched index pages (order id, phone and last-4 hashes are
# random keys, so a batch touches pages all over their B-trees) to the WAL and checkpoints them: at 200,000
# orders, 1,000 per batch spent 9.3 s of 39 s CPU in commits, 5,000 per batch 3.5 s (7,000 rows/s instead of
# 5,900; 10,000 gains nothing more, benchmarks/RESULTS-import.md). A batch holds SQLite's write lock for ~0.7 s,
# which other writers (a clerk shipping an order) wait out under busy_timeout.
BATCH_ORDERS = 5000
# ...and at most this much of the file per transaction, so memory stays flat whatever the rows hold: an export
# with 3,000-character buyer notes would otherwise keep 5,000 orders' worth (~45 MB) of text per batch.
BATCH_BYTES = 8 * 1024 * 1024
Progress = Callable[[int, int], None]  # (bytes read, file size)
# Called in each committed transaction of an import, just before its commit: (session, report so far, orders done,
# whether it is the last one: the import's audit entry, after the last batch)
OnCommit = Callable[[Session, "ImportReport", int, bool], None]

# Warnings listed with a report (the count is kept whole): a file whose every row warns needs no million lines.
KEPT_WARNINGS = 500
# Which export column an upsert rejection is about.
_FIELD_COLUMNS = {"status": "订单状态", "sku_order_id": "子订单编号", "order_id": "主订单编号",
                  "created_at": "订单提交时间"}


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), counted in rows as the merchant's file has them.
    Orders are counted separately: a multi-SKU order is several rows but one order."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    orders: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0,
                                                            "rejected": 0})
    file_kind: str = ""
    encoding: str | None = None
    ignored_columns: tuple[str, ...] = ()
    # rejections counted but no longer listed: an earlier attempt of a resumed job kept only its first ones
    rejected_unlisted: int = 0
    # rows imported as the file gives them but worth a look (rows.ParsedRow.warning), the first KEPT_WARNINGS in
    # the file's order, and how many more there were
    warnings: list[RowError] = field(default_factory=list)
    warnings_unlisted: int = 0
    # orders whose buyer data the file gives masked (138****5678, 王**), and the first one's (row, order id): one
    # buyer_data_masked note for the file, not one per row
    masked_orders: int = 0
    masked_first: tuple[int, str] | None = None

    @property
    def warnings_total(self) -> int:
        return len(self.warnings) + self.warnings_unlisted

    def warn(self, warning: RowError) -> None:
        if len(self.warnings) < KEPT_WARNINGS:
            self.warnings.append(warning)
        else:
            self.warnings_unlisted += 1

    @property
    def rejected_total(self) -> int:
        return len(self.rejected) + self.rejected_unlisted

    @property
    def exit_code(self) -> int:
        """CLI contract: 0 every row accepted, 1 some rows rejected (the rest imported)."""
        return 1 if self.rejected_total else 0

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected_total

    def as_json(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": [e.as_dict() for e in self.rejected], "dry_run": self.dry_run,
                "warnings": [e.as_warning() for e in self.warnings], "warnings_total": self.warnings_total}


@dataclass
class Resume:
    """Where an earlier attempt at the same import stopped (an import job whose worker died): the file's first
    ``orders_done`` orders were committed and ``report`` counted them. The import reads past them without writing
    and counts on, so the report is the one a single clean run gives: orders the dead worker created count as
    created, not as unchanged."""

    orders_done: int
    report: ImportReport


def import_order_file(sessions: sessionmaker[Session], *, shop_id: int, path: str | Path, cipher: PiiCipher,
                      now: datetime, dry_run: bool = False, actor: str | None = None,
                      progress: Progress | None = None, batch_orders: int = BATCH_ORDERS,
                      principal: Principal | None = None, resume: Resume | None = None,
                      on_commit: OnCommit | None = None, file_name: str | None = None) -> ImportReport:
    """Import ``path`` for ``shop_id``. Raises FileUnreadable (nothing imported) when the file as a whole
    cannot be read; row problems are reported, never raised. With a ``principal`` (every user-facing
    channel passes one) the role is checked here and a real import is written to the audit log.
    ``resume`` carries on from an earlier attempt; ``on_commit`` is called in each batch's transaction before it
    commits, and in the last one's (the audit entry), not in a dry run; it may raise to roll that one back.
    ``file_name``: the name the person uploaded the file under, which the audit log names (the stored copy's is an
    id nobody knows: QA pass 9, #14)."""
    if resume is not None and dry_run:
        raise ValueError("a dry run commits nothing, so there is nothing to resume")
    if principal is not None:
        check(principal.role, "orders.import")
        actor = actor or principal.login
    first = open_export(path)
    spool = RowSpool() if first.kind == "xlsx" else None  # a workbook is parsed once (spool.py)
    try:
        if spool is not None:
            first.rows = spool.recording(first.rows)
        scattered = scattered_orders(first)
    except BaseException:
        if spool is not None:
            spool.close()
        raise
    finally:
        first.close()
    export = spool.replay(first) if spool is not None else open_export(path)
    report = resume.report if resume is not None else ImportReport(dry_run=dry_run)
    report.file_kind, report.encoding, report.ignored_columns = export.kind, export.encoding, export.columns.ignored
    parser = RowParser(export.columns)
    session = sessions()
    try:
        if dry_run:
            mark_dry_run(session)
        statistics = PlannerStatistics(session, BULK_TABLES)
        groups = order_groups(export, parser, scattered)
        done = 0
        if resume is not None:
            done = _skip(groups, resume.orders_done, export, progress)
            parser.skipped.clear()  # the earlier attempt's report has them
        elif first.passed_sheets:
            report.warn(_sheet_warning(first))
        for batch in _batches(export, groups, batch_orders, BATCH_BYTES):
            _apply_batch(session, batch, report, shop_id=shop_id, cipher=cipher, now=now, actor=actor,
                         principal=principal)
            for skipped in parser.skipped:  # totals rows read with this batch (rows.RowParser.skipped)
                report.warn(skipped)
            parser.skipped.clear()
            done += len(batch)
            if dry_run:
                session.rollback()
                mark_dry_run(session)  # the next batch's transaction is a dry run too
            else:
                if on_commit is not None:
                    on_commit(session, report, done, False)
                session.commit()
                statistics.written_so_far(session, report.orders["created"] + report.orders["updated"])
            if progress:
                progress(_consumed(export), export.size)
        if report.masked_orders:
            report.warn(_masked_warning(report))
        if dry_run:
            session.rollback()
        else:
            if principal is not None:
                audit.record(session, principal=principal, action="orders.import", now=now, shop_id=shop_id,
                             target_type="file", target_id=(file_name or Path(path).name)[:64],
                             detail={"created": report.created, "updated": report.updated,
                                     "unchanged": report.unchanged, "rejected": report.rejected_total})
            if on_commit is not None:
                on_commit(session, report, done, True)
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        export.close()
    if progress:
        progress(export.size, export.size)
    report.rejected.sort(key=lambda e: (e.row, e.column))
    return report


def _skip(groups, orders: int, export, progress: Progress | None) -> int:
    """Read past the first ``orders`` orders (an earlier attempt committed them); returns how many there were."""
    skipped = 0
    while skipped < orders:
        step = sum(1 for _ in islice(groups, min(BATCH_ORDERS, orders - skipped)))
        if step == 0:
            break  # the file is shorter than it was: the parked copy never changes, so this is not expected
        skipped += step
        if progress:
            progress(_consumed(export), export.size)
    return skipped


def _consumed(export) -> int:
    """Bytes of the file read so far; the whole file once the reader has reached the end and closed it."""
    try:
        return export.position()
    except ValueError:
        return export.size


# How often (in orders) a batch checks how much of the file it has read: asking the file for its position is a
# system call, and once per order it was 2 % of a first import. A batch overshoots max_bytes by at most this many
# orders (~0.6 MB with 3,000-character notes).
_BYTES_CHECK_EVERY = 64


def _batches(export, groups, size: int, max_bytes: int):
    """Orders in batches of ``size``, cut early once the batch has read ``max_bytes`` of the file."""
    batch: list[OrderGroup] = []
    start = _consumed(export)
    for group in groups:
        batch.append(group)
        if len(batch) >= size or (len(batch) % _BYTES_CHECK_EVERY == 0 and _consumed(export) - start >= max_bytes):
            yield batch
            batch = []
            start = _consumed(export)
    if batch:
        yield batch


def _apply_batch(session: Session, batch: list[OrderGroup], report: ImportReport, *, shop_id: int,
                 cipher: PiiCipher, now: datetime, actor: str | None, principal: Principal | None = None) -> None:
    records, groups = [], []
    claimed: dict[str, str] = {}  # SKU order id → order in this batch (the upsert checks stored ones)
    for group in batch:
        errors = group.errors()
        if not errors:
            errors = _sku_clash(group, claimed)
        if errors:
            report.rejected.extend(errors)
            report.orders["rejected"] += 1
            continue
        rows: list[ParsedRow] = group.rows  # type: ignore[assignment]
        for r in rows:
            claimed[r.item.sku_order_id] = r.order_id
        records.append(build_order(rows))
        groups.append(group)
    if not records:
        return
    result = upsert_orders(session, shop_id=shop_id, records=records, cipher=cipher, now=now, source="import",
                           actor=actor)
    _after_sales(session, shop_id, records, now, principal)
    rejected_at = {r.index: r for r in result.rejected}
    noted_at: dict[int, list] = {}  # intake's notes on a whole order: an older snapshot, another placing time
    for w in result.warnings:
        noted_at.setdefault(w.index, []).append(w)
    created, updated = set(result.created_ids), set(result.updated_ids)
    for index, (record, group) in enumerate(zip(records, groups, strict=True)):
        count = len(group.rows)
        if index in rejected_at:
            report.rejected.extend(_upsert_rejection(group, rejected_at[index]))
            report.orders["rejected"] += 1
            outcome = None
        elif record.order_id in created:
            outcome = "created"
        elif record.order_id in updated:  # changed something the order shows (intake: not only its digest)
            outcome = "updated"
        else:
            outcome = "unchanged"
        if outcome:
            setattr(report, outcome, getattr(report, outcome) + count)
            report.orders[outcome] += 1
            if outcome != "unchanged" and buyer_data_masked(record):  # an order left as it was keeps its buyer
                report.masked_orders += 1
                report.masked_first = report.masked_first or (group.rows[0].number, record.order_id)
            noted = [_upsert_warning(group, w) for w in noted_at.get(index, ())]
            for warning in sorted([r.warning for r in group.rows if r.warning is not None] + group.repeats + noted,
                                  key=lambda w: w.row):
                report.warn(warning)


def _after_sales(session: Session, shop_id: int, records, now: datetime, principal: Principal | None) -> None:
    """售后状态 per SKU row opens or moves the after-sales desk's cases (issue 6)."""
    ids = [r.order_id for r in records if any(i.after_sale_status for i in r.items)]
    if ids:
        from ...aftersales.intake import from_order_export

        from_order_export(session, shop_id=shop_id, order_ids=ids, now=now, source="import", principal=principal)


def buyer_data_masked(record) -> bool:
    """The file gives this order's buyer masked, as the platform's exports without decryption do (138****5678, 王**,
    科技路5****): the desk can keep only that."""
    return bool((record.buyer_phone and MASKED_MOBILE.match(record.buyer_phone))
                or (record.buyer_name and "*" in record.buyer_name) or (record.address and "*" in record.address))


def _masked_warning(report: ImportReport) -> RowError:
    """One note for a file of masked buyers (QA pass 14, #4): they are kept as given, so nobody later wonders why a
    full phone number finds nothing or showing the buyer shows stars."""
    row, order_id = report.masked_first or (0, "")
    return RowError(row, "收件人手机号", "buyer_data_masked",
                    f"{report.masked_orders} order(s) of this file give the buyer masked (a phone such as 138****5678, "
                    "a name such as 王**): they are kept as given, so the last 4 digits of the phone find them but the "
                    "full number does not, and showing the buyer shows the masked copy", order_key=order_id,
                    details={"orders": report.masked_orders})


def _sheet_warning(export) -> RowError:
    """The orders came from a later sheet of the workbook: the report says which, so nobody wonders what became of
    the first one (QA pass 14, #3)."""
    passed = "、".join(export.passed_sheets)
    return RowError(export.header_row, "", "order_sheet_not_first",
                    f"orders read from sheet {export.sheet} (header row {export.header_row}); sheet(s) {passed} "
                    "before it have no order header and were not imported",
                    details={"sheet": export.sheet, "passed": list(export.passed_sheets), "row": export.header_row})


def _sku_clash(group: OrderGroup, claimed: dict[str, str]) -> list[RowError]:
    for r in group.rows:
        owner = claimed.get(r.item.sku_order_id)
        if owner is not None and owner != r.order_id:
            bad = RowError(r.number, "子订单编号", "sku_order_id_conflict",
                           f"SKU order {r.item.sku_order_id} already belongs to order {owner}")
            return sibling_rejections(group, [bad], r.order_id)
    return []


def _upsert_warning(group: OrderGroup, warning) -> RowError:
    """An upsert's warning about a whole order (an older snapshot, skipped), on the order's first row."""
    first: ParsedRow = group.rows[0]  # type: ignore[assignment]
    return RowError(first.number, _FIELD_COLUMNS.get(warning.field, warning.field), warning.code, warning.message,
                    order_key=first.order_id)


def _upsert_rejection(group: OrderGroup, rejection) -> list[RowError]:
    rows: list[ParsedRow] = group.rows  # type: ignore[assignment]
    column = _FIELD_COLUMNS.get(rejection.field, rejection.field)
    culprit = next((r for r in rows if r.item.sku_order_id in rejection.message), rows[0]) \
        if rejection.field == "sku_order_id" else rows[0]
    bad = RowError(culprit.number, column, rejection.code, rejection.message)
    return sibling_rejections(group, [bad], culprit.order_id)


__all__ = ["FileUnreadable", "ImportReport", "Resume", "import_order_file"]
