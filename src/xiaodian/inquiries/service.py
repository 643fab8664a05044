"""Answering a buyer's message from the data: understand it, find the orders it can be about, diagnose, draft a
reply. The one entry point the page, the API, the CLI and the evaluation call.

Facts come from the order tables and, through their service modules, from logistics (issue 5) and after-sales
(issue 6) when those capabilities are installed (see ``facts_sources``); until then the order export's after-sale
status and the tracking numbers stand in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, selectinload

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..clock import SHOP_TZ
from ..errors import ValidationFailed
from ..orders.intake import SORT_MASK, sort_key_for
from ..orders.models import Order, OrderItem, Product
from ..orders.queries import get_order, order_shipments
from ..orders.search_query import masked_phone, order_number
from ..privacy.crypto import PiiCipher
from ..privacy.masking import normalise_phone
from ..whole_numbers import half_width
from . import case_lookup, facts_sources
from .diagnosis import Diagnosis, diagnose
from .glossary import english_names
from .matching import Ask, Match, OrderFacts, Tracking, phone_mismatch, rank, score
from .products import CatalogueEntry
from .replies import draft
from .understanding import MAX_MESSAGE, Understanding, understand

EARLIEST_AT = datetime(2000, 1, 1, tzinfo=timezone.utc)  # message times the date words can be read against
LATEST_AT = datetime(2100, 1, 1, tzinfo=timezone.utc)
CANDIDATE_LIMIT = 200  # orders looked at per question: enough for a busy day's sales of one product
RARE_PRODUCT = 5000  # items of a product below which its orders are read by product rather than by date
SHOWN_MATCHES = 10
# 19 digits, as the refusal says: an 18- or 20-digit typo was looked up and answered "not found, another account?"
_ORDER_ID = re.compile(r"^[0-9]{19}$")


@dataclass(frozen=True)
class Answer:
    understanding: Understanding
    diagnosis: Diagnosis
    matches: list[Match]
    reply: str
    identity: str | None


def load_catalogue(session: Session, shop_id: int) -> list[CatalogueEntry]:
    """The shop's products as the matcher sees them; one without an English name (made from an imported order's
    title, see orders.catalogue) answers to the glossary's English words for what its title says it is."""
    rows = session.execute(select(Product.product_id, Product.name, Product.name_en, Product.aliases)
                           .where(Product.shop_id == shop_id)).all()
    out = []
    for product_id, name, name_en, aliases in rows:
        try:
            names = tuple(a for a in json.loads(aliases or "[]") if isinstance(a, str))
        except ValueError:
            names = ()
        if not (name_en or "").strip():  # an imported product: the glossary's English words of its title
            names += english_names(name)
        out.append(CatalogueEntry.build(product_id, name, name_en, names))
    return out


def check_inputs(message: str | None, phone: str | None,
                 order_id: str | None) -> tuple[str, str | None, str | None, str | None, str | None]:
    """(message, full phone, last 4, order id, first 3 of a masked phone), or ValidationFailed naming the field.
    ``phone`` takes a full number, its last 4 digits, or the number masked as the desk shows it (178****3424, QA
    pass 9, #6: read as its last 4, its first 3 checked against the orders' masked copies). Digits typed
    full-width (２２０３, a Chinese IME in 全角 mode) count as digits, as the order search reads them (QA pass 6, #13);
    other scripts' digits do not."""
    text = (message or "").strip()
    if not text:
        raise ValidationFailed("message: the buyer's message is empty", details={"field": "message"})
    if len(text) > MAX_MESSAGE:
        raise ValidationFailed(f"message: at most {MAX_MESSAGE} characters", details={"field": "message"})
    full = last4 = first3 = None
    if phone and phone.strip():
        p = half_width(phone).strip()
        masked = masked_phone(p)
        if re.fullmatch(r"[0-9]{4}", p):
            last4 = p
        elif masked:
            first3, last4 = masked
        else:
            full = normalise_phone(p)
            if full is None:
                raise ValidationFailed("phone: give an 11-digit mobile number or its last 4 digits",
                                       details={"field": "phone"})
            last4 = full[-4:]
    oid = None
    if order_id and order_id.strip():
        oid = half_width(order_id).strip().lstrip("'")
        oid = order_number(oid) or oid  # 6979 5149 9790 4203 398 as the buyer wrote it (QA pass 13, #1)
        if not _ORDER_ID.match(oid):
            raise ValidationFailed("order_id: an order number is 19 digits", details={"field": "order_id"})
    return text, full, last4, oid, first3


