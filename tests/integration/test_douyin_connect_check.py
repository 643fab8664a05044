"""Connecting a shop asks the platform for a token first (channels/douyin/credentials.py): a secret or app key the
platform refuses is a 422 naming the field, with nothing stored; accepted credentials keep the token it gave; a
platform that cannot be reached does not block the owner, and the page and the CLI say the check is still to come."""

from __future__ import annotations

import json
import socket

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from xiaodian.accounts.models import AuditEntry
from xiaodian.channels.douyin.models import DouyinConnection

from ..conftest import NOW, csrf_of
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, _err

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


class FakeNamingTheAppKey(FakeDouyin):
    """A platform that tells an unknown app key apart from a bad signature (the assumed sub_code)."""

    def _handle(self, path, query, raw):
        if query.get("app_key") != self.app_key:
            self.requests.append({"method": query.get("method"), "params": None, "signed_ok": False})
            return 200, _err(40002, "app_key 不存在", "isv.app-key-not-exist", "app_key 不存在")
        return super()._handle(path, query, raw)


@pytest.fixture
def gateway(ctx, fake):
    ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": fake.url})
    return fake


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # closed once the socket is: connection refused


def _stored(ctx) -> tuple[int, int]:
    with ctx.sessions() as session:
        return (session.execute(select(func.count()).select_from(DouyinConnection)).scalar_one(),
                session.execute(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.action == "douyin.connect")).scalar_one())


def _form(client, **values):
    data = {"shop_id": SHOP_ID, "app_key": APP_KEY, "app_secret": APP_SECRET, **values,
            "csrf_token": csrf_of(client, "/settings/douyin")}
    return client.post("/settings/douyin", data=data, follow_redirects=False)


@SQLITE
def test_a_wrong_secret_is_refused_on_the_form_naming_the_field_and_nothing_is_stored(ctx, owner_client, gateway):
    refused = _form(owner_client, app_secret="wrong-secret")
    assert refused.status_code == 422
    assert 'data-code="douyin_credentials_refused"' in refused.text and "app_secret" in refused.text
    assert _stored(ctx) == (0, 0)
    assert [r["method"] for r in gateway.requests] == ["token.create"]


@SQLITE
def test_the_api_refuses_a_wrong_secret_with_a_422_naming_app_secret(ctx, owner_client, gateway):
    answer = owner_client.put("/api/v1/douyin/connection", headers={"x-csrf-token": csrf_of(owner_client)},
                              json={"shop_id": SHOP_ID, "app_key": APP_KEY, "app_secret": "wrong-secret"})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "douyin_credentials_refused" and error["details"]["field"] == "app_secret"
    assert error["details"]["sub_code"] == "isv.invalid-sign" and "wrong-secret" not in answer.text
    assert _stored(ctx) == (0, 0)


@SQLITE
def test_an_unknown_app_key_is_refused_naming_app_key(ctx, owner_client):
    fake = FakeNamingTheAppKey(now=NOW)
    fake.start()
    try:
        ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": fake.url})
        answer = owner_client.put("/api/v1/douyin/connection", headers={"x-csrf-token": csrf_of(owner_client)},
                                  json={"shop_id": SHOP_ID, "app_key": "7000000000000000999",
                                        "app_secret": APP_SECRET})
    finally:
        fake.stop()
    assert answer.status_code == 422 and answer.json()["error"]["details"]["field"] == "app_key"
    assert _stored(ctx) == (0, 0)


@SQLITE
def test_a_replaced_connection_with_a_wrong_secret_keeps_the_old_one(ctx, owner_client, gateway):
    assert _form(owner_client).status_code == 303
    with ctx.sessions() as session:
        before = session.execute(select(DouyinConnection.app_secret_enc, DouyinConnection.access_token_enc)).one()
    assert _form(owner_client, app_secret="wrong-secret").status_code == 422
    with ctx.sessions() as session:
        after = session.execute(select(DouyinConnection.app_secret_enc, DouyinConnection.access_token_enc)).one()
    assert after == before and _stored(ctx) == (1, 1)


@SQLITE
def test_accepted_credentials_keep_the_token_and_the_first_sync_does_not_ask_again(ctx, owner_client, gateway):
    from xiaodian.channels.douyin.jobs import sync_shop

    assert _form(owner_client).status_code == 303
    with ctx.sessions() as session:
        conn = session.execute(select(DouyinConnection)).scalar_one()
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "douyin.connect")).scalar_one()
    assert conn.token_expires_at is not None and conn.last_error is None
    assert json.loads(entry.after)["credentials_checked"] is True
    page = owner_client.get("/settings/douyin").text
    assert 'data-testid="dy-unchecked"' not in page
    sync_shop(ctx, conn.shop_id)
    assert [r["method"] for r in gateway.requests].count("token.create") == 1


@SQLITE
def test_an_unreachable_platform_saves_the_connection_and_says_it_is_not_checked_yet(ctx, owner_client):
    ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": _closed_port()})
    assert _form(owner_client).status_code == 303
    with ctx.sessions() as session:
        conn = session.execute(select(DouyinConnection)).scalar_one()
    assert conn.token_expires_at is None and "network error" in json.loads(conn.last_error)["msg"]
    page = owner_client.get("/settings/douyin").text
    assert 'data-testid="dy-unchecked"' in page and "首次同步时校验" in page
    status = owner_client.get("/api/v1/douyin/status").json()
    assert status["credentials_checked"] is False


def _cli(tmp_path, gateway_url: str, secret: str):
    """``xiaodian shop connect`` on a migrated desk (cli_desk's database), the secret on stdin."""
    from xiaodian.cli import app as cli_app

    from ..conftest import TEST_KEYS, cli_desk

    cli_desk(tmp_path)  # migrates tmp_path/cli.db and registers the commands

    env = {"XIAODIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "XIAODIAN_DATA_DIR": str(tmp_path / "data"),
           "XIAODIAN_NOW": NOW.isoformat(), "XIAODIAN_DOUYIN_GATEWAY": gateway_url,
           **{f"XIAODIAN_{k.upper()}": v for k, v in TEST_KEYS.items()}}
    return CliRunner().invoke(cli_app, ["shop", "connect", "--shop-id", SHOP_ID, "--app-key", APP_KEY,
                                        "--app-secret-stdin"], input=secret + "\n", env=env)


def _cli_connections(tmp_path) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(DouyinConnection)).scalar_one()
    finally:
        engine.dispose()


def test_the_cli_refuses_a_wrong_secret_with_exit_1_and_stores_nothing(tmp_path, fake):
    done = _cli(tmp_path, fake.url, "wrong-secret")
    assert done.exit_code == 1 and "app_secret" in done.output and "isv.invalid-sign" in done.output
    assert _cli_connections(tmp_path) == 0


def test_the_cli_connects_unchecked_when_the_platform_cannot_be_reached(tmp_path):
    done = _cli(tmp_path, _closed_port(), APP_SECRET)
    assert done.exit_code == 0, done.output
    assert "could not be checked yet" in done.output and "checked at the first sync" in done.output
    assert _cli_connections(tmp_path) == 1


def test_the_cli_says_the_platform_accepted_the_credentials(tmp_path, fake):
    done = _cli(tmp_path, fake.url, APP_SECRET)
    assert done.exit_code == 0 and "accepted the app key and secret" in done.output
