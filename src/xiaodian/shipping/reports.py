"""Read use cases behind the violations list, the forecast and the store-health page (shared by API, CLI,
pages), each returning plain data."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, time, timedelta, timezone

from sqlalchemy.orm import Session

from ..aftersales.service import refund_pending_orders, refund_pending_unshipped
from ..clock import iso
from ..orders.queries import address_changed_order_ids
from ..web.i18n import words_language
from . import forecast as fc
from .picking import ToSend, contents_unknown, in_deadline_order, items_to_pick, order_notes, pick_totals
from .domain import SHOP_TZ
from .queries import (
    awaiting_deadline_keys, daily_on_time, get_settings, late_rules, list_violations, rate_over, violation_totals,
    order_ids_in_plan_order, orders_shipped_between, working_hours,
)

PICK_LIST_LIMIT = 2000


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def assumptions(session: Session, shop_id: int) -> dict:
    """The penalty figures in force; the platform's real ones are not public (domain.md §2)."""
    rules = late_rules(get_settings(session, shop_id))
    return {"points_per_violation": rules.points, "compensation_pct": rules.compensation_pct,
            "compensation_min_fen": rules.compensation_min_fen, "compensation_max_fen": rules.compensation_max_fen,
            "note": "configurable defaults, not the platform's published figures"}


def violations_report(session: Session, shop_id: int, since: datetime | None, limit: int = 500,
                      now: datetime | None = None) -> dict:
    """The violations, latest deadline first. An order still unshipped (超时未发货) is late by as long as it has been
    overdue up to ``now``: the stored figure is the one measured when the scan first recorded it, which the health
    page showed frozen beside the home page's growing countdown (QA pass 6, #19)."""
    total, rows = list_violations(session, shop_id, since, limit)

    def late_by(v) -> int:
        if now is None or v.shipped_at is not None or v.ship_by is None:
            return v.late_by_seconds
        ship_by = v.ship_by if v.ship_by.tzinfo else v.ship_by.replace(tzinfo=timezone.utc)
        return max(v.late_by_seconds, int((now - ship_by).total_seconds()))

    totals = violation_totals(session, shop_id, since or datetime(2000, 1, 1).astimezone())
    return {"total": total, "points": totals["points"], "compensation_fen": totals["compensation_fen"],
            "assumptions": assumptions(session, shop_id),
            "violations": [{"order_id": oid, "kind": v.kind, "ship_by": iso(v.ship_by), "shipped_at": iso(v.shipped_at),
                            "late_by_seconds": late_by(v), "points": v.points,
                            "compensation_fen": v.compensation_fen, "detected_at": iso(v.detected_at)}
                           for v, oid, _amount in rows]}


