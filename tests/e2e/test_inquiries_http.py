"""The inquiry assistant through its interfaces: POST /api/v1/inquiries, the 客服工作台 page, ``xiaodian ask``
and ``xiaodian inquiries eval`` (JSON shape, errors, permissions)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from xiaodian.cli import _register, app as cli_app
from xiaodian.demo.shop import build_demo_shop

from ..conftest import NOW, TEST_KEYS, csrf_of, login

_register()
SEED = "我这个月20号拍了2份五常大米，也付款了，怎么还没有订单信息？"
KEYS = {"intent", "language", "entities", "matches", "diagnosis", "reply"}
ENTITY_KEYS = {"date_from", "date_to", "product", "quantity", "order_id", "phone_last4"}


@pytest.fixture
def asker(ctx):
    summary = build_demo_shop(ctx, orders=300, progress=False)
    return next(s for s in summary["scenarios"] if s["label"] == "question_awaiting_within_promise")


@pytest.mark.parametrize("role", ["owner", "cs"])
def test_api_answers_the_seed_question_in_the_documented_shape(app, users, asker, role):
    with TestClient(app) as client:
        login(client, role)
        body = {"message": SEED, "phone": asker["buyer_phone"][-4:], "at": NOW.isoformat()}
        r = client.post("/api/v1/inquiries", json=body, headers={"x-csrf-token": csrf_of(client)})
    assert r.status_code == 200, r.text
    out = r.json()
    assert KEYS <= set(out) and set(out["entities"]) == ENTITY_KEYS
    assert out["entities"] == {"date_from": "2026-11-20", "date_to": "2026-11-20", "product": "五常大米", "quantity": 2,
                               "order_id": None, "phone_last4": None}
    assert out["diagnosis"]["code"] == "found_awaiting_shipment"
    assert out["diagnosis"]["facts"]["order_id"] == asker["order_id"] and out["diagnosis"]["facts"]["within_promise"]
    assert out["matches"][0]["order_id"] == asker["order_id"] and out["matches"][0]["why"]
    assert isinstance(out["matches"][0]["order_id"], str) and asker["order_id"] in out["reply"]


def test_api_refuses_the_warehouse_role_and_bad_input_with_the_error_shape(app, users, asker):
    with TestClient(app) as client:
        login(client, "warehouse")
        r = client.post("/api/v1/inquiries", json={"message": SEED}, headers={"x-csrf-token": csrf_of(client)})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    with TestClient(app) as client:
        login(client, "cs")
        csrf = {"x-csrf-token": csrf_of(client)}
        for body, field in (({"message": ""}, "message"), ({"message": SEED, "phone": "12"}, "phone"),
                            ({"message": SEED, "order_id": "abc"}, "order_id")):
            r = client.post("/api/v1/inquiries", json=body, headers=csrf)
            assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed", r.text
            assert field in r.text


def test_page_shows_understanding_matches_diagnosis_and_reply(app, users, asker):
    with TestClient(app) as client:
        login(client, "cs")
        page = client.get("/inquiries")
        assert page.status_code == 200 and 'name="message"' in page.text and "/static/inquiries.js" in page.text
        r = client.post("/inquiries", data={"message": SEED, "phone": asker["buyer_phone"], "order_id": "",
                                            "at": "2026-11-24T18:00", "csrf_token": csrf_of(client, "/inquiries")})
    assert r.status_code == 200
    html = r.text
    assert 'data-code="found_awaiting_shipment"' in html and 'data-value="order_missing"' in html
    assert f'href="/orders/{asker["order_id"]}"' in html and 'id="reply-text"' in html
    assert "2026-11-20" in html and "五常大米" in html and "<script>" not in html
    assert asker["buyer_phone"] not in html.split('name="phone" value="', 1)[1].split('"', 1)[1]
    # the diagnosis's facts in the agent's words: named, statuses and flags translated, times in shop time
    facts = dict(re.findall(r'<dt data-fact="(\w+)">([^<]*)</dt>', html))
    values = dict(re.findall(r'<dd data-fact="(\w+)">([^<]*)</dd>', html))
    assert (facts["status"], values["status"]) == ("订单状态", "备货中")
    assert (facts["within_promise"], values["within_promise"]) == ("在承诺发货时间内", "是")
    assert re.fullmatch(r"2026-11-20 \d\d:\d\d", values["created_at"])
    assert "items" not in facts and "T" not in values["ship_by"] and "awaiting_shipment" not in values.values()


def test_the_english_page_names_the_product_in_english_beside_its_chinese_name(app, users, asker):
    with TestClient(app) as client:
        login(client, "cs")
        client.get("/lang/en")
        r = client.post("/inquiries", data={"message": SEED, "phone": asker["buyer_phone"], "order_id": "",
                                            "at": "2026-11-24T18:00", "csrf_token": csrf_of(client, "/inquiries")})
        product = r.text.split('data-field="product">', 1)[1].split("</dd>", 1)[0]
        assert "Wuchang rice" in product and "(五常大米)" in product
        client.get("/lang/zh")
        r = client.post("/inquiries", data={"message": SEED, "phone": asker["buyer_phone"], "order_id": "",
                                            "at": "2026-11-24T18:00", "csrf_token": csrf_of(client, "/inquiries")})
    assert r.text.split('data-field="product">', 1)[1].split("</dd>", 1)[0] == "五常大米"


def test_page_without_csrf_is_refused_and_bad_input_is_shown_not_crashed(app, users, asker):
    with TestClient(app) as client:
        login(client, "cs")
        assert client.post("/inquiries", data={"message": SEED}).status_code == 403
        r = client.post("/inquiries", data={"message": SEED, "phone": "abc",
                                            "csrf_token": csrf_of(client, "/inquiries")})
        assert r.status_code == 422 and 'data-code="validation_failed"' in r.text and SEED in r.text


@pytest.fixture
def env(tmp_path):
    values = {"XIAODIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "XIAODIAN_DATA_DIR": str(tmp_path / "data"),
              "XIAODIAN_NOW": NOW.isoformat()}
    values.update({f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()})
    return values


def test_cli_ask_json_and_text(env):
    from xiaodian.bootstrap import open_context
    from xiaodian.settings import Settings

    settings = Settings(database_url=env["XIAODIAN_DATABASE_URL"], data_dir=env["XIAODIAN_DATA_DIR"], now=NOW,
                        **TEST_KEYS)
    ctx = open_context(settings, migrate=True)
    summary = build_demo_shop(ctx, orders=300, progress=False)
    ctx.engine.dispose()
    asker = next(s for s in summary["scenarios"] if s["label"] == "question_awaiting_within_promise")
    runner = CliRunner()
    r = runner.invoke(cli_app, ["ask", SEED, "--phone", asker["buyer_phone"], "--json"], env=env)
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert KEYS <= set(out) and out["diagnosis"]["code"] == "found_awaiting_shipment"
    r = runner.invoke(cli_app, ["ask", "I placed an order for 2 portions of Wuchang rice on the 20th and paid, no order "
                                "information?", "--at", "2026-11-21T09:00:00+08:00", "--json"], env=env)
    out = json.loads(r.output)
    assert out["language"] == "en" and out["entities"]["date_from"] == "2026-11-20"
    assert out["diagnosis"]["code"] == "multiple_matches" and "last 4 digits" in out["reply"]
    r = runner.invoke(cli_app, ["ask", SEED, "--order", asker["order_id"]], env=env)
    assert r.exit_code == 0 and "found_awaiting_shipment" in r.output
    r = runner.invoke(cli_app, ["ask", SEED, "--at", "yesterday"], env=env)
    assert r.exit_code == 2
    r = runner.invoke(cli_app, ["ask", SEED, "--phone", "12", "--json"], env=env)
    assert r.exit_code == 2 and json.loads(r.output.splitlines()[0])["error"]["code"] == "validation_failed"


def test_cli_eval_prints_accuracy_per_field_and_meets_the_target():
    r = CliRunner().invoke(cli_app, ["inquiries", "eval", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["total"] >= 150
    assert all(f["accuracy"] >= 0.95 for f in report["fields"].values())


def test_cli_eval_runs_the_held_out_set_by_name_and_refuses_an_unknown_set():
    r = CliRunner().invoke(cli_app, ["inquiries", "eval", "--set", "holdout", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["total"] >= 80 and report["fields"]["intent"]["total"] == report["total"]
    r = CliRunner().invoke(cli_app, ["inquiries", "eval", "--set", "nonsense"])
    assert r.exit_code == 2


def test_page_says_how_many_fit_when_it_shows_only_the_closest(app, users, ctx):
    """An unidentified buyer naming only a product fits dozens of orders: the table shows the closest ten and says
    how many fit, as the diagnosis does, instead of a count of the rows shown."""
    build_demo_shop(ctx, orders=1500, progress=False)
    with TestClient(app) as client:
        login(client, "cs")
        r = client.post("/inquiries", data={"message": "我买的五常大米怎么还没发货？", "phone": "", "order_id": "",
                                            "at": "2026-11-24T18:00", "csrf_token": csrf_of(client, "/inquiries")})
        api = client.post("/api/v1/inquiries", json={"message": "我买的五常大米怎么还没发货？", "at": NOW.isoformat()},
                          headers={"x-csrf-token": csrf_of(client)})
    assert r.status_code == 200 and api.status_code == 200
    out = api.json()
    assert len(out["matches"]) == 10 and out["matches_fitting"] > 10
    heading = r.text.split('id="matches-h">', 1)[1].split("</h2>", 1)[0]
    assert re.search(r"最相符的 10 单，共 (\d+) 单相符", heading), heading
    assert int(re.search(r"共 (\d+) 单相符", heading).group(1)) > 10
