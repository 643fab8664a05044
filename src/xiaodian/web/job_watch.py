"""The background jobs a user asked for that are still open, written into every page for the notice watcher
(static/app.js): a job asked for from another computer, another browser or the API is then announced too when it is
done, not only in the browser whose page queued it (which keeps its own list in localStorage).

One small statement a page, by the jobs' status index (only open jobs, a handful at most), on a connection of its
own: the page's own session may be the loop's read-only one or a write transaction that must not be held longer."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import bindparam, literal, select, union_all

from ..accounts.permissions import allowed
from ..exports.models import ExportJob
from ..imports.models import ImportJob
from ..job_queue import OPEN

# Per kind, newest first: more open jobs than this a user cannot have asked for (each shop has at most 3 of a kind)
# in a way a notice would still help with.
SHOWN_PER_KIND = 10


def _open_of(model, kind: str):
    return (select(literal(kind).label("kind"), model.id, model.shop_id)
            .where(model.status.in_([s.value for s in OPEN]), model.user_id == bindparam("user_id"))
            .order_by(model.id.desc()).limit(SHOWN_PER_KIND).subquery().select())


# Built once (its compiled form is then cached): building the selects per page, and a Session around them, cost
# more than running them (1.48 → 0.18 ms a page on this session's slow machine, 1M orders, no open job).
_BOTH = union_all(_open_of(ExportJob, "export"), _open_of(ImportJob, "import"))
_ONLY = {"orders.export": _open_of(ExportJob, "export"), "orders.import": _open_of(ImportJob, "import")}


def open_jobs(request: Request) -> list[tuple[str, int, int]]:
    """(kind, job id, shop id) of the signed-in user's waiting or running exports and imports, for the roles that
    may still ask for them; empty when nobody is signed in."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return []
    may = [permission for permission in _ONLY if allowed(principal.role, permission)]
    if not may:
        return []
    statement = _BOTH if len(may) == 2 else _ONLY[may[0]]
    with request.app.state.ctx.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(statement, {"user_id": principal.user_id})]
