"""The quality-return rate (品退率) as the desk defines it, and the geometry of its trend chart. Pure.

The platform's formula is not public, so the desk states its own on screen (issue 6 item 5):

    quality-return rate = SKU orders of the product with at least one after-sale case applied in the window
    whose reason is in the quality family and which the buyer did not cancel
    ÷ SKU orders of the product paid in the window.

The window is (now − N days, now]. It is computed twice: by the buyer's **first** reason and by the
**current** one, so a reason changed after the fact can be seen rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

SHOP = "*shop*"  # the whole shop's row (a product without an id is the key None)
SMALL_SAMPLE = 30  # fewer paid SKU orders than this: the rate is shown with a warning
WINDOWS = (14, 30)


@dataclass(frozen=True)
class PaidSku:
    sku_order_id: str
    product_id: str | None
    paid_at: datetime


@dataclass(frozen=True)
class CaseFact:
    sku_order_id: str
    product_id: str | None
    applied_at: datetime
    first_quality: bool
    current_quality: bool
    cancelled_by_buyer: bool


@dataclass
class RateRow:
    product_id: str | None  # SHOP: the whole shop
    paid: int = 0
    quality_first: int = 0
    quality_current: int = 0
    first_skus: set[str] = field(default_factory=set, repr=False)
    current_skus: set[str] = field(default_factory=set, repr=False)

    @property
    def rate_first(self) -> float | None:
        return self.quality_first / self.paid if self.paid else None

    @property
    def rate_current(self) -> float | None:
        return self.quality_current / self.paid if self.paid else None

    @property
    def small_sample(self) -> bool:
        return self.paid < SMALL_SAMPLE


def in_window(at: datetime, now: datetime, days: int) -> bool:
    return now - timedelta(days=days) < at <= now


def quality_rates(paid: list[PaidSku], cases: list[CaseFact], now: datetime, days: int) -> dict[str | None, RateRow]:
    """Per product, plus the shop under the key SHOP. A SKU order counts once however many cases it has."""
    rows: dict[str | None, RateRow] = {SHOP: RateRow(SHOP)}

    def row(pid):
        return rows.setdefault(pid, RateRow(pid))

    seen_paid: set[str] = set()
    for p in paid:
        if in_window(p.paid_at, now, days) and p.sku_order_id not in seen_paid:
            seen_paid.add(p.sku_order_id)
            row(p.product_id).paid += 1
            rows[SHOP].paid += 1
    for c in cases:
        if c.cancelled_by_buyer or not in_window(c.applied_at, now, days):
            continue
        for target in (row(c.product_id), rows[SHOP]):
            if c.first_quality:
                target.first_skus.add(c.sku_order_id)
            if c.current_quality:
                target.current_skus.add(c.sku_order_id)
    for r in rows.values():
        r.quality_first, r.quality_current = len(r.first_skus), len(r.current_skus)
    return rows


def daily_series(paid_per_day: dict, cases: list[CaseFact], end_days: list, days: int, tz) -> list[dict]:
    """The rolling rate at the end of each day in ``end_days`` (shop dates, ascending), both ways.
    ``paid_per_day`` maps a shop date to the SKU orders paid that day; ``cases`` are the candidate cases.

    A case counts for the ends ``e`` with e − days < applied_at ≤ e, i.e. a run of consecutive ends; each SKU
    order counts once per end however many cases it has. So each SKU order's runs are merged and added to a
    difference array: linear in cases and days rather than their product (10,000 cases × 30 days)."""
    from bisect import bisect_left
    from datetime import time

    # Instants as whole microseconds since the epoch: comparing aware datetimes of different zones asks each
    # for its UTC offset, and the bisections below compare ~10 times per case.
    epoch, tick = datetime(1970, 1, 1, tzinfo=timezone.utc), timedelta(microseconds=1)
    ends = [(datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz) - tick - epoch) // tick
            for day in end_days]
    span = timedelta(days=days) // tick

    placed = []  # (case, first end at or after the application, last end still within `days` of it)
    for c in cases:
        if not c.cancelled_by_buyer and (c.first_quality or c.current_quality):
            at = (c.applied_at - epoch) // tick
            placed.append((c, bisect_left(ends, at), bisect_left(ends, at + span) - 1))

    def counts(flag: str) -> list[int]:
        runs: dict[str, list[tuple[int, int]]] = {}
        for c, lo, hi in placed:
            if getattr(c, flag) and lo <= hi:
                runs.setdefault(c.sku_order_id, []).append((lo, hi))
        delta = [0] * (len(ends) + 1)
        for spans in runs.values():
            spans.sort()
            start, stop = spans[0]
            for lo, hi in spans[1:]:
                if lo > stop + 1:
                    delta[start] += 1
                    delta[stop + 1] -= 1
                    start, stop = lo, hi
                else:
                    stop = max(stop, hi)
            delta[start] += 1
            delta[stop + 1] -= 1
        out, running = [], 0
        for i in range(len(ends)):
            running += delta[i]
            out.append(running)
        return out

    first, current = counts("first_quality"), counts("current_quality")
    out = []
    for i, day in enumerate(end_days):
        paid = sum(n for d, n in paid_per_day.items() if day - timedelta(days=days) < d <= day)
        out.append({"day": day, "paid": paid, "first": first[i], "current": current[i],
                    "rate_first": first[i] / paid if paid else None,
                    "rate_current": current[i] / paid if paid else None})
    return out


def chart(series: list[dict], width: int = 640, height: int = 170) -> dict:
    """Two lines (first reason, current reason) on a shared scale, drawn server-side as SVG."""
    pad_l, pad_b, pad_t = 40, 20, 10
    inner_w, inner_h = width - pad_l - 8, height - pad_b - pad_t
    top = max([s[k] or 0 for s in series for k in ("rate_first", "rate_current")] + [0.01])
    top = min(1.0, round(top * 1.25 + 0.005, 2))
    step = inner_w / max(len(series) - 1, 1)

    def y(rate):
        return round(pad_t + inner_h * (1 - (rate or 0) / top), 1)

    def points(key):
        return " ".join(f"{round(pad_l + i * step, 1)},{y(s[key])}" for i, s in enumerate(series) if s[key] is not None)

    grid = [{"y": y(top * f), "text": f"{top * f * 100:.1f}%"} for f in (0, 0.5, 1)]
    # weekly, counted back from the latest day so that it is always labelled and no two labels collide
    last = len(series) - 1
    labels = [{"x": round(pad_l + i * step, 1), "text": series[i]["day"].strftime("%m-%d"),
               "anchor": "end" if i == last and i else "start" if i == 0 else "middle"}
              for i in sorted(range(last, -1, -7))] if series else []
    return {"width": width, "height": height, "left": pad_l, "grid": grid, "labels": labels, "label_y": height - 5,
            "first": points("rate_first"), "current": points("rate_current")}
