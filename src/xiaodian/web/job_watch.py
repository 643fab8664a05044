"""The background jobs the notice watcher (static/app.js) follows for the signed-in user, written into every page:
those still waiting or running, and those finished that the user has not been told of yet. A job asked for from
another computer, another browser or the API is then announced too when it is done, not only in the browser whose
page queued it (which keeps its own list in localStorage); and a job that finished while none of the user's pages
was open is announced on the next one (for a week: job_queue.NOTICE_WINDOW). The watcher tells the desk once it
has announced a job (POST …/noticed), and it is not listed again.

One small statement a page, by the jobs' indexes (a handful of rows at most), on a connection of its own: the
page's own session may be the loop's read-only one or a write transaction that must not be held longer. The
statements are the capabilities' own (exports.service, imports.service: job_queue.watched_of_user), built once:
building the selects per page, and a Session around them, cost more than running them (1.48 → 0.18 ms a page on a
slow machine, 1M orders, no open job)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from ..accounts.permissions import allowed
from ..exports import service as exports
from ..imports import service as imports
from ..job_queue import LEASE, NOTICE_WINDOW, JobStatus

_ONE = {"orders.export": exports.WATCHED_OF_USER, "orders.import": imports.WATCHED_OF_USER}
_BOTH = union_all(exports.WATCHED_OF_USER, imports.WATCHED_OF_USER)


def watched_jobs(request: Request) -> list[tuple[str, int, int]]:
    """(kind, job id, shop id) of the signed-in user's exports and imports to follow or announce, for the roles
    that may still ask for them; empty when nobody is signed in."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return []
    may = [permission for permission in _ONE if allowed(principal.role, permission)]
    if not may:
        return []
    statement = _BOTH if len(may) == 2 else _ONE[may[0]]
    since = request.app.state.ctx.clock.now() - NOTICE_WINDOW
    with request.app.state.ctx.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(statement, {"user_id": principal.user_id, "since": since})]


# A job left this long with no worker on it says so (QA 7 #9: with `serve --no-jobs` and no `xiaodian worker`, the
# export jobs page said "Queued" and an import's page "10%" for ever). A worker takes a waiting job within seconds
# (its lane looks every 2 s) and renews a running job's lease at least every LEASE / 4: two minutes is well past
# both, and a running job's own lease runs out at that age anyway.
UNATTENDED_AFTER = timedelta(minutes=2)


class WorkerWatch:
    """Whether a waiting or running job of one kind (``model``: ExportJob, ImportJob) has been left without a worker,
    and for how long. A running job is left once its lease ran out (its worker stopped renewing it); a waiting job
    once it has waited UNATTENDED_AFTER. Neither counts while a worker holds a job of the same kind with a live
    lease: a lane runs one job at a time, so the job is merely waiting its turn (behind another shop's, perhaps) and
    will be taken when that one ends. That is one small query (the status index, one row), asked at most once per
    page or list and only when some job looks left; a list pays nothing more per row."""

    def __init__(self, session: Session, model, now: datetime) -> None:
        self._session, self._model, self._now = session, model, now
        self._busy: bool | None = None

    def _worker_busy(self) -> bool:
        if self._busy is None:
            model = self._model
            self._busy = self._session.scalar(select(model.id).where(
                model.status == JobStatus.RUNNING.value, model.lease_until >= self._now).limit(1)) is not None
        return self._busy

    def minutes(self, job) -> int | None:
        """Whole minutes ``job`` has been left without a worker; None while a worker is on it or it is only waiting
        its turn, or once it ended."""
        if job.status == JobStatus.QUEUED:
            since = job.created_at
        elif job.status == JobStatus.RUNNING:
            if job.lease_until is not None and job.lease_until >= self._now:
                return None  # its worker renewed the lease lately
            since = job.lease_until - LEASE if job.lease_until is not None else job.started_at or job.created_at
        else:
            return None
        if since is None or self._now - since < UNATTENDED_AFTER or self._worker_busy():
            return None
        return int((self._now - since).total_seconds() // 60)
