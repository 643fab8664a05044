"""Import an after-sale export (CSV or XLSX, Chinese or English headers): read → validate every row → upsert
each case as a snapshot (intake.upsert_case). Re-importing a later export records status and reason changes
as history; re-importing the same file changes nothing. A dry run does the work and rolls it back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..channels.exportfile.columns import ColumnMap, canonical
from ..channels.exportfile.reader import named_columns, open_export
from ..channels.exportfile.rows import RowError
from ..channels.exportfile.values import BadValue, china_time, fen, optional_text, platform_id, text
from ..errors import DomainError
from ..whole_numbers import whole_number
from . import domain, reasons
from .intake import CaseSnapshot, upsert_cases
from .service import BuyerReason

# canonical name → (Chinese header, English header); the first five are required.
COLUMNS = {
    "aftersale_id": "售后单号", "order_id": "订单号", "type": "售后类型", "status": "售后状态", "applied_at": "申请时间",
    "sku_order_id": "子订单号", "reason": "售后原因", "reason_code": "原因编码", "remark": "买家备注",
    "evidence_count": "凭证数量", "refund_amount": "退款金额", "postage_amount": "退运费", "quantity": "申请数量",
    "return_tracking_no": "退货快递单号", "status_deadline": "逾期时间",
}
REQUIRED = ("aftersale_id", "order_id", "type", "status", "applied_at")
ALIASES = {v: k for k, v in COLUMNS.items()} | {k: k for k in COLUMNS} | {
    "主订单编号": "order_id", "订单编号": "order_id", "子订单编号": "sku_order_id", "售后ID": "aftersale_id",
    "退款原因": "reason", "申请原因": "reason", "申请金额": "refund_amount", "退货运单号": "return_tracking_no",
    "超时时间": "status_deadline", "截止时间": "status_deadline",
}
BATCH = 500


def _name(cell: object) -> str:
    raw = canonical(cell)
    return ALIASES.get(raw, ALIASES.get(raw.lower(), raw))


AFTERSALE_FILE = named_columns(COLUMNS, REQUIRED, _name, 3,
                               "an after-sale export (售后单号, 订单号, 售后类型, 售后状态, 申请时间)",
                               describe_missing=lambda c: COLUMNS[c] + "/" + c)


@dataclass
class AfterSaleImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected else 0

    def as_json(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": [e.as_dict() for e in self.rejected], "dry_run": self.dry_run}


def parse_row(cells: list, columns: ColumnMap, now: datetime) -> CaseSnapshot:
    """One row → a snapshot, or BadValue naming the column (raised as (column, BadValue))."""
    def cell(name):
        i = columns.index.get(name)
        return cells[i] if i is not None and i < len(cells) else None

    def need(name, parse):
        try:
            return parse(cell(name))
        except BadValue as exc:
            raise _ColumnError(COLUMNS[name], exc) from None

    aftersale_id = need("aftersale_id", lambda c: _id_text(c, "售后单号"))
    order_id = need("order_id", lambda c: platform_id(c, "订单号"))
    sku = need("sku_order_id", lambda c: platform_id(c, "子订单号") if text(c) else None)
    kind = need("type", lambda c: _known(reasons.type_from_text(text(c)), "type_unknown", f"售后类型 {text(c)!r}"))
    status_text = text(cell("status"))
    status = need("status", lambda c: _known(reasons.status_from_text(status_text), "status_unknown",
                                              f"售后状态 {status_text!r}"))
    applied = need("applied_at", lambda c: china_time(c, "申请时间", required=True))
    reason_text = need("reason", lambda c: optional_text(c, "售后原因", 100))
    reason = None
    if reason_text:
        evidence = need("evidence_count", lambda c: _evidence_count(text(c)))
        reason = BuyerReason(reason_text, need("reason_code", lambda c: optional_text(c, "原因编码", 32)),
                             need("remark", lambda c: optional_text(c, "买家备注", 500)), min(evidence, 8))
    quantity = need("quantity", lambda c: whole_number(text(c), 6))
    return CaseSnapshot(
        aftersale_id=aftersale_id, order_id=order_id, case_type=kind, status=status, applied_at=applied,
        sku_order_id=sku, reason=reason, refund_fen=need("refund_amount", lambda c: fen(c, "退款金额", required=False)) or 0,
        postage_fen=need("postage_amount", lambda c: fen(c, "退运费", required=False)) or 0, quantity=quantity,
        return_tracking_no=need("return_tracking_no", lambda c: optional_text(c, "退货快递单号", 40)),
        due_by=need("status_deadline", lambda c: china_time(c, "逾期时间")),
        buyer_cancelled=status_text in reasons.BUYER_CANCEL_TEXTS, seen_at=now,
        refund_status=reasons.REFUND_PROGRESS_BY_TEXT.get(status_text))


class _ColumnError(Exception):
    def __init__(self, column: str, error: BadValue):
        self.column, self.error = column, error


def _evidence_count(value: str) -> int:
    """凭证数量: empty is none; anything but a whole number is named."""
    if not value:
        return 0
    count = whole_number(value, 6)
    return count if count is not None else _bad("value_invalid", "凭证数量 must be a whole number")


def _bad(code: str, message: str):
    raise BadValue(code, message)


def _known(value, code: str, what: str):
    if value is None:
        raise BadValue(code, f"{what} is not an after-sale type/status the desk knows")
    return value


def _id_text(cell, what: str) -> str:
    """After-sale ids are numeric text like order ids, but their length varies: keep digits as text."""
    value = text(cell).lstrip("\t'").strip()
    if isinstance(cell, float) or "E+" in value.upper():
        raise BadValue("id_scientific_notation", f"{what} was turned into a number by a spreadsheet; export again")
    if not value or len(value) > 40:
        raise BadValue("value_missing" if not value else "id_invalid", f"{what} is empty or too long")
    return value


def import_aftersale_file(sessions: sessionmaker[Session], *, shop_id: int, path: str | Path, now: datetime,
                          principal: Principal, dry_run: bool = False,
                          rules: domain.Deadlines | None = None) -> AfterSaleImportReport:
    """Raises FileUnreadable when the file as a whole cannot be read; row problems are reported."""
    check(principal.role, "orders.import")
    export = open_export(path, header=AFTERSALE_FILE)
    report = AfterSaleImportReport(dry_run=dry_run)
    session = sessions()
    try:
        batch: list[tuple[int, CaseSnapshot]] = []
        for row in export.rows:
            try:
                batch.append((row.number, parse_row(row.cells, export.columns, now)))
            except _ColumnError as exc:
                report.rejected.append(RowError(row.number, exc.column, exc.error.code, exc.error.message))
            if len(batch) >= BATCH:
                _apply(session, shop_id, batch, report, now, principal, rules, dry_run)
                batch = []
        _apply(session, shop_id, batch, report, now, principal, rules, dry_run)
        if dry_run:
            session.rollback()
        else:
            audit.record(session, principal=principal, action="aftersales.import", now=now, shop_id=shop_id,
                         target_type="file", target_id=Path(path).name[:64],
                         detail={"created": report.created, "updated": report.updated,
                                 "unchanged": report.unchanged, "rejected": len(report.rejected)})
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        export.close()
    report.rejected.sort(key=lambda e: (e.row, e.column))
    return report


def _apply(session, shop_id, batch, report, now, principal, rules, dry_run) -> None:
    if not batch:
        return
    outcomes = upsert_cases(session, shop_id=shop_id, snaps=[s for _, s in batch], now=now, source="import",
                            principal=principal, rules=rules)
    for (number, _snap), outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, DomainError):
            column = {"order_not_found": "订单号", "not_found": "订单号", "item_not_in_order": "子订单号"}.get(
                outcome.code, "售后状态")
            report.rejected.append(RowError(number, column, outcome.code, outcome.message))
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
    if dry_run:
        session.flush()
    else:
        session.commit()
