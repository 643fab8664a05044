"""Writes the demo shop into the desk's database: products, then orders through the normal intake path.

Why: the demo must exercise exactly the code real orders go through (encryption of buyer data, blind indexes,
timeline events, search text), so orders enter by ``upsert_orders`` like an imported export, in batches of about
1,000 per transaction: large enough to be fast, small enough that a progress bar moves and memory stays flat.
Building twice with the same ``now`` and seed changes nothing, since the upsert is idempotent.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..bootstrap import first_shop_id
from ..accounts.service import Principal
from ..clock import iso
from ..context import AppContext
from ..db import transaction
from ..orders import service as orders_service
from ..orders.domain import OrderRecord, OrderStatus
from ..orders.intake import UpsertResult, upsert_orders
from ..orders.models import Order, Product
from .catalogue import PRODUCTS, DemoProduct
from .generator import DEFAULT_SEED, DemoShopData, generate_shop

BATCH_SIZE = 1000
PRODUCTS_LISTED_DAYS = 120  # the shop listed its products some months before the demo window


def product_row(product: DemoProduct) -> dict:
    """The Product table's view of a catalogue entry; aliases hold the short name too (how buyers say it)."""
    aliases = list(dict.fromkeys((product.short, *product.aliases)))
    return {"name": product.title, "name_en": product.name_en, "aliases": json.dumps(aliases, ensure_ascii=False),
            "category": product.category, "ship_promise": product.ship_promise}


