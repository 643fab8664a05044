"""The hourly reveal limit holds under concurrent reveals (QA pass 5, E3: 41 of 45 reveals at once passed a limit
of 30, 33 of 45 on SQLite in one process). Every request used to count the person's reveals before any of the
others had recorded theirs. SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from xiaodian.accounts import audit
from xiaodian.accounts.models import AuditEntry
from xiaodian.accounts.service import Principal, get_user
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.privacy import reveal

from ..conftest import NOW
from ..factories import make_record
from ..races import in_sessions, refusal_codes

LIMIT = 5
REQUESTS = 12
ORDERS = [f"69384597040226570{k:02d}" for k in range(REQUESTS)]


def seed(ctx, shop_id) -> Principal:
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(order_id=o) for o in ORDERS])
        user = get_user(session, "cs")
        return Principal(user.id, user.login, user.role, "api")


def count_then_wait(monkeypatch) -> None:
    """Each request waits after counting until all have counted (the race, every time) or, when they cannot all
    count at once because the first holds the person's lock, for a second; then it goes on."""
    barrier = threading.Barrier(REQUESTS)
    real = audit.count_recent

    def counted(*args, **kwargs):
        used = real(*args, **kwargs)
        try:
            barrier.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass
        return used

    monkeypatch.setattr(audit, "count_recent", counted)


def reveal_all_at_once(ctx, shop_id, principal) -> list[str]:
    def request(index: int, session) -> str:
        reveal.reveal_buyer(session, principal, shop_id=shop_id, order_id=ORDERS[index], reason="买家来电核对地址",
                            now=NOW, cipher=ctx.cipher, limit_per_hour=LIMIT)
        return "revealed"

    return refusal_codes(in_sessions(ctx.sessions, request, REQUESTS))


def reveals_recorded(ctx) -> int:
    with ctx.sessions() as session:
        return session.execute(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "pii.reveal")).scalar_one()


def test_reveals_at_once_pass_the_hourly_limit_no_more_than_the_limit(ctx, shop_id, users, monkeypatch):
    principal = seed(ctx, shop_id)
    count_then_wait(monkeypatch)
    outcomes = reveal_all_at_once(ctx, shop_id, principal)
    assert sorted(outcomes) == ["reveal_limit"] * (REQUESTS - LIMIT) + ["revealed"] * LIMIT, outcomes
    assert reveals_recorded(ctx) == LIMIT


def test_reveals_at_once_after_some_earlier_ones_fill_only_what_is_left(ctx, shop_id, users, monkeypatch):
    principal = seed(ctx, shop_id)
    for order_id in ORDERS[:LIMIT - 2]:
        with transaction(ctx.sessions) as session:
            reveal.reveal_buyer(session, principal, shop_id=shop_id, order_id=order_id, reason="核对地址", now=NOW,
                                cipher=ctx.cipher, limit_per_hour=LIMIT)
    count_then_wait(monkeypatch)
    outcomes = reveal_all_at_once(ctx, shop_id, principal)
    assert outcomes.count("revealed") == 2 and outcomes.count("reveal_limit") == REQUESTS - 2, outcomes
    assert reveals_recorded(ctx) == LIMIT
