"""Numbers as buyers write them (2, ２, 两, 二十, "two") and the quantity they bought (2份, 两箱, "two bags"). Pure.

Why a table and not a library: the words are few and fixed, and the traps are specific to this shop's language:
五常 is a place (五常市), not the number 5, so a numeral only counts as a quantity when a measure word (份, 袋,
箱…) follows it, and a weight or a pack size (5kg, 10斤, 2袋装) is a specification, not how many were bought.
"""

from __future__ import annotations

import re

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
CN_NUMBER = "[零〇一二两俩三四五六七八九十廿]{1,3}"
EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
              "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2,
              "a pair of": 2, "couple of": 2, "a few": 3}
MAX_QUANTITY = 999


def cn_to_int(text: str) -> int | None:
    """二十 → 20, 十一 → 11, 廿三 → 23, 两 → 2, 二十一 → 21; digits pass through. None when it is not a number
    up to 99 (e.g. 十十)."""
    if text.isdigit():
        return int(text)
    text = text.replace("廿", "二十")
    if not text or any(ch not in CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return CN_DIGITS[text] if len(text) == 1 else None
    tens, _, units = text.partition("十")
    if "十" in units or len(tens) > 1 or len(units) > 1:
        return None
    value = (CN_DIGITS[tens] if tens else 1) * 10
    return value + (CN_DIGITS[units] if units else 0)


# A measure word for a count of goods. Weights (斤, kg, g, L) are left out on purpose: "5kg" is a spec.
ZH_UNITS = "份|袋|箱|包|盒|件|瓶|罐|桶|提|套|个|饼|筒|单品"
# 一个礼拜 / 两个月 / 三个小时 are spans of time, not goods.
_ZH_QTY = re.compile(rf"(\d{{1,3}}|{CN_NUMBER})\s*({ZH_UNITS})(?!装|包裹|快递|月|星期|礼拜|周|小时|钟头|多小时|多月|人|地址)")
# 两个订单 / 三个单 count orders, not goods; 两份订单呢 (no comma: "two portions, order?") is still two portions.
_ORDER_COUNT_UNITS = frozenset({"个", "件"})
_TIMES = re.compile(r"(?:[x×*]\s*(\d{1,3})(?![\d.]))|(?<![\w.])(\d{1,3})\s*[x×](?![a-z\d])")
EN_UNITS = (r"portions?|bags?|box(?:es)?|packs?|packets?|bottles?|pieces?|pcs|units?|sets?|jars?|cans?|sacks?"
            r"|cases?|tins?|cakes?|items?|parcels? of|packages? of|servings?|copies")
_EN_WORD = "|".join(sorted((re.escape(w) for w in EN_NUMBERS), key=len, reverse=True))
_EN_QTY = re.compile(rf"(?<![a-z0-9])(\d{{1,3}}|{_EN_WORD})\s+(?:{EN_UNITS})\b")


def _value(token: str) -> int | None:
    token = token.strip()
    if token in EN_NUMBERS:
        return EN_NUMBERS[token]
    return cn_to_int(token)


# "I bought 2 Wuchang rice gift boxes": the count stands right before the product name, whose own words (box,
# bag) are blanked with it. Digits or an English number word only ("a" is too often an article), on its own.
_BARE_WORDS = "|".join(w for w in EN_NUMBERS if " " not in w and w not in ("a", "an"))
_BEFORE_PRODUCT = re.compile(rf"(?:^|(?<=[\s,，;；:：(（]))(\d{{1,3}}|{_BARE_WORDS})\s+$")


def parse_quantity(text: str, before: int | None = None) -> tuple[int, tuple[int, int]] | None:
    """The first count of goods in ``text`` (already lower-cased, product names blanked out), with its span;
    ``before`` is where the product name starts, for a bare count right in front of it."""
    found: list[tuple[int, int, int]] = []
    for pattern in (_ZH_QTY, _EN_QTY):
        for m in pattern.finditer(text):
            if pattern is _ZH_QTY and m.group(2) in _ORDER_COUNT_UNITS and text.startswith(("订单", "单"), m.end()):
                continue
            value = _value(m.group(1))
            if value is not None:
                found.append((m.start(), m.end(), value))
    for m in _TIMES.finditer(text):
        token = m.group(1) or m.group(2)
        found.append((m.start(), m.end(), int(token)))
    found = [f for f in found if 0 < f[2] <= MAX_QUANTITY]
    if not found and before is not None:
        m = _BEFORE_PRODUCT.search(text[:before])
        value = _value(m.group(1)) if m else None
        if value:
            found.append((m.start(1), m.end(1), value))
    if not found:
        return None
    start, end, value = min(found)
    return value, (start, end)
