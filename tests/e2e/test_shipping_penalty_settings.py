"""The owner sets the late-shipment assumptions (points per late order, compensation share, minimum, maximum) on the
shipping settings form: QA #7 found the health page saying owners can change them while nothing could. Money is
typed in yuan and stored in fen; impossible values are refused naming their field and nothing is saved; the
change is audited, and the next violation the deadline scan records costs what the owner set."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.accounts.models import AuditEntry
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping.jobs import scan_shop
from xiaodian.shipping.models import Violation
from xiaodian.shipping.queries import get_settings

from ..conftest import NOW, csrf_of
from ..factories import make_record

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def post(client, **penalties):
    return client.post("/shipping/settings", follow_redirects=False, data={
        "csrf_token": csrf_of(client, "/shipping/forecast"), "capacity_per_hour": "100", "work_start": "09:00",
        "work_end": "18:00", "default_promise": "48h", **penalties})


def penalties(ctx, shop_id) -> tuple:
    with ctx.sessions() as session:
        row = get_settings(session, shop_id)
        return row.late_points, row.compensation_pct, row.compensation_min_fen, row.compensation_max_fen


@sqlite_only
def test_the_owner_sets_the_penalty_assumptions_in_yuan_and_they_are_stored_in_fen(ctx, shop_id, owner_client):
    form = owner_client.get("/shipping/forecast").text
    assert 'name="late_points"' in form and 'name="compensation_min_yuan"' in form and 'value="5.00"' in form
    saved = post(owner_client, late_points="3", compensation_pct="20", compensation_min_yuan="8.5",
                 compensation_max_yuan="80")
    assert saved.status_code == 303
    assert penalties(ctx, shop_id) == (3, 20, 850, 8000)
    with ctx.sessions() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "shipping.settings")).scalar_one()
    before, after = json.loads(entry.before), json.loads(entry.after)
    assert (before["late_points"], before["compensation_min_fen"]) == (2, 500)
    assert (after["late_points"], after["compensation_pct"], after["compensation_min_fen"],
            after["compensation_max_fen"]) == (3, 20, 850, 8000)
    health = owner_client.get("/shipping/health").text
    assert "每单延迟发货扣 3 分" in health and "¥8.50" in health and "¥80.00" in health
    assert "/shipping/forecast#penalties" in health


@sqlite_only
@pytest.mark.parametrize("field, value, named", [
    ("late_points", "-1", "late_points"), ("late_points", "101", "late_points"),
    ("compensation_pct", "-5", "compensation_pct"), ("compensation_pct", "101", "compensation_pct"),
    *(("compensation_min_yuan", typed, "compensation_min_yuan") for typed in ("-5", "5.555", "abc", "1e3", "５")),
    ("compensation_max_yuan", "10000.01", "compensation_max_fen"),  # above the sensible ¥10,000
    ("compensation_min_yuan", "60", "compensation_max_fen"),  # the minimum above the ¥50 maximum
])
def test_an_impossible_penalty_is_refused_naming_its_field_and_nothing_is_saved(ctx, shop_id, owner_client, field,
                                                                                value, named):
    refused = post(owner_client, **{field: value})
    assert refused.status_code == 422
    assert named in refused.text
    assert penalties(ctx, shop_id) == (2, 10, 500, 5000)


@sqlite_only
def test_a_form_without_the_penalty_fields_leaves_them_as_they_are(ctx, shop_id, owner_client):
    assert post(owner_client, late_points="4", compensation_max_yuan="60").status_code == 303
    assert post(owner_client).status_code == 303
    assert penalties(ctx, shop_id) == (4, 10, 500, 6000)


def test_the_next_violation_costs_what_the_owner_set(ctx, shop_id, owner_client):
    assert post(owner_client, late_points="5", compensation_pct="50", compensation_min_yuan="1",
                compensation_max_yuan="30").status_code == 303
    with transaction(ctx.sessions) as session:  # paid ¥89.90: half is ¥44.95, clamped to the ¥30 maximum
        upsert_orders(session, shop_id=shop_id, records=[make_record(ship_by=NOW - timedelta(hours=1))],
                      cipher=ctx.cipher, now=NOW)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    with ctx.sessions() as session:
        assert session.execute(select(Violation.points, Violation.compensation_fen)).one() == (5, 3000)


@sqlite_only
def test_the_settings_form_reads_in_english_too(owner_client):
    """A "%" in a label is a format character to the templates' gettext: the English form must still render."""
    owner_client.get("/lang/en")
    form = owner_client.get("/shipping/forecast")
    assert form.status_code == 200
    assert "Compensation (% of amount paid)" in form.text and "Points per late order" in form.text
