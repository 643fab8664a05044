"""Product-name search index: CJK unigram/bigram grams, kept in step by intake, one backend per database.

Merchants search order titles by any fragment they remember (米, 稻花香, `iPhone 15 壳`), so the contract
is an exact case-insensitive substring test of every term against the product text (name and spec, NFKC + lower
on both sides) of one item of the order: every term within the same item, so that `五常 2.5kg` finds 五常大米
2.5kg and not an order of 五常大米 5kg beside 小米 2.5kg (QA pass 10). The terms are the query's
whitespace-separated runs, each further split where a CJK character (ideograph, kana, hangul) meets a Latin
letter or digit: merchants type `五常2.5kg` for what
`五常 2.5kg` finds, so it is the two terms `五常` and `2.5kg` (QA pass 9, #16); `iphone15`, `2.5kg` and
`【顺丰包邮】五常` (punctuation is no boundary) stay whole. Word segmentation misses substrings and
trigrams cannot serve 1–2 characters, so the index stores every character (unigram) and every pair of
neighbouring characters (bigram); a longer term is a phrase of its consecutive bigrams.

- The stored text keeps the items apart with ``ITEM_BREAK``. SQLite indexes each item of an order under its own
  slot (``_SLOT_BASE``), so the index alone finds terms that meet within one item; PostgreSQL's grams are those of
  the whole text, and a query of two or more terms is tested item by item on the orders of several items.
- SQLite: contentless FTS5 table ``order_search`` (rowid = orders.sort_key, columns ``uni`` and ``bi``)
  plus ``order_search_text`` holding the normalised text for the exact post-filter and for deleting the
  old tokens when an order is re-indexed. Tokens carry the shop id so counts never need the orders table.
- PostgreSQL: side table ``order_search`` with a ``text[]`` of shop-prefixed grams under a GIN index and
  the normalised text for the exact post-filter (``strpos``); counted first, capped at ``COUNT_CAP``.

Callers use ``index_orders`` (intake) and ``text_match`` (queries); everything else here is the detail.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, Text, bindparam, column, func, literal, literal_column, or_, select, table
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Join

from ..db import in_ids
from .models import Order

# Separates whitespace/punctuation runs in the bigram column so a phrase never spans two runs. It starts
# with a letter, while every real token starts with the shop id's digits, so it can never equal one.
SENTINEL = "x"
# PostgreSQL counts stop here ("10,000+"): exact counts of very common grams cost 50–150 ms there.
COUNT_CAP = 10_000
# Above this many matches (density > 1% at 1M) PostgreSQL walks newest-first and filters; below, it fetches the
# matches from GIN and sorts them: the walk costs ~50/density rows, the fetch ~count rows.
_PG_WALK_THRESHOLD = COUNT_CAP
# How many of the newest matches PostgreSQL's count hands back with it: the list's first pages at any page size.
_FIRST_KEYS = 200


# Between the items of one order in the stored text: whitespace to both indexes and never inside a term.
ITEM_BREAK = "\n"
# SQLite indexes an order item by item: the first item's tokens under the shop prefix (the only item of most
# orders), each further item's under its slot, a plane-16 private-use character after the shop prefix that text
# folding never produces (fts_char sends plane 16 to _FOLD_SHARED). Every search is then one FTS5 expression, the
# terms under the shop prefix OR under each further slot's (fts_query), and the index is no larger than one written
# order by order. Joining each match to its stored text and testing it item by item instead cost 4-5x the index walk
# (iPhone 15 壳 at 1M orders: 18 → 90 ms); indexing multi-item orders twice, whole and per item, 1.5x.
_SLOT_BASE = 0x100000
MAX_ITEM_SLOTS = 10


def order_text(items: Iterable[tuple[str, str | None]]) -> str:
    """An order's product text as indexed: each item's name and spec, items apart (a line break inside a name
    becomes a space, so it cannot split an item)."""
    return ITEM_BREAK.join(f"{name} {spec or ''}".replace(ITEM_BREAK, " ") for name, spec in items)


def holds_all_in_one_item(body: str, *terms: str) -> bool:
    """True when one item of a stored (normalised) text holds every term: the per-item half of the contract."""
    return any(all(t in part for t in terms) for part in body.split(ITEM_BREAK))


def terms_within_one_item(terms: Sequence[str]) -> list[str]:
    """The distinct terms that must meet within one item: none for a single term (any item holding it will do)."""
    distinct = list(dict.fromkeys(terms))
    return distinct if len(distinct) > 1 else []


def normalise(text: str) -> str:
    """What both the index and the query compare: NFKC folds full-width ＡＢＣ１２３ and compatibility forms,
    lower() makes iPhone match iphone."""
    return unicodedata.normalize("NFKC", text).lower()


def is_token_char(ch: str) -> bool:
    """Letters, numbers and private-use characters: what SQLite's unicode61 tokenizer keeps in a token."""
    cat = unicodedata.category(ch)
    return cat[0] in "LN" or cat == "Co"


