"""Tracking-events file (CSV or XLSX) for carriers without an integration: 快递单号/tracking_no, 快递公司/carrier,
时间/time (shop time), 状态码/state (Kuaidi100 code), 地点/location, 描述/context. Read with the order import's
streaming reader; a verdict per row; duplicate scans (same package, time and text) are ignored, so importing the
same file again changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..clock import SHOP_TZ
from ..channels.exportfile.columns import ColumnMap
from ..channels.exportfile.reader import named_columns, open_export
from ..channels.exportfile.values import BadValue, china_time, text
from ..shipping.domain import CARRIER_BY_CODE, find_carrier
from .domain import KNOWN_CODES
from .ingest import Scan, find_parcels, record_scans

NUMBER, CARRIER, TIME, STATE, LOCATION, CONTEXT = "快递单号", "快递公司", "时间", "状态码", "地点", "描述"
COLUMNS = (NUMBER, CARRIER, TIME, STATE, LOCATION, CONTEXT)
REQUIRED = (NUMBER, TIME, CONTEXT)
ALIASES = {"tracking_no": NUMBER, "运单号": NUMBER, "物流单号": NUMBER, "carrier": CARRIER, "物流公司": CARRIER,
           "time": TIME, "轨迹时间": TIME, "state": STATE, "状态": STATE, "location": LOCATION, "context": CONTEXT,
           "轨迹描述": CONTEXT, "物流信息": CONTEXT}
BATCH = 2000
MAX_STATE_DIGITS = 6  # Kuaidi100 state codes are short (0 … 14, sub-states like 1001); an INTEGER column holds 9 safely
FUTURE_SLACK = timedelta(hours=1)  # clocks drift; a scan hours ahead of now is a typo (wrong year, wrong month)


def _name(cell: object) -> str:
    raw = ("" if cell is None else str(cell)).replace("\ufeff", "").strip().strip("'\"").strip()
    return ALIASES.get(raw.lower(), ALIASES.get(raw, raw))


TRACKING_FILE = named_columns(COLUMNS, REQUIRED, _name, 3, "a tracking-events file (快递单号, 时间, 描述)")


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected else 0

    def as_json(self) -> dict:
        return asdict(self)


def _parse(number: int, cells: list, columns: ColumnMap, report: ImportReport,
           now: datetime) -> tuple[str, Scan, str] | None:
    def cell(name):
        position = columns.index.get(name)
        return cells[position] if position is not None and position < len(cells) else None

    def reject(column: str, code: str, message: str, **details) -> None:
        report.rejected.append({"row": number, "column": column, "code": code, "message": message,
                                "details": details})

    tracking = "".join(text(cell(NUMBER)).split()).upper()
    if not tracking:
        reject(NUMBER, "tracking_empty", "the tracking number is empty")
        return None
    try:
        at = china_time(cell(TIME), TIME, required=True)
    except BadValue as exc:
        reject(TIME, exc.code, exc.message)
        return None
    context = text(cell(CONTEXT))
    if not context:
        reject(CONTEXT, "context_empty", "the scan text (描述) is empty")
        return None
    raw_state = text(cell(STATE))
    code = None
    if raw_state:
        digits = raw_state[1:] if raw_state.startswith("-") else raw_state
        # ASCII digits only ("²" and "١" pass str.isdigit but not int()), and a size the column can hold
        if not (digits.isascii() and digits.isdigit()) or len(digits) > MAX_STATE_DIGITS:
            reject(STATE, "state_not_numeric", f"状态码 must be a Kuaidi100 state number, got {raw_state[:20]!r}",
                   value=raw_state[:20])
            return None
        code = int(raw_state)
        if code not in KNOWN_CODES:
            reject(STATE, "state_unknown", f"状态码 {code} is not a Kuaidi100 state (0–8, 10–14, 101–103, 201–210, "
                                           "301–304, 401, 501, 1001–1003)", value=code)
            return None
    if at > now + FUTURE_SLACK:
        reject(TIME, "date_in_future", f"时间 {at.astimezone(SHOP_TZ):%Y-%m-%d %H:%M} is in the future; a scan "
                                       "cannot have happened yet", at=f"{at.astimezone(SHOP_TZ):%Y-%m-%d %H:%M}")
        return None
    scan = Scan(at=at, context=context, code=code, location=text(cell(LOCATION))[:100])
    return tracking, scan, text(cell(CARRIER)).strip()


def _carrier_fits(parcel_carrier: str | None, named: str) -> bool:
    """A row naming no carrier, or a parcel whose carrier the desk does not know (none, 其他), fits; otherwise the
    named carrier (code, Chinese or English name, short name) must be the parcel's: another carrier's scan under
    the same number belongs to some other parcel, and would sign or return this one."""
    if not named or parcel_carrier in (None, "qita"):
        return True
    found = find_carrier(named)
    return found is not None and found.code == parcel_carrier


def import_tracking_file(sessions: sessionmaker[Session], *, shop_id: int, path: str | Path, principal: Principal,
                         now: datetime) -> ImportReport:
    """Apply every readable row; rows for numbers the desk does not know are rejected (ship or import the order
    first). Raises FileUnreadable when the file as a whole cannot be read."""
    check(principal.role, "logistics.handle")
    export = open_export(path, header=TRACKING_FILE)
    report = ImportReport()
    pending: dict[str, list[tuple[int, Scan]]] = defaultdict(list)
    try:
        for row in export.rows:
            if not any(text(c) for c in row.cells):
                continue
            report.rows += 1
            parsed = _parse(row.number, row.cells, export.columns, report, now)
            if parsed:
                pending[parsed[0]].append((row.number, parsed[1], parsed[2]))
            if sum(len(v) for v in pending.values()) >= BATCH:
                _apply(sessions, shop_id, pending, now, report)
                pending.clear()
        _apply(sessions, shop_id, pending, now, report)
    finally:
        export.close()
    with sessions.begin() as session:
        audit.record(session, principal=principal, action="logistics.import_tracking", now=now, shop_id=shop_id,
                     target_type="file", target_id=Path(path).name[:64],
                     detail={"rows": report.rows, "added": report.added, "duplicates": report.duplicates,
                             "rejected": len(report.rejected)})
    return report


def _apply(sessions, shop_id: int, pending: dict, now: datetime, report: ImportReport) -> None:
    if not pending:
        return
    with sessions.begin() as session:
        for tracking, items in pending.items():
            parcels = find_parcels(session, shop_id, tracking, now)
            if not parcels:
                for number, _scan, _carrier in items:
                    report.rejected.append({"row": number, "column": NUMBER, "code": "tracking_unknown",
                                            "message": f"{tracking} is not on any order in the desk",
                                            "details": {"tracking_no": tracking}})
                continue
            by_parcel: dict[int, list[Scan]] = defaultdict(list)
            for number, scan, carrier in items:
                fitting = [p for p in parcels if _carrier_fits(p.carrier_code, carrier)]
                if not fitting:
                    known = CARRIER_BY_CODE.get(parcels[0].carrier_code)
                    theirs = f"{known.name} ({known.code})" if known else parcels[0].carrier_code
                    report.rejected.append({"row": number, "column": CARRIER, "code": "carrier_mismatch",
                                            "message": f"快递公司 {carrier[:40]!r} is not the carrier of {tracking}: "
                                                       f"it was shipped with {theirs}",
                                            "details": {"named": carrier[:40], "tracking_no": tracking,
                                                        "carrier": known.name if known else theirs}})
                    continue
                for parcel in fitting:
                    by_parcel[parcel.shipment_id].append(scan)
            for parcel in parcels:
                scans = by_parcel.get(parcel.shipment_id)
                if scans:
                    added = record_scans(session, parcel, scans, source="file", now=now)
                    report.added += added
                    report.duplicates += len(scans) - added
