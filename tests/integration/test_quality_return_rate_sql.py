"""品退率 from the database equals the formula of rate.py: a hand-computed shop (reason changes, a cancelled
case, two cases on one SKU order, the window's edges) and a random shop compared with the pure function."""

from __future__ import annotations

import random
from datetime import timedelta

from xiaodian.aftersales import quality, service, views
from xiaodian.aftersales.domain import Action, CaseType
from xiaodian.aftersales.rate import SHOP, CaseFact, PaidSku, quality_rates
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record

FAMILIES = views.families_from(None)
QUALITY, OTHER = service.BuyerReason("质量问题"), service.BuyerReason("七天无理由")


def _orders(ctx, shop_id, specs):
    """specs: (order_id, product_id, paid_at)"""
    records = []
    for order_id, product_id, paid_at in specs:
        item = ItemRecord(sku_order_id=order_id, product_name=f"商品{product_id}", quantity=1, unit_price_fen=1000,
                          product_id=product_id)
        records.append(make_record(order_id=order_id, status=OrderStatus.SHIPPED, created_at=paid_at - timedelta(minutes=1),
                                   paid_at=paid_at, items=[item], shipped_at=paid_at + timedelta(hours=1)))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)


def _case(session, shop_id, case_id, order_id, applied_at, first, later=None, cancel=False):
    case = service.open_case(session, shop_id=shop_id, aftersale_id=case_id, order_id=order_id, sku_order_id=None,
                             case_type=CaseType.REFUND_SHIPPED, applied_at=applied_at, now=NOW, source="sync",
                             principal=None, reason=first)
    if later is not None:
        service.buyer_event(session, case, Action.MODIFY, now=NOW, at=applied_at + timedelta(minutes=30),
                            source="sync", reason=later)
    if cancel:
        service.buyer_event(session, case, Action.CANCEL, now=NOW, source="sync")


def test_hand_computed_shop_by_first_and_by_current_reason(ctx, shop_id):
    day = timedelta(days=1)
    _orders(ctx, shop_id, [(f"69000000000000000{i:02d}", "p1", NOW - (i + 1) * day) for i in range(10)]
            + [("6900000000000000050", "p1", NOW - 14 * day),  # exactly at the window's start: not paid in it
               ("6900000000000000051", "p2", NOW - 2 * day)])
    with transaction(ctx.sessions) as session:
        _case(session, shop_id, "a1", "6900000000000000000", NOW - day, QUALITY, OTHER)  # quality → other
        _case(session, shop_id, "a2", "6900000000000000001", NOW - day, OTHER, QUALITY)  # other → quality
        _case(session, shop_id, "a3", "6900000000000000002", NOW - day, QUALITY, cancel=True)  # cancelled
        _case(session, shop_id, "a4", "6900000000000000003", NOW - day, QUALITY)  # two cases, one SKU order
        _case(session, shop_id, "a5", "6900000000000000003", NOW - 2 * day, QUALITY)
        _case(session, shop_id, "a6", "6900000000000000050", NOW - 14 * day, QUALITY)  # applied at the start: out
        _case(session, shop_id, "a7", "6900000000000000050", NOW, QUALITY)  # applied at now: in (SKU paid earlier)
        _case(session, shop_id, "a8", "6900000000000000051", NOW - day, service.BuyerReason("发错货"))
    with ctx.sessions() as session:
        rows = {r["product_id"]: r for r in quality.rates(session, shop_id, NOW, 14, FAMILIES)}
    p1, p2, shop = rows["p1"], rows["p2"], rows[None]
    assert p1["paid"] == 10  # the eleventh p1 order was paid exactly 14 days ago
    assert (p1["quality_cases_first_reason"], p1["quality_cases_current_reason"]) == (3, 3)  # a1/a4/a7 vs a2/a4/a7
    assert p1["rate_first_reason"] == 0.3 and p1["small_sample"]
    assert (p2["paid"], p2["quality_cases_first_reason"]) == (1, 1)
    assert (p1["product_name"], p2["product_name"]) == ("商品p1", "商品p2")  # no product rows: the items' names
    assert (shop["paid"], shop["quality_cases_first_reason"], shop["quality_cases_current_reason"]) == (11, 4, 4)
    with ctx.sessions() as session:
        detail = quality.breakdown(session, shop_id, NOW, 14, FAMILIES, "p1")
    assert detail["quality_to_other"] == 1 and detail["cancelled"] == 1