def _day_bounds(first, last) -> tuple[datetime, datetime]:
    start = datetime.combine(first - timedelta(days=1), time.min, SHOP_TZ)
    end = datetime.combine(last + timedelta(days=2), time.min, SHOP_TZ)
    return start, end


def _candidates(session: Session, shop_id: int, u: Understanding, *, order_id: str | None, phone: str | None,
                last4: str | None, cipher: PiiCipher, first3: str | None = None) -> tuple[str | None, list[Order]]:
    """(how the buyer was identified, the orders to look at). Indexed lookups only: order id, phone blind index,
    last-4 blind index (with the first 3 digits of a masked phone checked against the orders' masked copies: an
    order without one stays in), or the creation-time range (sort_key) narrowed by product."""
    if order_id:
        order = get_order(session, shop_id, order_id) or session.execute(
            select(Order).join(OrderItem, OrderItem.order_pk == Order.id)
            .where(OrderItem.shop_id == shop_id, OrderItem.sku_order_id == order_id)).scalars().first()
        return "order_id", [order] if order else []
    conds = [Order.shop_id == shop_id]
    if phone or last4:  # the buyer's own orders, whatever was said, so that a mismatch can be shown to the agent
        via = "phone" if phone else "last4"
        conds.append(Order.phone_hash == cipher.phone_index(phone) if phone
                     else Order.phone_last4_hash == cipher.last4_index(last4))
        if not phone and first3:
            conds.append(or_(Order.phone_masked.is_(None), ~Order.phone_masked.like("1%"),
                             Order.phone_masked.like(f"{first3}%")))
        stated = _stated(u)[:1]  # the day range when one was named (scoring checks the product), else the product
        if not stated:
            return via, _newest(session, conds, CANDIDATE_LIMIT)
        # A regular buyer's order of the day (or product) named may be older than their newest few hundred: read
        # those first (the phone and last-4 indexes carry sort_key, migration 0012), then the newest few others.
        named = _newest(session, [*conds, *stated], CANDIDATE_LIMIT)
        seen = {o.id for o in named}
        others = [o for o in _newest(session, conds, SHOWN_MATCHES + len(named)) if o.id not in seen]
        return via, named + others[:SHOWN_MATCHES]
    if not u.date_from and not u.product_ids:
        return None, []
    if not u.date_from:
        rare = _orders_of_rare_product(session, shop_id, u.product_ids)
        if rare is not None:
            return None, _newest(session, [*conds, Order.id.in_(rare)], CANDIDATE_LIMIT) if rare else []
    return None, _newest(session, [*conds, *_stated(u)], CANDIDATE_LIMIT)


def _orders_of_rare_product(session: Session, shop_id: int, product_ids: tuple[str, ...]) -> list[int] | None:
    """The order pks of a product with at most RARE_PRODUCT items (index of migration 0013), else None. Walking
    the orders newest first until CANDIDATE_LIMIT contain the product is quick for a product that sells often
    and walks every order for one that never did; this reads the rare ones' orders directly."""
    pks = session.execute(select(OrderItem.order_pk).where(OrderItem.shop_id == shop_id,
                                                           OrderItem.product_id.in_(product_ids))
                          .limit(RARE_PRODUCT + 1)).scalars().all()
    return None if len(pks) > RARE_PRODUCT else sorted(set(pks))


