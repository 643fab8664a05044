"""The web's bulk-ship Apply confirms only the warnings the clerk saw in the preview (QA: it confirmed both kinds,
address changed and number of an unusual shape, for every row, so a row that became a warning after the preview was
shown shipped unseen). A row whose warnings changed since the preview is held, with the reason on the page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order

from ..conftest import NOW, csrf_of
from ..factories import make_record

PLAIN = "6938459704022657601"  # no warning in the preview; the buyer changes the address after it
ODD = "6938459704022657602"  # a ZTO-shaped number given as Yunda: a warning seen in the preview
ODD_THEN_MOVED = "6938459704022657603"  # the same warning seen, then the buyer changes the address too
MOVED = "6938459704022657604"  # the address changed before the preview: seen
LINES = ["订单号,快递公司,快递单号", f"{PLAIN},中通,73000000000121", f"{ODD},yunda,73000000000122",
         f"{ODD_THEN_MOVED},yunda,73000000000123", f"{MOVED},中通,73000000000124"]


def _statuses(ctx) -> dict[str, str]:
    with ctx.sessions() as session:
        return dict(session.execute(select(Order.order_id, Order.status)).all())


def _upsert(ctx, shop_id, records, at):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=at, records=records)


def _row(page: str, order_id: str) -> str:
    body = page.split('class="grid verdicts"', 1)[1]
    return next(tr for tr in body.split("<tr")[1:] if order_id in tr)


def test_apply_ships_only_the_warnings_seen_and_holds_a_row_warned_after_the_preview(ctx, shop_id, owner_client):
    _upsert(ctx, shop_id, [make_record(o) for o in (PLAIN, ODD, ODD_THEN_MOVED, MOVED)], NOW - timedelta(hours=3))
    _upsert(ctx, shop_id, [make_record(MOVED, address="文三路 90号")], NOW - timedelta(hours=2))
    csrf = csrf_of(owner_client, "/shipping/bulk")
    body = ("\n".join(LINES) + "\n").encode("utf-8")
    preview = owner_client.post("/shipping/bulk", data={"csrf_token": csrf},
                                files={"file": ("ship.csv", body, "text/csv")})
    assert preview.status_code == 200
    assert 'class="v-ok"' in _row(preview.text, PLAIN)
    for warned in (ODD, ODD_THEN_MOVED, MOVED):
        assert 'class="v-warning"' in _row(preview.text, warned)
    # after the preview was shown, two buyers change their address
    _upsert(ctx, shop_id, [make_record(o, address="莫干山路 8号") for o in (PLAIN, ODD_THEN_MOVED)],
            NOW - timedelta(hours=1))
    action = preview.text.split('action="/shipping/bulk/', 1)[1].split('"', 1)[0]
    # every warning row ticked as checked (QA pass 10, D14: an unticked one would be held anyway)
    done = owner_client.post(f"/shipping/bulk/{action}", data={"csrf_token": csrf, "confirm_row": ["3", "4", "5"]})
    assert done.status_code == 200
    assert _statuses(ctx) == {PLAIN: "awaiting_shipment", ODD: "shipped", ODD_THEN_MOVED: "awaiting_shipment",
                              MOVED: "shipped"}
    for held in (PLAIN, ODD_THEN_MOVED):
        row = _row(done.text, held)
        assert 'class="v-held"' in row and "预览之后" in row and "修改了收货地址" in row
    counts = done.text.split('data-count="held"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">2</td>' in counts


def test_the_english_page_says_why_a_row_was_held(ctx, shop_id, owner_client):
    _upsert(ctx, shop_id, [make_record(PLAIN)], NOW - timedelta(hours=3))
    owner_client.cookies.set("lang", "en")
    csrf = csrf_of(owner_client, "/shipping/bulk")
    body = ("\n".join(LINES[:2]) + "\n").encode("utf-8")
    preview = owner_client.post("/shipping/bulk", data={"csrf_token": csrf},
                                files={"file": ("ship.csv", body, "text/csv")})
    _upsert(ctx, shop_id, [make_record(PLAIN, address="莫干山路 8号")], NOW - timedelta(hours=1))
    action = preview.text.split('action="/shipping/bulk/', 1)[1].split('"', 1)[0]
    row = _row(owner_client.post(f"/shipping/bulk/{action}", data={"csrf_token": csrf}).text, PLAIN)
    assert "after the preview" in row and "changed the address" in row
    assert _statuses(ctx)[PLAIN] == "awaiting_shipment"
