"""The 售后中 flag on each order (orders.in_after_sale) and the per-shop counter (order_after_sale_counts) are kept by
database triggers (migration 0017): whatever writes the orders or their cases — intake, the after-sales desk, plain
SQL, several rows at once — they equal the tab's rule worked out afresh, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import insert, inspect, select, text

from xiaodian.accounts.models import Shop
from xiaodian.aftersales import domain
from xiaodian.aftersales.domain import CaseStatus
from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.aftersales.reasons import STATUS_BY_TEXT
from xiaodian.db import transaction
from xiaodian.orders.models import Order
from xiaodian.orders.queries import OrderFilter, day_start, search_orders, tab_counts

from ..conftest import NOW

FINISHED = {s.value for s in domain.FINISHED}
OPEN_TEXTS = sorted(t for t, s in STATUS_BY_TEXT.items() if s not in domain.FINISHED)
CLOSED_TEXTS = sorted(t for t, s in STATUS_BY_TEXT.items() if s in domain.FINISHED)
TEXTS = [None, None, "", "已发货", *OPEN_TEXTS[:4], *CLOSED_TEXTS[:2]]
STATUSES = [s.value for s in CaseStatus]


def in_tab(text_: str | None, case_statuses: list[str]) -> bool:
    """The tab's rule as the after-sales desk states it: an unfinished case, or no case and an open text."""
    if case_statuses:
        return any(s not in FINISHED for s in case_statuses)
    return text_ in OPEN_TEXTS


def fresh(session) -> tuple[dict[int, tuple[int, bool, bool]], dict[int, int]]:
    """Per order (shop, stored flag, rule worked out from plain rows); orders in the tab per shop by the rule."""
    cases: dict[int, list[str]] = {}
    for order_pk, status in session.execute(text("SELECT order_pk, status FROM aftersale_cases")):
        cases.setdefault(order_pk, []).append(status)
    orders, per_shop = {}, {}
    for pk, shop, text_, flag in session.execute(
            text("SELECT id, shop_id, after_sale_status, in_after_sale FROM orders")):
        rule = in_tab(text_, cases.get(pk, []))
        orders[pk] = (shop, bool(flag), rule)
        per_shop[shop] = per_shop.get(shop, 0) + rule
    return orders, {shop: n for shop, n in per_shop.items() if n}


def stored_counts(session) -> dict[int, int]:
    return {shop: n for shop, n in session.execute(text("SELECT shop_id, n FROM order_after_sale_counts")) if n}


def assert_kept(session, step: str) -> None:
    orders, per_shop = fresh(session)
    wrong = {pk: v for pk, v in orders.items() if v[1] != v[2]}
    assert not wrong, f"after {step}: (shop, flag, rule) differ for {wrong}"
    assert stored_counts(session) == per_shop, f"after {step}"