def _stated(u: Understanding) -> list:
    """Conditions for what the buyer said: the day range (a day either side, see _day_bounds) and the product."""
    conds = []
    if u.date_from:
        start, end = _day_bounds(u.date_from, u.date_to or u.date_from)
        conds.append(Order.sort_key.between(sort_key_for(start, 0), sort_key_for(end, SORT_MASK)))
    if u.product_ids:
        conds.append(exists().where(OrderItem.order_pk == Order.id, OrderItem.product_id.in_(u.product_ids)))
    return conds


def _newest(session: Session, conds: list, limit: int) -> list[Order]:
    return list(session.execute(select(Order).where(*conds).order_by(Order.sort_key.desc()).limit(limit)
                                .options(selectinload(Order.items))).scalars().all())


def _facts(session: Session, orders: list[Order]) -> list[OrderFacts]:
    """What the order tables say about each candidate, in two queries whatever their number (items are loaded with
    the candidates, tracking numbers in one batch); parcels and after-sale cases are read later, by _enricher,
    for the few orders the diagnosis may name."""
    tracking = order_shipments(session, [o.id for o in orders])
    after_sales = facts_sources.export_after_sale_facts(orders)
    out = []
    for o in orders:
        presale = bool((o.order_type and "预售" in o.order_type) or o.ship_by_source == "presale"
                       or (o.ship_promise or "").startswith("presale")
                       or any("预售" in (i.product_name or "") for i in o.items))
        out.append(OrderFacts(
            order_id=o.order_id, status=o.status, created_at=o.created_at, paid_at=o.paid_at, ship_by=o.ship_by,
            shipped_at=o.shipped_at, completed_at=o.completed_at, cancelled_at=o.cancelled_at,
            cancel_reason=o.cancel_reason, presale=presale,
            items=tuple((i.product_id, i.product_name, i.quantity) for i in o.items),
            tracking=tuple(Tracking(s.carrier_name or s.carrier_code, s.tracking_no, s.shipped_at)
                           for s in tracking.get(o.id, [])),
            after_sale=after_sales.get(o.id), logistics=None, phone_masked=o.phone_masked))
    return out


def _enricher(session: Session, shop_id: int, orders: list[Order], now: datetime):
    """The diagnosis's Enrich: the logistics capability's parcel state and the after-sales capability's latest
    case for at most LOOKUP_LIMIT of the given matches (the first ones, best first)."""
    by_id = {o.order_id: o for o in orders}

    def enrich(matches: list[Match]) -> list[Match]:
        wanted = [by_id[m.order_id] for m in matches[:facts_sources.LOOKUP_LIMIT] if m.order_id in by_id]
        if not wanted:
            return matches
        logistics, resends = facts_sources.parcel_facts(session, shop_id, wanted, now)
        cases = facts_sources.after_sale_facts(session, shop_id, wanted, now)
        out = []
        for m in matches:
            order = by_id.get(m.order_id)
            if order is None or m.facts is None or (order.id not in logistics and order.id not in cases
                                                    and order.id not in resends):
                out.append(m)
                continue
            facts = replace(m.facts, logistics=logistics.get(order.id, m.facts.logistics),
                            after_sale=cases.get(order.id, m.facts.after_sale),
                            resends=resends.get(order.id, m.facts.resends))
            out.append(replace(m, facts=facts))
        return out
    return enrich


