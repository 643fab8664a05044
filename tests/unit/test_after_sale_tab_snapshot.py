"""Migration 0017 spells the 售后中 rule out in SQL with the finished statuses and open 售后状态 texts of its day. A
change to aftersales.domain.FINISHED or aftersales.reasons.STATUS_BY_TEXT must come with a new migration that
re-creates the triggers and recomputes orders.in_after_sale: this test fails until it does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import xiaodian
from xiaodian.aftersales import domain
from xiaodian.aftersales.reasons import STATUS_BY_TEXT

MIGRATION = Path(xiaodian.__file__).parent / "migrations" / "versions" / "0017_orders_in_after_sale.py"


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0017", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_finished_statuses_are_the_domain_ones_of_today():
    assert set(_migration().FINISHED_STATUSES) == {s.value for s in domain.FINISHED}


def test_the_migration_open_texts_are_the_status_texts_of_open_stages_of_today():
    open_texts = {t for t, s in STATUS_BY_TEXT.items() if s not in domain.FINISHED}
    assert set(_migration().OPEN_TEXTS) == open_texts
    assert len(_migration().OPEN_TEXTS) == len(open_texts)


def test_the_rule_never_yields_null_for_an_order_without_a_text():
    """NULL IN (…) is NULL: the rule wraps the text test so an order without a text is out of the tab, not unknown
    (a NULL would make the triggers' IS NOT comparisons and the counter disagree)."""
    rule = _migration().membership("NEW.id", "NEW.after_sale_status")
    assert "coalesce(NEW.after_sale_status IN (" in rule
