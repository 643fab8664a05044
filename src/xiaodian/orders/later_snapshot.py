"""What a later snapshot of a stored order may change, and what it must keep.

A later export or sync is often a narrower view of the same order (no 发货时间 column, masked buyer data, an empty
售后状态): these rules keep what the desk knows (keep_known, keep_case_labels), recognise a real address change
(address_move), refuse an older snapshot's receiver (keep_current_buyer) and ship-by (keep_current_ship_by), record
a ship-by a file moves (ship_by_move) and recognise a snapshot that changes nothing the order shows
(changes_nothing), so that re-importing the desk's own export writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from ..privacy.crypto import PiiCipher
from ..privacy.masking import mask_address
from ..shipping.domain import normalise_tracking  # pure rule: how the desk compares tracking numbers
from .bulk_writes import chunks
from .domain import OrderRecord, tracking_numbers
from .models import Order, OrderEvent, OrderItem
from .snapshot_columns import BUYER_NAMES, item_rows, rows_summary

_ORDERS = Order.__table__
_ITEMS = OrderItem.__table__
_EVENTS = OrderEvent.__table__

# What a later snapshot may leave unsaid, with what the desk keeps then (keep_known): the platform never unsets these.
_KEPT_WHEN_UNSAID = ("paid_at", "shipped_at", "completed_at", "cancelled_at", "post_amount_fen", "cancel_reason",
                     "order_type", "buyer_note", "province", "city", "district")
# Times a file gives to the second while the desk may hold them to the microsecond (a parcel shipped in the desk).
_TIMES = ("paid_at", "shipped_at", "completed_at", "cancelled_at", "ship_by")
_NAME_COLUMNS = ("buyer_name_enc", "buyer_name_masked")
_ADDRESS_COLUMNS = ("address_enc", "address_masked")
_PHONE_COLUMNS = ("phone_enc", "phone_masked", "phone_hash", "phone_last4_hash")
_KNOWN_NAMES = (*_KEPT_WHEN_UNSAID, "ship_by", "ship_by_source", *BUYER_NAMES, "address_changed_at",
                "replaced_buyer_digests")
# The rest of what a later snapshot writes (order_columns): with the above, everything of the order row that
# decides whether the snapshot changes anything (changes_nothing)
_SHOWN_NAMES = tuple(n for n in ("status", "platform_status_code", "created_at", "pay_amount_fen", "merchant_note",
                                 "after_sale_status", "items_summary", "item_count") if n not in _KNOWN_NAMES)
_KNOWN_NAMES = (*_KNOWN_NAMES, *_SHOWN_NAMES)
_KNOWN = select(_ORDERS.c.id, *(_ORDERS.c[n] for n in _KNOWN_NAMES))


def stored_known(session, pks: list[int]) -> dict[int, dict]:
    """What the desk holds of these orders that a snapshot may say less of (keep_known), and the address it
    compares a snapshot's with (address_move), by order row id: plain dicts (a Row's mapping costs ~1 µs a key read,
    25 reads an order, a tenth of a later export's import)."""
    found: dict[int, dict] = {}
    for chunk in chunks(pks):
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
    for name in _TIMES:
        given, kept = values[name], stored[name]
        if given is not None and kept is not None and given != kept and kept.replace(microsecond=0) == given:
            values[name] = kept  # a file's times are to the second: the desk's stored time, to that second, is the same
    if values["ship_by"] is None:
        values["ship_by"], values["ship_by_source"] = stored["ship_by"], stored["ship_by_source"]
    phone = (rec.buyer_phone or "").strip() or None
    for given, masked, names in ((rec.buyer_name, stored["buyer_name_masked"], _NAME_COLUMNS),
                                 (rec.address, stored["address_masked"], _ADDRESS_COLUMNS),
                                 (phone, stored["phone_masked"], _PHONE_COLUMNS)):
        if _said_less(given, masked):
            values.update((n, stored[n]) for n in names)


def address_move(cipher: PiiCipher, stored, rec: OrderRecord, values: dict) -> dict | None:
    """The masked before → after of a delivery address that a later snapshot changed, else None. Only a change
    counts: a snapshot without an address, or with only the masked copy of the stored one in the same region, or an
    order whose address was never known, is not one. ``values``: what the snapshot writes, after keep_known and
    keep_current_buyer; when it keeps the stored address (an older file's, kept out), nothing moved. The event
    keeps the masked copies only, never the address."""
    if stored is None or not rec.address or values["address_enc"] == stored["address_enc"]:
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


