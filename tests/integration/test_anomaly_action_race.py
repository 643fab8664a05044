"""Concurrent actions on one logistics anomaly (QA pass 5, E16): clerks acting on one case at the same moment all
passed the state machine, each having read the case before the others wrote, and left an impossible case (told_buyer
with closed_at set and no open_kind; two "resolved" entries in its history). Now one wins and the others are refused
with concurrent_change, writing nothing; the scan does not reopen a case a clerk resolved meanwhile. SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import event, func, select

from xiaodian.accounts.models import AuditEntry
from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.logistics import service
from xiaodian.logistics.jobs import scan_shop
from xiaodian.logistics.models import Anomaly, AnomalyAction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import OrderEvent

from ..conftest import NOW
from ..factories import make_record
from ..races import in_sessions, refusal_codes

H = timedelta(hours=1)
BOSS = Principal(None, "owner", "owner", "api")
KEFU = Principal(None, "kefu1", "cs", "api")


def open_case(ctx, shop_id) -> int:
    """A parcel shipped 30 hours ago with no pickup scan: one open pickup-timeout case."""
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id="6938459704022656101", status=OrderStatus.SHIPPED, carrier="中通快递",
            tracking_no="73100000000001", shipped_at=NOW - 30 * H)])
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    with ctx.sessions() as session:
        return session.execute(select(Anomaly.id)).scalar_one()


def read_together(monkeypatch, parties: int) -> None:
    """Every clerk reads the case (and checks the transition) before any of them writes: the race, every time."""
    barrier = threading.Barrier(parties, timeout=30)
    real = service.require_anomaly

    def read_then_wait(*args, **kwargs):
        case = real(*args, **kwargs)
        barrier.wait()
        return case

    monkeypatch.setattr(service, "require_anomaly", read_then_wait)


def race(ctx, shop_id, case_id, moves: list[tuple[Principal, str]]) -> list[str]:
    """Each (clerk, action) in a thread with its own session and transaction; the outcome of each."""
    def clerk(index: int, session) -> str:
        principal, action = moves[index]
        service.act(session, shop_id=shop_id, anomaly_id=case_id, action=action, principal=principal, now=NOW)
        return "ok"

    return refusal_codes(in_sessions(ctx.sessions, clerk, len(moves)))


def history(ctx, case_id) -> tuple[Anomaly, list[AnomalyAction], int, int]:
    """The case, its action rows, its audit entries and its order-timeline action lines."""
    with ctx.sessions() as session:
        case = session.get(Anomaly, case_id)
        actions = list(session.execute(select(AnomalyAction).where(AnomalyAction.anomaly_id == case_id)
                                       .order_by(AnomalyAction.id)).scalars())
        audits = session.execute(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "logistics.anomaly_action")).scalar_one()
        lines = session.execute(select(func.count()).select_from(OrderEvent)
                                .where(OrderEvent.kind == "logistics_anomaly_action")).scalar_one()
    return case, actions, audits, lines


def assert_consistent(case: Anomaly, actions: list[AnomalyAction]) -> None:
    """A resolved case is closed and off the one-open-case index; an active one is neither. The history is one
    chain: each step starts where the one before it ended, and the last ends at the case's status."""
    if case.status == "resolved":
        assert case.open_kind is None and case.closed_at is not None, (case.status, case.open_kind, case.closed_at)
    else:
        assert case.open_kind == case.kind and case.closed_at is None, (case.status, case.open_kind, case.closed_at)
    steps = [(a.action, a.from_status, a.to_status) for a in actions]
    for before, after in zip(steps, steps[1:]):
        assert after[1] == before[2], steps
    assert steps[-1][2] == case.status, steps


def test_told_buyer_and_resolved_at_once_one_wins_and_the_case_stays_possible(ctx, shop_id, monkeypatch):
    case_id = open_case(ctx, shop_id)
    read_together(monkeypatch, 2)
    outcomes = race(ctx, shop_id, case_id, [(BOSS, "told_buyer"), (KEFU, "resolved")])
    assert sorted(outcomes) == ["concurrent_change", "ok"], outcomes
    case, actions, audits, lines = history(ctx, case_id)
    assert_consistent(case, actions)
    assert len(actions) == 2 and audits == 1 and lines == 1  # detected + the winner's step; nothing of the loser
    winner = "told_buyer" if outcomes[0] == "ok" else "resolved"
    assert (actions[-1].action, case.status) == (winner, winner)


