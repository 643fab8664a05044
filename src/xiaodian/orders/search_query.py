"""Reads what was typed into the one search box and decides what it is. Pure."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..privacy.masking import normalise_phone
from .search_index import script_terms

_LAST4 = re.compile(r"^\d{4}$")
# Tracking numbers: letters+digits such as SF1234567890123, or 12-15 plain digits (ZTO, STO, Yunda).
_TRACKING = re.compile(r"^(?:[A-Za-z]{1,4}\d{8,20}|[A-Za-z]{2}[A-Za-z0-9]{2}\d{9,13}|\d{12,15})$")
MAX_QUERY_LENGTH = 100
# A phone masked as the desk and the platform show it (178****3424), after spaces, dashes and a +86 are dropped.
_MASKED_PHONE = re.compile(r"^(?:\+?86|0086)?(1\d{2})\*{4}(\d{4})$")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
# An order number as people copy it by hand or read it out: 19 digits with spaces or dashes between groups.
_SPACED_DIGITS = re.compile(r"^\d[\d \t\-–—.]*\d$")  # spaces, dashes (- – —, as Word and WeChat paste) or dots


@dataclass(frozen=True)
class SearchQuery:
    kind: str  # empty / order_id / phone / last4 / tracking / text
    value: str
    terms: tuple[str, ...] = ()
    first3: str | None = None  # last4 read from a masked phone: its first 3 digits, to check against a masked copy


def masked_phone(raw: str | None) -> tuple[str, str] | None:
    """(first 3, last 4 digits) of a phone masked as the desk itself shows it (178****3424; also +86 178 **** 3424,
    full-width ＊ and digits), else None. Customer service copy these from the desk and from 飞鸽 all day (QA pass 9,
    #6): such a number names the buyer by its last 4 digits, and its first 3 can be checked against an order's
    masked copy."""
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    m = _MASKED_PHONE.match(text)
    return (m.group(1), m.group(2)) if m else None


def order_number(text: str) -> str | None:
    """The 19-digit order number in a field that holds only it, written plainly or in groups (6979 5149 9790 4203
    398, 6979-5149-…): customer service type what the buyer sent, and a number split for reading is still the
    number (QA pass 13, #1). Anything else, None."""
    text = text.strip()
    if _SPACED_DIGITS.match(text):
        digits = re.sub(r"\D", "", text)
        if len(digits) == 19:
            return digits
    return None


def _clean(raw: str) -> str:
    """NFKC, without control or invisible characters, and without Excel's leading apostrophe (its mark of a number
    kept as text: '6938… pasted from a sheet is the order id). Apostrophes alone are what was typed, as any other
    punctuation is (% * [ 【 search the product text for it): stripped to nothing they turned the search into the
    plain list, every order shown as if it matched (QA 5 E14)."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\t ")
    text = text.strip()
    return text.lstrip("'").strip() or text


def classify(raw: str | None) -> SearchQuery:
    """19 digits (also in groups: 6979 5149 9790 4203 398) → order id; a mobile (+86, spaces, dashes) → phone;
    4 digits, or a masked phone (178****3424) → last 4 of the phone;
    a tracking-number shape → tracking number (falls back to product text when none matches);
    anything else → product-name substrings, every term must match: the whitespace-separated runs, each split
    where CJK meets a Latin letter or digit (五常2.5kg is 五常 + 2.5kg, see search_index.script_terms)."""
    text = _clean(raw or "")[:MAX_QUERY_LENGTH]
    if not text:
        return SearchQuery("empty", "")
    order_id = order_number(text)
    if order_id:
        return SearchQuery("order_id", order_id)
    phone = normalise_phone(text)
    if phone:
        return SearchQuery("phone", phone)
    if _LAST4.match(text):
        return SearchQuery("last4", text)
    masked = masked_phone(text)
    if masked:  # searched as its last 4 digits, as the desk shows it
        return SearchQuery("last4", masked[1], first3=masked[0])
    terms = tuple(part for t in text.split() if t for part in script_terms(t))
    if _TRACKING.match(text):
        return SearchQuery("tracking", text.upper(), terms)
    return SearchQuery("text", text, terms)


def may_scan_matches(raw: str | None) -> bool:
    """Whether this search can read many orders: product text (or a tracking-number shape, which falls back to
    product text when no parcel has it). Order ids and phones read a handful of index entries."""
    return classify(raw).kind in ("text", "tracking")
