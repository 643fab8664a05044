"""The buyer question of domain.md §6 against the demo shop built for a fixed now (SQLite and PostgreSQL), and the
labelled evaluation set meeting its target on every field."""

from __future__ import annotations

import pytest

from xiaodian.db import transaction
from xiaodian.demo.shop import DEMO_PRINCIPAL
from xiaodian.inquiries import service
from xiaodian.inquiries.evaluation import (FIELDS, FRESH_FLOOR, HOLDOUT_FLOOR, TARGET, Shop, load_cases,
                                          run_cases)
from xiaodian.inquiries.replies import FORBIDDEN

from ..conftest import NOW

SEED_ZH = "我这个月20号拍了2份五常大米，也付款了，怎么还没有订单信息？"
SEED_EN = ("I placed an order for 2 portions of Wuchang rice on the 20th of this month and paid, but there is still "
           "no order information?")


@pytest.fixture
def demo(ctx, shop_id, built_demo):
    summary = built_demo(500)
    return {s["label"]: s for s in summary["scenarios"]}, summary


def ask(ctx, shop_id, message, **kw):
    with transaction(ctx.sessions) as session:
        return service.answer(session, DEMO_PRINCIPAL, shop_id=shop_id, message=message, now=NOW, cipher=ctx.cipher,
                              **kw)


@pytest.mark.parametrize("message,lang", [(SEED_ZH, "zh"), (SEED_EN, "en")])
def test_the_asking_buyer_hears_the_order_is_paid_and_waiting_to_ship_within_its_promise(ctx, shop_id, demo, message,
                                                                                        lang):
    scenarios, _ = demo
    asker = scenarios["question_awaiting_within_promise"]
    for phone in (asker["buyer_phone"], asker["buyer_phone"][-4:]):
        a = ask(ctx, shop_id, message, phone=phone)
        d = a.diagnosis
        assert (a.understanding.intent, a.understanding.language) == ("order_missing", lang)
        assert d.code == "found_awaiting_shipment" and d.order.order_id == asker["order_id"]
        assert d.facts["within_promise"] is True and d.facts["ship_by"] and d.facts["ship_by_explanation"]
        assert asker["order_id"] in a.reply and asker["buyer_phone"] not in a.reply
        ship_by = d.order.ship_by.astimezone(NOW.tzinfo)
        assert (f"{ship_by.month}月{ship_by.day}日" if lang == "zh" else f"{ship_by.day},") in a.reply
        assert not any(w in a.reply.lower() for w in FORBIDDEN)


@pytest.mark.parametrize("message", [SEED_ZH, SEED_EN])
def test_without_identity_every_cause_is_a_candidate_for_the_agent_and_the_reply_asks(ctx, shop_id, demo, message):
    scenarios, _ = demo
    a = ask(ctx, shop_id, message)
    assert a.diagnosis.code == "multiple_matches" and not a.diagnosis.confirmed
    shown = {m.order_id for m in a.matches}
    for label in ("question_awaiting_within_promise", "question_unpaid_closed", "question_paid_pending_review",
                  "question_cancelled_refunded", "question_presale"):
        assert scenarios[label]["order_id"] in shown
        assert scenarios[label]["order_id"] not in a.reply
    assert ("后4位" in a.reply) if message == SEED_ZH else ("last 4 digits" in a.reply)


@pytest.mark.parametrize("label,code", [
    ("question_unpaid_closed", "found_cancelled_unpaid"), ("question_paid_pending_review", "found_paid_pending_review"),
    ("question_cancelled_refunded", "found_cancelled_refunded"), ("question_presale", "found_presale"),
    ("question_shipped_other_buyer", "found_shipped"),
])
def test_each_other_cause_on_the_20th_is_told_apart(ctx, shop_id, demo, label, code):
    scenarios, _ = demo
    a = ask(ctx, shop_id, SEED_ZH, phone=scenarios[label]["buyer_phone"])
    assert a.diagnosis.code == code and a.diagnosis.order.order_id == scenarios[label]["order_id"]


def test_the_lookup_is_audited_without_the_message(ctx, shop_id, demo):
    from sqlalchemy import select

    from xiaodian.accounts.models import AuditEntry

    scenarios, _ = demo
    ask(ctx, shop_id, SEED_ZH, phone=scenarios["question_awaiting_within_promise"]["buyer_phone"])
    with ctx.sessions() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "inquiry.answer")).scalar_one()
    assert entry.target_id == scenarios["question_awaiting_within_promise"]["order_id"]
    assert "五常" not in (entry.detail or "") and scenarios["question_awaiting_within_promise"]["buyer_phone"] not in (
        entry.detail or "")


