"""Pure generation of the demo shop's orders from a seed and ``now`` (no I/O, no wall clock).

Why: merchants, tests and the later features (ship-by deadlines, logistics, after-sales, the buyer-inquiry
assistant) all need the *same* believable shop for a given ``now``: 60 days of orders whose statuses follow from
their times, in the proportions a real grain shop sees: about one in ten orders never paid and closed by the
timeout, most older orders completed, recent ones shipped or waiting to ship, a few held by risk review,
refunded, late or in after-sales. Orders are created in shop time (Asia/Shanghai, evening-heavy like Douyin live
selling) and stored in UTC. Ids are 19-digit Douyin-style numbers built from the creation second and the seeded
random stream, so they are unique, roughly time-ordered and identical on every run with the same seed and now.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import accumulate
from datetime import UTC, date, datetime, timedelta

from ..clock import SHOP_TZ
from ..orders.domain import ItemRecord, OrderRecord
from .catalogue import PRODUCTS, DemoProduct, Sku
from .lifecycle import Fate, PostSale, State, live, ship_by_for
from .parcels import ParcelMaker
from .people import Buyer, PeopleMaker

DEFAULT_SEED = 20261120
WINDOW_DAYS = 60

# Orders per hour of the day (shop time): lunch break and the evening live-selling peak.
HOUR_WEIGHTS = (3, 2, 1, 1, 1, 1, 2, 4, 6, 7, 8, 9, 10, 8, 7, 7, 7, 7, 8, 11, 14, 16, 14, 8)
PROMO_DAYS = {(6, 18): 2.5, (11, 11): 3.0, (12, 12): 2.2}  # 618, 双11, 双12
PRE_SHIP_REFUND_REASONS = ("多拍/拍错/不想要", "地址填错", "价格原因", "未按约定时间发货", "其他")


@dataclass(frozen=True)
class Line:
    product: DemoProduct
    sku: Sku
    quantity: int


@dataclass(frozen=True)
class Scenario:
    """An order placed on purpose so a later feature has a known case to show (label says which)."""

    label: str
    order_id: str
    buyer_phone: str
    status: str
    detail: str = ""


@dataclass
class DemoShopData:
    now: datetime
    seed: int
    orders: list[OrderRecord] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)  # order id → 小旗子 colour (1–6)
    scenarios: list[Scenario] = field(default_factory=list)
    question_day: date | None = None
    repeat_buyers: int = 0


def floor_second(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


class ShopGenerator:
    """Holds the seeded random stream and everything that must be unique across one demo shop."""

    def __init__(self, now: datetime, seed: int = DEFAULT_SEED):
        if now.tzinfo is None:
            raise ValueError("now must be tz-aware")
        self.now = floor_second(now)
        self.seed = seed
        self.rng = random.Random(f"xiaodian-demo:{seed}:{self.now.isoformat()}")
        self.people = PeopleMaker(self.rng)
        self.parcels = ParcelMaker(self.rng)
        self._ids: set[str] = set()
        self._products = list(PRODUCTS)
        self._popularity = list(accumulate(p.popularity for p in PRODUCTS))

    # ids -----------------------------------------------------------------------------------------------
    def order_id(self, created: datetime) -> str:
        """19 digits: 69, the creation second (9 low digits), 8 random digits."""
        stamp = int(created.timestamp()) % 10**9
        while True:
            candidate = f"69{stamp:09d}{self.rng.randrange(10**8):08d}"
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    def sku_order_ids(self, order_id: str, count: int) -> list[str]:
        """A single-SKU order's child id is its own id; otherwise children share the parent's digits (the way
        platform ids look in exports: 6938137276061005948 → 6939137276061005900, …01)."""
        if count == 1:
            return [order_id]
        bumped = order_id[:3] + str((int(order_id[3]) + 1) % 10) + order_id[4:17]
        ids = [f"{bumped}{i:02d}" for i in range(count)]
        if any(i in self._ids for i in ids):
            raise RuntimeError("SKU order id collision")  # cannot happen for ids from one 60-day window
        self._ids.update(ids)
        return ids

    # what was bought -------------------------------------------------------------------------------------
    def quantity(self) -> int:
        return self.rng.choices((1, 2, 3, 4, 5), (75, 18, 5, 1, 1))[0]

    def sku(self, product: DemoProduct) -> Sku:
        return self.rng.choices(product.skus, (5, 4, 2)[: len(product.skus)])[0]

    def lines(self) -> list[Line]:
        rng = self.rng
        count = rng.choices((1, 2, 3), (78, 16, 6))[0]
        first = rng.choices(self._products, cum_weights=self._popularity)[0]
        chosen = [first]
        if not first.is_presale:  # presale items are bought on their own (they ship weeks later)
            while len(chosen) < count:
                extra = rng.choices(self._products, cum_weights=self._popularity)[0]
                if extra not in chosen and not extra.is_presale:
                    chosen.append(extra)
        return [Line(p, self.sku(p), self.quantity()) for p in chosen]

    # when it was bought ----------------------------------------------------------------------------------
    def creation_times(self, count: int) -> list[datetime]:
        """``count`` creation instants over the window, weighted by hour of day, weekends, growth and promos."""
        start = self.now - timedelta(days=WINDOW_DAYS)
        hours = WINDOW_DAYS * 24
        cumulative, total = [], 0.0
        for i in range(hours):
            local = (start + timedelta(hours=i)).astimezone(SHOP_TZ)
            weight = HOUR_WEIGHTS[local.hour] * (0.75 + 0.5 * i / hours)
            if local.weekday() >= 5:
                weight *= 1.15
            weight *= PROMO_DAYS.get((local.month, local.day), 1.0)
            total += weight
            cumulative.append(total)
        buckets = self.rng.choices(range(hours), cum_weights=cumulative, k=count)
        times = [start + timedelta(hours=b, seconds=self.rng.randrange(3600)) for b in buckets]
        return sorted(min(t, self.now - timedelta(seconds=1)) for t in times)

    # what happens to it ----------------------------------------------------------------------------------
    def natural_fate(self, created: datetime, lines: list[Line]) -> Fate:
        """The usual life of an order, with the shop's typical rates (assumptions for a demo, not platform data)."""
        rng = self.rng
        if rng.random() < 0.10:  # never paid
            if rng.random() < 0.25:
                return Fate(pay_after=None, unpaid_close_after=_minutes(rng, 1, 25, 4),
                            unpaid_close_reason="买家取消订单")
            return Fate(pay_after=None)
        pay_after = timedelta(seconds=int(rng.triangular(15, 900, 50)))
        review = rejected = None
        if rng.random() < 0.015:
            review = _minutes(rng, 10, 30 * 60, 120)
            rejected = rng.random() < 0.15
        paid_at = created + pay_after
        ship_by = order_ship_by(lines, paid_at)
        ship_after = self._ship_delays(paid_at, ship_by, len(lines), review)
        packages: tuple[tuple[int, ...], ...] = ()
        if len(ship_after) == 2:
            packages = ((0,), tuple(range(1, len(lines))))
        refund_after = refund_reason = None
        if rng.random() < 0.045:
            refund_after = _minutes(rng, 5, 30 * 60, 60)
            refund_reason = "买家申请退款：" + rng.choice(PRE_SHIP_REFUND_REASONS)
        confirm = _days(rng, 1.5, 7, 3) if rng.random() < 0.6 else timedelta(days=10)
        post_sale = self._post_sale() if rng.random() < 0.035 else None
        return Fate(pay_after=pay_after, review=review, review_rejected=bool(rejected),
                    refund_asked_after=refund_after, refund_reason=refund_reason or "",
                    refund_done_after=_minutes(rng, 10, 36 * 60, 120), ship_after=ship_after, packages=packages,
                    confirm_after=confirm, post_sale=post_sale)

    def _ship_delays(self, paid_at: datetime, ship_by: datetime, line_count: int,
                     review: timedelta | None) -> tuple[timedelta, ...]:
        """When each package goes out: usually well inside the promise, in working hours; about 4% late."""
        rng = self.rng
        window = ship_by - paid_at
        earliest = (review or timedelta()) + timedelta(minutes=30)
        if rng.random() < 0.04:
            first = window + _minutes(rng, 30, 48 * 60, 6 * 60)
        elif window <= timedelta(days=2):
            high = window.total_seconds() * 0.95
            low = min(2 * 3600, high / 2)
            first = timedelta(seconds=rng.triangular(low, high, min(14 * 3600, high)))
        else:
            first = window * rng.uniform(0.2, 0.9)
        first = max(first, earliest)
        shipped = paid_at + first
        local = shipped.astimezone(SHOP_TZ)
        if local.hour < 9 or local.hour >= 21:  # the warehouse works days; move to the next morning if in time
            morning = local.replace(hour=9, minute=rng.randrange(60), second=rng.randrange(60))
            if local.hour >= 21:
                morning += timedelta(days=1)
            if morning.astimezone(UTC) <= ship_by or first > window:
                first = morning.astimezone(UTC) - paid_at
        delays = [first]
        if line_count > 1 and rng.random() < 0.25:  # shipped in two parcels, the second usually still in time
            room = window - first - timedelta(minutes=10)
            if room > timedelta(hours=1) and rng.random() < 0.85:
                delays.append(first + timedelta(seconds=rng.uniform(3600, room.total_seconds())))
            else:
                delays.append(first + _minutes(rng, 3 * 60, 72 * 60, 20 * 60))
        return tuple(timedelta(seconds=int(d.total_seconds())) for d in delays)

    def _post_sale(self) -> PostSale:
        rng = self.rng
        kind = rng.choices(("退货退款", "已发货仅退款", "补寄"), (45, 40, 15))[0]
        outcome = "resent" if kind == "补寄" else rng.choices(("refunded", "closed"), (75, 25))[0]
        return PostSale(kind, _days(rng, 1, 12, 4), _days(rng, 0.5, 9, 3), outcome)

    # the snapshot ----------------------------------------------------------------------------------------
    def record(self, created: datetime, lines: list[Line], buyer: Buyer, fate: Fate, *,
               buyer_note: str | None = None, merchant_note: str | None = None) -> OrderRecord:
        """The order as the platform would export it at ``now``."""
        created = floor_second(created)
        state: State = live(created, fate, len(lines), self.now)
        order_id = self.order_id(created)
        sku_ids = self.sku_order_ids(order_id, len(lines))
        items = [
            ItemRecord(sku_order_id=sku_id, product_name=line.product.title, quantity=line.quantity,
                       unit_price_fen=line.sku.price_fen, product_id=line.product.product_id,
                       merchant_code=line.sku.code, spec=line.sku.spec,
                       after_sale_status=state.line_after_sale.get(i))
            for i, (sku_id, line) in enumerate(zip(sku_ids, lines, strict=True))
        ]
        carrier = tracking = item_tracking = None
        if state.shipped_packages:
            heavy = any(line.product.heavy for line in lines)
            chosen = self.parcels.carrier_for(heavy, buyer_wants_sf=buyer_note == "发顺丰可以吗")
            carrier = chosen.name
            numbers = [self.parcels.number(chosen) for _ in state.shipped_packages]
            tracking = ",".join(numbers)
            # each SKU row names the parcel it went in, as the platform's export does: a part-shipped order's
            # ship form and pick list then offer only the items still to ship (QA pass 9, #1)
            item_tracking = {sku_ids[i]: (number,) for (_at, held), number in zip(state.shipped_packages, numbers,
                                                                                  strict=True) for i in held}
        presale = any(line.product.is_presale for line in lines)
        return OrderRecord(
            order_id=order_id, status=state.status, created_at=created,
            pay_amount_fen=sum(i.amount_fen for i in items) + buyer.remote_postage_fen, items=items,
            paid_at=state.paid_at, ship_by=order_ship_by(lines, state.paid_at) if state.paid_at else None,
            shipped_at=state.shipped_at, completed_at=state.completed_at, cancelled_at=state.cancelled_at,
            post_amount_fen=buyer.remote_postage_fen, buyer_name=buyer.name, buyer_phone=buyer.phone,
            address=buyer.address, province=buyer.province, city=buyer.city, district=buyer.district,
            buyer_note=buyer_note, merchant_note=merchant_note, cancel_reason=state.cancel_reason,
            after_sale_status=state.after_sale, order_type="预售订单" if presale else "普通订单",
            carrier=carrier, tracking_no=tracking, item_tracking=item_tracking,
        )

    def natural_orders(self, count: int, data: DemoShopData) -> None:
        """The bulk of the shop: ``count`` orders with natural fates; about 8% from a pool of regulars."""
        rng = self.rng
        regulars = [self.people.buyer() for _ in range(max(3, count // 60))]
        used_regulars: set[str] = set()
        for created in self.creation_times(count):
            if rng.random() < 0.08:
                buyer = rng.choice(regulars)
                used_regulars.add(buyer.phone)
            else:
                buyer = self.people.buyer()
            lines = self.lines()
            note = self.people.buyer_note() if rng.random() < 0.12 else None
            merchant_note = self.people.merchant_note() if rng.random() < 0.02 else None
            record = self.record(created, lines, buyer, self.natural_fate(created, lines),
                                 buyer_note=note, merchant_note=merchant_note)
            data.orders.append(record)
            if merchant_note or rng.random() < 0.01:
                data.flags[record.order_id] = rng.choices((1, 2, 3, 4, 5, 6), (1, 1, 1, 2, 3, 4))[0]
        data.repeat_buyers = len(used_regulars)


def order_ship_by(lines: list[Line], paid_at: datetime) -> datetime:
    """The order's promised ship-by: the earliest of its lines' promises (the strictest one binds)."""
    return min(ship_by_for(line.product.ship_promise, paid_at) for line in lines)


def _minutes(rng: random.Random, low: float, high: float, mode: float) -> timedelta:
    return timedelta(seconds=int(rng.triangular(low, high, mode) * 60))


def _days(rng: random.Random, low: float, high: float, mode: float) -> timedelta:
    return timedelta(seconds=int(rng.triangular(low, high, mode) * 86400))


def generate_shop(now: datetime, *, orders: int = 5000, seed: int = DEFAULT_SEED) -> DemoShopData:
    """The whole demo shop at ``now``: labelled scenario orders first, then natural ones up to ``orders``."""
    from .scenarios import add_scenarios

    gen = ShopGenerator(now, seed)
    data = DemoShopData(now=gen.now, seed=seed)
    add_scenarios(gen, data, total=orders)
    gen.natural_orders(max(0, orders - len(data.orders)), data)
    return data

