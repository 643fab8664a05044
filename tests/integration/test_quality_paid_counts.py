"""The paid SKU orders per shop, product and UTC+8 day that the database keeps (triggers, migration 0015) always
equal a direct count of the rate's denominator, whatever changed the orders: items inserted, deleted, moved to
another order or product; an order inserted, paid, unpaid, re-dated across a day boundary, moved to another
shop, deleted with its items (the foreign key's cascade); and the order intake itself."""

from __future__ import annotations

from collections import Counter
from itertools import count
from datetime import UTC, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

from xiaodian.accounts.models import Shop
from xiaodian.aftersales.models import ProductPaidCount
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderItem

from ..conftest import NOW
from ..factories import make_record

UTC8 = timezone(timedelta(hours=8))
SERIAL = count(1)  # order and SKU order ids never reused, across examples (deletes shrink any row count)
PRODUCTS = ["p1", "p2", "p3", None]
# around a UTC+8 midnight (16:00 UTC), so that re-dating an order moves it between days
PAID = [None] + [NOW.replace(hour=15, minute=0) + timedelta(minutes=m) for m in (0, 59, 60, 61, 24 * 60 + 30)]


def _direct(session) -> dict:
    rows = session.execute(select(Order.shop_id, Order.paid_at, OrderItem.product_id)
                           .join(Order, Order.id == OrderItem.order_pk).where(Order.paid_at.is_not(None))).all()
    return dict(Counter((shop, paid.astimezone(UTC8).date(), pid or "") for shop, paid, pid in rows))


def _stored(session) -> dict:
    c = ProductPaidCount
    return {(s, d, p): n for s, d, p, n in session.execute(select(c.shop_id, c.day, c.product_id, c.n)).all() if n}


def _second_shop(ctx) -> int:
    with transaction(ctx.sessions) as session:
        found = session.execute(select(Shop.id).where(Shop.name == "第二家店")).scalar()
        if found is None:
            found = session.execute(insert(Shop).values(name="第二家店", created_at=NOW).returning(Shop.id)).scalar_one()
        return found


def _new_order(session, shop, n, paid, products):
    pk = session.execute(insert(Order).values(
        shop_id=shop, order_id=f"69{n:017d}", status="shipped" if paid else "unpaid", created_at=NOW - timedelta(days=3),
        paid_at=paid, recorded_at=NOW, modified_at=NOW).returning(Order.id)).scalar_one()
    for j, pid in enumerate(products):
        _new_item(session, shop, pk, f"{n}-{j}", pid)


def _new_item(session, shop, order_pk, sku, pid):
    session.execute(insert(OrderItem).values(shop_id=shop, order_pk=order_pk, sku_order_id=f"sku-{sku}",
                                             product_id=pid, product_name=f"商品{pid}", quantity=1,
                                             unit_price_fen=100, amount_fen=100))


OPS = st.one_of(
    st.tuples(st.just("order"), st.integers(0, 1), st.sampled_from(PAID), st.lists(st.sampled_from(PRODUCTS), max_size=3)),
    st.tuples(st.just("item"), st.integers(0, 50), st.sampled_from(PRODUCTS)),
    st.tuples(st.just("delete_item"), st.integers(0, 50)),
    st.tuples(st.just("item_product"), st.integers(0, 50), st.sampled_from(PRODUCTS)),
    st.tuples(st.just("move_item"), st.integers(0, 50), st.integers(0, 50)),
    st.tuples(st.just("pay"), st.integers(0, 50), st.sampled_from(PAID)),
    st.tuples(st.just("shop"), st.integers(0, 50), st.integers(0, 1)),
    st.tuples(st.just("delete_order"), st.integers(0, 50)),
)


def _pick(session, model, k):
    ids = session.execute(select(model.id).order_by(model.id)).scalars().all()
    return ids[k % len(ids)] if ids else None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=1, max_size=25))