def _token(cipher: PiiCipher, kind: str, *parts: str | None) -> str:
    """A replaced buyer value as orders.replaced_buyer_digests keeps it: its kind and a keyed digest, never the text."""
    return f"{kind}:" + cipher.blind_index(f"replaced-{kind}", "\x1f".join(p or "" for p in parts))


def _receiver_moves(cipher: PiiCipher, stored, rec: OrderRecord, phone_hash: str | None) -> list[tuple[str, str]]:
    """(the snapshot's, the stored) digest of each receiver value the snapshot gives in full and that differs from
    the stored one: the delivery place (address with its region), the phone (``phone_hash``: the snapshot's blind
    index of it), the name. Empty cells and masked copies say nothing (keep_known); a value the desk never knew in
    full has nothing to replace."""
    moves = []
    if rec.address and stored["address_enc"] and rec.address != stored["address_masked"]:
        region = (stored["province"], stored["city"], stored["district"])
        said = tuple(given or kept for given, kept in zip((rec.province, rec.city, rec.district), region))
        before = cipher.decrypt("address", stored["address_enc"])
        if (rec.address, *said) != (before, *region):
            moves.append((_token(cipher, "a", *said, rec.address), _token(cipher, "a", *region, before)))
    if phone_hash and stored["phone_hash"] and phone_hash != stored["phone_hash"]:
        moves.append((_token(cipher, "p", phone_hash), _token(cipher, "p", stored["phone_hash"])))
    if rec.buyer_name and stored["buyer_name_enc"] and rec.buyer_name != stored["buyer_name_masked"]:
        before = cipher.decrypt("buyer_name", stored["buyer_name_enc"])
        if rec.buyer_name != before:
            moves.append((_token(cipher, "n", rec.buyer_name), _token(cipher, "n", before)))
    return moves


def _older_receiver(stored, rec: OrderRecord, moves: list[tuple[str, str]]) -> bool:
    """Whether the snapshot gives a receiver value the order has had and replaced, without moving the order's status
    on: then it is older than the snapshot that replaced it (the morning's export uploaded again after the evening's).
    A snapshot that moves the status on is newer than every one the desk has read (the platform never moves a status
    back, and intake refuses a file that would), so its receiver is the buyer's latest, even one she had before."""
    if not moves or rec.status.value != stored["status"] or not stored["replaced_buyer_digests"]:
        return False
    replaced = stored["replaced_buyer_digests"].split()
    return any(given in replaced for given, _stored in moves)


def keep_current_buyer(cipher: PiiCipher, values: dict, stored, rec: OrderRecord) -> None:
    """Keeps in ``values`` (after keep_known) the stored receiver (name, phone, address, region) when the snapshot
    is an older one (_older_receiver), and otherwise adds to ``values["replaced_buyer_digests"]`` a digest of each
    receiver value the snapshot replaces.

    Why: uploading the morning's export again after the evening's, in which the buyer had moved, put the old address
    back, logged a second 买家修改收货地址 in the buyer's name and had the ship form tell the packer to print the
    address she had moved away from (QA pass 6, #2). A file says nothing of when it was made, but an address the
    order has already had and replaced, in a snapshot that does not move the order on, can only come from before
    the change. A value the desk has not seen replaced (a genuinely new address, phone or name) still wins, as does
    any in a snapshot that moves the status on. Limit: a buyer who goes back to an earlier address while the order
    still waits in the same status is taken for an older file until the status moves (the platform's next export)."""
    moves = _receiver_moves(cipher, stored, rec, values["phone_hash"])  # the snapshot's, or the stored one kept
    replaced = stored["replaced_buyer_digests"]
    if _older_receiver(stored, rec, moves):
        values.update((name, stored[name]) for name in BUYER_NAMES)
    elif moves:
        tokens = (replaced or "").split()
        tokens += [old for _given, old in moves if old not in tokens]
        replaced = " ".join(tokens)
    values["replaced_buyer_digests"] = replaced


