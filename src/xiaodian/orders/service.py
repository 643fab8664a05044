"""Order use cases people perform in the desk (notes, flags); each one transaction with a timeline event."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..bootstrap import ALL_SHOPS  # noqa: F401  (callers say service.ALL_SHOPS)
from ..clock import iso
from ..db import claim_writer
from ..errors import Conflict, NotFound, ValidationFailed
from ..privacy.crypto import PiiCipher
from .domain import FLAG_COLOURS
from .models import Order, OrderEvent
from .queries import (OrderFilter, Shops, order_events, order_shipments, require_order,
                      stored_order_total)
from .queries import find_order as _find_order
from .queries import tab_counts as _tab_counts
from .schemas import EventOut, OrderDetailOut, OrderPage, order_out



def _shops(shop_id) -> Shops:
    return None if shop_id == ALL_SHOPS else shop_id

MAX_NOTE_LENGTH = 500
UNCHECKED = object()  # update_merchant_note's expected_note when the caller did not say what it loaded


def update_merchant_note(session: Session, principal: Principal, *, shop_id: int, order_id: str, note: str | None,
                         flag_colour: int | None, now: datetime, expected_note: str | None | object = UNCHECKED,
                         expected_flag: int | None | object = UNCHECKED) -> dict:
    """Change the merchant note (商家备注) and/or flag (小旗子). Stored verbatim; escaped only when shown.
    The role is checked here, so every channel (page, API, CLI, demo) obeys the same rule.

    The note is replaced whole, so a caller that shows the note before the edit (the order page) passes the note it
    loaded as ``expected_note``: when the stored note is no longer that one, someone else changed it meanwhile and
    the save is refused (409 concurrent_change) instead of silently wiping their text (QA pass 5, E2). The flag
    likewise with ``expected_flag``: a clerk who flagged an order red (缺货) must not see it quietly turned back by a
    colleague's form loaded before. The order row is locked before it is read, so the check and the write see the
    same note."""
    check(principal.role, "orders.note")
    locked = _locked_orders(session, shop_id, [order_id])
    order = locked[0] if locked else require_order(session, shop_id, order_id)  # require_order: its 404
    if expected_note is not UNCHECKED and note is not None:
        _refuse_stale_note(order, expected_note, note)
    if expected_flag is not UNCHECKED and flag_colour is not None:
        _refuse_stale_flag(order, expected_flag, flag_colour)
    return _note_order(session, principal, order, note, flag_colour, now)


def same_note(a: str | None, b: str | None) -> bool:
    """Two notes are the same text: no note and an empty one alike, and a browser's CRLF (a form sends every line
    break so) the same as LF."""
    def plain(text):
        return (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return plain(a) == plain(b)


def _refuse_stale_note(order, expected_note, note: str) -> None:
    """Refuse a save made over a note that changed since the editor loaded it, unless the save leaves the note as
    it now is anyway (nothing of the other edit is lost)."""
    if not same_note(order.merchant_note, expected_note) and not same_note(order.merchant_note, note):
        raise Conflict("the merchant note was changed by someone else just now; reload the order and check it "
                       "before saving", code="concurrent_change", details={"order_id": order.order_id,
                                                                             "field": "merchant_note"})


def _refuse_stale_flag(order, expected_flag, flag_colour: int) -> None:
    """Refuse a flag change made over a flag that changed since the editor loaded it, unless it sets the flag the
    order now has anyway."""
    stored = order.flag_colour or 0
    if stored != (expected_flag or 0) and stored != flag_colour:
        raise Conflict("the flag was changed by someone else just now; reload the order and check it before saving",
                       code="concurrent_change", details={"order_id": order.order_id, "field": "flag_colour"})


def _lock_in_shops(session: Session, order_ids_by_shop: dict[int, Sequence[str]]) -> None:
    """Lock every shop's orders of a batch at once, in row-id order, before any shop's are read (_locked_orders
    then finds them locked): shop by shop, two batches naming the same shops in another order could deadlock."""
    claim_writer(session)
    wanted = or_(*(and_(Order.shop_id == shop, Order.order_id.in_(list(ids)))
                   for shop, ids in order_ids_by_shop.items()))
    session.execute(select(Order.id).where(wanted).order_by(Order.id).with_for_update(key_share=True)).all()


def _locked_orders(session: Session, shop_id: int, order_ids: Sequence[str]) -> list:
    """The orders of one shop with these ids (those that exist), their rows locked until the transaction ends and
    read afresh (an order the session already holds is refreshed), before a read-modify-write of their notes: two
    clerks appending at once each read the same note and the second write dropped the first's text (QA pass 5, E2).
    PostgreSQL: FOR NO KEY UPDATE (a timeline event inserted for the order still goes through), in row-id order, so
    two batches over the same orders cannot deadlock. SQLite: its write lock, taken before the read."""
    claim_writer(session)
    return list(session.execute(select(Order).where(Order.shop_id == shop_id, Order.order_id.in_(list(order_ids)))
                                .order_by(Order.id).with_for_update(key_share=True)
                                .execution_options(populate_existing=True)).scalars())


def _check_note(note: str | None, flag_colour: int | None) -> None:
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise ValidationFailed(f"merchant_note is longer than {MAX_NOTE_LENGTH} characters",
                               details={"field": "merchant_note", "max_length": MAX_NOTE_LENGTH})
    if flag_colour is not None and not 0 <= flag_colour < len(FLAG_COLOURS):
        raise ValidationFailed(f"flag_colour must be 0–{len(FLAG_COLOURS) - 1}", details={"field": "flag_colour"})


def _note_order(session: Session, principal: Principal, order, note: str | None, flag_colour: int | None,
                now: datetime) -> dict:
    """The change on one order the caller has found and the role already checked: a timeline event and an audit
    entry when something changed."""
    _check_note(note, flag_colour)
    before = {"merchant_note": order.merchant_note, "flag_colour": order.flag_colour}
    if note is not None:
        order.merchant_note = note or None
    if flag_colour is not None:
        order.flag_colour = flag_colour
    after = {"merchant_note": order.merchant_note, "flag_colour": order.flag_colour}
    if before != after:
        order.modified_at = now
        session.add(OrderEvent(shop_id=order.shop_id, order_pk=order.id, at=now, recorded_at=now,
                               kind="note_changed", source=principal.channel, actor=principal.login,
                               detail=json.dumps({"before": before, "after": after}, ensure_ascii=False)))
        audit.record(session, principal=principal, action="order.note", now=now, shop_id=order.shop_id,
                     target_type="order", target_id=order.order_id, before=before, after=after)
    return {"before": before, "after": after}


MAX_BATCH = 200  # the list's largest page: a batch is what one page shows
NOTE_MODES = ("replace", "append")
NOTE_SEPARATOR = "；"


def update_notes_in_shops(session: Session, principal: Principal, order_ids_by_shop: dict[int, Sequence[str]], *,
                          note: str | None = None, note_mode: str | None = None, flag_colour: int | None = None,
                          now: datetime) -> dict:
    """批量备注 over several shops (the list of all shops): ``update_merchant_notes`` shop by shop in the caller's
    transaction, so a refusal in any shop leaves every shop as it was once the caller rolls back."""
    check_batch_size(sum(len(ids) for ids in order_ids_by_shop.values()))
    done: dict[str, list[str]] = {"updated": [], "unchanged": []}
    if len(order_ids_by_shop) > 1:
        _lock_in_shops(session, order_ids_by_shop)
    for shop_id, ids in order_ids_by_shop.items():
        part = update_merchant_notes(session, principal, shop_id=shop_id, order_ids=ids, note=note,
                                     note_mode=note_mode, flag_colour=flag_colour, now=now)
        done["updated"] += part["updated"]
        done["unchanged"] += part["unchanged"]
    return done


def check_batch_size(n: int) -> None:
    """A batch is at most what the list's largest page shows (a batch over several shops counts them all)."""
    if n > MAX_BATCH:
        raise ValidationFailed(f"at most {MAX_BATCH} orders at a time, got {n}", code="too_many_orders",
                               details={"field": "order_ids", "max": MAX_BATCH})


