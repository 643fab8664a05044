"""Pure planning of order-sync windows: the platform answers order.searchList only for bounded update_time
ranges, and status changes are found only by update time (domain.md §5). Stdlib only; ``now`` is passed in."""

from __future__ import annotations

from datetime import datetime, timedelta


def sync_start(cursor: datetime | None, now: datetime, *, overlap: timedelta, first_sync: timedelta,
               since: datetime | None = None) -> datetime:
    """Where the next sync begins: an explicit ``since``; else the cursor minus the overlap (orders updated
    while the last run was paging are read again, the upsert makes that harmless); else ``first_sync`` ago."""
    if since is not None:
        return since
    if cursor is not None:
        return cursor - overlap
    return now - first_sync


def plan_windows(start: datetime, end: datetime, width: timedelta) -> list[tuple[datetime, datetime]]:
    """Consecutive [start, end] windows no wider than ``width`` covering the range (none when it is empty)."""
    if width <= timedelta(0):
        raise ValueError("window width must be positive")
    out = []
    at = start
    while at < end:
        nxt = min(at + width, end)
        out.append((at, nxt))
        at = nxt
    return out
