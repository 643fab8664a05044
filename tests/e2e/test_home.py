"""The home page shows the to-do cards of the work each role can do, each linking to its view."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ..conftest import login

CARDS = {
    "owner": {"overdue", "due24h", "awaiting", "anomalies", "aftersale_todo", "aftersale_due_soon"},
    "cs": {"overdue", "due24h", "awaiting", "anomalies", "aftersale_todo", "aftersale_due_soon"},
    "warehouse": {"overdue", "due24h", "awaiting", "anomalies"},
}


@pytest.mark.parametrize("role", sorted(CARDS))
def test_home_cards_follow_the_role(app, users, role, backend):
    if backend != "sqlite":
        pytest.skip("page composition; one backend is enough")
    with TestClient(app) as client:
        login(client, role)
        html = client.get("/").text
    shown = {part.split('"', 1)[0] for part in html.split('data-card="')[1:]}
    assert shown == CARDS[role]
