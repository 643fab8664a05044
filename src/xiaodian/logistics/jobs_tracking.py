"""The tracking job (every minute, in ``serve`` and ``worker``): the demo's simulated carrier in demo mode;
otherwise Kuaidi100 subscriptions and polls when configured; and the replay of stored pushes not yet applied.
Each part is idempotent (scans are unique per package, time and text)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from ..accounts.models import Shop
from . import kuaidi100, simulator, tracking

log = logging.getLogger("xiaodian.jobs.tracking")


def run_tracking(ctx, client: kuaidi100.Client | None = None) -> dict:
    now = ctx.clock.now()
    with ctx.sessions() as session:
        shop_ids = list(session.execute(select(Shop.id).order_by(Shop.id)).scalars())
    summary = {"demo_scans": 0, "subscribed": 0, "queried": 0, "failed": 0, "replayed": 0}
    client = client or kuaidi100.Client(ctx.settings)
    for shop_id in shop_ids:
        try:
            if ctx.settings.demo:
                with ctx.sessions.begin() as session:
                    summary["demo_scans"] += simulator.advance(session, shop_id, now)
            elif client.configured:
                summary["subscribed"] += tracking.subscribe_new(ctx.sessions, client, shop_id=shop_id, now=now)
                report = tracking.poll_due(ctx.sessions, client, shop_id=shop_id, now=now)
                summary["queried"] += report.queried
                summary["failed"] += report.failed
        except Exception:  # one shop's failure must not stop the others
            log.exception("tracking job failed for shop %s", shop_id)
    summary["replayed"] = tracking.apply_stored_once(ctx.sessions, now)
    return summary
