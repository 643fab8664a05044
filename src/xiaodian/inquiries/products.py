"""Which of the shop's products a buyer names: part of a listing title (五常大米 in "【新米】正宗五常大米 稻花香2号…"),
an English name or alias ("Wuchang rice"), pinyin kept as an alias ("wuchang dami"), with spaces anywhere and a
small typo (五长大米, "Wuchnag rice"). Pure: the catalogue is handed in.

How it scores: each product covers the characters of the message that some stretch of its names shares (two
Chinese characters at least, or a whole Latin name); a Chinese character weighs two Latin letters. The best-covered
products win, ties together (the shop's three Wuchang listings all answer to "五常大米"). Generic title words
(正宗, 包邮…) do not count on their own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

STOP_WORDS = frozenset({"正宗", "包邮", "官方", "新鲜", "家用", "专用", "一级", "组合", "当季", "新品", "现货", "特价",
                        "家庭", "实惠", "送礼", "年货", "旗舰", "自营", "正品", "优质", "特级", "农家", "自产", "产地",
                        "直发", "发货", "订单", "付款", "时候", "什么", "怎么", "还没", "没有", "一下", "这个", "我的"})
# Words of English product names that say nothing about which product ("milled to order" must not match "my order").
LATIN_STOP = frozenset({"order", "orders", "presale", "milled", "pressed", "fragrant", "organic", "family", "fresh",
                        "dried", "mixed", "style", "grade", "with", "from", "pack", "packs", "cake", "first"})
# Two neighbouring words of an English name ("gift box") name a product when neither is one of these.
PAIR_STOP = LATIN_STOP | {"and", "the", "for", "rice", "tea", "oil"}
_CJK = re.compile(r"[\u3400-\u9fff]")
_KEEP = re.compile(r"[\u3400-\u9fffa-z0-9]")
MIN_LATIN = 4


def is_cjk(ch: str) -> bool:
    return bool(_CJK.match(ch))


def compact(text: str) -> tuple[str, list[int]]:
    """Lower-cased letters, digits and Chinese characters only, with each kept character's index in ``text``
    (so "五 常 大 米" and "Wu-chang" compare equal to "五常大米" and "wuchang")."""
    out, where = [], []
    for i, ch in enumerate(unicodedata.normalize("NFKC", text).lower()):
        if _KEEP.match(ch):
            out.append(ch)
            where.append(i)
    return "".join(out), where


@dataclass(frozen=True)
class CatalogueEntry:
    """One product as the matcher sees it; ``canonical`` is how the desk names it back (the short name)."""

    product_id: str
    canonical: str
    names: tuple[str, ...]
    compact_names: tuple[str, ...] = field(default=(), compare=False)
    latin_words: frozenset[str] = field(default=frozenset(), compare=False)
    latin_pairs: frozenset[str] = field(default=frozenset(), compare=False)  # "giftbox" of "… gift box (presale)"

    @classmethod
    def build(cls, product_id: str, name: str, name_en: str | None = None, aliases: tuple[str, ...] = ()
              ) -> CatalogueEntry:
        names = tuple(n for n in (name, name_en, *aliases) if n)
        short = next((a for a in aliases if a and all(is_cjk(c) for c in a.replace(" ", ""))), None)
        split = [re.findall(r"[a-z]+", unicodedata.normalize("NFKC", n).lower()) for n in names]
        words = frozenset(w for ws in split for w in ws if len(w) >= 5 and w not in LATIN_STOP)
        pairs = frozenset(a + b for ws in split for a, b in zip(ws, ws[1:], strict=False)
                          if len(a) >= 3 and len(b) >= 3 and not {a, b} & PAIR_STOP)
        # Without a short name (a product named only by an imported listing title) the buyer's own words name it
        # back: "五常大米", not "【新米】五常大米 稻花香2号 5kg 真空装".
        return cls(product_id, short or "", names, tuple(dict.fromkeys(compact(n)[0] for n in names)), words,
                   pairs)


@dataclass(frozen=True)
class ProductMatch:
    product_ids: tuple[str, ...]
    canonical: str  # the short name when every winner shares it, else the words the buyer used
    score: float
    span: tuple[int, int]  # in the original text, first to last matched character
    covered: frozenset[int]  # indices in the original text, to blank out before reading numbers


def _osa(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two neighbours is one typo), stopping past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _typo_limit(length: int) -> int:
    return 0 if length < 5 else (1 if length < 9 else 2)


def _cjk_pieces(msg: str, name: str, pieces: list[frozenset[int]]) -> None:
    """Every longest stretch of ≥ 2 Chinese characters of ``msg`` (from each start) that also occurs in ``name``."""
    n = len(msg)
    for i in range(n - 1):
        if not is_cjk(msg[i]):
            continue
        j = i + 1
        while j < n and is_cjk(msg[j]) and msg[i:j + 1] in name:
            j += 1
        piece = msg[i:j]
        if len(piece) >= 2 and not all(piece[k:k + 2] in STOP_WORDS for k in range(0, len(piece) - 1)):
            pieces.append(frozenset(range(i, j)))


def _cjk_typo_pieces(msg: str, name: str, pieces: list[frozenset[int]]) -> None:
    """五长大米 for 五常大米: a Chinese name of ≥ 3 characters with one character different (homophone slips);
    only the agreeing characters count."""
    length = len(name)
    if length < 3 or not all(is_cjk(c) for c in name):
        return
    for i in range(len(msg) - length + 1):
        window = msg[i:i + length]
        if sum(1 for a, b in zip(window, name, strict=True) if a != b) == 1 and all(is_cjk(c) for c in window):
            pieces.append(frozenset(k for k in range(i, i + length) if msg[k] == name[k - i]))


def _latin_pieces(msg: str, name: str, pieces: list[frozenset[int]], words: list[tuple[int, int]]) -> None:
    """A whole Latin name (≥ 4 letters) inside the message, or within a typo or two of 1–4 consecutive words."""
    if len(name) < MIN_LATIN or is_cjk(name[0]):
        return
    at = msg.find(name)
    if at >= 0:
        pieces.append(frozenset(range(at, at + len(name))))
        return
    limit = _typo_limit(len(name))
    if not limit:
        return
    for a in range(len(words)):
        for b in range(a, min(a + 4, len(words))):
            start, end = words[a][0], words[b][1]
            if end - start > len(name) + limit:
                break
            if abs((end - start) - len(name)) <= limit and _osa(msg[start:end], name, limit) <= limit:
                pieces.append(frozenset(range(start, end)))
                return


def _cover(pieces: list[frozenset[int]]) -> set[int]:
    """Longest pieces first, none overlapping: "新米五常" in a title must not let "米五" of "五常大米五袋" count."""
    covered: set[int] = set()
    for piece in sorted(pieces, key=lambda p: (-len(p), min(p))):
        if covered.isdisjoint(piece):
            covered |= piece
    return covered


def _latin_words(text: str, where: list[int]) -> list[tuple[int, int]]:
    """The Latin words as the buyer spaced them, as (start, end) in the compacted message."""
    norm = unicodedata.normalize("NFKC", text).lower()
    at = {orig: k for k, orig in enumerate(where)}
    return [(at[m.start()], at[m.end() - 1] + 1) for m in re.finditer(r"[a-z]+", norm)]


def _shared_span(msg: str, covers: list[set[int]]) -> tuple[int, int]:
    """Where in ``msg`` the words the buyer used that every tied product shares are (the longest such run, the
    first of equals); the first product's whole match when they share none."""
    common = set.intersection(*covers) if covers else set()
    best, start = (0, 0), None
    for k in range(len(msg) + 1):
        if k < len(msg) and k in common:
            start = k if start is None else start
        elif start is not None:
            if k - start > best[1] - best[0]:
                best = (start, k)
            start = None
    return best if best[1] > best[0] else (min(covers[0]), max(covers[0]) + 1)