def update_merchant_notes(session: Session, principal: Principal, *, shop_id: int, order_ids: Sequence[str],
                          note: str | None = None, note_mode: str | None = None, flag_colour: int | None = None,
                          now: datetime) -> dict:
    """批量备注 / 批量插旗: the same note and/or flag on several orders of one shop, the way the platform's list
    does it. Each order gets its own timeline event and audit entry (``_note_order``), so its history reads as if
    it had been edited alone. ``note_mode`` "append" adds the text after an order's own note (a clerk adding
    "已电话联系" must not wipe the warehouse's "缺货"). All or nothing: an unknown id or a note that would grow past
    the limit refuses the whole batch, naming the order, before anything is written."""
    check(principal.role, "orders.note")
    ids = list(dict.fromkeys(i.strip() for i in order_ids if i and i.strip()))
    if not ids:
        raise ValidationFailed("choose at least one order", code="nothing_selected", details={"field": "order_ids"})
    check_batch_size(len(ids))
    if note_mode is not None and note_mode not in NOTE_MODES:
        raise ValidationFailed(f"note_mode must be one of {', '.join(NOTE_MODES)}", details={"field": "note_mode"})
    if note_mode is None and flag_colour is None:
        raise ValidationFailed("nothing to change: give a flag colour or a note", code="nothing_to_change",
                               details={"field": "flag_colour"})
    if note_mode == "append" and not (note or "").strip():
        raise ValidationFailed("a note to append is empty", code="note_empty", details={"field": "merchant_note"})
    # Locked before they are read: an append reads the note it extends (two appends at once kept only one).
    orders = {o.order_id: o for o in _locked_orders(session, shop_id, ids)}
    missing = [i for i in ids if i not in orders]
    if missing:
        raise NotFound(f"no such order in this shop: {', '.join(missing[:10])}", code="orders_not_found",
                       details={"field": "order_ids", "order_ids": missing[:50]})
    _check_note(None, flag_colour)
    planned = {}
    for order_id in ids:
        new_note = None
        if note_mode == "replace":
            new_note = note or ""
        elif note_mode == "append":
            own = orders[order_id].merchant_note
            new_note = f"{own}{NOTE_SEPARATOR}{note.strip()}" if own else note.strip()
        if new_note is not None and len(new_note) > MAX_NOTE_LENGTH:
            raise ValidationFailed(f"order {order_id}: the note would be longer than {MAX_NOTE_LENGTH} characters",
                                   code="note_too_long", details={"field": "merchant_note", "order_id": order_id,
                                                                  "max_length": MAX_NOTE_LENGTH})
        planned[order_id] = new_note
    updated, unchanged = [], []
    for order_id, new_note in planned.items():  # the orders found above: no second look-up per order
        change = _note_order(session, principal, orders[order_id], new_note, flag_colour, now)
        (updated if change["before"] != change["after"] else unchanged).append(order_id)
    return {"updated": updated, "unchanged": unchanged}