def test_four_clerks_at_once_write_one_step(ctx, shop_id, monkeypatch):
    """QA's case 55: resolved twice, contacted_carrier and told_buyer at once all answered 200."""
    case_id = open_case(ctx, shop_id)
    read_together(monkeypatch, 4)
    outcomes = race(ctx, shop_id, case_id, [(KEFU, "resolved"), (BOSS, "resolved"), (KEFU, "contacted_carrier"),
                                            (BOSS, "told_buyer")])
    assert sorted(outcomes) == ["concurrent_change"] * 3 + ["ok"], outcomes
    case, actions, audits, lines = history(ctx, case_id)
    assert_consistent(case, actions)
    assert [a.action for a in actions].count("resolved") <= 1
    assert len(actions) == 2 and audits == 1 and lines == 1


def test_a_refused_action_is_refused_again_from_the_new_status_when_retried(ctx, shop_id, monkeypatch):
    """The loser reloads: from a resolved case its step is now an invalid transition, as one at a time."""
    case_id = open_case(ctx, shop_id)
    read_together(monkeypatch, 2)
    outcomes = race(ctx, shop_id, case_id, [(KEFU, "resolved"), (BOSS, "resolved")])
    assert sorted(outcomes) == ["concurrent_change", "ok"], outcomes
    monkeypatch.undo()
    assert race(ctx, shop_id, case_id, [(BOSS, "told_buyer")]) == ["invalid_transition"]


def test_the_scan_does_not_reopen_an_ignored_case_a_clerk_resolved_meanwhile(ctx, shop_id):
    """The scan reads the ignored case (its ignore-until time has passed, the parcel is still not picked up) and
    means to reopen it; meanwhile a clerk resolves it. The clerk's resolution stands, or (when the scan already held
    SQLite's write lock, so the clerk waited) the scan's reopening stands and the clerk is refused: never a case
    reopened with closed_at set and no open_kind."""
    case_id = open_case(ctx, shop_id)
    with transaction(ctx.sessions) as session:
        service.act(session, shop_id=shop_id, anomaly_id=case_id, action="ignored", principal=KEFU, now=NOW,
                    note="快递说明天揽收", until=NOW + H)
    scan_read, clerk_done = threading.Event(), threading.Event()
    scanner = threading.current_thread()
    outcome: dict = {}
    hooked: list = []

    def wait_for_the_clerk(conn, cursor, statement, parameters, context, executemany):
        """The scan's first write to the case (its reopening) waits until the clerk has acted."""
        if threading.current_thread() is scanner and not scan_read.is_set() \
                and statement.lstrip().upper().startswith("UPDATE LOGISTICS_ANOMALIES"):
            hooked.append(statement)
            scan_read.set()
            clerk_done.wait(3)  # on SQLite the scan may hold the write lock already: the clerk then waits for it

    event.listen(ctx.engine, "before_cursor_execute", wait_for_the_clerk)

    def clerk() -> None:
        scan_read.wait(30)
        outcome["clerk"] = race(ctx, shop_id, case_id, [(KEFU, "resolved")])[0]
        clerk_done.set()

    thread = threading.Thread(target=clerk)
    thread.start()
    try:
        report = scan_shop(ctx.sessions, shop_id, NOW + 2 * H, full=False)
    finally:
        event.remove(ctx.engine, "before_cursor_execute", wait_for_the_clerk)
        scan_read.set()
        thread.join(timeout=60)
    assert hooked and "clerk" in outcome
    case, actions, _audits, _lines = history(ctx, case_id)
    assert_consistent(case, actions)
    assert (outcome["clerk"], report.reopened, case.status) in {("ok", 0, "resolved"),
                                                                ("concurrent_change", 1, "open")}, \
        (outcome, report.reopened, case.status)
