"""Group commit (push endpoints): concurrent writes share transactions, each caller is answered only after its own
rows are committed, and one faulty write fails alone."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import func, select

from xiaodian.accounts.models import Shop
from xiaodian.group_commit import GroupCommitter
from xiaodian.logistics.models import Kuaidi100Push

from ..conftest import NOW


def run(coroutine):
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps an event loop running in the main
    thread for the rest of the session, and asyncio.run refuses to start inside one."""
    box = {}

    def target():
        try:
            box["result"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


def _count(ctx) -> int:
    with ctx.sessions() as session:
        return session.execute(select(func.count()).select_from(Kuaidi100Push)).scalar_one()


def _shop_id(ctx) -> int:
    from xiaodian.bootstrap import default_shop_id

    return default_shop_id(ctx)


def test_concurrent_writes_are_grouped_and_each_is_committed_before_its_caller_hears_back(ctx):
    shop_id = _shop_id(ctx)
    committer = GroupCommitter(ctx.sessions)
    seen_after_commit = []
    gate = threading.Event()

    def store(i):
        def work(session):
            gate.wait(5)  # the first write holds the writer until every other caller has queued
            session.add(Kuaidi100Push(shop_id=shop_id, received_at=NOW, param=f"p{i}", sign="s"))
            return i
        return work

    async def caller(i):
        result = await committer.run(store(i))
        seen_after_commit.append((result, _count(ctx)))  # the row is visible to another connection already
        return result

    async def main():
        tasks = [asyncio.create_task(caller(i)) for i in range(40)]
        await asyncio.sleep(0.2)
        gate.set()
        return await asyncio.gather(*tasks)

    assert sorted(run(main())) == list(range(40))
    assert _count(ctx) == 40
    assert committer.writes == 40 and committer.batches < 40  # grouped: fewer transactions than writes
    assert all(count >= 1 for _result, count in seen_after_commit)
    with ctx.sessions() as session:
        assert sorted(session.execute(select(Kuaidi100Push.param)).scalars()) == sorted(f"p{i}" for i in range(40))


def test_a_failing_write_fails_alone_and_the_others_in_its_group_are_stored(ctx):
    shop_id = _shop_id(ctx)
    committer = GroupCommitter(ctx.sessions)
    gate = threading.Event()

    def store(i):
        def work(session):
            gate.wait(5)
            if i == 3:
                session.add(Shop(id=None, name=None))  # violates NOT NULL: the whole group transaction fails
                session.flush()
            session.add(Kuaidi100Push(shop_id=shop_id, received_at=NOW, param=f"p{i}", sign="s"))
            return i
        return work

    async def main():
        tasks = [asyncio.create_task(committer.run(store(i))) for i in range(8)]
        await asyncio.sleep(0.2)
        gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = run(main())
    assert [r for r in results if isinstance(r, Exception)] and isinstance(results[3], Exception)
    assert [r for i, r in enumerate(results) if i != 3] == [0, 1, 2, 4, 5, 6, 7]
    with ctx.sessions() as session:
        params = sorted(session.execute(select(Kuaidi100Push.param)).scalars())
    assert params == [f"p{i}" for i in (0, 1, 2, 4, 5, 6, 7)]


def test_the_writer_thread_ends_when_idle_and_starts_again_on_the_next_write(ctx):
    shop_id = _shop_id(ctx)
    committer = GroupCommitter(ctx.sessions, idle_seconds=0.05)

    def work(session):
        session.add(Kuaidi100Push(shop_id=shop_id, received_at=NOW, param="p", sign="s"))
        return threading.current_thread().name

    first = run(committer.run(work))
    for _ in range(100):
        if committer._thread is None:
            break
        threading.Event().wait(0.02)
    assert committer._thread is None
    assert run(committer.run(work)) == first
    assert _count(ctx) == 2


@pytest.mark.parametrize("fails", [False, True])
def test_the_caller_gets_the_error_of_its_own_write(ctx, fails):
    committer = GroupCommitter(ctx.sessions)

    def work(session):
        if fails:
            raise ValueError("row 3: bad tracking number")
        return "ok"

    if fails:
        with pytest.raises(ValueError, match="row 3"):
            run(committer.run(work))
    else:
        assert run(committer.run(work)) == "ok"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PostgreSQL locks rows: nothing to claim there
def test_claim_writer_takes_the_write_lock_before_the_first_read_on_sqlite(ctx):
    """A read-then-write transaction that claims the writer first waits its turn instead of failing with
    "database is locked" when another connection commits between its read and its write."""
    import sqlite3

    from xiaodian.db import claim_writer

    with ctx.sessions.begin() as session:
        claim_writer(session)
        session.execute(select(func.count()).select_from(Kuaidi100Push)).scalar_one()
        path = ctx.settings.database_url.split(":///", 1)[1]
        other = sqlite3.connect(path, timeout=0.1)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("INSERT INTO kuaidi100_pushes (shop_id, received_at, param, sign) VALUES (1, '2026-11-24', 'x', 's')")
        other.close()