def _eval_shop(ctx, summary) -> Shop:
    from sqlalchemy import select

    from xiaodian.clock import SHOP_TZ
    from xiaodian.demo.catalogue import PRODUCTS_BY_ID
    from xiaodian.orders.models import Order, OrderItem

    shop = Shop(summary, {})
    with ctx.sessions() as session:
        for order_id, created_at, product_id in session.execute(
                select(Order.order_id, Order.created_at, OrderItem.product_id).join(OrderItem)):
            shop.created.setdefault(order_id, created_at.astimezone(SHOP_TZ))
            if product_id in PRODUCTS_BY_ID:
                shop.products.setdefault(order_id, PRODUCTS_BY_ID[product_id].short)
    return shop


def test_the_labelled_set_meets_the_target_on_every_field(ctx, shop_id, backend, demo):
    if backend != "sqlite":
        pytest.skip("the labelled set is measured once, on SQLite (the data is the same)")
    shop = _eval_shop(ctx, demo[1])
    cases = load_cases()
    assert len(cases) >= 150
    report = run_cases(ctx, shop, cases)
    assert {f: report.accuracy(f) >= TARGET for f in FIELDS} == dict.fromkeys(FIELDS, True), report.errors


@pytest.mark.parametrize("name,floor,size", [("holdout", HOLDOUT_FLOOR, 80), ("fresh", FRESH_FLOOR, 30)])
def test_the_held_out_sets_keep_what_they_achieve_on_every_field(ctx, shop_id, backend, demo, name, floor, size):
    """The held-out sets were written after the rules and run before any rule was changed for them (first figures in
    their headers: intent 87.2% and 76.3%); the floor is what each achieves now (holdout: not 100%, two labels
    disagree with the rules), so a change that loses a held-out answer is seen."""
    if backend != "sqlite":
        pytest.skip("the labelled set is measured once, on SQLite (the data is the same)")
    cases = load_cases(name)
    assert len(cases) >= size
    report = run_cases(ctx, _eval_shop(ctx, demo[1]), cases)
    got = {f: report.fields[f][0] for f in FIELDS}
    assert all(got[f] >= floor[f] for f in FIELDS), (got, report.errors)
    assert all(report.fields[f][1] == len(cases) for f in FIELDS)


def test_a_shipped_order_carries_the_logistics_capabilitys_parcel_state(ctx, shop_id, demo):
    """The logistics seam: the parcel state comes from the logistics capability (issue 5) through its tracking read."""
    pytest.importorskip("xiaodian.logistics.queries")
    scenarios, _ = demo
    a = ask(ctx, shop_id, "20号买的五常大米到哪了", phone=scenarios["question_shipped_other_buyer"]["buyer_phone"])
    assert a.diagnosis.code == "found_shipped"
    assert a.diagnosis.facts["logistics"]["state"] and a.diagnosis.facts["tracking"]["tracking_no"]


def test_a_completed_order_whose_parcel_was_never_scanned_has_no_parcel_state(ctx, shop_id, demo):
    """Its parcel is kept unwatched in "pending" (no scan ever came): the facts must not say 待揽收 beside a reply
    that says the order was delivered."""
    pytest.importorskip("xiaodian.logistics.queries")
    from sqlalchemy import select

    from xiaodian.logistics.models import Parcel
    from xiaodian.logistics.jobs import scan_shop
    from xiaodian.orders.models import Order

    scan_shop(ctx.sessions, shop_id, NOW, full=True)  # parcels adopted, as the worker does
    with ctx.sessions() as session:
        order_id = session.execute(select(Order.order_id).join(Parcel, Parcel.order_pk == Order.id).where(
            Order.shop_id == shop_id, Order.status == "completed", Parcel.event_count == 0,
            Parcel.watch.is_(False)).limit(1)).scalar()
    assert order_id is not None
    a = ask(ctx, shop_id, "我的快递到哪了", order_id=order_id)
    assert a.diagnosis.code == "found_delivered" and a.diagnosis.facts["tracking"]["tracking_no"]
    assert "logistics" not in a.diagnosis.facts


