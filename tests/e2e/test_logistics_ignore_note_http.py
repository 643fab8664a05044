"""Ignoring a logistics anomaly without a note (or until a time already past) is refused in the case page's
language: the Chinese page showed the service's English message (QA #5). English pages keep that message."""

from __future__ import annotations

import re

from ..conftest import csrf_of
from .test_logistics_http import seed


def refusal(client, case_id: int, **form) -> tuple[int, str, str]:
    csrf = csrf_of(client, f"/logistics/anomalies/{case_id}")
    data = {"action": "ignored", "note": "", "until": "", "csrf_token": csrf, **form}
    page = client.post(f"/logistics/anomalies/{case_id}/act", data=data, follow_redirects=False)
    alert = re.search(r'<div class="alert error" role="alert"[^>]*>([^<]*)</div>', page.text)
    assert alert, page.text
    code = re.search(r'data-code="(\w+)"', alert.group(0))
    return page.status_code, alert.group(1), code.group(1) if code else ""


def test_ignoring_without_a_note_is_refused_in_chinese_on_the_chinese_page(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    case_id = owner_client.get("/api/v1/anomalies").json()["anomalies"][0]["id"]
    status, text, code = refusal(owner_client, case_id)
    assert (status, code) == (422, "reason_required")
    assert "ignoring" not in text and "原因" in text, text
    status, text, code = refusal(owner_client, case_id, note="买家已知情", until="2026-11-01T10:00")
    assert (status, code) == (422, "until_in_past") and "future" not in text and "忽略至" in text, text
    assert owner_client.get("/api/v1/anomalies").json()["anomalies"][0]["status"] == "open"  # nothing changed


def test_the_english_page_keeps_the_english_refusal(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    case_id = owner_client.get("/api/v1/anomalies").json()["anomalies"][0]["id"]
    owner_client.get("/lang/en")
    status, text, code = refusal(owner_client, case_id)
    assert (status, code, text) == (422, "reason_required", "Ignoring an anomaly needs a reason (note)")
