"""Tokenisation and query building for product-name search: pure, no database."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaodian.orders import search_index as si
from xiaodian.orders.search_query import classify


def test_normalise_folds_full_width_and_case_so_ｉＰｈｏｎｅ_finds_iphone():
    assert si.normalise("ｉＰｈｏｎｅ１５　壳") == "iphone15 壳"


def test_runs_end_at_spaces_and_keep_punctuation_folded_into_private_use():
    parts = si.runs("【官方旗舰】五常大米 稻花香2号/10斤")
    assert len(parts) == 2 and parts[0][1:5] == "官方旗舰" and parts[1][5] == si.fts_char("/")
    assert all(si.is_token_char(ch) for part in parts for ch in part)


def test_document_tokens_carry_the_shop_and_a_sentinel_between_runs():
    uni, bi = si.fts_columns(7, "大米 米粉")
    assert uni.split() == ["7大", "7米", "7粉"]  # distinct characters only
    assert bi.split() == ["7大米", si.SENTINEL, "7米粉"]


def test_a_phrase_cannot_span_two_runs_because_of_the_sentinel():
    _uni, bi = si.fts_columns(1, "ab cd")
    assert "1ab 1bc" not in bi and bi.split() == ["1ab", "x", "1cd"]


@pytest.mark.parametrize(("term", "expected"), [
    ("米", 'uni : "1米"'),
    ("大米", 'bi : "1大米"'),
    ("五常大米", 'bi : "1五常 1常大 1大米"'),
    ("iphone", 'bi : "1ip 1ph 1ho 1on 1ne"'),
])
def test_one_char_is_a_unigram_two_a_bigram_longer_a_phrase_of_bigrams(term, expected):
    expr, post = si.fts_query(1, [term])
    branches = expr.split(" OR ")
    assert branches[0] == f"({expected})" and post == []
    # the same under each further item's slot: 米 in the second item of an order is found too
    assert branches[1] == "(" + expected.replace('"1', '"1\U00100002').replace(" 1", " 1\U00100002") + ")"
    assert len(branches) == si.MAX_ITEM_SLOTS


def test_terms_are_anded_and_duplicates_dropped():
    expr, _ = si.fts_query(3, ["米", "15", "米"])
    assert expr.split(" OR ")[0] == '(uni : "3米" AND bi : "315")'


def test_each_item_is_indexed_under_its_slot_and_no_gram_spans_two_items():
    uni, bi = si.fts_columns(1, si.normalise(si.order_text([("大米", "5kg"), ("小米", None)])))
    second = "1\U00100002"
    assert set(uni.split()) == {"1大", "1米", "15", "1k", "1g", second + "小", second + "米"}
    assert bi.split() == ["1大米", si.SENTINEL, "15k", "1kg", si.SENTINEL, second + "小米"]
    assert si.fts_columns(1, "大米 5kg") == ("1大 1米 15 1k 1g", "1大米 x 15k 1kg")  # one item: as before


def test_an_order_of_more_items_than_slots_shares_the_last_slot():
    body = si.order_text([(f"商品{k}", None) for k in range(si.MAX_ITEM_SLOTS + 3)])
    slots = si.item_slots(body)
    assert len(slots) == si.MAX_ITEM_SLOTS and slots[-1].count("商品") == 4


@pytest.mark.parametrize("term", ["【官方", "10kg/袋", "a-b", "%", "\"", "2.5"])
def test_punctuation_is_folded_one_to_one_so_the_index_alone_is_exact(term):
    _expr, post = si.fts_query(1, [si.normalise(term)])
    assert post == []


@pytest.mark.parametrize("term", ["café", "ß", "🍚", "\ue000", "\U000f002e"])
def test_non_plain_letters_and_shared_marker_characters_get_the_exact_post_filter(term):
    _expr, post = si.fts_query(1, [si.normalise(term)])
    assert post == [si.normalise(term)]


def test_a_term_of_punctuation_only_is_still_an_index_lookup():
    expr, post = si.fts_query(1, ["%_\\"])
    assert expr.startswith('(bi : "1') and post == []


HOSTILE = ['"a" OR b*', "NEAR(a b)", "a AND b", "^米", "col:米", "*", "米*", "(", ")", "'", '""', "{uni}:x",
           "%", "_", "\\", "\x00", "a\x1fb", "米" * 100, "-米", "+米", ":", "\u200b", "🍚大米"]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_terms_become_quoted_tokens_of_letters_and_digits_only(raw):
    expr, _post = si.fts_query(1, si.normalised_terms([raw]))
    if expr is None:
        return
    for clause in (c for branch in expr.split(" OR ") for c in branch.strip("()").split(" AND ")):
        column, _, quoted = clause.partition(" : ")
        assert column in ("uni", "bi")
        assert re.fullmatch(r'"[^"]+"', quoted)
        assert all(si.is_token_char(ch) or ch == " " for ch in quoted[1:-1])
        assert '"' not in quoted[1:-1]


def test_pg_query_uses_the_term_for_short_terms_and_post_filters_long_ones():
    assert si.pg_query(2, ["米", "大米"]) == (["2:米", "2:大米"], [])
    grams, post = si.pg_query(2, ["五常大米"])
    assert grams == ["2:五常", "2:常大", "2:大米"] and post == ["五常大米"]


def test_pg_grams_keep_punctuation_and_split_only_on_whitespace():
    grams = si.pg_grams(1, "【新】 米")
    assert set(grams) == {"1:【", "1:新", "1:】", "1:【新", "1:新】", "1:米"}


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40), st.integers(1, 999))
def test_every_substring_of_a_plain_run_is_found_in_the_tokens(text, shop):
    """Index side and query side agree: any 1–3 char piece of a run yields tokens present in the document."""
    norm = si.normalise(text)
    uni, bi = si.fts_columns(shop, norm)
    uni_set, bi_list = set(uni.split()), bi.split()
    for slot, item in enumerate(si.item_slots(norm), 1):
        prefix = str(shop) if slot == 1 else f"{shop}{chr(0x100000 + slot)}"
        for part in si.runs(item):
            for i in range(len(part)):
                assert f"{prefix}{part[i]}" in uni_set
                if i + 1 < len(part):
                    assert f"{prefix}{part[i:i + 2]}" in bi_list


@pytest.mark.parametrize(("raw", "kind"), [
    ("6938459704022656025", "order_id"), ("+86 138-1234-5678", "phone"), ("5678", "last4"),
    ("SF1234567890123", "tracking"), ("iPhone 15 壳", "text"), ("米", "text"), ("  ", "empty"),
    ('"a" OR b*', "text"), ("\x00\x01", "empty"),
])
def test_the_search_box_classifies_what_was_typed(raw, kind):
    assert classify(raw).kind == kind


def test_mixed_query_splits_into_terms():
    assert classify("iPhone 15 壳").terms == ("iPhone", "15", "壳")
