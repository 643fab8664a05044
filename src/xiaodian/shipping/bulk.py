"""Ship from a file (the platform's 批量发货 template: 订单号, 快递公司 name or code, 快递单号; or the desk's own,
template.py).

Read with the order import's streaming CSV/XLSX reader → a verdict per row (ok / warning / held / unchanged /
skipped (carrier and number both blank) / error and why) → apply only the accepted rows, in batches of one
transaction each. A row whose number is already on its order is "unchanged", so uploading the same file again
changes nothing. Warning rows (the buyer changed the address since the order came in, or a number of unusual shape)
ship only when confirmed, as a single shipment does: the web's preview shows each with a box to tick ("checked: ship
anyway", unticked), and only a ticked row ships, with no more than the preview showed (QA pass 10, D14: one Apply
shipped every warned row unconfirmed); an unticked one is held, and so is one whose warning came up since. A file
applied directly (CLI, API) holds them back ("held", nothing written) unless the caller confirms each kind
(confirm_address_change, confirm_warnings).

A tracking number on two or more rows for different orders is ambiguous: which parcel does it belong to? Every one
of those rows is refused (not only the later ones: QA pass 9, #13, row 5 shipped with row 25's number), each naming
the other rows, and nothing of them ships until the file is corrected. The same order twice is refused on its later
row (duplicate_order_in_file), as before: the earlier row ships and nothing is lost. The report keeps each column's
header as the file spells it (物流单号, 订单编号…), so the page can say which column a problem is in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..channels.exportfile.columns import ColumnMap, canonical
from ..channels.exportfile.reader import HeaderSpec, named_columns, open_export
from ..channels.exportfile.values import BadValue, platform_id, text
from ..errors import Conflict, DomainError
from ..orders.models import Order, Shipment
from . import domain
from .models import ShipmentItem
from .queries import get_settings
from .service import ShipPlan, ShipRequest, apply_plans, plan_shipment, refunded_skus

ORDER, CARRIER, NUMBER = "订单号", "快递公司", "快递单号"
ALIASES = {"主订单编号": ORDER, "订单编号": ORDER, "店铺单号": ORDER, "订单ID": ORDER, "物流公司": CARRIER,
           "快递公司编码": CARRIER, "物流公司编码": CARRIER, "运单号": NUMBER, "物流单号": NUMBER}
COLUMNS = (ORDER, CARRIER, NUMBER)
BATCH = 500


def _name(cell: object) -> str:
    name = canonical(cell)
    return ALIASES.get(name, name)


BULK_SHIP_FILE = named_columns(COLUMNS, COLUMNS, _name, 2, "a bulk-ship file (订单号, 快递公司, 快递单号)")


def _header_noting(spelled: dict[str, str]) -> HeaderSpec:
    """BULK_SHIP_FILE, noting in ``spelled`` each column's header as the file writes it (订单编号 for 订单号)."""

    def map_header(cells: list[object]):
        for cell in cells:
            name = _name(cell)
            if name in COLUMNS:
                spelled.setdefault(name, str(cell).replace("\ufeff", "").strip().strip("'\"").strip() or name)
        return BULK_SHIP_FILE.map_header(cells)

    return HeaderSpec(map_header, BULK_SHIP_FILE.looks_like_header, BULK_SHIP_FILE.what)


@dataclass
class RowVerdict:
    row: int
    order_id: str
    carrier: str
    tracking_no: str
    verdict: str = ""  # ok / warning / held (a warning not confirmed) / unchanged / skipped / error ("" undecided)
    column: str = ""
    code: str = ""
    message: str = ""
    applied: bool = False
    details: dict = field(default_factory=dict)  # the error's details: what the page fills its own text with
    # the number as the file has it: a refused row shows it so (tracking_no is the desk's normalised form, upper-cased
    # without spaces or dashes, which the clerk would not find in the file)
    typed: str = ""
    # every warning of an accepted row, each {"code", "message"}: a row can have both kinds, and the preview shows both
    warnings: list[dict] = field(default_factory=list)