def forecast_report(session: Session, shop_id: int, now: datetime, capacity: fc.Capacity | None = None,
                    limit: int = PICK_LIST_LIMIT, within_hours: int | None = None,
                    sends: Sequence[ToSend] = ()) -> dict:
    """The plan runs on integers over every awaiting order; order ids and datetimes are read and built only for
    the pick list shown (and the first miss), which is what keeps 50,000 orders within a few hundred ms.

    An order whose buyer asked for a refund (not refused yet) cannot ship, and most such refunds are agreed: it is
    left out of the plan, so it takes no packing time from orders that can ship, and listed apart
    (``refund_pending_orders``) for after-sales to decide first.

    ``within_hours`` limits the pick list (not the plan) to the orders overdue or due within that many hours: the
    rest are counted (``later``), not listed nor totalled. ``sends``: after-sale goods to send the buyer, listed by
    their deadline among the orders (those due after the horizon counted in ``later_sends``) and totalled with them
    (the printable pick list; QA pass 13, #4 and #5)."""
    settings = get_settings(session, shop_id)
    hours = working_hours(settings)
    capacity = capacity or fc.capacity_value(settings.capacity_per_hour)
    all_deadlines, all_pks = awaiting_deadline_keys(session, shop_id)
    held = refund_pending_unshipped(session, shop_id, set(all_pks))
    deadlines = [d for d, pk in zip(all_deadlines, all_pks) if pk not in held] if held else all_deadlines
    pks = [pk for pk in all_pks if pk not in held] if held else all_pks
    held_pks = [pk for pk in all_pks if pk in held]  # those with a ship-by, most urgent first
    until = None if within_hours is None else now + timedelta(hours=within_hours)
    listed = len(deadlines) if until is None else bisect_right(deadlines, int(until.timestamp()))
    keep = min(limit, listed)
    done = fc.schedule(deadlines, now=now, capacity_per_hour=capacity, hours=hours, keep=keep)
    head = order_ids_in_plan_order(session, pks, keep)
    first_miss = None
    if done.first_miss is not None and done.first_miss >= len(head):
        # Its ship-by is that of the one order at its place in ship-by order (orders tied with it share it), so that
        # order alone is read: reading every order up to it took 1.3-2.3 s at 1M orders, 110,000 awaiting.
        first_miss = order_ids_in_plan_order(session, pks[done.first_miss:done.first_miss + 1], 1)[0][1]
    result = fc.to_plan(done, head, now=now, capacity_per_hour=capacity, hours=hours, first_miss_ship_by=first_miss)
    lang = words_language()
    moved = address_changed_order_ids(session, shop_id)
    planned = result.orders[:keep]
    planned_ids = [p.order_id for p in planned]
    items = items_to_pick(session, shop_id, planned_ids)
    notes = order_notes(session, shop_id, planned_ids)
    unknown = contents_unknown(session, shop_id, planned_ids)
    no_notes = {"buyer_note": None, "merchant_note": None, "flag_colour": 0}
    sent = [s for s in sends if until is None or s.due_by is None or s.due_by <= until]
    return {"capacity_per_hour": fc.capacity_json(result.capacity_per_hour), "work_start": _hhmm(hours.start_minute),
            "work_end": _hhmm(hours.end_minute), "rest_days": sorted(hours.rest_days),
            "awaiting": result.count + len(held_pks), "planned": result.count, "will_miss": result.will_miss,
            "already_overdue": result.already_overdue, "earliest_miss": iso(result.earliest_miss),
            "extra_hours_today": result.extra_hours_today,
            "summary": fc.summary(result, lang, refund_pending=len(held_pks)),
            "pick_list": in_deadline_order([
                *({"order_id": p.order_id, "ship_by": iso(p.ship_by), "done_at": iso(p.done_at),
                   "misses": p.misses, "already_overdue": p.already_overdue, "address_changed": p.order_id in moved,
                   "parcel_contents_unknown": p.order_id in unknown,
                   "items": [item.as_dict() for item in items[p.order_id]],
                   "refund_pending": False, **notes.get(p.order_id, no_notes)} for p in planned),
                *(_send_row(s, no_notes) for s in sent)]),
            "pick_totals": [total.as_dict() for total in pick_totals([*items.values(), *(s.items for s in sent)])],
            "within_hours": within_hours, "until": iso(until), "later": len(deadlines) - listed,
            "later_sends": len(sends) - len(sent),
            "refund_pending": len(held_pks),
            "refund_pending_orders": _held_rows(session, shop_id, order_ids_in_plan_order(session, held_pks, limit),
                                                now)}


def _send_row(send: ToSend, no_notes: dict) -> dict:
    """An after-sale case to send, as a row of the pick list (``aftersale_id`` set: not an order)."""
    return {"order_id": send.order_id, "aftersale_id": send.aftersale_id, "case_type": send.case_type,
            "ship_by": iso(send.due_by), "done_at": None, "misses": False, "already_overdue": send.overdue,
            "address_changed": False, "parcel_contents_unknown": False,
            "items": [item.as_dict() for item in send.items], "refund_pending": False, **no_notes}


def cases_to_send(session: Session, shop_id: int, now: datetime) -> list[ToSend]:
    """Exchanges, re-sends and repaired items the merchant must ship (售后 待商家发货), most urgent first: goods the
    warehouse packs as well, against the case's deadline (QA pass 6, #18: they reached none of its lists)."""
    from ..aftersales import queries as aftersale_queries, views as aftersale_views
    from .picking import to_send

    families = aftersale_views.families_from(None)  # the to_send tab does not filter by reason family
    _total, cases = aftersale_queries.list_cases(session, shop_id, aftersale_queries.CaseFilter(
        tab="to_send", page_size=200), now, families)
    return to_send(session, shop_id, aftersale_views.case_rows(session, cases, families, now))