def is_plain_char(ch: str) -> bool:
    """Characters whose token treatment is the same in Python and SQLite on every version: ASCII letters and
    digits, CJK ideographs, kana, hangul. A term with any other character also gets the exact post-filter."""
    o = ord(ch)
    return ("a" <= ch <= "z" or "0" <= ch <= "9" or 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF
            or 0x3041 <= o <= 0x3096 or 0x30A1 <= o <= 0x30FA or 0xAC00 <= o <= 0xD7A3)


# Punctuation (【】 . / * …) would end a token in unicode61; moved one-to-one into the supplementary private-use
# plane it stays inside the token, so `【官方` or `2.5` are phrases as exact and selective as plain words.
# Characters that cannot be moved one-to-one (outside the BMP, or already private-use there) share a marker,
# and terms with them get the exact post-filter.
_FOLD_BASE = 0xF0000
_FOLD_SHARED = chr(0x10FFFD)


def fts_char(ch: str) -> str:
    o = ord(ch)
    if o < _FOLD_BASE and is_token_char(ch):
        return ch
    return chr(_FOLD_BASE + o) if o <= 0xFFFD else _FOLD_SHARED


def needs_post_filter(term: str) -> bool:
    """True when the index alone might not be exact for this term: a letter or digit outside the plain set
    (Python's and SQLite's Unicode tables may differ there) or a character folded into the shared marker."""
    return any(not is_plain_char(ch) and (is_token_char(ch) or ord(ch) > 0xFFFD) for ch in term)


def runs(normalised: str) -> list[str]:
    """Whitespace-separated runs as FTS5 sees them: letters and digits as they are, other marks folded."""
    return ["".join(fts_char(ch) for ch in part) for part in normalised.split()]


def bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


# ---------------------------------------------------------------- documents

def _token_columns(prefix: str, parts: list[str]) -> tuple[str, str]:
    uni = " ".join(prefix + ch for ch in dict.fromkeys(ch for part in parts for ch in part))
    bi_tokens: list[str] = []
    for part in parts:
        if bi_tokens:
            bi_tokens.append(SENTINEL)
        bi_tokens.extend(prefix + gram for gram in bigrams(part))
    return uni, " ".join(bi_tokens)


def item_slots(normalised: str) -> list[str]:
    """The items of a stored text, one per slot: an order with more than ``MAX_ITEM_SLOTS`` items shares the last
    slot among the rest (several terms may then meet across those items only)."""
    items = normalised.split(ITEM_BREAK)
    if len(items) > MAX_ITEM_SLOTS:
        items = items[:MAX_ITEM_SLOTS - 1] + [" ".join(items[MAX_ITEM_SLOTS - 1:])]
    return items


def fts_columns(shop_id: int, normalised: str) -> tuple[str, str]:
    """(uni, bi) column text for SQLite FTS5: distinct shop-prefixed characters, and the shop-prefixed
    bigrams of each run in order with the sentinel between runs (positions matter for phrases). Item by item:
    the first item's tokens under the shop prefix, each further item's under its slot's (``item_slots``)."""
    prefix = str(shop_id)
    items = item_slots(normalised)
    if len(items) == 1:
        return _token_columns(prefix, runs(normalised))
    unis, bis = [], []
    for slot, item in enumerate(items, 1):
        slot_uni, slot_bi = _token_columns(_slot_prefix(prefix, slot), runs(item))
        unis.append(slot_uni)
        bis += [SENTINEL, slot_bi] if bis else [slot_bi]
    return " ".join(u for u in unis if u), " ".join(b for b in bis if b)