def test_the_database_count_equals_the_pure_formula_on_a_random_shop(ctx, shop_id):
    rng = random.Random(7)
    specs = [(f"69100000000000{i:05d}", rng.choice(["p1", "p2", "p3"]), NOW - timedelta(hours=rng.randrange(1, 40 * 24)))
             for i in range(120)]
    _orders(ctx, shop_id, specs)
    texts = ["质量问题", "七天无理由", "商品破损/污渍", "多拍/拍错/不想要", "少件/漏发"]
    facts = []
    with transaction(ctx.sessions) as session:
        for n in range(70):
            order_id, product_id, paid_at = rng.choice(specs)
            applied = min(paid_at + timedelta(hours=rng.randrange(1, 20 * 24)), NOW)
            first = service.BuyerReason(rng.choice(texts))
            later = service.BuyerReason(rng.choice(texts)) if rng.random() < 0.3 else None
            cancel = rng.random() < 0.15
            _case(session, shop_id, f"r{n}", order_id, applied, first, later, cancel)
            current = later or first
            facts.append(CaseFact(order_id, product_id, applied, FAMILIES.family(first.text).value == "quality",
                                  FAMILIES.family(current.text).value == "quality", cancel))
    paid = [PaidSku(o, p, t) for o, p, t in specs]
    for days in (14, 30):
        expected = quality_rates(paid, facts, NOW, days)
        with ctx.sessions() as session:
            got = {r["product_id"] or SHOP: r for r in quality.rates(session, shop_id, NOW, days, FAMILIES)}
        for key, row in expected.items():
            assert (got[key]["paid"], got[key]["quality_cases_first_reason"], got[key]["quality_cases_current_reason"]) \
                == (row.paid, row.quality_first, row.quality_current), (days, key)


def test_trend_ends_today_with_the_same_numbers_as_the_table(ctx, shop_id):
    _orders(ctx, shop_id, [("6920000000000000001", "p1", NOW - timedelta(days=2)),
                           ("6920000000000000002", "p1", NOW - timedelta(days=3))])
    with transaction(ctx.sessions) as session:
        _case(session, shop_id, "t1", "6920000000000000001", NOW - timedelta(days=1), QUALITY)
    with ctx.sessions() as session:
        series = quality.trend(session, shop_id, NOW, 14, FAMILIES)
    assert len(series) == 30 and series[-1]["paid"] == 2 and series[-1]["first"] == 1
    assert series[0]["paid"] == 0


def test_the_pages_single_read_equals_rates_trend_and_breakdown_read_apart(ctx, shop_id):
    """page_data reads the cases once for the table, the trend and the breakdown; the figures must be the
    ones the separate reads (API, CLI) give, for the shop and for one product."""
    rng = random.Random(11)
    specs = [(f"69300000000000{i:05d}", rng.choice(["p1", "p2"]), NOW - timedelta(hours=rng.randrange(1, 70 * 24)))
             for i in range(80)]
    _orders(ctx, shop_id, specs)
    texts = ["质量问题", "七天无理由", "发错货", "其他"]
    with transaction(ctx.sessions) as session:
        for n in range(50):
            order_id, _product, paid_at = rng.choice(specs)
            applied = min(paid_at + timedelta(hours=rng.randrange(1, 10 * 24)), NOW)
            later = service.BuyerReason(rng.choice(texts)) if rng.random() < 0.3 else None
            _case(session, shop_id, f"s{n}", order_id, applied, service.BuyerReason(rng.choice(texts)), later,
                  rng.random() < 0.1)
    for days in (14, 30):
        for product in (None, "p2"):
            with ctx.sessions() as session:
                data = quality.page_data(session, shop_id, NOW, days, FAMILIES, product)
                assert data["rows"] == quality.rates(session, shop_id, NOW, days, FAMILIES)
                assert data["trend"] == quality.trend(session, shop_id, NOW, days, FAMILIES, product)
                apart = quality.breakdown(session, shop_id, NOW, days, FAMILIES, product)
            assert {k: v for k, v in data["breakdown"].items() if k != "cases"} == \
                {k: v for k, v in apart.items() if k != "cases"}
            assert [c["case"].aftersale_id for c in data["breakdown"]["cases"]] == \
                [c["case"].aftersale_id for c in apart["cases"]]