class Desk:
    """Plain writes to the two tables, as an import, a sync or a hand-made SQL fix would make them."""

    def __init__(self, ctx, shops: list[int], rng: random.Random):
        self.ctx, self.shops, self.rng = ctx, shops, rng
        self.serial = 0

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _ids(self, session, table: str) -> list[int]:
        return list(session.execute(text(f"SELECT id FROM {table} ORDER BY id")).scalars())

    def insert_order(self, session) -> str:
        n, text_ = self._next(), self.rng.choice(TEXTS)
        session.execute(insert(Order.__table__).values(
            shop_id=self.rng.choice(self.shops), order_id=f"6938459704{n:09d}", status="awaiting_shipment",
            sort_key=n, created_at=NOW, recorded_at=NOW, modified_at=NOW, after_sale_status=text_))
        return f"insert order with {text_!r}"

    def insert_case(self, session) -> str | None:
        orders = self._ids(session, "orders")
        if not orders:
            return None
        n, status, order_pk = self._next(), self.rng.choice(STATUSES), self.rng.choice(orders)
        session.execute(insert(AfterSaleCase.__table__).values(
            shop_id=self.shops[0], aftersale_id=f"70000000{n:011d}", order_pk=order_pk, sku_order_id=str(n),
            case_type="refund_unshipped", status=status, applied_at=NOW, status_since=NOW, source="import",
            recorded_at=NOW, modified_at=NOW))
        return f"insert {status} case on order {order_pk}"

    def set_text(self, session) -> str | None:
        orders = self._ids(session, "orders")
        if not orders:
            return None
        pk, text_ = self.rng.choice(orders), self.rng.choice(TEXTS)
        session.execute(text("UPDATE orders SET after_sale_status = :t WHERE id = :id"), {"t": text_, "id": pk})
        return f"order {pk} text → {text_!r}"

    def set_case_status(self, session) -> str | None:
        cases = self._ids(session, "aftersale_cases")
        if not cases:
            return None
        pk, status = self.rng.choice(cases), self.rng.choice(STATUSES)
        session.execute(text("UPDATE aftersale_cases SET status = :s WHERE id = :id"), {"s": status, "id": pk})
        return f"case {pk} → {status}"

    def move_case(self, session) -> str | None:
        cases, orders = self._ids(session, "aftersale_cases"), self._ids(session, "orders")
        if not cases:
            return None
        pk, order_pk = self.rng.choice(cases), self.rng.choice(orders)
        session.execute(text("UPDATE aftersale_cases SET order_pk = :o WHERE id = :id"), {"o": order_pk, "id": pk})
        return f"case {pk} moved to order {order_pk}"

    def delete_case(self, session) -> str | None:
        cases = self._ids(session, "aftersale_cases")
        if not cases:
            return None
        pk = self.rng.choice(cases)
        session.execute(text("DELETE FROM aftersale_cases WHERE id = :id"), {"id": pk})
        return f"delete case {pk}"

    def delete_order(self, session) -> str | None:
        orders = self._ids(session, "orders")
        if not orders:
            return None
        pk = self.rng.choice(orders)
        session.execute(text("DELETE FROM orders WHERE id = :id"), {"id": pk})  # its cases go with it (cascade)
        return f"delete order {pk}"

    def move_order(self, session) -> str | None:
        """An order (in the tab, when there is one) moves to the other shop: one counter down, the other up."""
        flagged = list(session.execute(text("SELECT id FROM orders WHERE in_after_sale ORDER BY id")).scalars())
        orders = flagged or self._ids(session, "orders")
        if not orders:
            return None
        pk = self.rng.choice(orders)
        session.execute(text("UPDATE orders SET shop_id = CASE WHEN shop_id = :a THEN :b ELSE :a END WHERE id = :id"),
                        {"a": self.shops[0], "b": self.shops[1], "id": pk})
        return f"order {pk} moved to the other shop"

    def write_flag(self, session) -> str | None:
        """Someone sets the flag by hand: the database puts it right again."""
        orders = self._ids(session, "orders")
        if not orders:
            return None
        pk = self.rng.choice(orders)
        session.execute(text("UPDATE orders SET in_after_sale = NOT in_after_sale WHERE id = :id"), {"id": pk})
        return f"order {pk} flag flipped by hand"

    def close_all_cases_of_a_shop(self, session) -> str:
        session.execute(text("UPDATE aftersale_cases SET status = 'closed' WHERE status IN ('refunding', 'rejected')"))
        return "several cases closed in one statement"

    def steps(self):
        return [(self.insert_order, 5), (self.insert_case, 4), (self.set_text, 3), (self.set_case_status, 4),
                (self.move_case, 1), (self.delete_case, 1), (self.delete_order, 1), (self.move_order, 2),
                (self.write_flag, 1), (self.close_all_cases_of_a_shop, 1)]


def _second_shop(ctx) -> int:
    with transaction(ctx.sessions) as session:
        shop = Shop(name="第二家店", platform_shop_id="7654321", created_at=NOW)
        session.add(shop)
        session.flush()
        return shop.id