@dataclass
class BulkReport:
    dry_run: bool
    rows: list[RowVerdict] = field(default_factory=list)
    file_kind: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # 订单号/快递公司/快递单号 → the file's own header

    def count(self, verdict: str) -> int:
        return sum(1 for r in self.rows if r.verdict == verdict)

    @property
    def rejected(self) -> list[RowVerdict]:
        return [r for r in self.rows if r.verdict == "error"]

    @property
    def shipped(self) -> int:
        if self.dry_run:
            return self.count("ok") + self.count("warning")
        return sum(1 for r in self.rows if r.applied)

    @property
    def held(self) -> list[RowVerdict]:
        return [r for r in self.rows if r.verdict == "held"]

    @property
    def exit_code(self) -> int:
        """1 when a row did not ship for a reason someone must look at: rejected, or held for a confirmation."""
        return 1 if self.rejected or self.held else 0

    def as_json(self) -> dict:
        """Like the import report: counts, then every rejected row with row, column, stable code, message."""
        return {"shipped": self.shipped, "unchanged": self.count("unchanged"), "skipped": self.count("skipped"),
                "warnings": [{"row": r.row, "column": NUMBER, "code": r.code, "message": r.message}
                             for r in self.rows if r.verdict == "warning"],
                "rejected": [{"row": r.row, "column": r.column, "code": r.code, "message": r.message}
                             for r in self.rejected],
                "held": [{"row": r.row, "column": r.column, "code": r.code, "message": r.message} for r in self.held],
                "dry_run": self.dry_run, "headers": dict(self.headers), "rows": [asdict(r) for r in self.rows]}


def _parse(row_number: int, cells: list, columns: ColumnMap, seen_orders: dict, numbered: dict) -> RowVerdict:
    def cell(name):
        position = columns.index.get(name)
        return cells[position] if position is not None and position < len(cells) else None

    carrier_text, number_raw = text(cell(CARRIER)), text(cell(NUMBER))
    verdict = RowVerdict(row_number, text(cell(ORDER))[:40], carrier_text[:40], domain.normalise_tracking(number_raw),
                         typed=number_raw[:40])
    if not carrier_text and not number_raw:
        # A template row the warehouse has not filled in yet (template.py): not an error, nothing to ship.
        verdict.verdict, verdict.message = "skipped", "no carrier and no tracking number yet: skipped"
        return verdict
    try:
        verdict.order_id = platform_id(cell(ORDER), ORDER)
    except BadValue as exc:
        return _error(verdict, ORDER, exc.code, exc.message)
    carrier = domain.find_carrier(carrier_text)
    if carrier is None:
        return _error(verdict, CARRIER, "carrier_unknown", f"unknown carrier {carrier_text!r}",
                      {"carrier": carrier_text[:40]})
    verdict.carrier = carrier.code
    problem = domain.tracking_problem(verdict.tracking_no)
    if problem:
        return _error(verdict, NUMBER, problem.value, "the tracking number is empty" if not number_raw
                      else f"{number_raw[:40]!r} is not a tracking number (letters and digits, 8–32 long)")
    numbered.setdefault(verdict.tracking_no, []).append(verdict)
    earlier = seen_orders.get(verdict.order_id)
    if earlier is not None:
        return _error(verdict, ORDER, "duplicate_order_in_file",
                      f"order {verdict.order_id} is already on row {earlier}", {"order_id": verdict.order_id,
                                                                               "row": earlier})
    seen_orders[verdict.order_id] = row_number
    return verdict


def _hold_shared_numbers(numbered: dict[str, list[RowVerdict]]) -> None:
    """Refuse every row whose number is also on another row for a different order, naming the other rows: the
    number can belong to one parcel only, and the file does not say which (QA pass 9, #13). A row already refused
    as the same order again keeps that reason."""
    for number, rows in numbered.items():
        if len({r.order_id for r in rows}) < 2:
            continue
        for v in rows:
            if v.verdict:
                continue
            others = [r.row for r in rows if r is not v]
            listed = ", ".join(str(n) for n in others)
            _error(v, NUMBER, "duplicate_tracking_in_file",
                   f"{number} is also on row{'s' if len(others) > 1 else ''} {listed} of this file for another order: "
                   "none of these rows ships until the file is corrected",
                   {"tracking_no": number, "row": others[0], "rows": others})


def _error(verdict: RowVerdict, column: str, code: str, message: str, details: dict | None = None) -> RowVerdict:
    verdict.verdict, verdict.column, verdict.code, verdict.message = "error", column, code, message
    verdict.details = details or {}
    return verdict


