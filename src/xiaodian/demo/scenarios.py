"""Labelled orders the demo always contains, so every feature has a real case to show at any ``now``.

Why: a random shop of 500 orders may happen to hold no overdue order, no partial shipment and no open refund, and
the buyer question of domain.md §6 ("我这个月20号拍了2份五常大米，也付款了，怎么还没有订单信息？") needs orders on
exactly that day. So, besides the natural orders, the generator places:

- on the 20th of the current month in shop time (the previous month's 20th while this month's is still to come):
  the asking buyer's 2 × 五常大米 order, paid and awaiting shipment *within its promise* (the 48 h listing while
  that is still running, otherwise the farm-direct listing that promises 15 days, otherwise the 45-day presale),
  plus other buyers' 五常大米 orders that day: unpaid and closed by the timeout, paid but held by risk review,
  refunded before shipping, a presale order, and a shipped single bag; the asking buyer also bought once before;
- orders for the deadline, logistics and after-sales desks: unpaid in the last half hour, held by risk review,
  due within 24 h, overdue, partially shipped, refund requested before shipping, presale, shipped late, and
  after-sales cases still open.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ..clock import SHOP_TZ
from .catalogue import PRODUCTS, PRODUCTS_BY_ID, WUCHANG, WUCHANG_DIRECT, WUCHANG_PRESALE, DemoProduct
from .generator import DemoShopData, Line, Scenario, ShopGenerator
from .lifecycle import FAR, Fate, PostSale, ship_by_for

QUESTION_DAY = 20
_H = timedelta(hours=1)


def question_day(now: datetime) -> date:
    """The 20th the buyer means: this month's (shop time) once enough of it has passed to hold the day's orders
    (from 08:00, and at least an hour before now), else the previous month's."""
    local = now.astimezone(SHOP_TZ)
    this = local.date().replace(day=QUESTION_DAY)
    if datetime.combine(this, time(8), SHOP_TZ) + timedelta(minutes=110) <= local:
        return this
    return (local.date().replace(day=1) - timedelta(days=1)).replace(day=QUESTION_DAY)


def _question_times(gen: ShopGenerator, day: date, count: int) -> list[datetime]:
    start = datetime.combine(day, time(8), SHOP_TZ).astimezone(UTC)
    end = min(datetime.combine(day, time(23), SHOP_TZ).astimezone(UTC), gen.now - timedelta(minutes=50))
    span = int((end - start).total_seconds())
    return sorted(start + timedelta(seconds=gen.rng.randrange(span)) for _ in range(count))


def _wuchang(product_id: str, quantity: int) -> list[Line]:
    product = PRODUCTS_BY_ID[product_id]
    sku = next((s for s in product.skus if s.spec.startswith("5kg")), product.skus[0])
    return [Line(product, sku, quantity)]


def _add(gen: ShopGenerator, data: DemoShopData, label: str, created: datetime, lines: list[Line], fate: Fate,
         detail: str = "", buyer=None, note: str | None = None) -> None:
    buyer = buyer or gen.people.buyer()
    record = gen.record(created, lines, buyer, fate, buyer_note=note)
    data.orders.append(record)
    data.scenarios.append(Scenario(label, record.order_id, buyer.phone, record.status.value, detail))


def add_question_orders(gen: ShopGenerator, data: DemoShopData) -> None:
    """The orders behind the buyer question of domain.md §6."""
    day = question_day(gen.now)
    data.question_day = day
    times = _question_times(gen, day, 6)
    asker = gen.people.buyer()
    pay = timedelta(minutes=2)
    chosen = next(pid for pid in (WUCHANG, WUCHANG_DIRECT, WUCHANG_PRESALE)
                  if ship_by_for(PRODUCTS_BY_ID[pid].ship_promise, times[0] + pay) > gen.now + 6 * _H)
    earlier = times[0] - timedelta(days=12, hours=3)
    earlier_lines = _wuchang(WUCHANG, 1)
    _add(gen, data, "question_buyer_earlier_order", earlier, earlier_lines,
         Fate(pay_after=pay, ship_after=(20 * _H,), confirm_after=timedelta(days=4)),
         "the asking buyer's earlier purchase, delivered", buyer=asker)
    _add(gen, data, "question_awaiting_within_promise", times[0], _wuchang(chosen, 2),
         Fate(pay_after=pay), f"2份五常大米 paid on {day}, not shipped, ship-by still ahead ({chosen})",
         buyer=asker, note="着急吃，麻烦快点")
    _add(gen, data, "question_unpaid_closed", times[1], _wuchang(WUCHANG, 2), Fate(pay_after=None),
         "2份五常大米, payment never completed, closed after 30 minutes")
    held = gen.now - times[2] + 6 * _H
    _add(gen, data, "question_paid_pending_review", times[2], _wuchang(WUCHANG, 2),
         Fate(pay_after=timedelta(minutes=1), review=held), "2份五常大米 paid, held by risk review")
    _add(gen, data, "question_cancelled_refunded", times[3], _wuchang(WUCHANG, 2),
         Fate(pay_after=timedelta(minutes=1), refund_asked_after=timedelta(minutes=15),
              refund_reason="买家申请退款：多拍/拍错/不想要", refund_done_after=timedelta(minutes=20)),
         "2份五常大米 paid, refunded before shipping")
    _add(gen, data, "question_presale", times[4], _wuchang(WUCHANG_PRESALE, 2), Fate(pay_after=pay),
         "2份五常大米 presale gift box, ships within 45 days of payment")
    shipped_after = min(10 * _H, (gen.now - times[5]) / 2)
    _add(gen, data, "question_shipped_other_buyer", times[5], _wuchang(WUCHANG, 1),
         Fate(pay_after=pay, ship_after=(timedelta(seconds=int(shipped_after.total_seconds())),)),
         "1份五常大米 on the same day, already shipped")