def _slot_prefix(prefix: str, slot: int) -> str:
    return prefix if slot == 1 else prefix + chr(_SLOT_BASE + slot)


def pg_grams(shop_id: int, normalised: str) -> list[str]:
    """Distinct shop-prefixed unigrams and bigrams for the PostgreSQL GIN index. Array elements are not
    tokenised, so punctuation is kept as it is; only whitespace ends a run (terms never contain it)."""
    prefix = f"{shop_id}:"
    grams: dict[str, None] = {}
    for part in normalised.split():
        for ch in part:
            grams[prefix + ch] = None
        for gram in bigrams(part):
            grams[prefix + gram] = None
    return list(grams)


# ---------------------------------------------------------------- queries

def is_cjk_char(ch: str) -> bool:
    """CJK ideographs (and their extension A and compatibility forms), kana and hangul: the script side of a term
    boundary."""
    o = ord(ch)
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x3041 <= o <= 0x3096
            or 0x30A1 <= o <= 0x30FA or 0xAC00 <= o <= 0xD7A3)


def _is_latin_or_digit(ch: str) -> bool:
    return "a" <= ch <= "z" or "A" <= ch <= "Z" or "0" <= ch <= "9"


# Units and measure words written after a number in Chinese titles and specs (10斤, 2袋装, 500克, 5公斤, 42码, 2号):
# the number keeps its unit, so `1斤` is one term and does not find 10斤 as 1 + 斤 did (QA pass 11, #4).
_UNITS = frozenset("斤两克千公吨升毫厘米寸尺码"  # weights, volumes, lengths, sizes
                   "袋包箱盒瓶罐桶件个只支条片粒颗根双套对张本台块份杯碗斗号枚头人代度年月天日周岁层色款")


def script_terms(run: str) -> list[str]:
    """One whitespace-free run split where a CJK character and a Latin letter or digit touch: 五常2.5kg → 五常,
    2.5kg; 小米14 → 小米, 14; 316不锈钢 → 316, 不锈钢; but a digit keeps the unit after it: 长粒香1斤 → 长粒香, 1斤;
    稻花香2号 → 稻花香, 2号. Punctuation is no boundary (【官方】五常 stays whole)."""
    out: list[str] = []
    start = 0
    for i in range(1, len(run)):
        a, b = run[i - 1], run[i]
        if (is_cjk_char(a) and _is_latin_or_digit(b)) or (_is_latin_or_digit(a) and is_cjk_char(b)
                                                          and not ("0" <= a <= "9" and b in _UNITS)):
            out.append(run[start:i])
            start = i
    out.append(run[start:])
    return [t for t in out if t]


def normalised_terms(terms: Iterable[str]) -> list[str]:
    """Query terms as compared: normalised, re-split (NFKC can turn an ideographic space into a space), and split
    where CJK meets Latin letters or digits (``script_terms``)."""
    return [part for term in terms for t in normalise(term).split() if t for part in script_terms(t)]


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts_query(shop_id: int, terms: Sequence[str]) -> tuple[str | None, list[str]]:
    """FTS5 MATCH expression for normalised terms, and the terms that also need the exact post-filter.

    1 character → its unigram; 2 → its bigram token; 3+ → the phrase of its consecutive bigrams. Every
    token is quoted and consists of letters, digits and private-use characters only, so no input is FTS5
    syntax. None only without terms."""
    prefix = str(shop_id)
    post = [term for term in terms if needs_post_filter(term)]
    first = _all_terms(prefix, terms)
    if first is None:
        return None, post
    # The first (or only) item holds every term, or a further item does.
    slots = [_all_terms(_slot_prefix(prefix, slot), terms) for slot in range(2, MAX_ITEM_SLOTS + 1)]
    return " OR ".join(f"({e})" for e in [first, *slots]), post


