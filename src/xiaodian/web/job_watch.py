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

from fastapi import Request
from sqlalchemy import union_all

from ..accounts.permissions import allowed
from ..exports import service as exports
from ..imports import service as imports
from ..job_queue import NOTICE_WINDOW

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