def test_stored_paid_counts_equal_a_direct_count_after_random_changes(ctx, shop_id, ops):
    shops = [shop_id, _second_shop(ctx)]
    with transaction(ctx.sessions) as session:
        for op in ops:
            n = next(SERIAL)
            kind = op[0]
            if kind == "order":
                _new_order(session, shops[op[1]], n, op[2], op[3])
                continue
            model = OrderItem if kind in ("item_product", "move_item", "delete_item") else Order
            target = _pick(session, model, op[1])
            if target is None:
                continue
            if kind == "item":
                shop = session.execute(select(Order.shop_id).where(Order.id == target)).scalar_one()
                _new_item(session, shop, target, f"{n}-x", op[2])
            elif kind == "delete_item":
                session.execute(delete(OrderItem).where(OrderItem.id == target))
            elif kind == "item_product":
                session.execute(update(OrderItem).where(OrderItem.id == target).values(product_id=op[2]))
            elif kind == "move_item":
                to = _pick(session, Order, op[2])
                session.execute(update(OrderItem).where(OrderItem.id == target).values(order_pk=to))
            elif kind == "pay":
                session.execute(update(Order).where(Order.id == target).values(paid_at=op[2]))
            elif kind == "shop":
                session.execute(update(Order).where(Order.id == target).values(shop_id=shops[op[2]]))
            elif kind == "delete_order":
                session.execute(delete(Order).where(Order.id == target))
        session.flush()
        assert _stored(session) == _direct(session)
    with ctx.sessions() as session:
        assert _stored(session) == _direct(session)


def test_the_order_intake_is_counted_on_its_paid_day_and_follows_a_later_payment(ctx, shop_id):
    paid = NOW.replace(hour=16, minute=0, tzinfo=UTC) - timedelta(microseconds=1)  # 23:59:59.999999 at UTC+8
    items = [ItemRecord(sku_order_id=f"690000000000000070{i}", product_name="大米", quantity=1, unit_price_fen=100,
                        product_id="p9" if i else None) for i in range(3)]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id="6900000000000000700", status=OrderStatus.AWAITING_SHIPMENT, paid_at=paid,
                        items=items),
            make_record(order_id="6900000000000000800", status=OrderStatus.UNPAID)])
    with ctx.sessions() as session:
        day = paid.astimezone(UTC8).date()
        assert _stored(session) == _direct(session) == {(shop_id, day, "p9"): 2, (shop_id, day, ""): 1}
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id="6900000000000000800", status=OrderStatus.AWAITING_SHIPMENT,
                        paid_at=paid + timedelta(microseconds=1))])
    with ctx.sessions() as session:
        assert _stored(session) == _direct(session)
        assert _stored(session)[(shop_id, day + timedelta(days=1), "3512000000000000101")] == 1


def test_paid_per_product_and_per_day_equal_a_direct_count_at_any_now(ctx, shop_id):
    """The reader sums whole UTC+8 days from the stored counts and counts the partial days at the edges from
    the orders: at a midnight, a microsecond either side of one, mid-day, and for windows under two days."""
    from xiaodian.aftersales import paid_counts
    from xiaodian.clock import SHOP_TZ

    midnight = NOW.astimezone(UTC8).replace(hour=0, minute=0, second=0, microsecond=0)
    tick = timedelta(microseconds=1)
    times = [midnight + timedelta(days=d) + off for d in range(-33, 2)
             for off in (timedelta(0), tick, -tick, timedelta(hours=9, minutes=30))]
    with transaction(ctx.sessions) as session:
        for n, paid in enumerate(times):
            _new_order(session, shop_id, 900000 + n, paid, [PRODUCTS[n % 4], PRODUCTS[(n + 1) % 4]])
    with ctx.sessions() as session:
        rows = session.execute(select(Order.paid_at, OrderItem.product_id).join(Order, Order.id == OrderItem.order_pk)
                               .where(Order.shop_id == shop_id, Order.paid_at.is_not(None))).all()
        for now in (midnight, midnight + tick, midnight - tick, midnight + timedelta(hours=10), NOW):
            for days in (1, 2, 14, 30):
                start = now - timedelta(days=days)
                want = Counter(pid for paid, pid in rows if start < paid <= now)
                assert paid_counts.per_product(session, shop_id, start, now) == dict(want), (now, days)
                assert paid_counts.per_product(session, shop_id, start, now, "p2") == \
                    ({"p2": want["p2"]} if want["p2"] else {})
            day_list = [(now - timedelta(days=d)).astimezone(SHOP_TZ).date() for d in range(35, -1, -1)]
            want_days = Counter(paid.astimezone(SHOP_TZ).date() for paid, _pid in rows if paid <= now)
            assert paid_counts.per_day(session, shop_id, day_list, now, SHOP_TZ) == \
                {d: want_days[d] for d in day_list if want_days[d]}, now
