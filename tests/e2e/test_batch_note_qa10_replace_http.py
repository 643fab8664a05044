"""QA pass 10, D22 (the page's side): the batch bar's "replace" asks once more (data-confirm, only while replace is
chosen and a text is typed), the ticked boxes of orders that already have a merchant note carry ``data-note`` for
the question to count; and an empty text leaves the notes as they are in either mode, as the field says (a
replace with an empty box wiped every ticked order's note)."""

from __future__ import annotations

import re

import pytest

from .test_batch_note_http import A, B, _api, _batch, _seed

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_bar_asks_only_for_a_replace_and_marks_the_orders_with_a_note(owner_client, ctx, shop_id):
    _seed(ctx, shop_id)
    _api(owner_client, "PATCH", f"/api/v1/orders/{A}/note", {"merchant_note": "缺货"})
    page = owner_client.get("/orders").text
    bar = re.search(r'<form id="batch-note"[^>]*>', page).group(0)
    assert 'data-confirm-if="note_mode=replace merchant_note"' in bar
    assert "{checked:data-note}" in bar and "{merchant_note}" in bar and "覆盖" in bar
    noted = re.findall(r'<input type="checkbox" class="pick" name="order_id" value="(\d+)"[^>]*data-note', page)
    assert noted == [A]


def test_a_replace_with_nothing_typed_leaves_the_notes(owner_client, ctx, shop_id):
    _seed(ctx, shop_id)
    _api(owner_client, "PATCH", f"/api/v1/orders/{A}/note", {"merchant_note": "缺货"})
    done = _batch(owner_client, order_id=[A, B], flag_colour="2", note_mode="replace", merchant_note="  ")
    assert done.status_code == 303
    assert owner_client.get(f"/api/v1/orders/{A}").json()["merchant_note"] == "缺货"
    assert owner_client.get(f"/api/v1/orders/{A}").json()["flag_colour"] == 2
