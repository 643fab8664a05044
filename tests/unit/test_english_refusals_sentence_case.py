"""English pages show a domain refusal as a sentence: the services write their messages lower case, log style, and
the page used to show "the import broke on the server; …" at the top (closing note of stop 29, "English wording").
A field, parameter or command name at the start stays as the user types it; Chinese pages are untouched."""

from __future__ import annotations

import pytest

from xiaodian.web import i18n


@pytest.fixture
def english():
    token = i18n.current_language.set("en")
    yield
    i18n.current_language.reset(token)


@pytest.mark.parametrize("message, shown", [
    ("the import broke on the server; try again", "The import broke on the server; try again"),
    ("ignoring an anomaly needs a reason (note)", "Ignoring an anomaly needs a reason (note)"),
    ("no such order: 6938459704022656025", "No such order: 6938459704022656025"),
    ("order's note changed", "Order's note changed"),
    ("merchant_note is longer than 500 characters", "merchant_note is longer than 500 characters"),
    ("dry_run=maybe is not true or false", "dry_run=maybe is not true or false"),
    ("xiaodian db upgrade has not been run", "xiaodian db upgrade has not been run"),
    ("q is longer than 100 characters", "q is longer than 100 characters"),
    ("Already a sentence.", "Already a sentence."),
    ("73100000000001 is in use", "73100000000001 is in use"),
    ("", ""),
])
def test_an_english_refusal_reads_as_a_sentence_unless_it_starts_with_a_name(english, message, shown):
    assert i18n.error_text("some_code", message) == shown
    assert i18n.error_text(None, message) == shown


def test_a_chinese_page_without_a_translation_keeps_the_domain_message_as_written():
    token = i18n.current_language.set("zh")
    try:
        assert i18n.error_text("no_text_for_this_code", "the import broke") == "the import broke"
    finally:
        i18n.current_language.reset(token)