def _shared_run(msg: str, covers: list[set[int]]) -> str:
    """The words the buyer used that every tied product shares (the longest such run): "大米" when all the rice
    listings tie."""
    start, end = _shared_span(msg, covers)
    return msg[start:end]


def match_products(text: str, catalogue: list[CatalogueEntry]) -> ProductMatch | None:
    msg, where = compact(text)
    if not msg:
        return None
    # Latin names are matched against the message's words run together ("wuchang rice" → "wuchangrice"), so
    # spacing does not matter, and typos are forgiven word-group by word-group.
    words = _latin_words(text, where)
    best: list[tuple[float, CatalogueEntry, set[int]]] = []
    for entry in catalogue:
        pieces: list[frozenset[int]] = []
        for name in entry.compact_names:
            if not name:
                continue
            if any(is_cjk(c) for c in name):
                _cjk_pieces(msg, name, pieces)
                if len(name) <= 8:
                    _cjk_typo_pieces(msg, name, pieces)
            else:
                _latin_pieces(msg, name, pieces, words)
        for start, end in words:  # one distinctive word of an English name ("Wuchang")
            if msg[start:end] in entry.latin_words:
                pieces.append(frozenset(range(start, end)))
        covered = _cover(pieces)
        # Two neighbouring words of a longer English name ("gift box") count only where nothing else matched, and
        # a little less than a whole name, so "wuchang dami" stays the two listings with that alias.
        paired: set[int] = set()
        for (start, _e), (_s, end) in zip(words, words[1:], strict=False):
            span = set(range(start, end))
            if msg[start:end] in entry.latin_pairs and covered.isdisjoint(span) and paired.isdisjoint(span):
                paired |= span
        if not covered and not paired:
            continue
        score = sum(2.0 if is_cjk(msg[k]) else 1.0 for k in covered) + 0.9 * len(paired)
        covered |= paired
        # A short name or alias said in full beats the same characters found inside a longer title.
        score += 1.0 if any(n in msg for n in entry.compact_names if n and len(n) <= 8 and is_cjk(n[0])) else 0.0
        if score < MIN_LATIN:
            continue
        best.append((score, entry, covered))
    if not best:
        return None
    top = max(s for s, _, _ in best)
    winners = [(entry, covered) for s, entry, covered in best if s == top]
    covered_all = set().union(*(c for _, c in winners))
    original = frozenset(where[k] for k in covered_all)
    canonicals = {entry.canonical for entry, _ in winners}
    if "" in canonicals:  # a product without a short name: the words the buyer used, as they spaced them
        start, end = _shared_span(msg, [c for _, c in winners])
        canonical = text[where[start]:where[end - 1] + 1].strip()
    elif len(canonicals) == 1:
        canonical = canonicals.pop()
    else:
        canonical = _shared_run(msg, [c for _, c in winners])
    return ProductMatch(tuple(entry.product_id for entry, _ in winners), canonical, top,
                        (min(original), max(original) + 1), original)
