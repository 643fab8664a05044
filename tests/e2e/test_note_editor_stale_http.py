"""The order page's note editor replaces the note, so it sends the note it showed: a save over a note someone changed
since the page was loaded is refused (409 concurrent_change) instead of silently wiping the other clerk's text
(QA pass 5, E2). The refusal is the order page again, with the clerk's typed text still in the editor beside what the
other person saved, so nothing typed is lost. The flag likewise (loaded_flag). The API's PATCH does the same when told
the note or flag it read (expected_merchant_note, expected_flag_colour); without them, it replaces as before."""

from __future__ import annotations

import re
from html import unescape

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

A = "6938459704022656025"


def _seed(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(order_id=A)])


def _note_form(client, html: str | None = None) -> dict:
    """The hidden fields of the order page's note form (of ``html``, else of the order page freshly loaded), as the
    browser would send them back."""
    html = html if html is not None else client.get(f"/orders/{A}").text
    form = html.split('class="note-form"', 1)[1].split("</form>", 1)[0]
    fields = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form)
    return {name: unescape(value) for name, value in fields}


def _patch(client, body: dict):
    return client.patch(f"/api/v1/orders/{A}/note", json=body, headers={"X-CSRF-Token": csrf_of(client)})


def _note(client):
    return client.get(f"/api/v1/orders/{A}").json()["merchant_note"]


def test_a_page_save_over_a_note_changed_since_the_page_loaded_is_refused(owner_client, ctx, shop_id):
    _seed(ctx, shop_id)
    loaded = _note_form(owner_client)  # clerk 1 opens the order: no note yet
    assert loaded["loaded_note"] == "" and loaded["note_checked"] == "1"
    assert _patch(owner_client, {"merchant_note": "缺货"}).status_code == 200  # clerk 2 writes one meanwhile
    stale = owner_client.post(f"/orders/{A}/note", data={**loaded, "merchant_note": "已电话联系", "flag_colour": "0"},
                              follow_redirects=False)
    assert stale.status_code == 409
    assert "其他人修改了这个订单的备注或旗标" in stale.text
    assert '<q class="current-note">缺货</q>' in stale.text  # what the other clerk saved
    assert ">已电话联系</textarea>" in stale.text  # what this clerk typed, kept in the editor
    assert _note(owner_client) == "缺货"
    again = _note_form(owner_client, stale.text)  # saving the kept text again replaces theirs, knowingly
    assert again["loaded_note"] == "缺货"
    replaced = owner_client.post(f"/orders/{A}/note", data={**again, "merchant_note": "已电话联系", "flag_colour": "0"},
                                 follow_redirects=False)
    assert replaced.status_code == 303 and _note(owner_client) == "已电话联系"
    assert _patch(owner_client, {"merchant_note": "缺货"}).status_code == 200
    fresh = _note_form(owner_client)  # reloaded: shows 缺货, and saving over it is fine
    assert fresh["loaded_note"] == "缺货"
    saved = owner_client.post(f"/orders/{A}/note", data={**fresh, "merchant_note": "缺货\r\n已电话联系",
                                                         "flag_colour": "0"}, follow_redirects=False)
    assert saved.status_code == 303
    again = _note_form(owner_client)  # the stored CRLF, shown and sent back, still counts as the same note
    saved = owner_client.post(f"/orders/{A}/note", data={**again, "merchant_note": "改好了", "flag_colour": "0"},
                              follow_redirects=False)
    assert saved.status_code == 303 and _note(owner_client) == "改好了"


def test_the_api_refuses_an_edit_over_a_note_changed_since_it_was_read_when_asked(owner_client, ctx, shop_id):
    _seed(ctx, shop_id)
    assert _patch(owner_client, {"merchant_note": "缺货"}).status_code == 200
    for stale in ("基础", None):
        refused = _patch(owner_client, {"merchant_note": "已发顺丰", "expected_merchant_note": stale})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "concurrent_change"
    assert _note(owner_client) == "缺货"
    done = _patch(owner_client, {"merchant_note": "缺货；已发顺丰", "expected_merchant_note": "缺货"})
    assert done.status_code == 200 and done.json()["merchant_note"] == "缺货；已发顺丰"
    events = [e for e in done.json()["events"] if e["kind"] == "note_changed"]
    assert '"before": {"merchant_note": "缺货"' in events[-1]["detail"]
    assert _patch(owner_client, {"merchant_note": "整个换掉"}).status_code == 200  # not asked: replaces, as before
    assert _note(owner_client) == "整个换掉"


