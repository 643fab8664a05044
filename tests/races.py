"""Running work at the same moment, for the tests of what concurrent requests must not break (two clerks, two
imports, a burst of logins): each piece of work in a thread of its own, with its own session and transaction, as
two web requests or two worker jobs have them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from xiaodian.errors import DomainError


def in_threads(work: Callable[[int], Any], n: int, *, timeout: float = 120) -> list:
    """``work(index)`` in ``n`` threads released together; each one's result, or the exception it raised."""
    outcomes: list = [None] * n
    start = threading.Barrier(n, timeout=30)

    def run(index: int) -> None:
        try:
            start.wait()
            outcomes[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "concurrent work hung"
    return outcomes


def in_sessions(sessions, work: Callable[[int, Any], Any], n: int, *, timeout: float = 120) -> list:
    """``work(index, session)`` in ``n`` threads released together, each in a session of its own, committed when the
    work returns and rolled back when it raises; each one's result, or the exception it raised."""

    def one(index: int):
        session = sessions()
        try:
            result = work(index, session)
            session.commit()
            return result
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()

    return in_threads(one, n, timeout=timeout)


def refusal_codes(outcomes: list) -> list:
    """The outcomes with each refusal (DomainError) as its stable code; anything else as it was."""
    return [o.code if isinstance(o, DomainError) else o for o in outcomes]
