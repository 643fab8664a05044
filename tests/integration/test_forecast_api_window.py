"""The forecast API gives what the printed pick list gives (after QA pass 13, #4 and #5): ``within`` limits the pick
list to the orders overdue or due within that many hours and counts the rest in ``later``; ``aftersale_sends`` lists
the after-sale goods to send the buyer by their deadline among the orders. Without them the API is as before."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, login
from ..factories import make_record
from . import test_aftersale_resend_parcel as resend
from .test_qa13_pick_list_horizon import IN_60H, LATE, PRESALE, SOON, TOMORROW, _backlog

H = timedelta(hours=1)
desk = resend.desk


def test_within_limits_the_api_pick_list_and_counts_the_rest(ctx, shop_id, app, users):
    _backlog(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "warehouse")
        windowed = client.get("/api/v1/forecast", params={"within": 48}).json()
        whole = client.get("/api/v1/forecast").json()
        refused = client.get("/api/v1/forecast", params={"within": 0})
    assert [p["order_id"] for p in windowed["pick_list"]] == [LATE, SOON, TOMORROW]
    assert (windowed["within_hours"], windowed["later"], windowed["until"]) == (48, 2, "2026-11-26T18:00:00+08:00")
    assert [p["order_id"] for p in whole["pick_list"]] == [LATE, SOON, TOMORROW, IN_60H, PRESALE]
    assert (whole["within_hours"], whole["later"], whole["until"]) == (None, 0, None)
    assert all(p["aftersale_id"] is None for p in whole["pick_list"])
    assert refused.status_code == 422 and "within" in refused.text


def test_aftersale_sends_puts_the_overdue_resend_first(desk, shop_id, app, users):
    with transaction(desk.sessions) as session:
        session.execute(update(AfterSaleCase).where(AfterSaleCase.aftersale_id == resend.CASE)
                        .values(due_by=NOW - 72 * H))
        upsert_orders(session, shop_id=shop_id, cipher=desk.cipher, now=NOW,
                      records=[make_record(SOON, ship_by=NOW + 2 * H)])
    with TestClient(app) as client:
        login(client, "warehouse")
        plain = client.get("/api/v1/forecast").json()
        sends = client.get("/api/v1/forecast", params={"aftersale_sends": "true"}).json()
    assert resend.CASE not in {p["aftersale_id"] for p in plain["pick_list"]}
    first = sends["pick_list"][0]
    assert (first["aftersale_id"], first["order_id"], first["already_overdue"]) == (resend.CASE, resend.ORDER, True)
    assert first["case_type"] == "resend" and first["done_at"] is None and first["items"]
    assert sends["later_sends"] == 0


def test_the_cli_lists_the_overdue_resend_as_the_page_does(desk, shop_id, cli_env):
    """QA pass 15, #3: `xiaodian forecast --within 24` left out the after-sale goods the page and the API list."""
    from typer.testing import CliRunner

    with transaction(desk.sessions) as session:
        session.execute(update(AfterSaleCase).where(AfterSaleCase.aftersale_id == resend.CASE)
                        .values(due_by=NOW - 72 * H))
    shown = CliRunner().invoke(cli_env, ["forecast", "--within", "24"])
    assert shown.exit_code == 0, shown.output
    first = shown.stdout.split("   1. ", 1)[1].splitlines()[0]
    assert first.startswith(f"after-sale resend {resend.CASE} (order {resend.ORDER})") and "overdue" in first
    left_out = CliRunner().invoke(cli_env, ["forecast", "--within", "24", "--no-aftersale-sends", "--json"])
    assert resend.CASE not in left_out.stdout