def write_products(session: Session, shop_id: int, now: datetime) -> int:
    """Insert the catalogue, or bring existing rows up to date (a rebuild on the same database)."""
    existing = {p.product_id: p for p in session.execute(
        select(Product).where(Product.shop_id == shop_id)).scalars()}
    for product in PRODUCTS:
        values = product_row(product)
        row = existing.get(product.product_id)
        if row is None:
            session.add(Product(shop_id=shop_id, product_id=product.product_id,
                                created_at=now - timedelta(days=PRODUCTS_LISTED_DAYS), **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    session.flush()
    return len(PRODUCTS)


def _progress(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    disable=not enabled, transient=False)


def build_demo_shop(ctx: AppContext, *, orders: int = 5000, progress: bool = True,
                    seed: int = DEFAULT_SEED) -> dict:
    """Generate the demo shop for ``ctx.clock.now()`` and write it into ``ctx``'s database.

    Returns a summary: ``orders`` (how many the demo holds), ``created``/``updated``/``unchanged``/``rejected``,
    ``products``, ``by_status``, the deadline picture (``overdue``, ``due_within_24h``), ``question_day`` and the
    labelled ``scenarios`` (with the buyers' phones, so a demo user can look them up), and timings in ``seconds``.
    """
    started = time.perf_counter()
    now = ctx.clock.now()
    shop_id = first_shop_id(ctx)  # a fresh demo database: its one shop, whatever XIAODIAN_SHOP says
    with _progress(progress) as bar:
        task = bar.add_task("生成演示订单 generating", total=max(orders, 1))
        data = generate_shop(now, orders=orders, seed=seed)
        bar.update(task, completed=max(orders, 1))
        generated = time.perf_counter()
        with transaction(ctx.sessions) as session:
            products = write_products(session, shop_id, data.now)
        moves = _address_changes(ctx, shop_id, data)
        write = bar.add_task("写入数据库 writing", total=max(len(data.orders), 1))
        result = UpsertResult()
        for start in range(0, len(data.orders), BATCH_SIZE):
            batch = data.orders[start:start + BATCH_SIZE]
            with transaction(ctx.sessions) as session:
                result.add(upsert_orders(session, shop_id=shop_id, records=batch, cipher=ctx.cipher, now=data.now,
                                         source="demo", actor="demo"), offset=start)
            bar.advance(write, len(batch))
        if not data.orders:
            bar.update(write, completed=1)
        _apply_flags(ctx, shop_id, data)
        for at, rec in moves:
            with transaction(ctx.sessions) as session:
                upsert_orders(session, shop_id=shop_id, records=[rec], cipher=ctx.cipher, now=at, source="demo",
                              actor="demo")
        from .aftersales import build_demo_aftersales

        after_sales = build_demo_aftersales(ctx, shop_id, data.orders, data.now, data.seed)
    written = time.perf_counter()
    summary = _summary(data, result, products, seconds={
        "generate": round(generated - started, 3), "write": round(written - generated, 3),
        "total": round(written - started, 3)})
    summary["after_sale_cases"] = after_sales
    return summary


DEMO_PRINCIPAL = Principal(user_id=None, login="demo", role="owner", channel="demo")


def _apply_flags(ctx: AppContext, shop_id: int, data: DemoShopData) -> None:
    """Flags (小旗子) are a merchant's own marks, so they go through the merchant-note use case."""
    if not data.flags:
        return
    with transaction(ctx.sessions) as session:
        for order_id, colour in data.flags.items():
            orders_service.update_merchant_note(session, DEMO_PRINCIPAL, shop_id=shop_id, order_id=order_id,
                                                note=None, flag_colour=colour, now=data.now)


# Buyers who changed the delivery address after paying (推送 105): a later snapshot of three orders still to ship,
# so the list's 改地址 tag, the order's warning and the timeline line can be seen in the demo. The platform lets a
# buyer change it only within 6 hours of the order entering 备货中 (ui.md), so the demo changes the most recently
# paid orders, 20 minutes, an hour and three hours after payment (or now, if that is still to come).
_NEW_ADDRESSES = ("新华路 128号 2栋1单元 702（改送公司）", "人民大道 66号 创业大厦 15楼 前台", "解放西路 9号 菜鸟驿站")
_CHANGED_AFTER_PAYMENT = (timedelta(minutes=20), timedelta(hours=1), timedelta(hours=3))


def _address_changes(ctx: AppContext, shop_id: int, data: DemoShopData) -> list[tuple[datetime, OrderRecord]]:
    """The later snapshots to write after the orders, each with the time the desk receives it. Building the same demo
    again must change nothing: where an order is already stored (with its new address), its record in ``data`` is
    the changed one, so the orders' write finds it unchanged and nothing is written after."""
    waiting = sorted((r for r in data.orders if r.status is OrderStatus.AWAITING_SHIPMENT and r.address and r.paid_at),
                     key=lambda r: r.paid_at, reverse=True)
    chosen = list(zip(_CHANGED_AFTER_PAYMENT, waiting, _NEW_ADDRESSES))
    with ctx.sessions() as session:
        stored = set(session.execute(select(Order.order_id).where(
            Order.shop_id == shop_id, Order.order_id.in_([rec.order_id for _h, rec, _a in chosen]))).scalars())
    position = {rec.order_id: i for i, rec in enumerate(data.orders)}
    later = []
    for after, rec, street in chosen:
        moved = replace(rec, address=street)
        if rec.order_id in stored:
            data.orders[position[rec.order_id]] = moved
        else:
            later.append((min(rec.paid_at + after, data.now), moved))
    return later


def _summary(data: DemoShopData, result: UpsertResult, products: int, seconds: dict) -> dict:
    by_status = Counter(r.status.value for r in data.orders)
    return {
        "orders": len(data.orders),
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": len(result.rejected),
        "products": products,
        "by_status": {s.value: by_status.get(s.value, 0) for s in OrderStatus},
        "overdue": sum(1 for r in data.orders if _unshipped(r) and r.ship_by < data.now),
        "due_within_24h": sum(1 for r in data.orders
                              if _unshipped(r) and data.now < r.ship_by <= data.now + timedelta(hours=24)),
        "open_after_sales": sum(1 for r in data.orders if r.after_sale_status),
        "flagged": len(data.flags),
        "repeat_buyers": data.repeat_buyers,
        "now": iso(data.now),
        "seed": data.seed,
        "question_day": data.question_day.isoformat() if data.question_day else None,
        "scenarios": [asdict(s) for s in data.scenarios],
        "seconds": seconds,
    }


def _unshipped(record: OrderRecord) -> bool:
    return record.ship_by is not None and record.status in (OrderStatus.AWAITING_SHIPMENT,
                                                            OrderStatus.PARTIALLY_SHIPPED)
