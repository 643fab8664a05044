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


def source_plurals() -> dict[str, str]:
    """ngettext calls in the sources: singular msgid → plural msgid."""
    with (REPO / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return {message[0]: message[1] for _f, _l, message, _c, _x in extract_from_dir(str(REPO), method_map, options_map)
            if isinstance(message, tuple) and len(message) == 2 and message[1]}


def read_catalogue(language: str):
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def catalogue(language: str) -> dict[str, str]:
    """msgid → text; a plural entry is keyed by its singular msgid and counts as translated when every form is."""
    out = {}
    for m in read_catalogue(language):
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, tuple):
            out[m.id[0]] = m.string[0] if all(m.string) else ""
        else:
            out[m.id] = m.string
    return out


def test_extraction_finds_the_strings_of_templates_and_python():
    found = source_msgids()
    assert "Wrong login or password." in found  # Python, session_pages.py
    assert "Order no., buyer phone (or last 4), tracking no., product name" in found  # Jinja, orders/list.html
    assert "%(n)s order" in found  # Jinja ngettext with a parameter
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


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_ngettext_has_a_plural_entry_with_all_its_forms(language):
    """QA pass 5 (E8): "1 orders". A count followed by a noun goes through ngettext; each language's entry carries
    the msgid_plural and as many forms as the language has (English 2, Chinese 1), with the same placeholders."""
    plurals = source_plurals()
    assert plurals["%(n)s order"] == "%(n)s orders" and plurals["%(n)s entry"] == "%(n)s entries"
    catalog = read_catalogue(language)
    entries = {m.id[0]: m for m in catalog if isinstance(m.id, tuple)}
    for singular, plural in plurals.items():
        entry = entries.get(singular)
        assert entry is not None and entry.id[1] == plural, singular
        assert len(entry.string) == catalog.num_plurals and all(entry.string), singular
        for form in entry.string:
            assert set(PLACEHOLDER.findall(form)) <= set(PLACEHOLDER.findall(plural)), singular
        if language == "en":
            assert tuple(entry.string) == (singular, plural)


@pytest.mark.parametrize("language,one,many", [("en", "1 order", "2 orders"), ("zh", "共 1 单", "共 2 单")])
def test_ngettext_picks_the_form_by_the_count(language, one, many):
    token = i18n.current_language.set(language)
    try:
        assert i18n.ngettext("%(n)s order", "%(n)s orders", 1) % {"n": 1} == one
        assert i18n.ngettext("%(n)s order", "%(n)s orders", 2) % {"n": 2} == many
    finally:
        i18n.current_language.reset(token)



@pytest.mark.parametrize("language,joined", [("zh", "周六、周日"), ("en", "周六, 周日")])
def test_lists_join_with_the_languages_separator(language, joined):
    token = i18n.current_language.set(language)
    try:
        assert i18n.join_list(["周六", "周日"]) == joined
    finally:
        i18n.current_language.reset(token)
    token = i18n.current_language.set("zh")
    try:  # a translated error text fills a list detail the Chinese way
        assert "主订单编号、子订单编号" in i18n.error_text("missing_columns", "x", {"missing": ["主订单编号", "子订单编号"],
                                                                                "row": 1, "rows": "1"})
    finally:
        i18n.current_language.reset(token)
