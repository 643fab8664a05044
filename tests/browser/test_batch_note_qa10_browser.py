"""QA pass 10, D22: the order list's batch bar asks once more before "replace each note with" overwrites the
merchant notes of the ticked orders, saying how many of them already have one; dismissing it changes nothing.
Appending, a flag alone, or a replace with nothing typed (which leaves the notes) ask nothing. Own live desk: the
test writes notes."""

from __future__ import annotations

import pytest

from ..conftest import NOW
from .conftest import DESKTOP, _open_page, log_in, new_desk, serve_desk

NOTED, PLAIN, OTHER = "6938459704022658001", "6938459704022658002", "6938459704022658003"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def notes_server(sqlite_template, tmp_path_factory):
    from xiaodian.bootstrap import default_shop_id
    from xiaodian.db import transaction
    from xiaodian.orders.intake import upsert_orders

    from ..factories import make_record

    ctx = new_desk(sqlite_template, tmp_path_factory.mktemp("batch-note-live"))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=default_shop_id(ctx), cipher=ctx.cipher, now=NOW, records=[
            make_record(NOTED, merchant_note="缺货，等补货"), make_record(PLAIN), make_record(OTHER)])
    yield from serve_desk(ctx)


@pytest.fixture
def notes_page(request, browser, notes_server):
    yield from _open_page(request, browser, notes_server, DESKTOP)


def note_of(page, order_id: str) -> str:
    found = page.locator(f'tbody[data-order-id="{order_id}"] .mnote')
    return found.inner_text().replace("商家", "", 1).strip() if found.count() else ""


def fill_bar(page, ticked: list[str], mode: str, text: str, flag: str = "") -> None:
    for order_id in ticked:
        page.check(f'input.pick[value="{order_id}"]')
    page.select_option("#batch-note select[name=note_mode]", mode)
    page.select_option("#batch-note select[name=flag_colour]", flag)
    page.fill("#batch-note input[name=merchant_note]", text)


def test_replace_asks_with_the_count_of_notes_and_dismissing_changes_nothing(notes_page):
    page = notes_page
    log_in(page)
    asked: list[str] = []
    answer = {"accept": False}

    def reply(dialog):
        asked.append(dialog.message)
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", reply)
    fill_bar(page, [NOTED, PLAIN], "replace", "已加急")
    url = page.url
    page.click("#batch-note button[type=submit]")
    page.wait_for_timeout(300)
    assert asked == ["确定把勾选的 2 个订单的商家备注替换为「已加急」吗？其中 1 个订单已有备注，原备注将被覆盖。"]
    assert page.url == url and note_of(page, NOTED) == "缺货，等补货" and note_of(page, PLAIN) == ""

    answer["accept"] = True
    with page.expect_navigation():
        page.click("#batch-note button[type=submit]")
    assert len(asked) == 2 and note_of(page, NOTED) == "已加急" and note_of(page, PLAIN) == "已加急"
    assert not page.js_errors


@pytest.mark.parametrize(("mode", "text", "flag"), [("append", "已电话联系", ""), ("append", "", "2"),
                                                    ("replace", "", "3")])
def test_append_a_flag_alone_or_an_empty_replace_asks_nothing(notes_page, mode, text, flag):
    page = notes_page
    log_in(page)
    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    before = note_of(page, OTHER)
    fill_bar(page, [OTHER], mode, text, flag)
    with page.expect_navigation():
        page.click("#batch-note button[type=submit]")
    assert asked == [] and page.locator(".alert.ok.batch-done").count() == 1
    assert note_of(page, OTHER) == (f"{before}；{text}" if before and text else before or text)
    assert not page.js_errors
