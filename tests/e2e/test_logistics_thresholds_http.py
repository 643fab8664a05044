"""The owner's anomaly thresholds through the app and the CLI: 设置 → 物流异常设置 (defaults labelled as assumptions,
a bad value refused naming the field, saved and shown on the worklist, back to the defaults), the API (everyone
reads; only owners change: cs and warehouse get 403; a bad value 422 naming the field), and
``xiaodian logistics thresholds``."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from xiaodian.logistics.jobs import scan_shop

from ..conftest import NOW, csrf_of, login
from .test_logistics_http import NUMBER, seed

FORM = {"pickup_warning": "20", "pickup_timeout": "24", "pickup_serious": "48", "stalled_warning": "36",
        "stalled_timeout": "48", "stalled_serious": "72", "suspected_lost": "168", "locker_uncollected": "48"}


def test_the_settings_page_saves_validates_and_resets_and_the_worklist_follows(ctx, shop_id, owner_client):
    seed(ctx, shop_id, shipped_hours=14)  # 14 h after shipping: no case by the defaults (20 h)
    assert owner_client.get("/api/v1/anomalies").json()["total"] == 0
    page = owner_client.get("/settings/logistics")
    assert page.status_code == 200 and "物流异常设置" in page.text and "默认值（假设）" in page.text
    assert 'data-custom="no"' in page.text and 'href="/settings/logistics"' in page.text  # in the 设置 menu
    assert "<script>" not in page.text and "style=" not in page.text
    csrf = csrf_of(owner_client, "/settings/logistics")
    bad = owner_client.post("/settings/logistics", data={**FORM, "pickup_timeout": "12", "csrf_token": csrf},
                            follow_redirects=False)
    assert bad.status_code == 422
    assert 'data-field="pickup_timeout"' in bad.text and 'data-code="threshold_not_increasing"' in bad.text
    assert "揽收超时 · 已超时：小时数必须大于揽收超时 · 即将超时" in bad.text
    assert 'value="12"' in bad.text  # the owner's input is kept for correcting
    too_big = owner_client.post("/settings/logistics", data={**FORM, "locker_uncollected": "100000",
                                                             "csrf_token": csrf}, follow_redirects=False)
    assert too_big.status_code == 422 and "必须在 0.5 到 720 小时之间" in too_big.text
    saved = owner_client.post("/settings/logistics", data={**FORM, "pickup_warning": "10", "pickup_timeout": "12",
                                                           "csrf_token": csrf}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/settings/logistics?saved=saved"
    after = owner_client.get(saved.headers["location"])
    assert "阈值已保存" in after.text and 'data-custom="yes"' in after.text and 'value="10"' in after.text
    assert "10 → " not in after.text and "20 → 10" in after.text  # recent changes: before → after
    worklist = owner_client.get("/logistics")
    assert "10 / 12 / 48" in worklist.text and "本店店主设置的阈值" in worklist.text
    scan_shop(ctx.sessions, shop_id, NOW + timedelta(minutes=1))  # the change makes this a full scan
    listing = owner_client.get("/api/v1/anomalies").json()
    assert listing["total"] == 1 and listing["anomalies"][0]["severity"] == "timeout"  # 14 h ≥ the shop's 12 h
    reset = owner_client.post("/settings/logistics/reset", data={"csrf_token": csrf}, follow_redirects=False)
    assert reset.status_code == 303
    back = owner_client.get(reset.headers["location"])
    assert "已恢复默认阈值" in back.text and 'data-custom="no"' in back.text
    assert "20 / 24 / 48" in owner_client.get("/logistics").text
    audit = owner_client.get("/api/v1/audit", params={"action": "logistics.thresholds"}).json()
    assert len(audit["entries"] if "entries" in audit else audit["items"]) == 2


def test_the_api_reads_for_everyone_changes_for_owners_and_names_the_field(ctx, shop_id, app, users, owner_client):
    got = owner_client.get("/api/v1/logistics/thresholds").json()
    assert got["custom"] is False and got["defaults_are_assumptions"] is True
    assert got["thresholds"]["pickup_warning"] == 20 and got["defaults"]["suspected_lost"] == 168
    csrf = csrf_of(owner_client)
    headers = {"x-csrf-token": csrf}
    bad = owner_client.put("/api/v1/logistics/thresholds", json={"stalled_serious": 40}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["field"] == "stalled_serious" and "stalled_serious" in bad.json()["error"][
        "message"]
    zero = owner_client.put("/api/v1/logistics/thresholds", json={"pickup_warning": 0}, headers=headers)
    assert zero.status_code == 422 and zero.json()["error"]["details"]["field"] == "pickup_warning"
    unknown = owner_client.put("/api/v1/logistics/thresholds", json={"lost": 100}, headers=headers)
    assert unknown.status_code == 422 and "lost" in unknown.json()["error"]["message"]
    text = owner_client.put("/api/v1/logistics/thresholds", json={"locker_uncollected": "soon"}, headers=headers)
    assert text.status_code == 422 and "locker_uncollected" in text.json()["error"]["message"]
    ok = owner_client.put("/api/v1/logistics/thresholds", json={"locker_uncollected": 24, "suspected_lost": 120},
                          headers=headers)
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["custom"] is True and body["updated_by"] == "owner"
    assert (body["thresholds"]["locker_uncollected"], body["thresholds"]["suspected_lost"]) == (24, 120)
    for role in ("cs", "warehouse"):
        with TestClient(app) as client:
            login(client, role)
            assert client.get("/api/v1/logistics/thresholds").json()["thresholds"]["locker_uncollected"] == 24
            token = csrf_of(client)
            refused = client.put("/api/v1/logistics/thresholds", json={"locker_uncollected": 30},
                                 headers={"x-csrf-token": token})
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
            assert client.delete("/api/v1/logistics/thresholds", headers={"x-csrf-token": token}).status_code == 403
            assert client.get("/settings/logistics").status_code == 403
            assert client.post("/settings/logistics", data={**FORM, "csrf_token": token},
                               follow_redirects=False).status_code == 403
            assert 'href="/settings/logistics"' not in client.get("/logistics").text
    assert owner_client.get("/api/v1/logistics/thresholds").json()["thresholds"]["locker_uncollected"] == 24
    reset = owner_client.delete("/api/v1/logistics/thresholds", headers=headers)
    assert reset.status_code == 200 and reset.json()["custom"] is False
    assert reset.json()["thresholds"]["locker_uncollected"] == 48


def test_cli_shows_sets_and_resets_the_thresholds(ctx, shop_id, monkeypatch, request):
    from xiaodian.cli import _register, app
    from xiaodian.settings import get_settings

    request.addfinalizer(get_settings.cache_clear)
    monkeypatch.setenv("XIAODIAN_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("XIAODIAN_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("XIAODIAN_NOW", NOW.isoformat())
    for key in ("pii_key", "index_key", "session_secret"):
        monkeypatch.setenv(f"XIAODIAN_{key.upper()}", getattr(ctx.settings, key))
    get_settings.cache_clear()
    _register()
    runner = CliRunner()
    shown = runner.invoke(app, ["logistics", "thresholds", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["custom"] is False
    table = runner.invoke(app, ["logistics", "thresholds"])
    assert table.exit_code == 0 and "pickup_warning" in table.output and "assumption" in table.output
    changed = runner.invoke(app, ["logistics", "thresholds", "--set", "pickup_warning=10", "--set",
                                  "pickup_timeout=12", "--json"])
    assert changed.exit_code == 0, changed.output
    data = json.loads(changed.output)
    assert data["custom"] is True and data["thresholds"]["pickup_timeout"] == 12
    assert data["updated_by"].startswith("cli:")
    refused = runner.invoke(app, ["logistics", "thresholds", "--set", "stalled_timeout=10", "--json"])
    assert refused.exit_code == 1
    assert json.loads(refused.output.splitlines()[0])["error"]["details"]["field"] == "stalled_timeout"
    assert runner.invoke(app, ["logistics", "thresholds", "--set", "pickup_warning"]).exit_code == 2
    reset = runner.invoke(app, ["logistics", "thresholds", "--reset", "--json"])
    assert reset.exit_code == 0 and json.loads(reset.output)["custom"] is False
    assert NUMBER  # the seed module's number, imported for the shared fixtures above


def test_the_settings_page_in_english_names_the_field_in_english(ctx, shop_id, owner_client):
    owner_client.get("/lang/en", params={"next": "/settings/logistics"})
    page = owner_client.get("/settings/logistics")
    assert "Logistics anomaly settings" in page.text and "Default (assumption)" in page.text
    csrf = csrf_of(owner_client, "/settings/logistics")
    bad = owner_client.post("/settings/logistics", data={**FORM, "suspected_lost": "72", "csrf_token": csrf})
    assert bad.status_code == 422
    assert "Suspected lost · Severely overdue: must be more hours than Tracking stalled · Severely overdue." \
        in bad.text.replace("&#39;", "'")