def _all_terms(prefix: str, terms: Sequence[str]) -> str | None:
    """FTS5 AND of every term's unigram, bigram or bigram phrase under this token prefix."""
    clauses: list[str] = []
    for term in terms:
        for part in runs(term):
            if len(part) == 1:
                clauses.append("uni : " + _quote(prefix + part))
            else:
                clauses.append("bi : " + _quote(" ".join(prefix + gram for gram in bigrams(part))))
    return " AND ".join(dict.fromkeys(clauses)) or None


def pg_query(shop_id: int, terms: Sequence[str]) -> tuple[list[str], list[str]]:
    """Grams every match must contain, and the terms needing the exact strpos post-filter (all of 3+
    characters: a set of bigrams says nothing of their order)."""
    prefix = f"{shop_id}:"
    grams: dict[str, None] = {}
    post: list[str] = []
    for term in terms:
        if len(term) <= 2:
            grams[prefix + term] = None
        else:
            grams.update((prefix + gram, None) for gram in bigrams(term))
            post.append(term)
    return list(grams), post


# ---------------------------------------------------------------- index maintenance

_fts = table("order_search", column("rowid", BigInteger))
_fts_text = table("order_search_text", column("sort_key", BigInteger), column("order_pk", BigInteger),
                  column("shop_id", BigInteger), column("body"))
