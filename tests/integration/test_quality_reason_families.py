"""The owner's reason → family overrides (设置 → 售后设置) in a real database: moving a reason changes 品退率 and
the family filter at once, for past cases too; back to the default drops the override; every change is audited
before → after; only owners may change it; the buyer's reasons are untouched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.accounts import audit
from xiaodian.accounts.service import Principal
from xiaodian.aftersales import quality, queries, reason_families, service, views
from xiaodian.aftersales.domain import CaseType
from xiaodian.aftersales.models import AfterSaleReason, AfterSaleReasonFamily
from xiaodian.db import transaction
from xiaodian.errors import Forbidden, ValidationFailed
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record

OWNER = Principal(1, "owner", "owner", "web")
CS = Principal(2, "cs", "cs", "web")
REASONS = ["质量问题", "口感不好", "七天无理由", "口感不好"]


@pytest.fixture
def shop(ctx, shop_id):
    records = []
    for i in range(len(REASONS)):
        order_id = f"69000000000000001{i:02d}"
        item = ItemRecord(sku_order_id=order_id, product_name="五常大米 5kg", quantity=1, unit_price_fen=1000,
                          product_id="p1")
        paid = NOW - timedelta(days=3)
        records.append(make_record(order_id=order_id, status=OrderStatus.SHIPPED, created_at=paid - timedelta(minutes=1),
                                   paid_at=paid, items=[item], shipped_at=paid + timedelta(hours=1)))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
        for i, text in enumerate(REASONS):
            service.open_case(session, shop_id=shop_id, aftersale_id=f"73000000000000000{i:02d}",
                              order_id=f"69000000000000001{i:02d}", sku_order_id=None,
                              case_type=CaseType.REFUND_SHIPPED, applied_at=NOW - timedelta(days=2), now=NOW,
                              source="sync", principal=None, reason=service.BuyerReason(text))
    return ctx


def _shop_rate(ctx, shop_id):
    with ctx.sessions() as session:
        families = views.families_for(session, shop_id, ctx.settings)
        return quality.rates(session, shop_id, NOW, 30, families)[0]["quality_cases_current_reason"]


def _set(ctx, shop_id, text, family, principal=OWNER):
    with transaction(ctx.sessions) as session:
        return reason_families.set_family(session, shop_id=shop_id, reason_text=text, family=family,
                                          principal=principal, now=NOW, settings=ctx.settings)


def test_moving_a_reason_changes_the_rate_and_the_filter_at_once_and_back_to_default_drops_it(shop, shop_id):
    ctx = shop
    assert _shop_rate(ctx, shop_id) == 1  # only 质量问题 by default (domain.md §4)
    assert _set(ctx, shop_id, " 口感 不好 ", "quality") == {"family": "quality", "override": "quality"}
    assert _shop_rate(ctx, shop_id) == 3  # both past cases with 口感不好 count now
    with ctx.sessions() as session:
        families = views.families_for(session, shop_id, ctx.settings)
        page = views.case_page(session, shop_id=shop_id, now=NOW, families=families,
                               flt=queries.CaseFilter(tab="all", family="quality"))
        rows = {r["text"]: r for r in reason_families.mapping_rows(session, shop_id, ctx.settings)}
    assert page.total == 3
    assert rows["口感不好"]["family"] == "quality" and rows["口感不好"]["default"] == "other"
    assert rows["口感不好"]["overridden"] and rows["口感不好"]["uses"] == 2
    assert rows["质量问题"]["uses"] == 1 and rows["少件/漏发"]["uses"] == 0  # the default list is always shown
    _set(ctx, shop_id, "质量问题", "other")
    assert _shop_rate(ctx, shop_id) == 2
    _set(ctx, shop_id, "口感不好", "default")
    _set(ctx, shop_id, "质量问题", "quality")  # the same as the default: no override row kept
    assert _shop_rate(ctx, shop_id) == 1
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(AfterSaleReasonFamily)).scalar_one() == 0
        texts = sorted(session.execute(select(AfterSaleReason.text)).scalars())
        total, entries = audit.search(session, audit.AuditFilter(action="aftersales.reason_family"))
    assert texts == sorted(REASONS)  # the buyers' reasons are never touched
    assert total == 4
    last = audit.entry_json(entries[0])
    assert last["login"] == "owner" and last["before"] == {"family": "other", "override": "other"}
    assert last["after"] == {"family": "quality", "override": None} and last["detail"]["reason_text"] == "质量问题"


def test_an_unchanged_choice_writes_nothing_and_bad_input_is_refused(shop, shop_id):
    ctx = shop
    _set(ctx, shop_id, "七天无理由", "other")  # already other by default
    with pytest.raises(ValidationFailed) as bad:
        _set(ctx, shop_id, "质量问题", "maybe")
    assert bad.value.code == "family_unknown"
    with pytest.raises(ValidationFailed) as empty:
        _set(ctx, shop_id, "   ", "quality")
    assert empty.value.code == "reason_text_required"
    with pytest.raises(Forbidden):
        _set(ctx, shop_id, "口感不好", "quality", principal=CS)
    with ctx.sessions() as session:
        assert audit.search(session, audit.AuditFilter(action="aftersales.reason_family"))[0] == 0


def test_each_tabs_total_is_its_count_under_every_filter(shop, shop_id):
    """The list's total is taken from the tab counts (one query fewer per page): they must agree for every
    tab, type and family filter."""
    ctx = shop
    _set(ctx, shop_id, "口感不好", "quality")
    with ctx.sessions() as session:
        families = views.families_for(session, shop_id, ctx.settings)
        for tab in queries.TABS:
            for family in (None, "quality", "other", "unknown"):
                for case_type in (None, "refund_shipped", "exchange"):
                    flt = queries.CaseFilter(tab=tab, family=family, case_type=case_type, page_size=1000)
                    page = views.case_page(session, shop_id=shop_id, flt=flt, now=NOW, families=families)
                    assert page.total == len(page.cases) == page.counts[tab], (tab, family, case_type)
        everything = views.case_page(session, shop_id=shop_id, flt=queries.CaseFilter(tab="all"), now=NOW,
                                     families=families)
    assert everything.total == 4