def _promise_48h(gen: ShopGenerator, count: int = 1) -> list[Line]:
    pool = [p for p in PRODUCTS if p.ship_promise == "48h"]
    chosen: list[DemoProduct] = []
    while len(chosen) < count:
        product = gen.rng.choice(pool)
        if product not in chosen:
            chosen.append(product)
    return [Line(p, gen.sku(p), gen.quantity()) for p in chosen]


def _ago(gen: ShopGenerator, low_hours: float, high_hours: float) -> datetime:
    return gen.now - timedelta(seconds=int(gen.rng.uniform(low_hours, high_hours) * 3600))


def _paid_fate(gen: ShopGenerator, **kwargs) -> Fate:
    return Fate(pay_after=timedelta(seconds=gen.rng.randint(20, 300)), **kwargs)


def add_desk_orders(gen: ShopGenerator, data: DemoShopData, total: int) -> None:
    """Cases for the deadline, logistics and after-sales desks, more of them in bigger shops."""
    k = max(1, total // 1000)
    for _ in range(k + 1):
        _add(gen, data, "unpaid_recent", _ago(gen, 0.05, 0.4), _promise_48h(gen), Fate(pay_after=None),
             "created minutes ago, not paid yet")
    for _ in range(k + 1):
        created = _ago(gen, 0.5, 20)
        _add(gen, data, "paid_pending_review", created, _promise_48h(gen),
             _paid_fate(gen, review=gen.now - created + gen.rng.uniform(1, 12) * _H), "paid, held by risk review")
    for _ in range(2 * k):
        _add(gen, data, "due_within_24h", _ago(gen, 25, 46), _promise_48h(gen), _paid_fate(gen),
             "48h promise, not shipped, deadline within 24 hours")
    for _ in range(2 * k):
        _add(gen, data, "overdue_unshipped", _ago(gen, 50, 100), _promise_48h(gen), _paid_fate(gen),
             "48h promise passed, still not shipped")
    for _ in range(k + 1):
        created = _ago(gen, 14, 40)
        first = timedelta(seconds=int(gen.rng.uniform(2 * 3600, (gen.now - created).total_seconds() - 3600)))
        _add(gen, data, "partially_shipped", created, _promise_48h(gen, 2),
             _paid_fate(gen, ship_after=(first, FAR), packages=((0,), (1,))), "first parcel out, second waiting")
    for _ in range(k):
        _add(gen, data, "refund_requested_unshipped", _ago(gen, 2, 30), _promise_48h(gen),
             _paid_fate(gen, refund_asked_after=timedelta(minutes=30), refund_reason="买家申请退款：地址填错",
                        refund_done_after=FAR), "refund requested before shipping: do not ship")
    for _ in range(k):
        _add(gen, data, "presale_awaiting", _ago(gen, 24, 20 * 24), _wuchang(WUCHANG_PRESALE, 1), _paid_fate(gen),
             "presale: ships within 45 days of payment")
    for _ in range(k):
        _add(gen, data, "return_in_progress", _ago(gen, 6 * 24, 6 * 24 + 4), _promise_48h(gen),
             _paid_fate(gen, ship_after=(20 * _H,), post_sale=PostSale("退货退款", timedelta(days=2), FAR, "refunded")),
             "return and refund applied after delivery; waiting for the buyer's parcel")
    for _ in range(k):
        _add(gen, data, "refund_only_in_progress", _ago(gen, 4 * 24, 4 * 24 + 6), _promise_48h(gen),
             _paid_fate(gen, ship_after=(10 * _H,), post_sale=PostSale("已发货仅退款", timedelta(days=1.5), FAR,
                                                                         "refunded")),
             "refund-only request on a shipped order")
    for _ in range(k):
        _add(gen, data, "shipped_late", _ago(gen, 72, 96), _promise_48h(gen),
             _paid_fate(gen, ship_after=(48 * _H + gen.rng.uniform(3, 20) * _H,)),
             "shipped after its 48h promise (延迟发货)")


def add_scenarios(gen: ShopGenerator, data: DemoShopData, total: int) -> None:
    add_question_orders(gen, data)
    add_desk_orders(gen, data, total)
    if len(data.orders) > total:  # a tiny demo keeps the most important cases (the question comes first)
        kept = {r.order_id for r in data.orders[:total]}
        data.orders = data.orders[:total]
        data.scenarios = [s for s in data.scenarios if s.order_id in kept]
