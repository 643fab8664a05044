"""The demo shop holds after-sale cases of every type and every status, reasons in both families with buyer
changes kept as history, and a 品退率 that differs by first and current reason."""

from __future__ import annotations

from sqlalchemy import func, select

from xiaodian.aftersales import quality, views
from xiaodian.aftersales.domain import CaseStatus, CaseType
from xiaodian.aftersales.models import AfterSaleCase, AfterSaleContact, AfterSaleReason
from xiaodian.demo.shop import build_demo_shop

from ..conftest import NOW


def test_demo_has_every_type_and_status_reason_changes_and_a_quality_rate(ctx, shop_id):
    summary = build_demo_shop(ctx, orders=3000, progress=False)
    with ctx.sessions() as session:
        types = set(session.execute(select(AfterSaleCase.case_type).distinct()).scalars())
        statuses = set(session.execute(select(AfterSaleCase.status).distinct()).scalars())
        changed = session.execute(select(func.count()).select_from(AfterSaleReason)
                                  .where(AfterSaleReason.seq > 1)).scalar_one()
        contacts = session.execute(select(func.count()).select_from(AfterSaleContact)).scalar_one()
        shop = quality.rates(session, shop_id, NOW, 30, views.families_from(None))[0]
    assert types == {t.value for t in CaseType}
    assert statuses == {s.value for s in CaseStatus}
    assert changed > 0 and contacts > 0
    assert shop["quality_cases_first_reason"] > 0
    assert shop["quality_cases_first_reason"] != shop["quality_cases_current_reason"]
    assert sum(summary["after_sale_cases"].values()) > 50
    assert build_demo_shop(ctx, orders=3000, progress=False)["after_sale_cases"] == {}  # a rebuild adds nothing
