"""The home page: one look at what needs doing today, across shipping, logistics and after-sales.

Owners check these counts on their phone in the evening (ui.md), so every card links to the view that
lists the orders behind it, and cards of work a role cannot do are left out.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from ..accounts.permissions import allowed
from ..accounts.service import Principal
from ..aftersales import queries as aftersale_queries
from ..aftersales import views as aftersale_views
from ..logistics.queries import anomaly_counts
from ..orders.api import shop_of
from ..shipping.queries import view_counts
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
    if allowed(principal.role, "logistics.handle"):
        anomalies = sum(anomaly_counts(session, shop_id).values())
        cards.append({"key": "anomalies", "count": anomalies, "href": "/logistics", "tone": "urgent" if anomalies else ""})
    if allowed(principal.role, "aftersales.decide"):
        counts = aftersale_queries.tab_counts(session, shop_id, aftersale_queries.CaseFilter(), now,
                                              aftersale_views.families_from(ctx.settings))
        cards.append({"key": "aftersale_todo", "count": counts["todo"], "href": "/aftersales?tab=todo", "tone": ""})
        cards.append({"key": "aftersale_due_soon", "count": counts["due_soon"], "href": "/aftersales?tab=due_soon",
                      "tone": "soon" if counts["due_soon"] else ""})
    return cards


def render_home(request: Request, session: Session, principal: Principal):
    ctx = get_ctx(request)
    return render(request, "home.html", cards=todo_cards(session, principal, ctx, shop_of(request)))
