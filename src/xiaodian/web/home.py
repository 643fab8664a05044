"""The home page: one look at what needs doing today, across shipping, logistics and after-sales.

Owners check these counts on their phone in the evening (ui.md), so every card links to the view that
lists the orders behind it, and cards of work a role cannot do are left out.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.permissions import allowed
from ..accounts.service import Principal
from ..aftersales import queries as aftersale_queries
from ..aftersales import views as aftersale_views
from ..aftersales.service import refund_pending_orders
from ..channels.douyin.service import sync_warnings
from ..clock import SHOP_TZ
from ..logistics.queries import parcels_needing_attention
from ..orders.api import shop_of
from ..orders.models import Order
from ..orders.queries import address_changed_to_ship, day_figures, day_start
from ..shipping.listing import most_urgent
from ..shipping.service import shipped_items_of
from ..shipping.pages import countdown, countdown_templates
from ..shipping.queries import view_counts, violation_totals
from . import notices
from .deps import get_ctx
from .templating import render


def todo_cards(session: Session, principal: Principal, ctx, shop_id: int) -> list[dict]:
    """(count, label key, link, tone) for each to-do card the role can act on."""
    now = ctx.clock.now()
    cards = []
    ship = view_counts(session, shop_id, now)
    cards += [
        {"key": "overdue", "count": ship["overdue"], "href": "/shipping?view=overdue", "tone": "urgent"},
        {"key": "due24h", "count": ship["due24h"], "href": "/shipping?view=due24h", "tone": "soon"},
        {"key": "awaiting", "count": ship["awaiting"], "href": "/shipping?view=awaiting", "tone": ""},
    ]
    # A label printed before the buyer changed the address sends the parcel to the old one: the warehouse checks these
    # before the day's shipping (the list so filtered shows the same orders).
    moved = address_changed_to_ship(session, shop_id)
    cards.append({"key": "address_changed", "count": moved, "href": "/orders?address_changed=to_ship",
                  "tone": "soon" if moved else ""})
    if allowed(principal.role, "logistics.handle"):
        anomalies = parcels_needing_attention(session, shop_id)  # parcels, not cases
        cards.append({"key": "anomalies", "count": anomalies, "href": "/logistics",
                      "tone": "urgent" if anomalies else ""})
    if allowed(principal.role, "shipping.ship") and not allowed(principal.role, "aftersales.decide"):
        # the warehouse packs exchanges and re-sends too (cs and the owner see them under 待我处理)
        counts = aftersale_queries.tab_counts(session, shop_id, aftersale_queries.CaseFilter(), now,
                                              aftersale_views.families_from(ctx.settings))
        cards.append({"key": "aftersale_to_send", "count": counts["to_send"], "href": "/aftersales?tab=to_send",
                      "tone": "soon" if counts["to_send"] else ""})
    if allowed(principal.role, "aftersales.decide"):
        counts = aftersale_queries.tab_counts(session, shop_id, aftersale_queries.CaseFilter(), now,
                                              aftersale_views.families_from(ctx.settings))
        cards.append({"key": "aftersale_todo", "count": counts["todo"], "href": "/aftersales?tab=todo", "tone": ""})
        # past the deadline: the platform may already be deciding for the buyer (QA pass 9, #15)
        cards.append({"key": "aftersale_overdue", "count": counts["overdue"], "href": "/aftersales?tab=overdue",
                      "tone": "urgent" if counts["overdue"] else ""})
        cards.append({"key": "aftersale_due_soon", "count": counts["due_soon"], "href": "/aftersales?tab=due_soon",
                      "tone": "soon" if counts["due_soon"] else ""})
    return cards


URGENT_SHOWN = 5


def shop_day(session: Session, shop_id: int, now: datetime) -> dict:
    """Today in shop time (placed, paid and their amount, each linking to the order list so filtered) and this
    month's late-shipment violations: what an owner glances at before the cards' work."""
    today = now.astimezone(SHOP_TZ).date()
    first = today.replace(day=1)  # the month's figures link to its violations: /shipping/health?since=<first>
    month = violation_totals(session, shop_id, day_start(first))
    return {"date": today.isoformat(), **day_figures(session, shop_id, today), "month": month,
            "month_start": first.isoformat()}


def render_home(request: Request, session: Session, principal: Principal):
    ctx = get_ctx(request)
    shop_id = shop_of(request)
    now = ctx.clock.now()
    urgent = most_urgent(session, shop_id, now, URGENT_SHOWN)
    # A desk with no order yet shows its first steps, not a wall of zeros (QA pass 14, #12)
    empty = session.execute(select(Order.id).where(Order.shop_id == shop_id).limit(1)).first() is None
    return render(request, "home.html", cards=todo_cards(session, principal, ctx, shop_id), now=now, empty_desk=empty,
                  urgent=urgent, refund_pending=refund_pending_orders(session, shop_id, [o.order_id for o in urgent]),
                  shipped_items=shipped_items_of(session, shop_id, urgent),
                  day=shop_day(session, shop_id, now),
                  countdown=countdown, can_ship=allowed(principal.role, "shipping.ship"),
                  shipped=notices.read(request, "shipped"),
                  sync_warnings=sync_warnings(session, now=now, shop_ids=[shop_id]),
                  sync_warning_link=allowed(principal.role, "settings.manage"),
                  **countdown_templates())
