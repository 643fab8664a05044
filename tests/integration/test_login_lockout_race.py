"""The login lockout holds under parallel attempts (QA pass 5, E4: 40 parallel wrong passwords had 20 checked, 12 had
all 12 checked, against a limit of 5). Each attempt used to count the recent failures, verify the password (slow),
then record itself: a burst all counted before any recorded. And the fix must not hold a write lock through the
slow verify (on SQLite that would stall every other writer of the desk). SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from xiaodian.accounts import service
from xiaodian.accounts.models import LoginAttempt
from xiaodian.errors import DomainError

from ..conftest import NOW, PASSWORD

ATTEMPTS = 12


def verify_counted(monkeypatch, parties: int) -> list:
    """Count the passwords checked; each check waits until all attempts are checking at once (the race, every
    time) or, when they cannot all be, for a second; then it goes on."""
    barrier = threading.Barrier(parties)
    real = service.verify_password
    checked: list = []

    def verify(stored, password):
        checked.append(password)
        try:
            barrier.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass
        return real(stored, password)

    monkeypatch.setattr(service, "verify_password", verify)
    return checked


def attempt(ctx, login: str, password: str) -> str:
    """One login as the login form makes it: its own session, committed whatever the outcome."""
    session = ctx.sessions()
    try:
        service.authenticate(session, login=login, password=password, now=ctx.clock.now(), settings=ctx.settings,
                             remote_addr="10.0.0.9")
        outcome = "ok"
    except DomainError as exc:
        outcome = exc.code
    try:
        session.commit()
    finally:
        session.close()
    return outcome


def all_at_once(ctx, tries: list[tuple[str, str]]) -> list[str]:
    outcomes: list = [None] * len(tries)

    def run(index: int) -> None:
        outcomes[index] = attempt(ctx, *tries[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tries))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_parallel_wrong_passwords_check_no_more_than_the_limit(ctx, users, monkeypatch):
    limit = ctx.settings.login_max_failures
    checked = verify_counted(monkeypatch, ATTEMPTS)
    outcomes = all_at_once(ctx, [("cs", f"wrong-password-{i}") for i in range(ATTEMPTS)])
    assert len(checked) == limit, (len(checked), outcomes)
    assert sorted(outcomes) == ["bad_credentials"] * limit + ["login_locked"] * (ATTEMPTS - limit), outcomes
    assert attempt(ctx, "cs", PASSWORD) == "login_locked"  # the right password waits for the lockout, as before
    with ctx.sessions() as session:
        rows = session.execute(select(LoginAttempt.success).where(LoginAttempt.login == "cs")).scalars().all()
    assert rows == [False] * limit  # refused attempts are not recorded, as before


def test_parallel_attempts_for_a_login_that_does_not_exist_are_limited_too(ctx, users, monkeypatch):
    limit = ctx.settings.login_max_failures
    checked = verify_counted(monkeypatch, ATTEMPTS)
    outcomes = all_at_once(ctx, [("nobody", f"guess-{i}") for i in range(ATTEMPTS)])
    assert len(checked) == limit and outcomes.count("login_locked") == ATTEMPTS - limit, outcomes


def test_the_right_password_among_parallel_attempts_logs_in_and_clears_the_earlier_failures(ctx, users, monkeypatch):
    """A success counts as before: the failures before it no longer count towards the lockout."""
    limit = ctx.settings.login_max_failures
    verify_counted(monkeypatch, 3)
    outcomes = all_at_once(ctx, [("cs", "wrong-password-1"), ("cs", PASSWORD), ("cs", "wrong-password-2")])
    assert sorted(outcomes) == ["bad_credentials", "bad_credentials", "ok"], outcomes
    monkeypatch.undo()
    with ctx.sessions() as session:
        rows = session.execute(select(LoginAttempt.success).where(LoginAttempt.login == "cs")).scalars().all()
    assert sorted(rows) == [False, False, True]  # the success's reservation was withdrawn: one row per attempt
    assert attempt(ctx, "cs", PASSWORD) == "ok"  # fewer than the limit of failures since the success
    for i in range(limit):
        assert attempt(ctx, "cs", f"wrong-again-{i}") == "bad_credentials"
    assert attempt(ctx, "cs", PASSWORD) == "login_locked"


def test_no_lock_is_held_while_a_password_is_checked(ctx, users, monkeypatch):
    """While one login's password is being checked (argon2: up to a quarter of a second), another person logs in
    and the desk's other writers write: nothing waits for the check."""
    checking, release = threading.Event(), threading.Event()
    real = service.verify_password

    def slow_verify(stored, password):
        if password == "slow-wrong-password-1":
            checking.set()
            release.wait(30)
        return real(stored, password)

    monkeypatch.setattr(service, "verify_password", slow_verify)
    slow = threading.Thread(target=attempt, args=(ctx, "cs", "slow-wrong-password-1"))
    slow.start()
    try:
        assert checking.wait(30)
        started = time.monotonic()
        assert attempt(ctx, "owner", PASSWORD) == "ok"
        with ctx.sessions.begin() as session:  # any other write of the desk
            session.add(LoginAttempt(login="elsewhere", at=NOW, success=True, remote_addr=None))
        assert time.monotonic() - started < 5
    finally:
        release.set()
        slow.join(timeout=60)
