"""Background work for every connected shop, registered in worker.JOBS and runnable by hand from the CLI:
the incremental sync plus inbox retries (every minute) and the reconciliation sweep (hourly). One shop's
failure is recorded on its status page and does not stop the others."""

from __future__ import annotations

import logging

from .aftersales_sync import AfterSaleReport, sync_aftersales
from .outbox import OutboxReport, send_pending
from .push import PushReport, process_pending, prune
from .service import build_client, connected_shop_ids, record_error
from .sync import SyncReport, reconcile, sync_orders

log = logging.getLogger("xiaodian.douyin.jobs")


def _shops(ctx) -> list[int]:
    with ctx.sessions() as session:
        return connected_shop_ids(session)


def sync_shop(ctx, shop_id: int, *, since=None) -> dict:
    """One shop's sync, inbox retry and queued uploads; returns the CLI's JSON shape."""
    now = ctx.clock.now()
    client = build_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher, clock=ctx.clock)
    errors: list[dict] = []

    def stage(name, run, empty):
        """Each part runs whatever happened to the one before: an unforeseen error is recorded on the status
        page and reported, never a traceback that stops the rest."""
        try:
            return run()
        except Exception as exc:  # noqa: BLE001
            log.exception("douyin %s failed for shop %s", name, shop_id)
            record_error(ctx.sessions, shop_id=shop_id, error=exc, now=now)
            errors.append({"stage": name, "msg": f"{type(exc).__name__}: {exc}"[:300]})
            return empty

    report = stage("order sync", lambda: sync_orders(ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher,
                                                     now=now, settings=ctx.settings, since=since), SyncReport())
    aftersales = stage("after-sale sync", lambda: sync_aftersales(
        ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher, now=now, settings=ctx.settings,
        since=since), AfterSaleReport())
    inbox = stage("push inbox", lambda: process_pending(ctx.sessions, shop_id=shop_id, client=client,
                                                        cipher=ctx.cipher, now=now, settings=ctx.settings),
                  PushReport())
    uploads = stage("uploads", lambda: send_pending(ctx.sessions, shop_id=shop_id, client=client, now=now),
                    OutboxReport())
    return {"shop_id": shop_id, "orders": report.orders, "aftersales": aftersales.as_json(),
            "inbox": inbox.as_json(), "uploads": uploads.as_json(), "repaired": report.repaired,
            "errors": report.errors + aftersales.errors + errors,
            "cursor": report.cursor.isoformat() if report.cursor else None}


def run_sync(ctx) -> None:
    for shop_id in _shops(ctx):
        try:
            result = sync_shop(ctx, shop_id)
            if result["orders"]["created"] or result["orders"]["updated"] or result["errors"]:
                log.info("douyin sync %s", result)
        except Exception as exc:  # noqa: BLE001 - isolate shops
            log.exception("douyin sync failed for shop %s", shop_id)
            record_error(ctx.sessions, shop_id=shop_id, error=exc, now=ctx.clock.now())


def run_reconcile(ctx, days: float = 3.0, shop_ids: list[int] | None = None) -> list[dict]:
    """The sweep of every connected shop, or of ``shop_ids`` only (the CLI's --shop)."""
    out = []
    for shop_id in _shops(ctx) if shop_ids is None else shop_ids:
        try:
            client = build_client(ctx.sessions, shop_id=shop_id, settings=ctx.settings, cipher=ctx.cipher,
                                  clock=ctx.clock)
            report = reconcile(ctx.sessions, shop_id=shop_id, client=client, cipher=ctx.cipher, now=ctx.clock.now(),
                               settings=ctx.settings, days=days)
            out.append({"shop_id": shop_id, **report.as_json()})
            prune(ctx.sessions, shop_id=shop_id, now=ctx.clock.now())  # push batches past their retention
            if report.repaired:
                log.warning("douyin reconcile repaired %d orders in shop %s", len(report.repaired), shop_id)
        except Exception as exc:  # noqa: BLE001
            log.exception("douyin reconcile failed for shop %s", shop_id)
            record_error(ctx.sessions, shop_id=shop_id, error=exc, now=ctx.clock.now())
    return out