def list_orders(session: Session, *, shop_id: int | Sequence[int] | str, flt: OrderFilter,
                cipher: PiiCipher, counts: dict[str, int] | None = None) -> OrderPage:
    """The order list as every channel shows it: one page, newest first, with the exact total. ``shop_id`` is a
    shop, several, or ALL_SHOPS; over more than one shop each order carries its ``shop_id``. ``counts``: the tab
    counts of the same shops and filter, when the caller has them (the total is then taken from them)."""
    return list_data(session, shop_id=shop_id, flt=flt, cipher=cipher, counts=counts).model()


def list_data(session: Session, *, shop_id: int | Sequence[int] | str, flt: OrderFilter, cipher: PiiCipher,
              counts: dict[str, int] | None = None):
    """list_orders as plain data (listing.ListData): the API writes its JSON without building models."""
    from .listing import list_data as _list_data

    several = shop_id == ALL_SHOPS or (not isinstance(shop_id, int) and len(shop_id) > 1)
    return _list_data(session, _shops(shop_id), flt, cipher=cipher, with_shop=several,
                      total=None if counts is None else counts[flt.tab])


def order_detail(session: Session, *, shop_id: int | Sequence[int] | str, order_id: str,
                 now: datetime | None = None, prefer: int | None = None) -> OrderDetailOut:
    """One order with its timeline; over several shops see queries.find_order for an id two shops share."""
    return detail_of(session, find_order(session, shop_id=shop_id, order_id=order_id, prefer=prefer), now)


def find_order(session: Session, *, shop_id: int | Sequence[int] | str, order_id: str, prefer: int | None = None):
    """The order (ORM) by shop order id or SKU order id among these shops; queries.find_order says how an id
    two shops share is resolved."""
    return _find_order(session, _shops(shop_id), order_id.strip(), prefer)


def detail_of(session: Session, order, now: datetime | None = None) -> OrderDetailOut:
    from ..shipping.queries import violations_by_order

    base = order_out(order, order_shipments(session, [order.id])[order.id],
                     violations_by_order(session, [order.id]).get(order.id), now)
    events = [EventOut(at=iso(e.at), kind=e.kind, from_status=e.from_status, to_status=e.to_status, source=e.source,
                       actor=e.actor, detail=e.detail) for e in order_events(session, order.id)]
    return OrderDetailOut(**base.model_dump(exclude={"shop_id"}), shop_id=order.shop_id, events=events)


def tab_counts(session: Session, *, shop_id: int | Sequence[int] | str, flt: OrderFilter,
               cipher: PiiCipher) -> dict[str, int]:
    return _tab_counts(session, _shops(shop_id), flt, cipher)


def order_total(session: Session, *, shop_id: int | Sequence[int] | str) -> int:
    """How many orders the shops hold (trigger-kept counters, no scan)."""
    return stored_order_total(session, _shops(shop_id))
