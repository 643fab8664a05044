"""Work a person asks for and a worker does later (an export file, a large import): the rules of such a job and its
hand-over between processes, shared by every capability that queues work (exports/, imports/).

Coordination is through the database only: a job is taken by a conditional UPDATE; every progress report renews a
lease naming its holder, so two workers never run the same job, a cancelled job stops at its next report, and a job
whose worker died is taken up again once its lease runs out, or at once when its worker was a process of this
machine that no longer runs (at most MAX_ATTEMPTS times in all). A job's table has
the columns ``status``, ``holder``, ``lease_until``, ``attempts``, ``started_at``, ``finished_at``, ``noticed_at``,
``error_code`` and ``error_message`` (exports.models.ExportJob, imports.models.ImportJob).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, func, literal, or_, select, union_all, update
from sqlalchemy.orm import Session, sessionmaker

MAX_ATTEMPTS = 3  # a job whose worker died is taken up again this many times in all
REPORT_EVERY_SECONDS = 1.0  # progress reports (and lease renewals) at most this often
LEASE = timedelta(minutes=2)  # renewed at every progress report; a job silent for longer was lost with its worker

log = logging.getLogger("xiaodian.jobs")


class JobStatus(StrEnum):
    QUEUED = "queued"  # waiting for a worker
    RUNNING = "running"  # a worker is on it
    DONE = "done"  # finished; its result (a file, a report) can be had
    FAILED = "failed"  # refused or broke; error_code says which
    CANCELLED = "cancelled"  # stopped by a person before it finished
    EXPIRED = "expired"  # done, and its file has since been deleted


OPEN = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED}),
    # running → running: a worker takes up a job whose worker died (its lease ran out)
    JobStatus.RUNNING: frozenset({JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.DONE: frozenset({JobStatus.EXPIRED}),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
    JobStatus.EXPIRED: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return JobStatus(target) in TRANSITIONS[JobStatus(current)]


def takeable(status: str, lease_until: datetime | None, now: datetime) -> bool:
    """A worker may take a job that waits, or one whose worker stopped reporting (its lease ran out)."""
    if status == JobStatus.QUEUED:
        return True
    return status == JobStatus.RUNNING and (lease_until is None or lease_until < now)


class JobStopped(Exception):
    """The job was cancelled, or another worker took it over, while this one worked on it."""


def holder_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def holder_gone(holder: str | None) -> bool:
    """True when a job's holder (holder_name) was a process of this machine that no longer runs. A worker started
    again after a crash or a deploy then takes its predecessor's job up at once, instead of leaving the merchant's
    import or export still for the rest of a lease (two minutes). Only this machine's processes can be seen: a
    holder elsewhere, or a name that does not parse, counts as alive and its lease decides. A wrong "gone" (one
    host name in two process namespaces) costs nothing: the holder's next write finds the job taken (report, hold)
    and it stops."""
    host, _, rest = (holder or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:40] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # another user's process, say: it exists
        return False
    return False


def claim_next(sessions: sessionmaker[Session], model, now: datetime, holder: str, lost: tuple[str, str],
               **restart) -> int | None:
    """Take the oldest job of ``model`` that waits, or whose lease ran out, or whose holder was a process of this
    machine that is gone (holder_gone); None when there is none. ``restart``:
    the columns a job starts again from (its progress). A job taken up for the (MAX_ATTEMPTS + 1)th time is failed
    instead, with ``lost`` (error code, what to do) as its error: it keeps killing its worker."""
    with sessions.begin() as session:
        waiting = or_(model.status == JobStatus.QUEUED.value,
                      (model.status == JobStatus.RUNNING.value) & (model.lease_until < now))
        candidates = [(job_id, attempts, waiting) for job_id, attempts in session.execute(
            select(model.id, model.attempts).where(waiting).order_by(model.id).limit(5))]
        held_here = session.execute(select(model.id, model.attempts, model.holder).where(
            model.status == JobStatus.RUNNING.value, model.lease_until >= now,
            model.holder.startswith(f"{socket.gethostname()[:40]}:", autoescape=True)).order_by(model.id)).all()
        candidates += [(job_id, attempts, (model.status == JobStatus.RUNNING.value) & (model.holder == gone))
                       for job_id, attempts, gone in held_here if holder_gone(gone)]
        for job_id, attempts, still in sorted(candidates, key=lambda c: c[0]):
            if attempts >= MAX_ATTEMPTS:
                log.warning("%s %s given up: its worker stopped %s times", model.__tablename__[:-1], job_id, attempts)
                session.execute(update(model).where(model.id == job_id, still).values(
                    status=JobStatus.FAILED.value, finished_at=now, lease_until=None, error_code=lost[0],
                    error_message=f"the worker on this job stopped {attempts} times; {lost[1]}"))
                continue
            taken = session.execute(update(model).where(model.id == job_id, still).values(
                status=JobStatus.RUNNING.value, holder=holder, lease_until=now + LEASE, started_at=now,
                attempts=attempts + 1, **restart)).rowcount
            if taken == 1:
                if attempts:  # an IT person reading the log learns that a worker died and another carried on
                    log.info("%s %s taken over by %s (attempt %s): its worker stopped", model.__tablename__[:-1],
                             job_id, holder, attempts + 1)
                return job_id
    return None


def report(sessions: sessionmaker[Session], model, job_id: int, holder: str, now: datetime, **values) -> None:
    """Progress and a renewed lease, only while this worker still holds the job; else JobStopped."""
    with sessions.begin() as session:
        hold(session, model, job_id, holder, now, **values)


def hold(session: Session, model, job_id: int, holder: str, now: datetime, **values) -> None:
    """In the caller's own transaction: renew the lease and write ``values`` only while this worker still holds the
    job, else raise JobStopped so that the caller rolls back its other writes with it. A worker whose job was
    stopped by hand, or taken over because it looked dead, then commits nothing more (an import's batch)."""
    kept = session.execute(update(model).where(
        model.id == job_id, model.status == JobStatus.RUNNING.value, model.holder == holder)
        .values(lease_until=now + LEASE, **values)).rowcount
    if kept != 1:
        raise JobStopped(job_id)


class ProgressReports:
    """A job's progress, reported (and its lease renewed) at most every REPORT_EVERY_SECONDS however often the work
    calls: a report is a write, and an export calls every 200 orders. Raises JobStopped once the job was stopped or
    taken over (its heartbeat, when it has one, may have noticed first)."""

    def __init__(self, sessions: sessionmaker[Session], model, job_id: int, holder: str, clock,
                 heartbeat: Heartbeat | None = None) -> None:
        self._args = (sessions, model, job_id, holder)
        self._clock = clock
        self._heartbeat = heartbeat
        self._last = float("-inf")

    def __call__(self, **values) -> None:
        if self._heartbeat is not None and self._heartbeat.lost:
            raise JobStopped(self._args[2])
        if time.monotonic() - self._last >= REPORT_EVERY_SECONDS:
            self._last = time.monotonic()
            report(*self._args, self._clock.now(), **values)


class Heartbeat:
    """Renews a job's lease from a thread of its own while the job runs, every LEASE / 4, for steps that report no
    progress for longer than a lease: an import first reads the whole file to find orders whose rows lie apart
    (a 1 GB CSV: ~13 s; a workbook of a million rows, parsed by openpyxl at ~120 µs a row: minutes), and another
    worker would otherwise take the job over as lost. ``lost`` turns true once the job was stopped or taken over;
    the job's own progress checks it."""

    def __init__(self, sessions: sessionmaker[Session], model, job_id: int, holder: str, clock,
                 every_seconds: float | None = None) -> None:
        self._args = (sessions, model, job_id, holder)
        self._clock = clock
        self._every = LEASE.total_seconds() / 4 if every_seconds is None else every_seconds
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{model.__tablename__}-{job_id}", daemon=True)

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def _beat(self) -> None:
        while not self._stop.wait(self._every):
            try:
                report(*self._args, self._clock.now())
            except JobStopped:
                self._lost.set()
                return
            except Exception:  # noqa: BLE001 - a busy database this time: the next beat tries again
                continue

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def finish(sessions: sessionmaker[Session], model, job_id: int, holder: str, **values) -> bool:
    """The job's end (status and result), if this worker still holds it."""
    with sessions.begin() as session:
        return session.execute(update(model).where(
            model.id == job_id, model.status == JobStatus.RUNNING.value, model.holder == holder)
            .values(lease_until=None, **values)).rowcount == 1


def stop(session: Session, model, job_id: int, now: datetime) -> bool:
    """Mark a waiting or running job cancelled; False when it had ended already (or ended between the caller's read
    and this write). A running worker notices at its next progress report or heartbeat."""
    return session.execute(update(model).where(model.id == job_id, model.status.in_([s.value for s in OPEN]))
                           .values(status=JobStatus.CANCELLED.value, finished_at=now, lease_until=None)).rowcount == 1


# Jobs of one user a statement of watched_of_user lists, newest first: more than this (each shop has at most 3 open
# of a kind) no notice would still help with.
WATCHED_PER_USER = 10
# A finished job its asker has not been told of is announced on the next page they open within this time; after it,
# a notice would be news of something long since dealt with (an export's file is deleted sooner anyway).
NOTICE_WINDOW = timedelta(days=7)
TOLD = frozenset({JobStatus.DONE, JobStatus.FAILED})  # the ends a notice announces; a person's own Stop is not news


def watched_of_user(model, kind: str):
    """A statement of (kind, job id, shop id) of one user's jobs of ``model`` that the notice watcher of every page
    follows (web/job_watch.py): those still waiting or running, and those finished since the bound ``since`` that
    the user has not been told of yet (mark_noticed), so that a job that ended while none of their pages was open is
    announced on the next one. The bound ``user_id`` names the user. Two seeks on one index (user, noticed_at,
    finished_at: a user's years of told jobs are never read), newest first; built once per kind at import, so that
    each page only runs it."""
    columns = (literal(kind).label("kind"), model.id, model.shop_id)
    untold = (model.user_id == bindparam("user_id"), model.noticed_at.is_(None))  # an open job is untold too
    still_open = select(*columns).where(*untold, model.finished_at.is_(None),  # every end sets finished_at
                                        model.status.in_([s.value for s in OPEN]))
    finished = select(*columns).where(*untold, model.finished_at >= bindparam("since"),
                                      model.status.in_([s.value for s in TOLD]))
    both = union_all(still_open, finished).subquery()
    return select(both).order_by(both.c.id.desc()).limit(WATCHED_PER_USER).subquery().select()


def mark_noticed(session: Session, model, job, user_id: int, now: datetime, what: str) -> None:
    """Record that a job's asker has been told it finished (again: nothing changes). ``job`` is one the caller's
    service has found and may show. A notice is the asker's: an owner who looks at a clerk's job must not take the
    clerk's notice away, so anyone else gets NotFound ``{what}_job_not_found``. A job still open cannot have been
    announced (it would then never be): Conflict ``{what}_job_open``."""
    from .errors import Conflict, NotFound

    if job.user_id != user_id:
        raise NotFound(f"{what} job {job.id} not found among yours", code=f"{what}_job_not_found")
    if job.status in OPEN:
        raise Conflict(f"{what} job {job.id} is {job.status}: there is nothing to be told yet",
                       code=f"{what}_job_open", details={"status": job.status})
    session.execute(update(model).where(model.id == job.id, model.noticed_at.is_(None)).values(noticed_at=now))


def check_room(session: Session, model, shop_id: int, limit: int, what: str) -> None:
    """At most ``limit`` jobs of ``model`` a shop wait or run: a guard against filling the disk or the worker's
    day, not a rule of the platform. Two requests at once must not both see room for one more: the shop's row is
    locked first (PostgreSQL: a row lock; SQLite: the write lock, taken by the first write), so the second request
    counts after the first has committed. Call it last before adding the job, after any long count, so that
    other writers are not held up. Raises Conflict ``{what}_queue_full``."""
    from .accounts.models import Shop
    from .errors import Conflict

    session.execute(update(Shop).where(Shop.id == shop_id).values(name=Shop.name))
    open_jobs = session.scalar(select(func.count()).select_from(model).where(
        model.shop_id == shop_id, model.status.in_([s.value for s in OPEN])))
    if open_jobs >= limit:
        raise Conflict(f"the shop already has {open_jobs} {what}s waiting or running (at most {limit}): wait for one "
                       "to finish or stop one", code=f"{what}_queue_full", details={"open": open_jobs, "limit": limit})


def requester(session: Session, user_id: int):
    """The user who asked for a job, with the role they hold now (a Principal), or None when that user is gone or
    disabled: a job runs on its asker's rights at the time it runs, not at the time it was asked for."""
    from .accounts.models import User
    from .accounts.service import Principal

    user = session.get(User, user_id)
    if user is None or user.disabled_at is not None:
        return None
    return Principal(user.id, user.login, user.role, "job")


def work_through(ctx, claim: Callable, run: Callable, holder: str | None = None,
                 max_jobs: int = 20) -> list[tuple[int, str]]:
    """A worker's turn on one kind of job: take waiting jobs (``claim(sessions, now, holder)``) and run them
    (``run(ctx, job_id, holder)`` → final status) one after another, at most ``max_jobs``, so the loop gets back to
    its other duties. Returns (job id, status) for each."""
    holder = holder or holder_name()
    done = []
    for _ in range(max_jobs):
        job_id = claim(ctx.sessions, ctx.clock.now(), holder)
        if job_id is None:
            break
        done.append((job_id, run(ctx, job_id, holder)))
    return done