def _judge(session: Session, shop_id: int, batch: list[RowVerdict]) -> list[tuple[RowVerdict, ShipPlan]]:
    """Verdicts for a batch of parsed rows against the stored orders; returns the plans of accepted rows."""
    live = [v for v in batch if not v.verdict]
    if not live:
        return []
    orders = {o.order_id: o for o in session.execute(
        select(Order).where(Order.shop_id == shop_id, Order.order_id.in_([v.order_id for v in live]))).scalars()}
    owners = dict(session.execute(
        select(Shipment.tracking_no, Order.order_id).join(Order, Order.id == Shipment.order_pk)
        .where(Shipment.shop_id == shop_id, Shipment.tracking_no.in_([v.tracking_no for v in live]))).all())
    shipped: dict[int, set[str]] = {o.id: set() for o in orders.values()}
    if shipped:
        for pk, sku in session.execute(select(ShipmentItem.order_pk, ShipmentItem.sku_order_id)
                                       .where(ShipmentItem.order_pk.in_(list(shipped)))):
            shipped[pk].add(sku)
    refunded = refunded_skus(session, list(shipped))
    plans = []
    for v in live:
        order = orders.get(v.order_id)
        if order is None:
            _error(v, ORDER, "order_not_found", f"order {v.order_id} is not in the desk (import it first)",
                   {"order_id": v.order_id})
            continue
        if owners.get(v.tracking_no) == v.order_id:
            v.verdict, v.message = "unchanged", "this number is already on the order"
            continue
        try:
            plan = plan_shipment(session, shop_id, ShipRequest(v.order_id, v.carrier, v.tracking_no), order=order,
                                 already=shipped[order.id], owner_of=owners.get(v.tracking_no),
                                 refunded=refunded.get(order.id, set()))
        except DomainError as exc:
            column = NUMBER if exc.code.startswith("tracking") else ORDER
            _error(v, column, exc.code, exc.message, exc.details)
            continue
        v.warnings = []
        if order.address_changed_at is not None:
            # A file's labels may have been printed before the buyer changed the address (推送 105): said first.
            when = domain.shop_month_day_time(order.address_changed_at)
            v.details = {"when": when}
            v.warnings.append({"code": "address_changed",
                               "message": f"the buyer changed the address on {when}: check that this label has the "
                                          "new one"})
        if plan.warnings:  # with what the carrier's numbers look like, and whose this one does (QA pass 13, #12)
            v.warnings.append({"code": plan.warnings[0],
                               "message": domain.shape_mismatch_message(plan.carrier, v.tracking_no),
                               **domain.shape_hint(plan.carrier, v.tracking_no)})
        if v.warnings:
            v.verdict, v.code = "warning", v.warnings[0]["code"]
            v.message = "; ".join(w["message"] for w in v.warnings)
        else:
            v.verdict = "ok"
        plans.append((v, plan))
    return plans


@dataclass(frozen=True)
class Confirmed:
    """What the person applying a file has confirmed for its warning rows: each kind for every row (ShipRequest's two
    confirmations: the CLI's and the API's options), or, when ``seen`` is given (the web, which shows a preview
    first), the warning codes each row (by its number in the file) showed in the preview, of which only the rows in
    ``ticked`` (each row's own "checked: ship anyway" box) are confirmed; nothing else."""

    address_change: bool = False
    warnings: bool = False
    seen: Mapping[int, frozenset[str]] | None = None
    ticked: frozenset[int] = frozenset()


# The confirmation each kind of warning needs: the API's field, the CLI's option.
CONFIRM_WITH = {"address_changed": ("confirm_address_change", "--confirm-address-change"),
                "tracking_shape": ("confirm_warnings", "--confirm-warnings")}


def _unconfirmed(plan: ShipPlan, confirmed: Confirmed) -> list[str]:
    """The warnings of an accepted row nobody has confirmed: each would stop a single shipment (ship_order)."""
    missing = []
    if plan.order.address_changed_at is not None and not confirmed.address_change:
        missing.append("address_changed")
    if plan.warnings and not confirmed.warnings:
        missing.append("tracking_shape")
    return missing


def _unseen(v: RowVerdict, seen: Mapping[int, frozenset[str]]) -> list[dict]:
    """The warnings of a row that its preview did not show (the buyer changed the address after it, say)."""
    shown = seen.get(v.row, frozenset())
    return [w for w in v.warnings if w["code"] not in shown]


def _hold_unseen(v: RowVerdict, unseen: list[dict]) -> None:
    """Hold a row whose warnings changed since its preview was shown: applying confirmed only what it showed."""
    v.verdict, v.column = "held", ORDER if unseen[0]["code"] == "address_changed" else NUMBER
    v.code = unseen[0]["code"]
    v.details = {**v.details, "since_preview": [w["code"] for w in unseen]}
    v.message = ("held back, not shipped: the preview did not show this (it came up after the preview): "
                 + "; ".join(w["message"] for w in unseen) + "; check it, then upload the file again to preview it")


def _hold_unticked(v: RowVerdict) -> None:
    """Hold a warning row of the preview that nobody ticked as checked: seeing a warning is not confirming it."""
    v.verdict, v.column = "held", ORDER if v.warnings[0]["code"] == "address_changed" else NUMBER
    v.code = v.warnings[0]["code"]
    v.details = {**v.details, "unticked": True}
    v.message = ("held back, not shipped: its warning was not ticked as checked in the preview: "
                 + "; ".join(w["message"] for w in v.warnings) + "; check it, then upload the file again to ship it")