def answer(session: Session, principal: Principal, *, shop_id: int, message: str, phone: str | None = None,
           order_id: str | None = None, at: datetime | None = None, now: datetime, cipher: PiiCipher,
           record: bool = True) -> Answer:
    """Read the message as sent at ``at`` (default ``now``), find and diagnose the order, draft the reply.
    The role is checked here; the lookup is written to the audit log (codes and order ids, never the message,
    which may hold a phone number)."""
    check(principal.role, "inquiries.answer")
    text, full_phone, last4, oid, first3 = check_inputs(message, phone, order_id)
    at = at or now
    if at.tzinfo is None:
        raise ValidationFailed("at: the message time needs a UTC offset", details={"field": "at"})
    if not EARLIEST_AT <= at < LATEST_AT:  # "yesterday" of 0001-01-01 or "tomorrow" of 9999-12-31 cannot be computed
        raise ValidationFailed(f"at: the message time must be between {EARLIEST_AT:%Y-%m-%d} and "
                               f"{LATEST_AT:%Y-%m-%d}", code="at_out_of_range", details={"field": "at"})
    u = understand(text, at, load_catalogue(session, shop_id))
    oid = oid or u.order_id
    full_phone = full_phone or u.phone
    if not last4 and u.phone_last4:
        last4, first3 = u.phone_last4, u.phone_first3
    via, orders = _candidates(session, shop_id, u, order_id=oid, phone=full_phone, last4=last4, cipher=cipher,
                              first3=first3)
    ask = Ask(u.date_from, u.date_to, u.product_ids, u.product, u.quantity)
    matches = rank([score(f, ask, via) for f in _facts(session, orders)])
    mismatch = via == "order_id" and bool(orders) and not _phone_fits(orders[0], full_phone, last4, cipher, first3)
    if mismatch:
        matches = [phone_mismatch(m) for m in matches]
    stated = u.date_from is not None or bool(u.product_ids)
    identity = "order_id" if oid else ("phone" if full_phone else ("last4" if last4 else None))
    # a complaint naming what it wants (退货, 补寄 …) is about the buyer's only case of that kind, if there is one
    about_case = u.intent == "after_sale_status" and (not u.complaint or case_lookup.wanted_kind(text) is not None)
    by_case = (case_lookup.single_case_order(session, orders, text)
               if about_case and via in ("phone", "last4") and not stated else None)
    # a new complaint about the goods is about an order sent, not about a case already open (QA pass 9, #7)
    d = diagnose(matches, intent="complaint" if u.complaint else u.intent, identity=identity, stated=stated, now=now,
                 enrich=_enricher(session, shop_id, orders, now), dated=u.date_from is not None, by_case=by_case)
    d = _with_ship_by_explanation(session, shop_id, d, now)
    d = _with_sync_lag(session, shop_id, d, u, now)
    reply = draft(d, lang=u.language, intent=u.intent, product=u.product, complaint=u.complaint,
                  names_en=_english_names(session, shop_id, d.order) if u.language != "zh" else None)
    if record:
        audit.record(session, principal=principal, action="inquiry.answer", now=now, shop_id=shop_id,
                     target_type="order" if d.order else None, target_id=d.order.order_id if d.order else None,
                     detail={"intent": u.intent, "code": d.code, "identity": identity,
                             "orders": [m.order_id for m in matches[:SHOWN_MATCHES]]})
    return Answer(u, d, matches, reply, None if mismatch else identity)


def _with_sync_lag(session: Session, shop_id: int, d: Diagnosis, u, now: datetime) -> Diagnosis:
    """An order not found while the desk's Douyin order data is behind or failing (for the day the buyer named, or
    any day when they named none) may simply not have reached the desk: the facts say so and since when, and the
    reply does not tell the buyer there is no such order (QA pass 2, D6)."""
    from ..channels.douyin.service import sync_warnings

    if not d.code.startswith("not_found"):
        return d
    found = sync_warnings(session, now=now, shop_ids=[shop_id])
    if not found:
        return d
    since = found[0]["synced_up_to"]
    if since is not None and u.date_to is not None:
        named_end = datetime.combine(u.date_to + timedelta(days=1), time(), SHOP_TZ)
        if named_end <= since:
            return d  # the desk has every order of the day the buyer named
    facts = {**d.facts, "douyin_sync_behind": True,
             "douyin_synced_up_to": since.astimezone(SHOP_TZ).isoformat() if since else None}
    return Diagnosis(d.code, facts, d.order, d.confirmed, d.candidates)