_ITEM_SHOWN = ("product_id", "merchant_code", "product_name", "spec", "quantity", "unit_price_fen", "amount_fen",
               "after_sale_status")
_STORED_ITEMS = select(_ITEMS.c.id, _ITEMS.c.order_pk, _ITEMS.c.sku_order_id, *(_ITEMS.c[n] for n in _ITEM_SHOWN))


def stored_items(session, pks: list[int]) -> dict[int, dict[str, tuple[int, dict]]]:
    """The stored items of these orders: order row id → SKU order id → (item row id, its shown columns)."""
    found: dict[int, dict[str, tuple[int, dict]]] = {pk: {} for pk in pks}
    for chunk in chunks(pks):
        for row in session.execute(_STORED_ITEMS.where(_ITEMS.c.order_pk.in_(chunk))):
            found[row[1]][row[2]] = (row[0], dict(zip(_ITEM_SHOWN, row[3:])))
    return found


# An item's columns a later snapshot may leave empty while the desk knows them: a file without 商家编码 or 商品ID (the
# desk's own export before it carried 商家编码, a sheet someone trimmed) re-imported once erased every item's merchant
# code, which the pick list and its totals print; a file without 商品规格 took the spec off the item, the order's
# summary and its search (QA pass 8, #5: "五常大米 5kg 5kg ×2" became "五常大米 5kg ×2"). A SKU order's spec is what
# the buyer chose and never changes. As keep_known does for the order, an empty cell keeps the stored one.
_ITEM_KEPT_WHEN_UNSAID = ("product_id", "merchant_code", "spec")


def items_after(shop_id: int, order_pk: int, rec: OrderRecord, kept_labels: dict[str, str] | None,
                stored: dict[str, tuple[int, dict]]) -> list[dict]:
    """The item rows a later snapshot writes (item_rows), with the stored product id, merchant code and spec of an
    item the snapshot leaves them empty on. ``stored``: the order's items as stored_items reads them."""
    rows = item_rows(shop_id, order_pk, rec, kept_labels)
    for row in rows:
        found = stored.get(row["sku_order_id"])
        if found is not None:
            for name in _ITEM_KEPT_WHEN_UNSAID:
                if not row[name]:
                    row[name] = found[1][name]
    return rows


def keep_item_specs(values: dict, rec: OrderRecord, stored: dict[str, tuple[int, dict]]) -> None:
    """Writes into ``values["items_summary"]`` the stored spec of an item the snapshot gives none for (items_after
    keeps it on the item row), so that the list's summary says what the items say. ``stored``: stored_items'."""
    if all(i.spec for i in rec.items) or not any(found[1]["spec"] for found in stored.values()):
        return
    values["items_summary"] = rows_summary(items_after(0, 0, rec, None, stored))


def _second(at: datetime) -> datetime:
    return at.replace(microsecond=0)


_SHIP_BY_MOVES = select(_EVENTS.c.order_pk, _EVENTS.c.detail).where(_EVENTS.c.kind == "ship_by_changed")


def keep_current_ship_by(session, changed, values_of: dict, known: dict) -> None:
    """Keeps in ``values_of`` (after keep_known) the stored ship-by of an order when a file brings one the order has
    had and that was replaced (a ship_by_changed event's previous_ship_by, written by a sync or an import), in a
    snapshot that does not move the order's status on: it can only be an older file (the morning's export uploaded
    after the platform moved the deadline), the same evidence keep_current_buyer takes for the receiver.

    Why not simply keep the later deadline: the platform moves ship-bys both ways (push 126 and a sync can bring an
    earlier one), and a file says nothing of when it was made; a later deadline kept by mistake makes the desk miss
    the real one, an earlier one taken from a file at worst ships early. So a ship-by the desk has not seen replaced
    still wins (with its ship_by_changed event), as does any in a snapshot that moves the status on. A sync is
    never older: the platform's current value, read now, always wins (intake does not call this for a sync).
    Limit: a platform that moves a deadline back to a value it had, while the order waits in the same status, is
    taken for an older file until the status moves or a sync brings it. One look-up a batch, only for orders whose
    ship-by a file would move."""
    wanted = [old.id for _i, rec, _d, old in changed
              if rec.status.value == known[old.id]["status"] and known[old.id]["ship_by"] is not None
              and values_of[old.id]["ship_by"] != known[old.id]["ship_by"]]
    if not wanted:
        return
    replaced: dict[int, set[datetime]] = {}
    for chunk in chunks(wanted):
        for pk, detail in session.execute(_SHIP_BY_MOVES.where(_EVENTS.c.order_pk.in_(chunk))):
            previous = json.loads(detail).get("previous_ship_by") if detail else None
            if previous:
                replaced.setdefault(pk, set()).add(_second(datetime.fromisoformat(previous)))
    for pk in wanted:
        values, stored = values_of[pk], known[pk]
        if _second(values["ship_by"]) in replaced.get(pk, ()):
            values["ship_by"], values["ship_by_source"] = stored["ship_by"], stored["ship_by_source"]


