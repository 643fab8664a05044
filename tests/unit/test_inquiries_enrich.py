"""The diagnosis reads other capabilities' facts (parcels, after-sale cases) only for the orders it may name: the
one it answers about, or the tied best ones when the question is about an after-sale. Reading them for every
candidate was most of the time of a question at 1M orders (benchmarks/RESULTS-inquiries.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from xiaodian.inquiries.diagnosis import diagnose
from xiaodian.inquiries.matching import AfterSaleFact, Ask, LogisticsFact, OrderFacts, score

NOW = datetime.fromisoformat("2026-11-24T18:00:00+08:00")
DAY = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
WUCHANG = "3591027400000000101"
ASK = Ask(date(2026, 11, 20), date(2026, 11, 20), (WUCHANG,), "五常大米", None)


def order(n: int, status="shipped", **kw) -> OrderFacts:
    created = kw.pop("created_at", DAY + timedelta(minutes=n))
    return OrderFacts(order_id=f"69795139578669214{n:02d}", status=status, created_at=created, paid_at=DAY,
                      items=((WUCHANG, "五常大米", 1),), **kw)


class Recorder:
    """An Enrich that says every shipped order was delivered and every order has an open refund case."""

    def __init__(self):
        self.asked: list[list[str]] = []

    def __call__(self, matches):
        self.asked.append([m.order_id for m in matches])
        return [replace(m, facts=replace(m.facts, logistics=LogisticsFact("signed", delivered=True),
                                         after_sale=AfterSaleFact("退款中", open=True))) for m in matches]


def test_without_identity_several_candidates_read_no_other_facts():
    enrich = Recorder()
    matches = [score(order(n), ASK) for n in range(30)]
    d = diagnose(matches, intent="logistics", identity=None, stated=True, now=NOW, enrich=enrich)
    assert d.code == "multiple_matches" and enrich.asked == []


def test_the_one_order_answered_about_is_read_and_its_facts_decide_the_code():
    enrich = Recorder()
    own = score(order(1), ASK, "phone")
    others = [score(order(n, created_at=DAY - timedelta(days=9)), ASK, "phone") for n in range(2, 12)]
    d = diagnose([own, *others], intent="logistics", identity="phone", stated=True, now=NOW, enrich=enrich)
    assert enrich.asked == [[own.order_id]]
    assert d.code == "found_after_sale" and d.facts["logistics"]["state"] == "signed"


def test_an_after_sale_question_reads_the_tied_best_orders_to_pick_the_one_with_a_case():
    asked = []

    def enrich(matches):
        asked.append([m.order_id for m in matches])
        return [replace(m, facts=replace(m.facts, after_sale=AfterSaleFact("退款中", open=True)))
                if m.order_id.endswith("03") else m for m in matches]
    tied = [score(order(n, status="completed"), ASK, "phone") for n in range(1, 5)]
    d = diagnose(tied, intent="after_sale_status", identity="phone", stated=True, now=NOW, enrich=enrich)
    assert d.code == "found_after_sale" and d.order.order_id.endswith("03")
    assert sorted(asked[0]) == sorted(m.order_id for m in tied)


def test_without_enrich_the_diagnosis_uses_the_facts_it_was_given():
    d = diagnose([score(order(1, status="completed"), ASK, "phone")], intent="logistics", identity="phone",
                 stated=True, now=NOW)
    assert d.code == "found_delivered"