@pytest.mark.parametrize("seed", [1, 2])
def test_flag_and_counter_equal_the_rule_after_every_write_in_a_random_sequence(ctx, shop_id, seed):
    desk = Desk(ctx, [shop_id, _second_shop(ctx)], random.Random(seed))
    actions, weights = zip(*desk.steps())
    done = 0
    for _ in range(90):
        action = desk.rng.choices(actions, weights)[0]
        with transaction(ctx.sessions) as session:
            step = action(session)
        if step is None:
            continue
        done += 1
        with ctx.sessions() as session:
            assert_kept(session, step)
    assert done > 60
    with ctx.sessions() as session:  # the sequence reached both sides of the rule in both shops
        orders, per_shop = fresh(session)
        assert len(per_shop) == 2 and any(not rule for _s, _f, rule in orders.values())


def test_several_writes_in_one_transaction_and_a_rollback_leave_the_counter_right(ctx, shop_id):
    desk = Desk(ctx, [shop_id, _second_shop(ctx)], random.Random(7))
    with transaction(ctx.sessions) as session:
        for _ in range(12):
            desk.insert_order(session)
        for _ in range(8):
            desk.insert_case(session)
        desk.set_text(session)
        desk.close_all_cases_of_a_shop(session)
    with ctx.sessions() as session:
        assert_kept(session, "one transaction")
        desk.delete_order(session)
        desk.write_flag(session)
        session.rollback()
        assert_kept(session, "rollback")


@pytest.fixture
def demo(ctx, shop_id, built_demo):
    return built_demo(300)


def test_tab_counts_equal_a_brute_force_count_of_the_demo_shop(ctx, shop_id, demo):
    """The demo shop's orders come through the order intake and its cases through the after-sales desk."""
    with ctx.sessions() as session:
        assert_kept(session, "the demo shop")
        orders, per_shop = fresh(session)
        expected = {pk for pk, (_shop, _flag, rule) in orders.items() if rule}
        assert expected and per_shop == {shop_id: len(expected)}
        by_status = dict(session.execute(text("SELECT status, count(*) FROM orders GROUP BY status")).all())
        counts = tab_counts(session, shop_id, OrderFilter(), ctx.cipher)
        assert counts["after_sale"] == len(expected)
        assert counts["all"] == len(orders)
        assert {k: v for k, v in counts.items() if k not in ("all", "after_sale") and v} == by_status
        # under a filter the flag is counted in the same pass as the statuses, with the same result
        since = (NOW - timedelta(days=7)).date()
        filtered = tab_counts(session, shop_id, OrderFilter(created_from=since), ctx.cipher)
        recent = set(session.execute(select(Order.id).where(Order.created_at >= day_start(since))).scalars())
        assert filtered["after_sale"] == len(expected & recent)
        # the list of the tab shows exactly those orders, unfiltered and filtered
        total, rows = search_orders(session, shop_id, OrderFilter(tab="after_sale", page_size=200), ctx.cipher)
        assert total == len(expected) and {o.id for o in rows} <= expected and len(rows) == min(200, total)
        total, rows = search_orders(session, shop_id, OrderFilter(tab="after_sale", created_from=since,
                                                                  page_size=200), ctx.cipher)
        assert total == len(expected & recent) and {o.id for o in rows} == expected & recent



def test_the_migration_backfills_the_flag_and_the_counter_from_existing_orders_and_cases(ctx, shop_id, settings):
    """Downgraded to 0016 (flag, counter and triggers gone) and upgraded again: the backfill gives what the triggers
    kept."""
    from alembic import command

    from xiaodian.migrate import alembic_config, upgrade

    desk = Desk(ctx, [shop_id, _second_shop(ctx)], random.Random(3))
    with transaction(ctx.sessions) as session:
        for _ in range(30):
            desk.insert_order(session)
        for _ in range(20):
            desk.insert_case(session)
        for _ in range(5):
            desk.set_case_status(session)
    with ctx.sessions() as session:
        before = fresh(session)
        assert before[1], "some orders are in the tab"
    ctx.engine.dispose()
    command.downgrade(alembic_config(settings.database_url), "0016")
    with ctx.engine.connect() as conn:
        columns = [c["name"] for c in inspect(conn).get_columns("orders")]
        assert "in_after_sale" not in columns
    upgrade(ctx.engine, settings.database_url)
    with ctx.sessions() as session:
        assert_kept(session, "downgrade and upgrade")
        assert fresh(session) == before