def ship_by_move(stored, values: dict) -> dict | None:
    """The detail of the ship_by_changed event of a later snapshot that moves the stored ship-by (after keep_known
    and keep_current_ship_by), as the sync writes it (channels/douyin/timeline.py), else None. A ship-by given for
    the first time is no move (the order's own story: paid, derived)."""
    before, after = stored["ship_by"], values["ship_by"]
    if before is None or after is None or before == after:
        return None
    return {"previous_ship_by": before.astimezone(UTC).isoformat(), "ship_by": after.astimezone(UTC).isoformat()}


def keep_case_labels(session, changed, values_of: dict, known: dict, items_of: dict) -> dict[int, dict[str, str]]:
    """Keeps the after-sale label (售后状态) of an order, and of each SKU order, that a snapshot leaves empty while the
    desk holds after-sale cases for it: the cases are the truth then and keep the label in step with themselves
    (aftersales/order_label.py), and an empty cell (a later export, a sync without after-sale data) says nothing
    about them; blanking it took the order off the 售后中 tab while its case was open. An order or SKU order without
    cases takes what the snapshot says, as order_label does. Sets the order's kept label in ``values_of``; returns
    the SKU orders' kept labels by order row id (item_rows)."""
    wanted = [old.id for _i, rec, _d, old in changed
              if (values_of[old.id]["after_sale_status"] is None and known[old.id]["after_sale_status"])
              or any(i.after_sale_status is None and (found := items_of[old.id].get(i.sku_order_id)) is not None
                     and found[1]["after_sale_status"] for i in rec.items)]
    if not wanted:
        return {}
    from ..aftersales.models import AfterSaleCase  # after-sales owns the cases (imported late: a cycle)

    with_cases: dict[int, set[str]] = {}
    for chunk in chunks(wanted):
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


def changes_nothing(changed, values_of: dict, known: dict, items_of: dict, shop_id: int,
                    labels: dict[int, dict[str, str]], cipher: PiiCipher, parcels: set[tuple[int, str]]) -> set[int]:
    """The order row ids whose later snapshot changes nothing the order shows: every column it would write equals
    the stored one (after keep_known: a masked copy equal to the stored one, or an empty cell, keeps what is
    stored; an older snapshot's receiver keeps the stored one: keep_current_buyer, which this applies to
    ``values_of`` first), each of its items is stored with the same values, and each tracking number it names is
    already a parcel of the order (or was corrected away: ``parcels``, known_parcels of these orders). Such a snapshot
    writes no row and no timeline event."""
    quiet: set[int] = set()
    tracked = []
    for _index, rec, _digest, old in changed:
        stored, values = known[old.id], values_of[old.id]
        # Before comparing: an older snapshot's receiver is no change (and writes nothing); a new one is recorded
        keep_current_buyer(cipher, values, stored, rec)
        differ = [n for n, v in values.items() if stored[n] != v]
        if differ and not _same_plaintext(cipher, differ, stored, values):
            continue
        items = items_of[old.id]
        if any((found := items.get(i["sku_order_id"])) is None or any(found[1][n] != i[n] for n in _ITEM_SHOWN)
               for i in items_after(shop_id, old.id, rec, labels.get(old.id), items)):
            continue
        if rec.tracking_no:
            tracked.append((old.id, rec))
        else:
            quiet.add(old.id)
    if tracked:
        quiet.update(pk for pk, rec in tracked
                     if all((pk, normalise_tracking(n)) in parcels for n in tracking_numbers(rec.tracking_no)))
    return quiet

