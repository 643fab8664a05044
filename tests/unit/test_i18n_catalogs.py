"""Every string on screen goes through the gettext catalogues: each msgid in the sources (babel extraction
with the jinja2 extractor, configured by babel.cfg) and each keyed id has a Chinese and an English text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from xiaodian.web import i18n

REPO = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def source_msgids() -> dict[str, str]:
    with (REPO / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(REPO), method_map, options_map):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def catalogue(language: str) -> dict[str, str]:
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {m.id: m.string for m in catalog if m.id and not m.fuzzy}


def test_extraction_finds_the_strings_of_templates_and_python():
    found = source_msgids()
    assert "Wrong login or password." in found  # Python, session_pages.py
    assert "Order no., buyer phone (or last 4), tracking no., product name" in found  # Jinja, orders/list.html
    assert "%(n)s orders" in found  # Jinja with a parameter
    assert len(found) > 80


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_catalogue_parses_and_translates_every_msgid(language):
    translated = catalogue(language)
    wanted = {**source_msgids(), **{k: "web/i18n.py KEYED_MESSAGES" for k in i18n.keyed_msgids()}}
    missing = {msgid: where for msgid, where in wanted.items() if not translated.get(msgid)}
    assert not missing, f"untranslated in {language}: " + "; ".join(f"{m!r} ({w})" for m, w in missing.items())


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_translations_keep_their_placeholders(language):
    for msgid, text in catalogue(language).items():
        if isinstance(msgid, str) and text and not msgid.startswith("errtext_"):  # those are filled from details
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid


def test_every_error_code_a_page_translates_has_its_chinese_text_and_no_stray_ones():
    """English pages show the domain's own English messages; the Chinese catalogue has one text per listed code."""
    zh = {k[len("errtext_"):] for k, v in catalogue("zh").items() if isinstance(k, str) and k.startswith("errtext_")
          and v}
    assert zh == set(i18n.ERROR_TEXT_CODES)
    assert not any(isinstance(k, str) and k.startswith("errtext_") for k in catalogue("en"))


def test_keyed_ids_cover_the_domain():
    from xiaodian.accounts.service import ROLES
    from xiaodian.orders.domain import FLAG_COLOURS, TABS, OrderStatus
    from xiaodian.orders.search_query import classify

    keyed = i18n.KEYED_MESSAGES
    assert set(keyed["status"]) == {s.value for s in OrderStatus}
    assert tuple(keyed["tab"]) == TABS
    assert tuple(keyed["flag"]) == FLAG_COLOURS
    assert set(keyed["role"]) == set(ROLES)
    kinds = {classify(q).kind for q in ("", "6938459704022656025", "+86 138-1234-5678", "5678", "SF1234567890123", "米")}
    assert kinds <= set(keyed["search_kind"])


def test_platform_words_in_chinese():
    zh = catalogue("zh")
    assert [zh[f"tab_{t}"] for t in i18n.KEYED_MESSAGES["tab"]] == [
        "全部", "待支付", "待处理", "备货中", "部分发货", "已发货", "已完成", "已关闭", "售后中"]
    assert zh["status_paid_pending"] == "待处理（风控审核）"
    assert (zh["role_owner"], zh["role_cs"], zh["role_warehouse"]) == ("店主", "客服", "仓库")
    assert zh["event_tracking_added"] == "添加运单号" and zh["via_import"] == "导入"


def test_label_falls_back_to_readable_words_for_an_unknown_key():
    token = i18n.current_language.set("zh")
    try:
        assert i18n.label("status", "shipped") == "已发货"
        assert i18n.label("event", "parcel_lost_in_space") == "parcel lost in space"
        assert i18n.label("event", None) == ""
    finally:
        i18n.current_language.reset(token)


def test_english_is_one_switch_away():
    token = i18n.current_language.set("en")
    try:
        assert i18n.gettext("tab_after_sale") == "After-sales"
        assert i18n.gettext("Wrong login or password.") == "Wrong login or password."
    finally:
        i18n.current_language.reset(token)
