"""A bulk-ship file applied directly (CLI ``ship --file``, API ``POST /shipments/bulk``) holds back rows with a
warning (the buyer changed the address; a number not shaped like the carrier's) unless the caller confirms that
kind, as a single shipment does (QA #3: both were shipped unseen). The web's preview → apply still ships them:
seeing the preview is the confirmation."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order

from ..conftest import NOW, cli_desk, csrf_of
from ..factories import make_record

MOVED = "6938459704022657401"  # the buyer changed the address after the order came in
ODD = "6938459704022657402"  # a ZTO-shaped number given as Yunda
PLAIN = "6938459704022657403"
LINES = ["订单号,快递公司,快递单号", f"{MOVED},中通,73000000000113", f"{ODD},yunda,73000000000112",
         f"{PLAIN},中通,73000000000114"]


def seed(ctx, shop_id) -> None:
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW - timedelta(hours=2),
                      records=[make_record(o) for o in (MOVED, ODD, PLAIN)])
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW - timedelta(hours=1),
                      records=[make_record(MOVED, address="文三路 90号")])


def statuses(ctx) -> dict[str, str]:
    with ctx.sessions() as session:
        return dict(session.execute(select(Order.order_id, Order.status)).all())


def test_cli_ship_file_holds_warning_rows_until_each_kind_is_confirmed(tmp_path):
    run = cli_desk(tmp_path, seed)
    path = tmp_path / "bulk.csv"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")

    preview = run("ship", "--file", str(path), "--dry-run", "--json")
    report = json.loads(preview.stdout)
    assert preview.exit_code == 1 and report["shipped"] == 1  # a dry run says what the apply would do
    assert {r["row"]: r["code"] for r in report["held"]} == {2: "address_changed", 3: "tracking_shape_mismatch"}

    plain = run("ship", "--file", str(path), "--json")
    report = json.loads(plain.stdout)
    assert plain.exit_code == 1 and report["shipped"] == 1
    rows = {r["order_id"]: r for r in report["rows"]}
    assert (rows[MOVED]["verdict"], rows[MOVED]["applied"]) == ("held", False)
    assert "--confirm-address-change" in rows[MOVED]["message"] and "11-24 17:00" in rows[MOVED]["message"]
    assert (rows[ODD]["verdict"], rows[ODD]["applied"]) == ("held", False)
    assert "--confirm-warnings" in rows[ODD]["message"]
    assert rows[PLAIN]["applied"] is True
    shown = run("orders", "show", MOVED, "--json")
    assert json.loads(shown.stdout)["status"] == "awaiting_shipment"

    moved = json.loads(run("ship", "--file", str(path), "--confirm-address-change", "--json").stdout)
    assert {r["order_id"]: (r["verdict"], r["applied"]) for r in moved["rows"]} == {
        MOVED: ("warning", True), ODD: ("held", False), PLAIN: ("unchanged", False)}  # confirmed: shipped, still said
    assert moved["shipped"] == 1
    last = run("ship", "--file", str(path), "--confirm-warnings", "--json")
    assert last.exit_code == 0 and json.loads(last.stdout)["shipped"] == 1
    assert json.loads(run("orders", "show", ODD, "--json").stdout)["status"] == "shipped"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_api_bulk_holds_warning_rows_unless_the_request_confirms_them(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    client = owner_client
    headers = {"x-csrf-token": csrf_of(client)}
    body = ("\n".join(LINES) + "\n").encode("utf-8")
    held = client.post("/api/v1/shipments/bulk", headers=headers, files={"file": ("ship.csv", body, "text/csv")})
    report = held.json()
    assert held.status_code == 200 and report["shipped"] == 1
    assert {r["row"]: r["code"] for r in report["held"]} == {2: "address_changed", 3: "tracking_shape_mismatch"}
    assert statuses(ctx)[MOVED] == statuses(ctx)[ODD] == "awaiting_shipment"
    confirmed = client.post("/api/v1/shipments/bulk", headers=headers,
                            data={"confirm_address_change": "true", "confirm_warnings": "true"},
                            files={"file": ("ship.csv", body, "text/csv")}).json()
    assert confirmed["shipped"] == 2 and confirmed["held"] == []
    assert set(statuses(ctx).values()) == {"shipped"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_web_preview_then_apply_ships_the_warning_rows_it_showed(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    client = owner_client
    csrf = csrf_of(client, "/shipping/bulk")
    body = ("\n".join(LINES) + "\n").encode("utf-8")
    preview = client.post("/shipping/bulk", data={"csrf_token": csrf}, files={"file": ("ship.csv", body, "text/csv")})
    assert preview.status_code == 200 and preview.text.count('class="v-warning"') == 2
    action = preview.text.split('action="/shipping/bulk/', 1)[1].split('"', 1)[0]
    # each warning row's own "checked: ship anyway" box ticked (QA pass 10, D14: unticked, it is held)
    ticked = [part.split('"', 1)[0] for part in preview.text.split('name="confirm_row" value="')[1:]]
    assert len(ticked) == 2
    done = client.post(f"/shipping/bulk/{action}", data={"csrf_token": csrf, "confirm_row": ticked})
    assert done.status_code == 200
    assert set(statuses(ctx).values()) == {"shipped"}
