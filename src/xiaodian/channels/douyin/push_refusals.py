"""Pushes the hook refused (403, nothing stored), counted so that the owner can tell the two causes apart (QA pass
14, #15): a push for an app no shop of this desk is connected with (another app's pushes sent here, or the app key
in the connection is not the one the platform pushes with) and a push for a connected app whose event-sign does not
match (a wrong secret, or someone forging pushes).

The counts are kept in memory, never in the database: a refused push is unauthenticated, and writing for it would let
anyone grow the database or queue writes behind a flood of forged pushes. So they cover the time since the web process
started (each of ``serve --workers N`` counts its own); the log line written for each cause (at most one a minute per
app, with the running count) is the complete record. The secret and the event-sign received are never logged.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger("xiaodian.douyin.push")
LOG_EVERY_SECONDS = 60.0  # a flood of refused pushes writes one log line a minute per app, not one per push
MAX_APP_IDS = 50  # distinct unknown app ids remembered for log throttling; more are logged under one key


@dataclass
class Tally:
    count: int = 0
    latest_at: datetime | None = None
    latest_app_id: str = ""
    logged_at: float | None = None  # monotonic time of the last log line


class Refusals:
    """Counts of refused pushes: ``other_app`` desk-wide (no shop to give them to), ``bad_sign`` per desk shop."""

    def __init__(self, monotonic=time.monotonic):
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self.other_app = Tally()
        self.bad_sign: dict[int, Tally] = {}
        self._other_app_logs: dict[str, float] = {}

    def for_other_app(self, app_id: str, now: datetime) -> None:
        """A push whose app-id header names no connected app (or has none)."""
        shown = printable(app_id)
        with self._lock:
            tally = self.other_app
            tally.count, tally.latest_at, tally.latest_app_id = tally.count + 1, now, shown
            key = shown if shown in self._other_app_logs or len(self._other_app_logs) < MAX_APP_IDS else "*"
            due = self._due(self._other_app_logs.get(key))
            if due:
                self._other_app_logs[key] = self._monotonic()
            count = tally.count
        if due:
            log.warning("douyin push refused: app-id %r is not the app key of any shop connected on this desk "
                        "(pushes of this kind since the desk started: %s); if it is this shop's app, correct the app key "
                        "on the 抖店连接 page", shown, count)

    def for_bad_sign(self, shop_id: int, app_id: str, now: datetime) -> None:
        """A push for a connected app whose event-sign is missing or does not match the stored secret."""
        with self._lock:
            tally = self.bad_sign.setdefault(shop_id, Tally())
            tally.count, tally.latest_at, tally.latest_app_id = tally.count + 1, now, printable(app_id)
            due = self._due(tally.logged_at)
            if due:
                tally.logged_at = self._monotonic()
            count = tally.count
        if due:
            log.warning("douyin push refused for shop %s: the event-sign does not match app %s's secret "
                        "(pushes of this kind since the desk started: %s)", shop_id, printable(app_id), count)

    def snapshot(self, shop_id: int) -> dict:
        """What the status page shows for ``shop_id``: its bad signatures, and the desk's pushes for another app."""
        with self._lock:
            mine = self.bad_sign.get(shop_id, Tally())
            return {"other_app": {"count": self.other_app.count, "latest_at": self.other_app.latest_at,
                                  "latest_app_id": self.other_app.latest_app_id},
                    "bad_sign": {"count": mine.count, "latest_at": mine.latest_at}}

    def _due(self, logged_at: float | None) -> bool:
        return logged_at is None or self._monotonic() - logged_at >= LOG_EVERY_SECONDS


def printable(text: str | None, limit: int = 64) -> str:
    """A header or field from outside as it may be logged and shown: printable, at most ``limit`` characters (an app
    key is 19 digits)."""
    text = (text or "").strip()[:limit]
    return "".join(ch if ch.isprintable() else "?" for ch in text)


REFUSALS = Refusals()