def test_a_page_flag_change_over_a_flag_changed_since_the_page_loaded_is_refused(owner_client, ctx, shop_id):
    _seed(ctx, shop_id)
    loaded = _note_form(owner_client)
    assert loaded["loaded_flag"] == "0"
    assert _patch(owner_client, {"flag_colour": 6}).status_code == 200  # clerk 2 flags it red (缺货) meanwhile
    stale = owner_client.post(f"/orders/{A}/note", data={**loaded, "merchant_note": "", "flag_colour": "4"},
                              follow_redirects=False)
    assert stale.status_code == 409 and "note-conflict" in stale.text
    assert 'name="flag_colour" value="4" checked' in stale.text  # this clerk's choice is still ticked
    assert owner_client.get(f"/api/v1/orders/{A}").json()["flag_colour"] == 6
    same = owner_client.post(f"/orders/{A}/note", data={**loaded, "merchant_note": "", "flag_colour": "6"},
                             follow_redirects=False)
    assert same.status_code == 303  # setting the flag it now has anyway loses nothing
    again = _note_form(owner_client, stale.text)
    assert again["loaded_flag"] == "6"
    done = owner_client.post(f"/orders/{A}/note", data={**again, "merchant_note": "", "flag_colour": "4"},
                             follow_redirects=False)
    assert done.status_code == 303 and owner_client.get(f"/api/v1/orders/{A}").json()["flag_colour"] == 4


def test_the_api_refuses_a_flag_change_over_a_flag_changed_since_it_was_read_when_asked(owner_client, ctx, shop_id):
    _seed(ctx, shop_id)
    assert _patch(owner_client, {"flag_colour": 6}).status_code == 200
    refused = _patch(owner_client, {"flag_colour": 2, "expected_flag_colour": 0})
    assert refused.status_code == 409 and refused.json()["error"]["details"]["field"] == "flag_colour"
    assert _patch(owner_client, {"flag_colour": 2, "expected_flag_colour": 6}).status_code == 200
    assert _patch(owner_client, {"flag_colour": 3}).status_code == 200  # not asked: sets it, as before
    assert owner_client.get(f"/api/v1/orders/{A}").json()["flag_colour"] == 3


def test_only_what_the_clerk_changed_is_saved_so_independent_edits_both_stay(owner_client, ctx, shop_id):
    """Clerk 1 flags the order while clerk 2 writes a note (or the other way round): no conflict, both stay; and
    when the notes do conflict, the page keeps the colleague's flag rather than the stale one clerk 1's form held."""
    _seed(ctx, shop_id)
    loaded = _note_form(owner_client)
    assert _patch(owner_client, {"merchant_note": "缺货"}).status_code == 200  # clerk 2's note
    flagged = owner_client.post(f"/orders/{A}/note", data={**loaded, "merchant_note": "", "flag_colour": "5"},
                                follow_redirects=False)
    assert flagged.status_code == 303  # clerk 1 only set a flag: clerk 2's note stays
    order = owner_client.get(f"/api/v1/orders/{A}").json()
    assert (order["merchant_note"], order["flag_colour"]) == ("缺货", 5)

    loaded = _note_form(owner_client)
    assert _patch(owner_client, {"flag_colour": 6}).status_code == 200  # clerk 2 flags it red
    noted = owner_client.post(f"/orders/{A}/note", data={**loaded, "merchant_note": "缺货；已联系买家",
                                                        "flag_colour": "5"}, follow_redirects=False)
    assert noted.status_code == 303  # clerk 1 only wrote the note: the red flag stays
    order = owner_client.get(f"/api/v1/orders/{A}").json()
    assert (order["merchant_note"], order["flag_colour"]) == ("缺货；已联系买家", 6)

    loaded = _note_form(owner_client)
    assert _patch(owner_client, {"merchant_note": "改成顺丰", "flag_colour": 3}).status_code == 200
    stale = owner_client.post(f"/orders/{A}/note", data={**loaded, "merchant_note": "我的备注", "flag_colour": "6"},
                              follow_redirects=False)
    assert stale.status_code == 409
    assert 'name="flag_colour" value="3" checked' in stale.text  # the colleague's flag: clerk 1 did not touch it
    assert ">我的备注</textarea>" in stale.text
