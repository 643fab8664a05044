"""The bulk-ship page's Apply answers with a redirect to a result page (POST/redirect/GET): a warehouse clerk who
reloads sees what shipped again, instead of the 404 "already applied?" a reload of the POST gave, which read as if
nothing had shipped; a second Apply ships nothing twice and lands on the same result; the page is the uploader's
(or an owner's) only, and an order import's result is not a bulk ship's."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, Shipment

from ..conftest import NOW, csrf_of, login
from ..factories import make_record

FIRST, SECOND, MISSING = "6938459704022657701", "6938459704022657702", "6938459704022657799"
LINES = ["订单号,快递公司,快递单号", f"{FIRST},中通,73000000000171", f"{SECOND},中通,73000000000172",
         f"{MISSING},中通,73000000000173"]


def _preview(client, ctx, shop_id) -> tuple[str, str]:
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(FIRST), make_record(SECOND, phone="13900001111")])
    token = csrf_of(client, "/shipping/bulk")
    preview = client.post("/shipping/bulk", data={"csrf_token": token},
                          files={"file": ("ship-today.csv", ("\n".join(LINES) + "\n").encode(), "text/csv")})
    assert preview.status_code == 200, preview.text
    action = "/shipping/bulk/" + preview.text.split('action="/shipping/bulk/', 1)[1].split('"', 1)[0]
    assert action.endswith("/apply"), action
    return action, token


def _shipments(ctx) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(Shipment))


def _count(page: str, kind: str) -> str:
    return page.split(f'data-count="{kind}"', 1)[1].split("</tr>", 1)[0]


def test_apply_redirects_to_a_result_page_that_a_reload_shows_again(owner_client, ctx, shop_id):
    action, token = _preview(owner_client, ctx, shop_id)
    applied = owner_client.post(action, data={"csrf_token": token}, follow_redirects=False)
    assert applied.status_code == 303, applied.text
    result_url = applied.headers["location"]
    assert result_url.startswith("/shipping/bulk/") and result_url.endswith("/result")
    for _reload in range(2):
        page = owner_client.get(result_url)
        assert page.status_code == 200, page.text
        assert "ship-today.csv" in page.text
        assert '<td class="num">2</td>' in _count(page.text, "shipped")
        assert '<td class="num">1</td>' in _count(page.text, "rejected")
        assert "order_not_found" in page.text and MISSING in page.text
        # each shipped row says so, not the preview's 通过 (QA pass 6, #9)
        row = page.text.split(f"<td>{FIRST}</td>", 1)[1].split("</tr>", 1)[0]
        assert 'class="tag ok verdict-shipped">已发货</span>' in row and "通过" not in row
        assert "其中确认提醒后发货" in _count(page.text, "warnings")
    with ctx.sessions() as session:
        assert set(session.scalars(select(Order.status).where(Order.order_id.in_([FIRST, SECOND])))) == {"shipped"}
    assert not list((ctx.settings.data_dir / "uploads").glob("*.upload"))  # the parked file is gone
    with ctx.sessions() as session:  # the audit log names the file the clerk uploaded, not the parked copy
        from xiaodian.accounts.models import AuditEntry

        assert session.scalar(select(AuditEntry.target_id).where(AuditEntry.action == "shipping.bulk_ship")) \
            == "ship-today.csv"


def test_a_second_apply_ships_nothing_again_and_lands_on_the_same_result(owner_client, ctx, shop_id):
    action, token = _preview(owner_client, ctx, shop_id)
    first = owner_client.post(action, data={"csrf_token": token}, follow_redirects=False)
    assert _shipments(ctx) == 2
    again = owner_client.post(action, data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    assert _shipments(ctx) == 2
    assert '<td class="num">2</td>' in _count(owner_client.get(again.headers["location"]).text, "shipped")


def test_the_result_is_the_uploaders_and_an_owners_only(app, users, ctx, shop_id):
    with TestClient(app) as warehouse, TestClient(app) as other, TestClient(app) as owner:
        login(warehouse, "warehouse")
        action, token = _preview(warehouse, ctx, shop_id)
        result_url = warehouse.post(action, data={"csrf_token": token}, follow_redirects=False).headers["location"]
        assert warehouse.get(result_url).status_code == 200
        login(owner, "owner")
        assert owner.get(result_url).status_code == 200
        login(other, "cs")  # cs does not ship at all
        assert other.get(result_url).status_code == 403
        import_result = result_url.replace("/shipping/bulk/", "/imports/orders/")
        assert owner.get(import_result).status_code == 404  # a bulk ship's result is not an import's
        assert owner.get("/shipping/bulk/0123456789abcdef0123456789abcdef/result").status_code == 404