_pg = table("order_search", column("order_pk", BigInteger), column("shop_id", BigInteger), column("sort_key", BigInteger),
            column("body"), column("grams"))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _shops_of(session: Session, pks: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for start in range(0, len(pks), 900):
        chunk = pks[start:start + 900]
        out.update(session.execute(select(Order.id, Order.shop_id).where(Order.id.in_(chunk))).all())
    return out


# Product titles and specs repeat across a shop's orders (an import of 200,000 orders has a few hundred distinct
# texts), so each distinct (shop, text) is normalised and tokenised once. Bounded: cleared when full.
_DOC_CACHE: dict[tuple[int, str], tuple[str, str, str]] = {}
_DOC_CACHE_MAX = 50_000


def document(shop_id: int, body: str) -> tuple[str, str, str]:
    """(normalised text, uni, bi) of an order's product text for SQLite: ``normalise`` then ``fts_columns``."""
    key = (shop_id, body)
    found = _DOC_CACHE.get(key)
    if found is None:
        normalised = normalise(body)
        found = (normalised, *fts_columns(shop_id, normalised))
        if len(_DOC_CACHE) >= _DOC_CACHE_MAX:
            _DOC_CACHE.clear()
        _DOC_CACHE[key] = found
    return found


_STORED_CACHE: dict[tuple[int, str], tuple[str, str]] = {}


def _stored_columns(shop_id: int, normalised: str) -> tuple[str, str]:
    """``fts_columns`` of a stored (already normalised) text, to delete the tokens it was indexed with; cached as
    ``document`` is, since re-indexed orders mostly repeat the same few texts."""
    key = (shop_id, normalised)
    found = _STORED_CACHE.get(key)
    if found is None:
        found = fts_columns(shop_id, normalised)
        if len(_STORED_CACHE) >= _DOC_CACHE_MAX:
            _STORED_CACHE.clear()
        _STORED_CACHE[key] = found
    return found


def index_orders(session: Session, rows: list[tuple[int, int, str]], *, shop_id: int | None = None) -> None:
    """(Re-)index orders inside the caller's transaction; rows are (order_pk, sort_key, product text).
    Re-indexing an order replaces its previous tokens. A caller that knows every order is of one shop says so
    (``shop_id``), which saves looking the shops up."""
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return
    if _dialect(session) == "sqlite":
        if shop_id is None:
            shops = _shops_of(session, [pk for pk, _key, _text in rows])
            docs = [(pk, key, shops[pk], body or "") for pk, key, body in rows if pk in shops]
        else:
            docs = [(pk, key, shop_id, body or "") for pk, key, body in rows]
        _index_sqlite(session, docs)
        return
    shops = _shops_of(session, [pk for pk, _key, _text in rows]) if shop_id is None else None
    docs = [(pk, key, shop_id if shops is None else shops[pk], normalise(body or ""))
            for pk, key, body in rows if shops is None or pk in shops]
    _index_postgres(session, docs)


def _index_sqlite(session: Session, docs: list[tuple[int, int, int, str]]) -> None:
    """docs are (order_pk, sort_key, shop_id, raw product text). Written through the driver with plain tuples:
    SQLAlchemy's per-row parameter processing cost as much as FTS5's own work."""
    conn = session.connection()
    pks = [pk for pk, *_ in docs]
    old = []
    for start in range(0, len(pks), 900):
        chunk = pks[start:start + 900]
        old.extend(conn.execute(select(_fts_text.c.sort_key, _fts_text.c.shop_id, _fts_text.c.body)
                                .where(_fts_text.c.order_pk.in_(chunk))).all())
    if old:
        # A contentless FTS5 table forgets a row only when told exactly which tokens it had.
        conn.exec_driver_sql("INSERT INTO order_search(order_search, rowid, uni, bi) VALUES ('delete', ?, ?, ?)",
                             [(key, *_stored_columns(shop, body)) for key, shop, body in old])
        conn.exec_driver_sql("DELETE FROM order_search_text WHERE sort_key = ?", [(key,) for key, *_ in old])
    fts_rows, text_rows = [], []
    for pk, key, shop, body in docs:
        normalised, uni, bi = document(shop, body)
        fts_rows.append((key, uni, bi))
        text_rows.append((key, pk, shop, normalised))
    conn.exec_driver_sql("INSERT INTO order_search(rowid, uni, bi) VALUES (?, ?, ?)", fts_rows)
    conn.exec_driver_sql("INSERT INTO order_search_text(sort_key, order_pk, shop_id, body) VALUES (?, ?, ?, ?)",
                         text_rows)


def _index_postgres(session: Session, docs: list[tuple[int, int, int, str]]) -> None:
    stmt = postgresql.insert(_pg)
    stmt = stmt.on_conflict_do_update(index_elements=["order_pk"], set_={
        "shop_id": stmt.excluded.shop_id, "sort_key": stmt.excluded.sort_key,
        "body": stmt.excluded.body, "grams": stmt.excluded.grams})
    session.connection().execute(stmt, [
        {"order_pk": pk, "shop_id": shop, "sort_key": key, "body": body, "grams": pg_grams(shop, body)}
        for pk, key, shop, body in docs])


def rebuild(session: Session) -> int:
    """Index every order from its items (migration backfill, repair): the same text intake indexes."""
    from .models import OrderItem  # noqa: PLC0415 - only the rebuild needs items

    texts: dict[int, list[tuple[str, str | None]]] = {}
    keys: dict[int, int] = {}
    for pk, key, name, spec in session.execute(
            select(Order.id, Order.sort_key, OrderItem.product_name, OrderItem.spec)
            .join(OrderItem, OrderItem.order_pk == Order.id).order_by(Order.id, OrderItem.id)):
        keys[pk] = key
        texts.setdefault(pk, []).append((name, spec))
    rows = [(pk, keys[pk], order_text(parts)) for pk, parts in texts.items()]
    for start in range(0, len(rows), 5000):
        index_orders(session, rows[start:start + 5000])
    return len(rows)


# ---------------------------------------------------------------- matching

_O = Order.__table__


class MatchesFirst(Join):
    """A join whose left side (the product-text matches; the orders in ``scan_in_order``) SQLite must read first,
    finding each match's order by its sort key: written CROSS JOIN, which SQLite never reorders. Left to choose, it
    walked every order of a status tab and probed the full-text index for each: 五常大米 in the 已完成 tab took 7.3 s
    at 1M orders, 30 ms this way (benchmarks/RESULTS.md, 2026-11-27). Other databases get a plain join."""

    inherit_cache = True


@compiles(MatchesFirst, "sqlite")
def _matches_first(join, compiler, asfrom=False, from_linter=None, **kw) -> str:
    if from_linter:
        from_linter.edges.update(itertools.product(join.left._from_objects, join.right._from_objects))
    return (join.left._compiler_dispatch(compiler, asfrom=True, from_linter=from_linter, **kw) + " CROSS JOIN "
            + join.right._compiler_dispatch(compiler, asfrom=True, from_linter=from_linter, **kw)
            + " ON " + join.onclause._compiler_dispatch(compiler, from_linter=from_linter, **kw))



@dataclass
class TextMatch:
    """A product-text search bound to one shop, ready to page and count together with other conditions
    on ``Order`` (status tab, dates, product). Built by ``text_match``."""

    session: Session
    shop_id: int
    terms: list[str]
    # Sort keys from (inclusive) and to (exclusive), when the list is narrowed to a span of order time
    # (queries.created_keys): SQLite's index is keyed by sort key, so it reads only that span of its matches.
    keys: tuple[int | None, int | None] = (None, None)

    def __post_init__(self) -> None:
        """Backends prepare their query here."""

    def page_keys(self, conds: list, offset: int, limit: int) -> list[tuple[int, int]]:
        """The page as (sort key, order row id) pairs, newest first. Keys rather than ORM orders: every list
        channel reads the page's columns lean (orders.listing), and 50 ORM orders built only for their ids
        cost ~1.5 ms, as much as finding them."""
        raise NotImplementedError

    def count(self, conds: list) -> tuple[int, bool]:
        """(total, capped): capped means 'at least total', shown as "10,000+"."""
        raise NotImplementedError

    def ordered_keys(self, conds: list, order_by: list) -> list[tuple[int, int]]:
        """Every match under ``conds`` as (sort key, order row id) pairs in another order than newest first
        (``order_by`` on Order's columns), so that a deadline view stays most urgent first while searched by
        product text: one pass gives the page and the count (counting visits every match anyway)."""
        raise NotImplementedError

    def count_by(self, conds: list, *keys) -> list[tuple]:
        """Rows of (*keys, count) over the matches, for tab counts under a search."""
        raise NotImplementedError


def _one_item_sqlite(body, together: list[str]):
    """SQL (SQLite) for: the stored text has one item only, or one of its items holds every term."""
    return or_(func.instr(body, literal(ITEM_BREAK)) == 0, func.xd_one_item(body, *(literal(t) for t in together)))


def _one_item_postgres(body, together: list[str]):
    """SQL (PostgreSQL) for: the stored text has one item only, or one of its items holds every term."""
    part = func.unnest(func.string_to_array(body, literal(ITEM_BREAK))).column_valued("item_text")
    holds = select(literal_column("1")).where(*(func.strpos(part, literal(t)) > 0 for t in together)).exists()
    return or_(func.strpos(body, literal(ITEM_BREAK)) == 0, holds)


def sqlite_functions(dbapi_connection) -> None:
    """Register ``xd_one_item(body, term, ...)`` on a new SQLite connection (db.make_engine's connect hook)."""
    dbapi_connection.create_function("xd_one_item", -1, holds_all_in_one_item, deterministic=True)


class _SqliteMatch(TextMatch):
    def __post_init__(self) -> None:
        self.expr, self.post = fts_query(self.shop_id, self.terms)
        self.together = terms_within_one_item(self.terms)

    def _where(self, stmt, with_text: bool):
        if self.expr is not None:
            stmt = stmt.where(literal_column("order_search").op("MATCH")(literal(self.expr)))
        if with_text:
            stmt = stmt.where(*(func.instr(_fts_text.c.body, literal(t)) > 0 for t in self.post))
            if self.together and self.post:  # the FTS5 expression alone is not exact for the post-filtered terms
                stmt = stmt.where(_one_item_sqlite(_fts_text.c.body, self.together))
        return stmt

    def _source(self, cols, conds: list, with_orders: bool = False):
        """FROM the FTS match (or the text table when there is no token to match), newest first by rowid; joined to
        the orders when ``conds`` are on them (or ``with_orders``), the matches driving (MatchesFirst)."""
        if self.expr is None:
            src, key = _fts_text, _fts_text.c.sort_key
            where = [_fts_text.c.shop_id == self.shop_id]
        else:
            src, key = _fts, _fts.c.rowid
            if self.post:
                src = src.join(_fts_text, _fts_text.c.sort_key == _fts.c.rowid)
            where = []
        lower, upper = self.keys
        if lower is not None:
            where.append(key >= lower)
        if upper is not None:
            where.append(key < upper)
        if conds or with_orders:
            src = MatchesFirst(src, _O, _O.c.sort_key == key)
            where += [_O.c.shop_id == self.shop_id, *conds]
        stmt = select(*cols).select_from(src).where(*where)
        return self._where(stmt, with_text=bool(self.post)), key

    def page_keys(self, conds: list, offset: int, limit: int) -> list[tuple[int, int]]:
        stmt, key = self._source([], conds)
        wanted = list(self.session.execute(
            stmt.add_columns(key).order_by(key.desc()).offset(offset).limit(limit)).scalars())
        if not wanted:
            return []
        # The index's rowid is the order's sort key: its row id from ix_orders_shop_sort (an index-only look-up).
        ids = dict(self.session.connection().execute(_IDS_BY_SORT_KEY, {"shop": self.shop_id, "pks": wanted}).all())
        return [(k, ids[k]) for k in wanted if k in ids]

    def count(self, conds: list) -> tuple[int, bool]:
        stmt, _key = self._source([func.count()], conds)
        return self.session.execute(stmt).scalar_one(), False

    def ordered_keys(self, conds: list, order_by: list) -> list[tuple[int, int]]:
        stmt, key = self._source([], conds, with_orders=True)
        return [(k, pk) for k, pk in self.session.execute(stmt.add_columns(key, _O.c.id).order_by(*order_by))]

    def count_by(self, conds: list, *keys) -> list[tuple]:
        stmt, _key = self._source([*keys, func.count()], conds, with_orders=True)
        return list(self.session.execute(stmt.group_by(*keys)).all())


class _PostgresMatch(TextMatch):
    def __post_init__(self) -> None:
        self.grams, self.post = pg_query(self.shop_id, self.terms)
        self.together = terms_within_one_item(self.terms)
        self._known: int | None = None
        self._found: tuple[list, list] | None = None  # (conds, the newest matches' (sort key, order id)) when few

    def _source(self, cols, conds: list):
        stmt = select(*cols).select_from(_pg).where(
            _pg.c.shop_id == self.shop_id,
            _pg.c.grams.op("@>")(literal(self.grams, type_=postgresql.ARRAY(Text))),
            *(func.strpos(_pg.c.body, literal(t)) > 0 for t in self.post))
        if self.together:
            stmt = stmt.where(_one_item_postgres(_pg.c.body, self.together))
        if conds:
            stmt = stmt.join(Order, Order.id == _pg.c.order_pk).where(*conds)
        return stmt

    def count(self, conds: list) -> tuple[int, bool]:
        """Count first, and stop at the cap: the GIN bitmap gives matches in no useful order, so a rare term
        is cheap to count in full and a common one is cheap to stop early. Under conditions on the orders (a tab,
        dates), the newest matches come back with the count (``_FIRST_KEYS`` of them, from the same pass), and a
        first page is cut from them when there are few: finding and joining the matches again for the page cost
        as much as the count (~240 ms each for 五常大米 in 备货中 at 1M orders; product name in a tab p50 304-317 →
        218-223 ms in alternated benchmark runs)."""
        if not conds:  # nothing to join: finding the matches again is cheap, ordering them for nothing is not
            capped = self._source([literal_column("1")], conds).limit(COUNT_CAP + 1).subquery()
            n = self.session.execute(select(func.count()).select_from(capped)).scalar_one()
            self._known, self._found = n, None
            return (COUNT_CAP, True) if n > COUNT_CAP else (n, False)
        found = self._source([_pg.c.sort_key, _pg.c.order_pk], conds).limit(COUNT_CAP + 1).subquery()
        rows = self.session.execute(
            select(found.c.sort_key, found.c.order_pk, func.count().over())
            .order_by(found.c.sort_key.desc()).limit(_FIRST_KEYS)).all()
        n = rows[0][2] if rows else 0
        self._known = n
        self._found = (conds, [(key, pk) for key, pk, _n in rows]) if n <= _PG_WALK_THRESHOLD else None
        return (COUNT_CAP, True) if n > COUNT_CAP else (n, False)

    def page_keys(self, conds: list, offset: int, limit: int) -> list[tuple[int, int]]:
        if self._known is None:
            self.count(conds)
        if self._found is not None and self._found[0] is conds and offset + limit <= _FIRST_KEYS:
            return self._found[1][offset:offset + limit]  # counted under these very conditions, newest first
        if self._known <= _PG_WALK_THRESHOLD:
            # Few matches: collect them all from the GIN index, then sort (MATERIALIZED stops the planner
            # from walking the whole shop newest-first looking for them).
            found = self._source([_pg.c.order_pk, _pg.c.sort_key], conds).cte("m").prefix_with("MATERIALIZED")
            stmt = select(found.c.sort_key, found.c.order_pk).order_by(found.c.sort_key.desc())
        else:
            # Many matches: walk the shop newest-first and keep the first that match.
            stmt = self._source([_pg.c.sort_key, _pg.c.order_pk], conds).order_by(_pg.c.sort_key.desc())
        return [(key, pk) for key, pk in self.session.execute(stmt.offset(offset).limit(limit))]

    def ordered_keys(self, conds: list, order_by: list) -> list[tuple[int, int]]:
        stmt = self._source([_pg.c.sort_key, _pg.c.order_pk], conds)
        if not conds:
            stmt = stmt.join(Order, Order.id == _pg.c.order_pk)
        return [(k, pk) for k, pk in self.session.execute(stmt.order_by(*order_by))]

    def count_by(self, conds: list, *keys) -> list[tuple]:
        stmt = self._source([*keys, func.count()], conds)
        if not conds:
            stmt = stmt.join(Order, Order.id == _pg.c.order_pk)
        return list(self.session.execute(stmt.group_by(*keys)).all())


_IDS_BY_SORT_KEY = select(_O.c.sort_key, _O.c.id).where(_O.c.shop_id == bindparam("shop"), in_ids(_O.c.sort_key))


def scan_in_order(session: Session, conds: list, terms: Sequence[str], order_by: list) -> list[int]:
    """Row ids of the orders under ``conds`` (on Order, the shops' condition among them) whose product text holds
    every normalised term, in ``order_by``: the orders are read first and each one's stored text tested, which is
    the search's contract itself, no index. For conditions that select few orders, as a deadline view does: 大米 in
    24h需发货 (355 orders at 1M) takes 0.2-0.5 ms this way, 85-390 ms driven from the text's matches."""
    together = terms_within_one_item(terms)
    if _dialect(session) == "sqlite":
        # CROSS JOIN: the orders drive, each text found by its integer key (SQLite never reorders it)
        src, tests = MatchesFirst(_O, _fts_text, _fts_text.c.sort_key == _O.c.sort_key), [
            func.instr(_fts_text.c.body, literal(t)) > 0 for t in terms]
        if together:
            tests.append(_one_item_sqlite(_fts_text.c.body, together))
    else:
        src, tests = _O.join(_pg, _pg.c.order_pk == _O.c.id), [func.strpos(_pg.c.body, literal(t)) > 0 for t in terms]
        if together:
            tests.append(_one_item_postgres(_pg.c.body, together))
    return list(session.execute(select(_O.c.id).select_from(src).where(*conds, *tests).order_by(*order_by)).scalars())


def text_match(session: Session, shop_id: int, terms: Iterable[str],
               keys: tuple[int | None, int | None] = (None, None)) -> TextMatch:
    """The search for these raw terms on this session's database (within ``keys``, a span of sort keys)."""
    cls = _SqliteMatch if _dialect(session) == "sqlite" else _PostgresMatch
    return cls(session, shop_id, normalised_terms(terms), keys)