def capacity_vs_pace(capacity: int | float, pace: dict) -> int:
    """How many times the warehouse's recent pace the plan's capacity is, rounded, when it is 3 or more (else 0):
    the forecast and the pick list warn with it that orders the plan shows on time may miss (QA pass 13, #6)."""
    if not pace["shipped"] or not pace["per_hour"]:
        return 0
    ratio = capacity / pace["per_hour"]
    return int(ratio + 0.5) if ratio >= 3 else 0


def _held_rows(session: Session, shop_id: int, held: list, now: datetime) -> list[dict]:
    """The orders a refund keeps out of the plan, each saying whether the refund is still to decide or already
    agreed (then the order closes when it is paid: nothing to decide, nothing to pack; QA pass 10, D13)."""
    agreed = refund_pending_orders(session, shop_id, [order_id for order_id, _ship_by in held]).agreed if held else ()
    return [{"order_id": order_id, "ship_by": iso(ship_by), "already_overdue": ship_by < now,
             "agreed": order_id in agreed} for order_id, ship_by in held]


PACE_DAYS = 7


def recent_pace(session: Session, shop_id: int, now: datetime, days: int = PACE_DAYS) -> dict:
    """The pace the warehouse kept over the last ``days`` whole shop days (today, still running, left out): orders
    shipped ÷ the working hours of those days (rest days have none), so the forecast can be run at what the
    warehouse does rather than at what was typed in as its capacity."""
    hours = working_hours(get_settings(session, shop_id))
    today = now.astimezone(SHOP_TZ).date()
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    shipped = orders_shipped_between(session, shop_id, datetime.combine(first, time(0), tzinfo=SHOP_TZ),
                                     datetime.combine(today, time(0), tzinfo=SHOP_TZ))
    working_days = hours.working_days(first, days)
    per_hour = fc.pace_per_hour(shipped, working_days, hours)
    # The capacity to run the forecast at: the pace to a tenth, as the plan takes it. A small shop's 0.3 an hour
    # stays 0.3 (QA pass 6, #12: rounded up to 1, the forecast at "this pace" was three times too kind).
    tenths = min(max(round(per_hour, 1), 0.1), fc.MAX_CAPACITY)
    capacity = fc.capacity_json(fc.capacity_value(tenths)) if shipped else None
    return {"days": days, "working_days": working_days, "first_day": first.isoformat(), "last_day": last.isoformat(),
            "shipped": shipped, "per_hour": round(per_hour, 1),
            "capacity": capacity, "work_start": _hhmm(hours.start_minute),
            "work_end": _hhmm(hours.end_minute)}


def health_report(session: Session, shop_id: int, now: datetime) -> dict:
    days = daily_on_time(session, shop_id, now, 30)
    week, month = rate_over(days, 7), rate_over(days, 30)
    return {"days": days, "week": week, "month": month,
            "totals_30": violation_totals(session, shop_id, now - timedelta(days=30)),
            "assumptions": assumptions(session, shop_id)}


def rate_chart(days, width: int = 640, height: int = 160) -> dict:
    """Geometry of the daily on-time chart, drawn server-side as SVG (no script, CSP-safe)."""
    pad_l, pad_b, pad_t = 34, 20, 8
    inner_w, inner_h = width - pad_l - 6, height - pad_b - pad_t
    step = inner_w / max(len(days), 1)
    bars = []
    for i, d in enumerate(days):
        rate = d.rate
        h = 0 if rate is None else round(inner_h * rate, 1)
        bars.append({"x": round(pad_l + i * step + 1, 1), "y": round(pad_t + inner_h - h, 1), "w": round(step - 2, 1),
                     "h": h, "day": d.day.strftime("%m-%d"), "rate": rate, "due": d.due, "on_time": d.on_time,
                     "low": rate is not None and rate < 0.95, "label": i % 5 == 0 or i == len(days) - 1})
    grid = [{"y": round(pad_t + inner_h * (1 - f), 1), "text": f"{int(f * 100)}%"} for f in (0, 0.5, 1)]
    return {"width": width, "height": height, "bars": bars, "grid": grid, "base": pad_t + inner_h,
            "label_y": height - 6, "left": pad_l}
