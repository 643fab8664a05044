"""Idempotent upsert of order snapshots (export files, platform sync, demo): the one way orders enter the desk.

Keyed on shop + order id (and shop + SKU order id for items). A snapshot identical to what is stored
changes nothing; a later one moves the status forward and writes timeline events; an older one that
would move the status backwards is rejected, since the platform never reopens an order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from datetime import UTC, datetime

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from ..db import UTCDateTime, claim_writer, in_ids, insert_ignore, insert_values
from ..privacy.crypto import PiiCipher
from ..privacy.masking import MASKED_MOBILE, mask_address, mask_name, mask_phone, normalise_phone
from ..shipping.domain import normalise_tracking  # pure rule: how the desk compares tracking numbers
from . import search_index
from .domain import OrderRecord, OrderStatus, can_catch_up, tracking_numbers
from .models import Order, OrderEvent, OrderItem, Shipment

# The tables intake writes and then looks orders up in (by order id, SKU id, order): a bulk writer keeps their
# PostgreSQL statistics in step with what it loaded (db.PlannerStatistics).
BULK_TABLES = ("orders", "order_items", "shipments")
SORT_SHIFT = 20
SORT_MASK = (1 << SORT_SHIFT) - 1


def sort_key_for(created_at: datetime, pk: int) -> int:
    """Newest-first key: created second in the high bits, low bits of the row id to keep it unique."""
    return (int(created_at.timestamp()) << SORT_SHIFT) | (pk & SORT_MASK)


@dataclass
class Rejection:
    index: int  # position of the record in the batch
    field: str
    code: str
    message: str


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)

    def add(self, other: UpsertResult, offset: int = 0) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.created_ids += other.created_ids
        self.updated_ids += other.updated_ids
        for r in other.rejected:
            self.rejected.append(Rejection(r.index + offset, r.field, r.code, r.message))


# Times that, when a snapshot first reveals them, become timeline events.
_TIME_EVENTS = (
    ("created_at", "created"),
    ("paid_at", "paid"),
    ("shipped_at", "shipped"),
    ("completed_at", "completed"),
    ("cancelled_at", "cancelled"),
)
_LATER_TIME_EVENTS = _TIME_EVENTS[1:]  # created_at is never empty: a new order's "created" event is written apart


# json.dumps(..., default=str, ensure_ascii=False, separators=(",", ":")) builds a new encoder on every call;
# one shared encoder gives the same text (stored digests stay valid) for half the cost.
_HASH_JSON = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":"))
# That encoder still builds its C encoder object on every encode(); built once (no circular-reference markers,
# which only detect cycles) it writes the same text for a third less.
if json.encoder.c_make_encoder is not None:
    _HASH_C = json.encoder.c_make_encoder(None, str, json.encoder.encode_basestring, None, ":", ",", False, False, True)

    def _hash_text(payload: list) -> str:
        return "".join(_HASH_C(payload, 0))
else:  # a Python without the C accelerator
    _hash_text = _HASH_JSON.encode


def _content_hash(cipher: PiiCipher, rec: OrderRecord) -> str:
    """Keyed digest of everything a snapshot says, so an identical re-import is recognised without
    decrypting anything (keyed, because the content includes the buyer's phone)."""
    payload = _hash_text(
        [
            rec.status.value, rec.platform_status_code, rec.created_at, rec.paid_at, rec.ship_by, rec.shipped_at,
            rec.completed_at, rec.cancelled_at, rec.pay_amount_fen, rec.post_amount_fen or 0, rec.buyer_name,
            rec.buyer_phone, rec.address, rec.province, rec.city, rec.district, rec.buyer_note, rec.merchant_note,
            rec.cancel_reason, rec.after_sale_status, rec.order_type, rec.carrier, rec.tracking_no,
            [(i.sku_order_id, i.product_id, i.merchant_code, i.product_name, i.spec, i.quantity, i.unit_price_fen,
              i.amount_fen, i.after_sale_status) for i in rec.items],
        ],
    )
    return cipher.keyed_digest(payload)


_BUYER_NAMES = ("buyer_name_enc", "buyer_name_masked", "address_enc", "address_masked", "province", "city", "district",
                "phone_enc", "phone_masked", "phone_hash", "phone_last4_hash")


def _buyer_values(cipher: PiiCipher, rec: OrderRecord) -> tuple:
    """The buyer columns in ``_BUYER_NAMES`` order: ciphertexts, masked copies, blind indexes."""
    raw = (rec.buyer_phone or "").strip()
    phone = normalise_phone(raw) if raw else None
    if phone:
        phone_cols = (cipher.encrypt("phone", phone), mask_phone(phone), cipher.phone_index(phone),
                      cipher.last4_index(phone[-4:]))
    elif raw and MASKED_MOBILE.match(raw):
        # The export only had a masked copy: last-4 search still works, full-number search cannot.
        phone_cols = (None, raw, None, cipher.last4_index(raw[-4:]))
    else:
        phone_cols = (None, None, None, None)
    return (cipher.encrypt("buyer_name", rec.buyer_name), mask_name(rec.buyer_name),
            cipher.encrypt("address", rec.address), mask_address(rec.address),
            rec.province, rec.city, rec.district, *phone_cols)


def _buyer_columns(cipher: PiiCipher, rec: OrderRecord) -> dict:
    return dict(zip(_BUYER_NAMES, _buyer_values(cipher, rec), strict=True))


def _items_summary(items) -> str:
    return "；".join(f"{i.product_name}{(' ' + i.spec) if i.spec else ''} ×{i.quantity}" for i in items)[:2000]


def _order_columns(rec: OrderRecord) -> dict:
    names = _items_summary(rec.items)
    return {
        "status": rec.status.value, "platform_status_code": rec.platform_code,
        "created_at": rec.created_at, "paid_at": rec.paid_at, "ship_by": rec.ship_by,
        "ship_by_source": "platform" if rec.ship_by else None,
        "shipped_at": rec.shipped_at, "completed_at": rec.completed_at, "cancelled_at": rec.cancelled_at,
        "pay_amount_fen": rec.pay_amount_fen, "post_amount_fen": rec.post_amount_fen,
        "buyer_note": rec.buyer_note, "merchant_note": rec.merchant_note, "cancel_reason": rec.cancel_reason,
        "after_sale_status": rec.after_sale_status, "order_type": rec.order_type,
        "items_summary": names, "item_count": sum(i.quantity for i in rec.items),
    }


def _item_rows(shop_id: int, order_pk: int, rec: OrderRecord, kept_labels: dict[str, str] | None = None) -> list[dict]:
    """The item rows of a snapshot; ``kept_labels``: SKU orders whose stored after-sale label stays
    (_keep_case_labels)."""
    kept = kept_labels or {}
    return [
        {"shop_id": shop_id, "order_pk": order_pk, "sku_order_id": i.sku_order_id, "product_id": i.product_id,
         "merchant_code": i.merchant_code, "product_name": i.product_name, "spec": i.spec, "quantity": i.quantity,
         "unit_price_fen": i.unit_price_fen, "amount_fen": i.amount_fen,
         "after_sale_status": kept.get(i.sku_order_id, i.after_sale_status)}
        for i in rec.items
    ]


def _event(shop_id: int, order_pk: int, at: datetime, now: datetime, kind: str, source: str, actor: str | None,
           from_status: str | None = None, to_status: str | None = None, detail: dict | None = None) -> dict:
    return {"shop_id": shop_id, "order_pk": order_pk, "at": at, "recorded_at": now, "kind": kind,
            "from_status": from_status, "to_status": to_status, "source": source, "actor": actor,
            "detail": json.dumps(detail, ensure_ascii=False) if detail else None}


def upsert_orders(session: Session, *, shop_id: int, records: Sequence[OrderRecord], cipher: PiiCipher,
                  now: datetime, source: str = "import", actor: str | None = None) -> UpsertResult:
    """Apply a batch of snapshots inside the caller's transaction. Rejected records change nothing."""
    result = UpsertResult()
    if not records:
        return result
    # A batch may carry the same order twice (rows of one order far apart in a file): merge them in order.
    merged: dict[str, tuple[int, OrderRecord]] = {}
    for index, rec in enumerate(records):
        if rec.order_id in merged:
            first_index, first = merged[rec.order_id]
            known = {i.sku_order_id for i in first.items}
            first.items.extend(i for i in rec.items if i.sku_order_id not in known)
        else:
            merged[rec.order_id] = (index, rec)
    ids = list(merged)
    existing: dict = {}
    for chunk in _chunks(ids):
        existing.update((row.order_id, row) for row in session.execute(
            select(Order.id, Order.order_id, Order.status, Order.content_hash, Order.created_at, Order.paid_at,
                   Order.shipped_at, Order.completed_at, Order.cancelled_at, Order.merchant_note, Order.sort_key)
            .where(Order.shop_id == shop_id, Order.order_id.in_(chunk))
        ))
    sku_ids = [i.sku_order_id for _, rec in merged.values() for i in rec.items]
    sku_owner: dict[str, str] = {}
    for chunk in _chunks(sku_ids):
        sku_owner.update(session.execute(
            select(OrderItem.sku_order_id, Order.order_id).join(Order, Order.id == OrderItem.order_pk)
            .where(OrderItem.shop_id == shop_id, OrderItem.sku_order_id.in_(chunk))
        ).all())

    new_rows: list[tuple[int, OrderRecord, str]] = []
    changed: list[tuple[int, OrderRecord, str, object]] = []
    for order_id, (index, rec) in merged.items():
        clash = next((i.sku_order_id for i in rec.items if sku_owner.get(i.sku_order_id, order_id) != order_id), None)
        if clash:
            result.rejected.append(Rejection(index, "sku_order_id", "sku_order_id_conflict",
                                             f"SKU order {clash} already belongs to order {sku_owner[clash]}"))
            continue
        digest = _content_hash(cipher, rec)
        old = existing.get(order_id)
        if old is None:
            new_rows.append((index, rec, digest))
        elif old.content_hash == digest:
            result.unchanged += 1
        elif not can_catch_up(OrderStatus(old.status), rec.status):
            result.rejected.append(Rejection(index, "status", "invalid_transition",
                                             f"order {order_id} is {old.status}; a snapshot cannot move it back to "
                                             f"{rec.status.value}"))
        else:
            changed.append((index, rec, digest, old))

    new_events: list[tuple] = []
    events: list[dict] = []
    shipments: list[dict] = []
    index_rows: list[tuple[int, int, str]] = []
    if new_rows:
        _insert_new(session, shop_id, new_rows, cipher, now, source, actor, new_events, shipments, index_rows, result)
    if changed:
        updated = _apply_changes(session, shop_id, changed, cipher, now, source, actor, events, shipments, index_rows)
        result.updated += len(updated)
        result.unchanged += len(changed) - len(updated)
        result.updated_ids += updated
    if shipments:
        events.extend(_add_shipments(session, shop_id, shipments))
    _insert_tuples(session, _EVENTS, _EVENT_NAMES, new_events)
    if events:
        _bulk_insert(session, _EVENTS, events)
    if index_rows:
        search_index.index_orders(session, index_rows, shop_id=shop_id)
    return result


# Core tables: bulk writes through them skip the ORM's per-row bookkeeping (an import writes ~10 rows per order).
_ORDERS = Order.__table__
_ITEMS = OrderItem.__table__
_EVENTS = OrderEvent.__table__
_SHIPMENTS = Shipment.__table__
_IN_CHUNK = 900  # bound parameters per IN list, well under SQLite's limit


def _sqlite_time(value: datetime | None) -> str | None:
    """What UTCDateTime + SQLAlchemy's SQLite DATETIME store, byte for byte (naive UTC, microseconds)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # as db.UTCDateTime: the "+00:00" cut, no replace()


def _driver_rows(table, names: list[str], rows: list[dict], extra: str | None = None) -> list:
    """Parameter tuples for the sqlite3 driver in ``names`` order (then ``extra``), times converted as
    UTCDateTime would. A batch repeats the same few instants (now, an order's times on its events), so each
    distinct time is formatted once."""
    cols = names + [extra] if extra else names
    get = itemgetter(*cols) if len(cols) > 1 else (lambda r: (r[cols[0]],))
    times = [i for i, n in enumerate(cols) if isinstance(table.c[n].type, UTCDateTime)]
    if not times:
        return [get(r) for r in rows]
    seen: dict = {None: None}
    out = []
    for r in rows:
        values = list(get(r))
        for i in times:
            value = values[i]
            text = seen.get(value, _MISSING)
            if text is _MISSING:
                text = seen[value] = _sqlite_time(value)
            values[i] = text
        out.append(tuple(values))
    return out


_MISSING = object()


def _bulk_insert(session: Session, table, rows: list[dict]) -> None:
    """INSERT many rows. On SQLite straight through the driver in multi-row statements (the per-parameter work of
    SQLAlchemy is most of an import's cost there), converting times exactly as UTCDateTime would."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), rows)
        return
    names = list(rows[0])
    insert_values(conn, f"INSERT INTO {table.name} ({', '.join(names)})", _driver_rows(table, names, rows))


def _bulk_update(session: Session, table, rows: list[dict]) -> None:
    """UPDATE table SET … WHERE id = row["id"] for many rows (same driver shortcut as _bulk_insert)."""
    if not rows:
        return
    names = [n for n in rows[0] if n != "id"]
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                     .values({n: bindparam(f"v_{n}") for n in names}),
                     [{**{f"v_{n}": r[n] for n in names}, "b_id": r["id"]} for r in rows])
        return
    sql = f"UPDATE {table.name} SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?"
    conn.exec_driver_sql(sql, _driver_rows(table, names, rows, extra="id"))


def _chunks(values: list) -> list[list]:
    return [values[i:i + _IN_CHUNK] for i in range(0, len(values), _IN_CHUNK)] if values else []


_NEW_ORDER_NAMES = (
    "shop_id", "order_id", "content_hash", "source", "recorded_at", "modified_at", "flag_colour", "sort_key",
    "status", "platform_status_code", "created_at", "paid_at", "ship_by", "ship_by_source", "shipped_at",
    "completed_at", "cancelled_at", "pay_amount_fen", "post_amount_fen", "buyer_note", "merchant_note",
    "cancel_reason", "after_sale_status", "order_type", "items_summary", "item_count", *_BUYER_NAMES)
_ITEM_NAMES = ("shop_id", "order_pk", "sku_order_id", "product_id", "merchant_code", "product_name", "spec", "quantity",
               "unit_price_fen", "amount_fen", "after_sale_status")
_EVENT_NAMES = ("shop_id", "order_pk", "at", "recorded_at", "kind", "from_status", "to_status", "source", "actor",
                "detail")


def _same(value):
    return value


def _insert_tuples(session: Session, table, names: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT rows given as tuples in ``names`` order (times already as the driver wants them: see ``_insert_new``)."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), [dict(zip(names, r)) for r in rows])
        return
    insert_values(conn, f"INSERT INTO {table.name} ({', '.join(names)})", rows)


_DRAW_ORDER_IDS = text("SELECT nextval(pg_get_serial_sequence('orders', 'id')) FROM generate_series(1, :n)")


def _insert_new(session, shop_id, new_rows, cipher, now, source, actor, new_events, shipments, index_rows, result):
    """New orders, their items and timeline events, built straight as parameter tuples (on SQLite with times as
    text, exactly as UTCDateTime writes them): dicts per row were a third of intake's own CPU."""
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    tm = _sqlite_time if sqlite else _same
    now_v = tm(now)
    # Each row is inserted with its id and final sort key (created second + low bits of the id), so nothing is
    # written twice: setting the key afterwards rewrote four indexes per order (~15 µs an order at 200,000).
    if sqlite:
        # Ids chosen here, under the write lock, as SQLite itself would (max + 1).
        claim_writer(session)
        next_id = conn.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM orders").scalar_one()
        ids = range(next_id, next_id + len(new_rows))
    else:
        # Ids drawn from the table's own sequence, as a plain INSERT would, in one round trip.
        ids = conn.execute(_DRAW_ORDER_IDS, {"n": len(new_rows)}).scalars().all()
    order_rows, item_rows = [], []
    created_detail = json.dumps({"via": source}, ensure_ascii=False)
    keys = _free_sort_keys(conn, [sort_key_for(rec.created_at, pk) for pk, (_i, rec, _d) in zip(ids, new_rows)])
    for pk, key, (_index, rec, digest) in zip(ids, keys, new_rows, strict=True):
        items = rec.items
        ship_by = rec.ship_by
        order_rows.append((
            pk, shop_id, rec.order_id, digest, source, now_v, now_v, 0, key,
            rec.status.value, rec.platform_code, tm(rec.created_at), tm(rec.paid_at), tm(ship_by),
            "platform" if ship_by else None, tm(rec.shipped_at), tm(rec.completed_at), tm(rec.cancelled_at),
            rec.pay_amount_fen, rec.post_amount_fen or 0, rec.buyer_note, rec.merchant_note, rec.cancel_reason,
            rec.after_sale_status, rec.order_type, _items_summary(items), sum(i.quantity for i in items),
            *_buyer_values(cipher, rec)))
        item_rows.extend((shop_id, pk, i.sku_order_id, i.product_id, i.merchant_code, i.product_name, i.spec,
                          i.quantity, i.unit_price_fen, i.amount_fen, i.after_sale_status) for i in items)
        index_rows.append((pk, key, _search_text(rec)))
        new_events.append((shop_id, pk, tm(rec.created_at), now_v, "created", None, rec.status.value, source, actor,
                           created_detail))
        for attr, kind in _LATER_TIME_EVENTS:
            at = getattr(rec, attr)
            if at is not None:
                new_events.append((shop_id, pk, tm(at), now_v, kind, None, None, source, actor, None))
        if rec.tracking_no:
            shipments.append({"order_pk": pk, "rec": rec, "now": now, "source": source})
        result.created += 1
        result.created_ids.append(rec.order_id)
    _insert_tuples(session, _ORDERS, ("id", *_NEW_ORDER_NAMES), order_rows)
    _insert_tuples(session, _ITEMS, _ITEM_NAMES, item_rows)


_TAKEN_KEYS = select(_ORDERS.c.sort_key).where(in_ids(_ORDERS.c.sort_key))


def _free_sort_keys(conn, keys: list[int]) -> list[int]:
    """New orders' sort keys, each one no stored order (nor another of the batch) has. A key is the second the order
    was placed above the low 20 bits of its row id, so two orders of one second whose ids differ by a multiple of
    2**20 (a desk past a million orders, or a second shop imported over the same weeks) would share it and the
    import would fail on the unique key. Such a key takes the next free low bits of its second: orders placed in
    the same second then list in another order among themselves, which nothing relies on. One look-up a batch."""
    taken = set(conn.execute(_TAKEN_KEYS, {"pks": keys}).scalars())
    if not taken and len(set(keys)) == len(keys):
        return keys
    free: list[int] = []
    used: set[int] = set()
    for key in keys:
        while key in taken or key in used:
            key = (key & ~SORT_MASK) | ((key + 1) & SORT_MASK)
            if key not in used and conn.execute(_TAKEN_KEYS, {"pks": [key]}).first() is not None:
                taken.add(key)
        used.add(key)
        free.append(key)
    return free


# What a later snapshot may leave unsaid, with what the desk keeps then (keep_known): the platform never unsets these.
_KEPT_WHEN_UNSAID = ("paid_at", "shipped_at", "completed_at", "cancelled_at", "post_amount_fen", "cancel_reason",
                     "order_type", "buyer_note", "province", "city", "district")
_NAME_COLUMNS = ("buyer_name_enc", "buyer_name_masked")
_ADDRESS_COLUMNS = ("address_enc", "address_masked")
_PHONE_COLUMNS = ("phone_enc", "phone_masked", "phone_hash", "phone_last4_hash")
_KNOWN_NAMES = (*_KEPT_WHEN_UNSAID, "ship_by", "ship_by_source", *_BUYER_NAMES, "address_changed_at")
# The rest of what a later snapshot writes (_order_columns): with the above, everything of the order row that
# decides whether the snapshot changes anything (_changes_nothing)
_SHOWN_NAMES = tuple(n for n in ("status", "platform_status_code", "created_at", "pay_amount_fen", "merchant_note",
                                 "after_sale_status", "items_summary", "item_count") if n not in _KNOWN_NAMES)
_KNOWN_NAMES = (*_KNOWN_NAMES, *_SHOWN_NAMES)
_KNOWN = select(_ORDERS.c.id, *(_ORDERS.c[n] for n in _KNOWN_NAMES))


def _stored_known(session, pks: list[int]) -> dict[int, dict]:
    """What the desk holds of these orders that a snapshot may say less of (keep_known), and the address it
    compares a snapshot's with (address_move), by order row id: plain dicts (a Row's mapping costs ~1 µs a key read,
    25 reads an order, a tenth of a later export's import)."""
    found: dict[int, dict] = {}
    for chunk in _chunks(pks):
        found.update((row[0], dict(zip(_KNOWN_NAMES, row[1:]))) for row in session.execute(
            _KNOWN.where(_ORDERS.c.id.in_(chunk))))
    return found


def _said_less(given: str | None, masked_copy: str | None) -> bool:
    """A snapshot's buyer value that tells nothing new: none at all, or exactly the masked copy the desk shows of
    what it holds (an export of the desk's own list, or a platform file that only has masked copies)."""
    return given is None or given == masked_copy


def keep_known(values: dict, stored, rec: OrderRecord) -> None:
    """Keeps in ``values`` (a later snapshot's columns) what the snapshot does not say but the desk knows.

    An export without 发货时间 or 运费 columns, or one with the buyer's masked copies (``139****6605``, ``赵*``), is
    a narrower view of the same order, not news that the order was never shipped, costs no postage or lost its
    buyer's phone: writing it as it stands erased the full phone (its search with it) for good, and a masked address
    read as a new one raised a false 改地址. So: a time, the postage, the cancel reason, the order type, the buyer's
    note or the region left empty keeps the stored one; a ship-by left empty keeps the stored (or derived) one; and a
    buyer name, address or phone that is empty or equals the stored masked copy keeps the stored ciphertext, masked
    copy and blind indexes. A value the snapshot does give, and that differs, still wins."""
    for name in _KEPT_WHEN_UNSAID:
        if values[name] is None:
            values[name] = stored[name]
    if values["ship_by"] is None:
        values["ship_by"], values["ship_by_source"] = stored["ship_by"], stored["ship_by_source"]
    phone = (rec.buyer_phone or "").strip() or None
    for given, masked, names in ((rec.buyer_name, stored["buyer_name_masked"], _NAME_COLUMNS),
                                 (rec.address, stored["address_masked"], _ADDRESS_COLUMNS),
                                 (phone, stored["phone_masked"], _PHONE_COLUMNS)):
        if _said_less(given, masked):
            values.update((n, stored[n]) for n in names)


def address_move(cipher: PiiCipher, stored, rec: OrderRecord) -> dict | None:
    """The masked before → after of a delivery address that a later snapshot changed, else None. Only a change
    counts: a snapshot without an address, or with only the masked copy of the stored one in the same region, or an
    order whose address was never known, is not one. The event keeps the masked copies only, never the address."""
    if stored is None or not rec.address:
        return None
    region = (stored["province"], stored["city"], stored["district"])
    said_region = tuple(given or kept for given, kept in zip((rec.province, rec.city, rec.district), region))
    if rec.address == stored["address_masked"] and said_region == region:
        return None
    before = cipher.decrypt("address", stored["address_enc"]) if stored["address_enc"] else None
    if before is None or (before, *region) == (rec.address, rec.province, rec.city, rec.district):
        return None
    return {"before": _place(*region, stored["address_masked"]),
            "after": _place(*said_region, mask_address(rec.address))}


def _place(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def _apply_changes(session, shop_id, changed, cipher, now, source, actor, events, shipments, index_rows) -> list[str]:
    """Later snapshots of stored orders, the whole batch in a handful of statements. Returns the ids of the orders
    the snapshots changed: one that says nothing new (_changes_nothing; the desk's own export, whose masked buyer
    data differs from the file first imported, but keeps what is stored) only has its digest brought up to date, so
    that the next identical file is recognised at once, and counts as unchanged."""
    order_updates, hash_updates = [], []
    known = _stored_known(session, [old.id for _i, _r, _d, old in changed])
    values_of = {}
    for _index, rec, digest, old in changed:
        values = _order_columns(rec)
        values.update(_buyer_columns(cipher, rec))
        stored = known[old.id]
        keep_known(values, stored, rec)
        if old.merchant_note and not rec.merchant_note:
            values["merchant_note"] = old.merchant_note  # a note typed in the desk survives an export without one
        # The platform never changes when an order was placed, and the sort key (written once, from the first
        # snapshot) encodes that second: the list's date filters read it from the key's index (queries.created_range).
        values["created_at"] = old.created_at
        values_of[old.id] = values
    items_of = _stored_items(session, [old.id for _i, _r, _d, old in changed])
    labels = _keep_case_labels(session, changed, values_of, known, items_of)
    quiet = _changes_nothing(session, changed, values_of, known, items_of, shop_id, labels, cipher)
    still = []
    for entry in changed:
        _index, rec, digest, old = entry
        if old.id in quiet:
            hash_updates.append({"content_hash": digest, "id": old.id})
            continue
        still.append(entry)
        values, stored = values_of[old.id], known[old.id]
        move = address_move(cipher, stored, rec)
        values["address_changed_at"] = now if move else stored["address_changed_at"]
        if move:
            events.append(_event(shop_id, old.id, now, now, "address_changed", source, actor, detail=move))
        values.update(content_hash=digest, modified_at=now)
        values["id"] = old.id
        order_updates.append(values)
        if old.status != rec.status.value:
            at = _status_time(rec) or now
            events.append(_event(shop_id, old.id, at, now, "status_changed", source, actor,
                                 from_status=old.status, to_status=rec.status.value))
        for attr, kind in _TIME_EVENTS[1:]:
            at = getattr(rec, attr)
            if at is not None and getattr(old, attr) is None:
                events.append(_event(shop_id, old.id, at, now, kind, source, actor))
    _bulk_update(session, _ORDERS, order_updates)
    _bulk_update(session, _ORDERS, hash_updates)
    new_items, item_updates = [], []
    for _index, rec, _digest, old in still:
        current = items_of[old.id]
        names = {row[0]: (row[1]["product_name"], row[1]["spec"]) for row in current.values()}
        added = []
        for item in _item_rows(shop_id, old.id, rec, labels.get(old.id)):
            found = current.get(item["sku_order_id"])
            if found is None:
                new_items.append(item)
                added.append((item["product_name"], item["spec"]))
            else:
                item_updates.append({**item, "id": found[0]})
                names[found[0]] = (item["product_name"], item["spec"])
        texts = [names[i] for i in sorted(names)] + added
        index_rows.append((old.id, old.sort_key, " ".join(f"{n} {s or ''}" for n, s in texts)))
        if rec.tracking_no:
            shipments.append({"order_pk": old.id, "rec": rec, "now": now, "source": source})
    _bulk_update(session, _ITEMS, item_updates)
    if new_items:
        _bulk_insert(session, _ITEMS, new_items)
    return [rec.order_id for _i, rec, _d, _o in still]


_ITEM_SHOWN = ("product_id", "merchant_code", "product_name", "spec", "quantity", "unit_price_fen", "amount_fen",
               "after_sale_status")
_STORED_ITEMS = select(_ITEMS.c.id, _ITEMS.c.order_pk, _ITEMS.c.sku_order_id, *(_ITEMS.c[n] for n in _ITEM_SHOWN))


def _stored_items(session, pks: list[int]) -> dict[int, dict[str, tuple[int, dict]]]:
    """The stored items of these orders: order row id → SKU order id → (item row id, its shown columns)."""
    found: dict[int, dict[str, tuple[int, dict]]] = {pk: {} for pk in pks}
    for chunk in _chunks(pks):
        for row in session.execute(_STORED_ITEMS.where(_ITEMS.c.order_pk.in_(chunk))):
            found[row[1]][row[2]] = (row[0], dict(zip(_ITEM_SHOWN, row[3:])))
    return found


def _keep_case_labels(session, changed, values_of: dict, known: dict, items_of: dict) -> dict[int, dict[str, str]]:
    """Keeps the after-sale label (售后状态) of an order, and of each SKU order, that a snapshot leaves empty while the
    desk holds after-sale cases for it: the cases are the truth then and keep the label in step with themselves
    (aftersales/order_label.py), and an empty cell (a later export, a sync without after-sale data) says nothing
    about them; blanking it took the order off the 售后中 tab while its case was open. An order or SKU order without
    cases takes what the snapshot says, as order_label does. Sets the order's kept label in ``values_of``; returns
    the SKU orders' kept labels by order row id (_item_rows)."""
    wanted = [old.id for _i, rec, _d, old in changed
              if (values_of[old.id]["after_sale_status"] is None and known[old.id]["after_sale_status"])
              or any(i.after_sale_status is None and (found := items_of[old.id].get(i.sku_order_id)) is not None
                     and found[1]["after_sale_status"] for i in rec.items)]
    if not wanted:
        return {}
    from ..aftersales.models import AfterSaleCase  # after-sales owns the cases (imported late: a cycle)

    with_cases: dict[int, set[str]] = {}
    for chunk in _chunks(wanted):
        for pk, sku in session.execute(select(AfterSaleCase.order_pk, AfterSaleCase.sku_order_id)
                                       .where(AfterSaleCase.order_pk.in_(chunk)).distinct()):
            with_cases.setdefault(pk, set()).add(sku)
    kept: dict[int, dict[str, str]] = {}
    for _index, rec, _digest, old in changed:
        skus = with_cases.get(old.id)
        if not skus:
            continue
        values = values_of[old.id]
        if values["after_sale_status"] is None:
            values["after_sale_status"] = known[old.id]["after_sale_status"]
        for item in rec.items:
            found = items_of[old.id].get(item.sku_order_id)
            if item.after_sale_status is None and item.sku_order_id in skus and found is not None:
                kept.setdefault(old.id, {})[item.sku_order_id] = found[1]["after_sale_status"]
    return kept


# Ciphertexts differ for the same text (a fresh nonce each time): a buyer value given in full is compared in clear.
_CIPHERED = {"buyer_name_enc": "buyer_name", "address_enc": "address", "phone_enc": "phone"}


def _same_plaintext(cipher: PiiCipher, names: list[str], stored: dict, values: dict) -> bool:
    """Whether the differing columns ``names`` are only ciphertexts of the same buyer text (a platform file with the
    buyer's data in full, read again with another column changed)."""
    for name in names:
        kind = _CIPHERED.get(name)
        if kind is None or stored[name] is None or values[name] is None:
            return False
        if cipher.decrypt(kind, stored[name]) != cipher.decrypt(kind, values[name]):
            return False
    return True


def _changes_nothing(session, changed, values_of: dict, known: dict, items_of: dict, shop_id: int,
                     labels: dict[int, dict[str, str]], cipher: PiiCipher) -> set[int]:
    """The order row ids whose later snapshot changes nothing the order shows: every column it would write equals
    the stored one (after keep_known: a masked copy equal to the stored one, or an empty cell, keeps what is
    stored), each of its items is stored with the same values, and each tracking number it names is already a
    parcel of the order (or was corrected away). Such a snapshot writes no row and no timeline event."""
    quiet: set[int] = set()
    tracked = []
    for _index, rec, _digest, old in changed:
        stored, values = known[old.id], values_of[old.id]
        differ = [n for n, v in values.items() if stored[n] != v]
        if differ and not _same_plaintext(cipher, differ, stored, values):
            continue
        items = items_of[old.id]
        if any((found := items.get(i["sku_order_id"])) is None or any(found[1][n] != i[n] for n in _ITEM_SHOWN)
               for i in _item_rows(shop_id, old.id, rec, labels.get(old.id))):
            continue
        if rec.tracking_no:
            tracked.append((old.id, rec))
        else:
            quiet.add(old.id)
    if tracked:
        parcels = _known_parcels(session, [pk for pk, _rec in tracked])
        quiet.update(pk for pk, rec in tracked
                     if all((pk, normalise_tracking(n)) in parcels for n in tracking_numbers(rec.tracking_no)))
    return quiet


def _status_time(rec: OrderRecord) -> datetime | None:
    return {
        OrderStatus.PAID_PENDING: rec.paid_at, OrderStatus.AWAITING_SHIPMENT: rec.paid_at,
        OrderStatus.SHIPPED: rec.shipped_at, OrderStatus.PARTIALLY_SHIPPED: rec.shipped_at,
        OrderStatus.COMPLETED: rec.completed_at, OrderStatus.CANCELLED: rec.cancelled_at,
    }.get(rec.status)


def _search_text(rec: OrderRecord) -> str:
    return " ".join(f"{i.product_name} {i.spec or ''}" for i in rec.items)


def _add_shipments(session: Session, shop_id: int, pending: list[dict]) -> list[dict]:
    """Tracking numbers from snapshots (export column 快递单号); each number once per order.

    A number the order already has is skipped, and so is one a clerk corrected away on that order (the
    correction history): an export or a platform sync made before the correction still carries the mistyped
    number, and must not bring it back as a second package. Returns the timeline events to write with the
    rest of the batch."""
    known = _known_parcels(session, list({p["order_pk"] for p in pending}))
    rows, events, held = [], [], []
    for p in pending:
        rec: OrderRecord = p["rec"]
        for number in tracking_numbers(rec.tracking_no):
            key = (p["order_pk"], normalise_tracking(number))
            if key in known:
                continue
            known.add(key)
            rows.append({"shop_id": shop_id, "order_pk": p["order_pk"], "carrier_code": None,
                         "carrier_name": rec.carrier, "tracking_no": number,
                         "shipped_at": rec.shipped_at, "recorded_at": p["now"], "source": p["source"]})
            events.append(_event(shop_id, p["order_pk"], rec.shipped_at or p["now"], p["now"], "tracking_added",
                                 p["source"], None, detail={"carrier": rec.carrier, "tracking_no": number}))
            held.extend((key, sku) for sku in _skus_of(rec, key[1]))
    if rows:
        _bulk_insert(session, _SHIPMENTS, rows)
    if held:
        _link_items(session, shop_id, held)
    return events


def _known_parcels(session: Session, pks: list[int]) -> set[tuple[int, str]]:
    """(order row id, normalised number) of these orders' parcels, and of the numbers corrected away on them."""
    from ..shipping.queries import corrected_away  # shipping owns the correction history (imported late: a cycle)

    known: set = set()
    for chunk in _chunks(pks):
        known.update((pk, normalise_tracking(number)) for pk, number in session.execute(
            select(Shipment.order_pk, Shipment.tracking_no).where(Shipment.order_pk.in_(chunk))))
        known.update((pk, normalise_tracking(number)) for pk, number in corrected_away(session, chunk))
    return known


def _skus_of(rec: OrderRecord, number: str) -> list[str]:
    """The SKU orders whose export rows name this parcel (normalised number); none when the file does not say."""
    return [sku for sku, numbers in (rec.item_tracking or {}).items()
            if any(normalise_tracking(n) == number for n in numbers)]


def _link_items(session: Session, shop_id: int, held: list[tuple[tuple[int, str], str]]) -> None:
    """Records which SKU orders the new parcels hold (shipment_items), as a shipment made in the desk does: an export
    showing one item of three shipped once left all three on the ship form, so the shipped one could go twice.
    A SKU order already in a parcel keeps that one (a SKU order ships once)."""
    from ..shipping.models import ShipmentItem  # shipping owns the table (imported late: a cycle)

    ids: dict[tuple[int, str], int] = {}
    for chunk in _chunks(sorted({pk for (pk, _n), _s in held})):
        for sid, pk, number in session.execute(select(_SHIPMENTS.c.id, _SHIPMENTS.c.order_pk, _SHIPMENTS.c.tracking_no)
                                               .where(_SHIPMENTS.c.order_pk.in_(chunk))):
            key = (pk, normalise_tracking(number))
            ids[key] = max(sid, ids.get(key, 0))
    insert_ignore(session, ShipmentItem.__table__,
                  [{"shop_id": shop_id, "shipment_id": ids[key], "order_pk": key[0], "sku_order_id": sku}
                   for key, sku in held if key in ids], keys=["shop_id", "sku_order_id"])