def _english_names(session: Session, shop_id: int, order: OrderFacts | None) -> dict[str, str]:
    """product id → English name of the order's products, for an English reply (QA D13: a buyer writing in English
    reads "Wuchang rice", not 五常大米; "peanut oil" for an imported 压榨一级花生油 5L, see glossary); products
    without one are left out and keep their Chinese name."""
    pids = {pid for pid, _name, _qty in order.items if pid} if order is not None else set()
    return english_names_of(session, shop_id, pids)


def english_product_name(session: Session, shop_id: int, product_ids) -> str | None:
    """The English name the products the buyer named share, for the desk's English page ("Wuchang rice" beside
    五常大米, which three listings share): the shortest English name of one of them that every other one also goes
    by (its English name or an alias). None when they share none."""
    pids = set(product_ids)
    english = english_names_of(session, shop_id, pids)
    if not english:
        return None
    known: dict[str, set[str]] = {pid: {name.casefold()} for pid, name in english.items()}
    for pid, aliases in session.execute(select(Product.product_id, Product.aliases)
                                        .where(Product.shop_id == shop_id, Product.product_id.in_(pids))).all():
        known.setdefault(pid, set()).update(a.casefold() for a in _alias_list(aliases))
    shared = [name for name in sorted(set(english.values()), key=len)
              if all(name.casefold() in known.get(pid, set()) for pid in pids)]
    return shared[0] if shared else None


def _alias_list(stored: str | None) -> list[str]:
    try:
        value = json.loads(stored or "[]")
    except ValueError:
        return []
    return [a for a in value if isinstance(a, str)] if isinstance(value, list) else []


def english_names_of(session: Session, shop_id: int, pids: set[str]) -> dict[str, str]:
    """product id → English name (its own, or the glossary's words for an imported title) of those that have one."""
    if not pids:
        return {}
    rows = session.execute(select(Product.product_id, Product.name, Product.name_en)
                           .where(Product.shop_id == shop_id, Product.product_id.in_(pids))).all()
    out = {}
    for pid, name, name_en in rows:
        # an imported product has no English name: the glossary's word for what its title says it is
        english = (name_en or "").strip() or next(iter(english_names(name or "")), "")
        if english:
            out[pid] = english
    return out


def _phone_fits(order: Order, phone: str | None, last4: str | None, cipher: PiiCipher,
                first3: str | None = None) -> bool:
    """Whether the phone the buyer gave (full or last 4) is the one on the order their order number names. No
    phone given, or none stored on the order, is no contradiction; the comparison is of blind indexes, so no
    phone is decrypted for it."""
    if phone and order.phone_hash:
        return cipher.phone_index(phone) == order.phone_hash
    if first3 and (order.phone_masked or "").startswith("1") and not order.phone_masked.startswith(first3):
        return False  # a masked phone (178****3424) whose first 3 digits are not the order's
    if last4 and order.phone_last4_hash:
        return cipher.last4_index(last4) == order.phone_last4_hash
    return True


def _with_ship_by_explanation(session: Session, shop_id: int, d: Diagnosis, now: datetime) -> Diagnosis:
    """The shipping capability's own one-line explanation of the ship-by, for the agent (order_detail)."""
    if d.order is None or "ship_by" not in d.facts:
        return d
    from ..orders import service as orders_service

    detail = orders_service.order_detail(session, shop_id=shop_id, order_id=d.order.order_id, now=now)
    facts = dict(d.facts, ship_by_explanation=detail.ship_by_explanation)
    if d.order.status != "paid_pending":  # a held order is told by review_facts, not as overdue (QA pass 9, #8)
        facts["overdue"] = detail.overdue
    return Diagnosis(d.code, facts, d.order, d.confirmed, d.candidates)
