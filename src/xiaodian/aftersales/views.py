"""What every channel shows of after-sales: a page of cases with tab counts, one case in full, and an order's
cases; the same JSON objects for the API and the CLI, and the rows the pages render."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from . import queries, reason_families, reasons
from .intake import reason_history
from .schemas import CaseDetailOut, CaseOut, CasePage, case_out, detail_out
from .service import require_case


def families_from(settings) -> reasons.FamilyMap:
    """The mapping without the shop's overrides (callers that have no session); pages, API and CLI use
    families_for, which adds the owner's choices from 设置 → 售后设置."""
    if settings is None:
        return reasons.DEFAULT_FAMILIES
    return reason_families.base_map(settings)


def families_for(session: Session, shop_id: int, settings) -> reasons.FamilyMap:
    return reason_families.current_map(session, shop_id, settings)


def case_rows(session: Session, cases: list, families, now: datetime) -> list[CaseOut]:
    reason_rows = queries.reasons_by_id(session, {c.first_reason_id for c in cases} | {c.current_reason_id for c in cases})
    order_ids = queries.order_ids_by_pk(session, {c.order_pk for c in cases})
    items = queries.case_items(session, cases)
    return [case_out(c, order_ids[c.order_pk], reason_rows, families, now, items.get((c.order_pk, c.sku_order_id)))
            for c in cases]


def case_page(session: Session, *, shop_id: int, flt: queries.CaseFilter, now: datetime, families) -> CasePage:
    counts = queries.tab_counts(session, shop_id, flt, now, families)
    total, cases = queries.list_cases(session, shop_id, flt, now, families, total=counts.get(flt.tab))
    return CasePage(total=total, page=flt.page, counts=counts, cases=case_rows(session, cases, families, now))


def case_detail(session: Session, *, shop_id: int, aftersale_id: str, now: datetime, families) -> CaseDetailOut:
    case = require_case(session, shop_id, aftersale_id)
    base = case_rows(session, [case], families, now)[0]
    return detail_out(base, reason_history(session, case.id), queries.case_history(session, case.id),
                      queries.case_contacts(session, case.id), families)


def order_cases(session: Session, order_pk: int, families, now: datetime) -> list[CaseOut]:
    """An order's cases, for the order detail page's summary and its do-not-ship banner."""
    return case_rows(session, queries.cases_of_order(session, order_pk), families, now)