@pytest.mark.parametrize("identity", ["phone", "last4"])
def test_a_regular_buyers_older_order_is_found_beyond_the_newest_candidates(ctx, shop_id, demo, monkeypatch,
                                                                             identity):
    """A buyer with more orders than the candidate limit asks about an older day: the orders of that day are read
    first (then the newest few others), so the answer does not depend on how often they bought since."""
    from sqlalchemy import select

    from xiaodian.clock import SHOP_TZ
    from xiaodian.orders.models import Order

    scenarios, _ = demo
    earlier = scenarios["question_buyer_earlier_order"]
    with ctx.sessions() as session:
        created = session.execute(select(Order.created_at).where(Order.order_id == earlier["order_id"])
                                  ).scalar_one().astimezone(SHOP_TZ)
    monkeypatch.setattr(service, "CANDIDATE_LIMIT", 1)  # the buyer's newest order (the 20th) alone would be read
    phone = earlier["buyer_phone"] if identity == "phone" else earlier["buyer_phone"][-4:]
    a = ask(ctx, shop_id, f"{created.month}月{created.day}日买的五常大米收到了吗", phone=phone)
    assert a.diagnosis.code == "found_delivered" and a.diagnosis.order.order_id == earlier["order_id"]
    assert scenarios["question_awaiting_within_promise"]["order_id"] in {m.order_id for m in a.matches}

def test_the_phone_and_last4_indexes_carry_the_sort_key(ctx):
    """Migration 0012: a buyer's newest orders come straight from the index, without sorting all of them."""
    from sqlalchemy import inspect

    columns = {ix["name"]: ix["column_names"] for ix in inspect(ctx.engine).get_indexes("orders")}
    assert columns["ix_orders_shop_phone"] == ["shop_id", "phone_hash", "sort_key"]
    assert columns["ix_orders_shop_last4"] == ["shop_id", "phone_last4_hash", "sort_key"]
    if ctx.engine.dialect.name == "sqlite":
        with ctx.engine.connect() as conn:
            plan = " ".join(str(r) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM orders WHERE shop_id = 1 AND phone_hash = 'x' "
                "ORDER BY sort_key DESC LIMIT 200"))
        assert "ix_orders_shop_phone" in plan and "TEMP B-TREE" not in plan


def test_recreated_indexes_do_not_mislead_the_sqlite_planner_of_an_analysed_database(ctx, backend, demo, settings):
    """0012 re-creates two order indexes; in a database analysed before, an index without statistics looks very
    selective to SQLite, and the order list (shop_id = ? ORDER BY sort_key DESC) then scanned and sorted every
    order through ix_orders_shop_last4. 0013 analyses again when statistics exist."""
    if backend != "sqlite":
        pytest.skip("planner statistics of this kind are SQLite's (PostgreSQL keeps column statistics)")
    from alembic import command

    from xiaodian.migrate import alembic_config, upgrade

    with ctx.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    command.downgrade(alembic_config(settings.database_url), "0011")
    upgrade(ctx.engine, settings.database_url)
    with ctx.engine.connect() as conn:
        plan = " ".join(str(r) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM orders WHERE shop_id = 1 ORDER BY sort_key DESC LIMIT 50"))
        product = " ".join(str(r) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT order_pk FROM order_items WHERE shop_id = 1 AND product_id IN ('x') LIMIT 9"))
    assert "ix_orders_shop_sort" in plan and "TEMP B-TREE" not in plan
    assert "ix_order_items_shop_product" in product


@pytest.mark.parametrize("message", ["五常大米怎么煮比较好吃", "Is the peanut oil pressed or refined?", "黑木耳泡多久"])
def test_a_seldom_sold_product_is_read_by_product_with_the_same_candidates(ctx, shop_id, demo, monkeypatch, message):
    """Without identity or day, a product with few items (migration 0013's index) has its orders read directly; the
    candidates are the ones the walk over all orders newest first finds."""
    direct = ask(ctx, shop_id, message)
    monkeypatch.setattr(service, "RARE_PRODUCT", -1)  # always walk the orders
    walked = ask(ctx, shop_id, message)
    assert direct.matches and [m.order_id for m in direct.matches] == [m.order_id for m in walked.matches]
    assert direct.diagnosis.code == walked.diagnosis.code == "multiple_matches"