def _hold_unconfirmed(plans: list[tuple[RowVerdict, ShipPlan]], confirmed: Confirmed) -> list:
    """Keep the plans that may ship; a row with an unconfirmed warning is held back with what to confirm, so that a
    file applied without a preview (CLI, API) cannot ship a label to the old address unseen (QA #3), nor one applied
    after its preview a warning that came up since (``confirmed.seen``)."""
    kept = []
    for v, plan in plans:
        if confirmed.seen is not None:
            unseen = _unseen(v, confirmed.seen)
            if unseen:
                _hold_unseen(v, unseen)
            elif v.warnings and v.row not in confirmed.ticked:
                _hold_unticked(v)
            else:
                kept.append((v, plan))
            continue
        missing = _unconfirmed(plan, confirmed)
        if not missing:
            kept.append((v, plan))
            continue
        reasons = []
        if "address_changed" in missing:
            when = domain.shop_month_day_time(plan.order.address_changed_at)
            reasons.append(f"the buyer changed the address on {when}: check that this label has the new one")
        if "tracking_shape" in missing:
            reasons.append(domain.shape_mismatch_message(plan.carrier, v.tracking_no))
        v.verdict, v.column = "held", ORDER if missing[0] == "address_changed" else NUMBER
        v.code = "address_changed" if missing[0] == "address_changed" else plan.warnings[0]
        v.details = {**v.details, "confirm": [CONFIRM_WITH[m][0] for m in missing]}
        v.message = ("held back, not shipped: " + "; ".join(reasons) + "; to ship it, apply again with "
                     + " and ".join("{} (CLI {})".format(*CONFIRM_WITH[m]) for m in missing))
    return kept


def ship_file(sessions: sessionmaker[Session], *, shop_id: int, path: str | Path, principal: Principal,
              now: datetime, dry_run: bool = False, source: str | None = None,
              confirmed: Confirmed = Confirmed(), filename: str | None = None) -> BulkReport:
    """Preview (``dry_run``) or apply a bulk-ship file. Raises FileUnreadable when the file as a whole cannot
    be read (nothing changes); row problems are verdicts, never exceptions. Warning rows ship only when
    ``confirmed`` covers them, else they are "held"; a dry run says the same as the apply would."""
    check(principal.role, "shipping.ship")
    headers: dict[str, str] = {}
    export = open_export(path, header=_header_noting(headers))
    report = BulkReport(dry_run=dry_run, file_kind=export.kind, headers=headers)
    seen_orders: dict[str, int] = {}
    numbered: dict[str, list[RowVerdict]] = {}
    source = source or principal.channel
    try:  # the whole file first: a number shared with a later row must stop the earlier one too
        for row in export.rows:
            if any(text(c) for c in row.cells):
                report.rows.append(_parse(row.number, row.cells, export.columns, seen_orders, numbered))
    finally:
        export.close()
    _hold_shared_numbers(numbered)
    for start in range(0, len(report.rows), BATCH):
        _run_batch(sessions, shop_id, report.rows[start:start + BATCH], principal, now, dry_run, source, confirmed)
    if not dry_run and report.shipped:
        with sessions.begin() as session:
            audit.record(session, principal=principal, action="shipping.bulk_ship", now=now, shop_id=shop_id,
                         # the name the clerk uploaded, not the parked copy's (QA pass 6, #16: "文件 65caf….applying")
                         target_type="file", target_id=(filename or Path(path).name)[:64],
                         detail={"shipped": report.shipped, "unchanged": report.count("unchanged"),
                                 "rejected": len(report.rejected), "held": len(report.held)})
    return report


def _run_batch(sessions, shop_id, batch, principal, now, dry_run, source, confirmed: Confirmed) -> None:
    with sessions() as session:
        plans = _hold_unconfirmed(_judge(session, shop_id, batch), confirmed)
        if dry_run or not plans:
            session.rollback()
            return
        settings = get_settings(session, shop_id)
        try:
            apply_plans(session, shop_id, [p for _v, p in plans], principal=principal, now=now, source=source,
                        settings=settings)
            session.commit()
            for v, _p in plans:
                v.applied = True
            return
        except Conflict:
            session.rollback()
    # Someone changed one of these orders meanwhile: retry row by row so only that row fails.
    for v, _plan in plans:
        with sessions() as session:
            v.verdict = ""
            again = _hold_unconfirmed(_judge(session, shop_id, [v]), confirmed)
            if not again:
                continue
            try:
                apply_plans(session, shop_id, [again[0][1]], principal=principal, now=now, source=source)
                session.commit()
                v.applied = True
            except DomainError as exc:
                session.rollback()
                _error(v, ORDER, exc.code, exc.message, exc.details)
