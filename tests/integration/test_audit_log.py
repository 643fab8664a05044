"""The audit log records who did what through which channel, and can only grow."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from xiaodian.accounts import audit
from xiaodian.accounts import users as people
from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.errors import Conflict, Forbidden

from ..conftest import NOW

OWNER = Principal(user_id=None, login="cli:test", role="owner", channel="cli")


def test_user_changes_are_audited_with_before_and_after(ctx, users):
    with transaction(ctx.sessions) as session:
        audit_user = Principal(1, "owner", "owner", "web")
        people.change_role(session, audit_user, login="cs", role="warehouse", now=NOW)
    with ctx.sessions() as session:
        total, entries = audit.search(session, audit.AuditFilter(action="user.role"))
    assert total == 1
    entry = audit.entry_json(entries[0])
    assert entry["login"] == "owner" and entry["channel"] == "web"
    assert entry["before"]["role"] == "cs" and entry["after"]["role"] == "warehouse"


def test_audit_rows_cannot_be_updated_or_deleted_even_with_raw_sql(ctx):
    with transaction(ctx.sessions) as session:
        audit.record(session, principal=OWNER, action="test.action", now=NOW)
    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with ctx.engine.begin() as conn:
                conn.execute(text(statement))
    with ctx.sessions() as session:
        assert audit.search(session, audit.AuditFilter())[0] == 1


def test_the_code_has_no_update_or_delete_path_for_the_audit_log():
    import pathlib

    import xiaodian

    root = pathlib.Path(xiaodian.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        source = path.read_text()
        for needle in ("update(AuditEntry", "delete(AuditEntry", "UPDATE audit_log", "DELETE FROM audit_log"):
            if needle in source and "migrations" not in path.parts:
                offenders.append(f"{path.name}: {needle}")
    assert offenders == []


def test_disabling_a_user_ends_sessions_and_revokes_tokens_at_once(ctx, users):
    from xiaodian.accounts import service

    with transaction(ctx.sessions) as session:
        cs = service.require_user(session, "cs")
        session_token = service.start_session(session, cs, NOW, 12)
        _row, api_token = service.create_token(session, cs, "phone", NOW)
    with transaction(ctx.sessions) as session:
        people.disable_user(session, OWNER, login="cs", now=NOW)
    with ctx.sessions() as session:
        assert service.resolve_session(session, session_token, NOW) is None
        assert service.token_principal(session, api_token, NOW) is None


def test_the_last_active_owner_cannot_be_disabled_or_demoted(ctx, users):
    with transaction(ctx.sessions) as session:
        with pytest.raises(Conflict, match="at least one active owner"):
            people.disable_user(session, OWNER, login="owner", now=NOW)
        with pytest.raises(Conflict):
            people.change_role(session, OWNER, login="owner", role="cs", now=NOW)


def test_service_layer_refuses_a_role_without_permission_whatever_the_channel(ctx, users):
    cs = Principal(2, "cs", "cs", "api")
    with transaction(ctx.sessions) as session:
        with pytest.raises(Forbidden):
            people.disable_user(session, cs, login="warehouse", now=NOW)
        with pytest.raises(Forbidden):
            people.create_user(session, cs, login="sneaky", password="Sneaky-pass-123", role="owner", now=NOW)


def test_an_import_is_audited_and_refused_for_a_role_without_the_permission(ctx, shop_id):
    from xiaodian.channels.exportfile.service import import_order_file

    from ..conftest import SAMPLES

    sample = SAMPLES / "douyin_orders_export.csv"
    with pytest.raises(Forbidden):
        import_order_file(ctx.sessions, shop_id=shop_id, path=sample, cipher=ctx.cipher, now=NOW,
                          principal=Principal(3, "warehouse", "warehouse", "web"))
    report = import_order_file(ctx.sessions, shop_id=shop_id, path=sample, cipher=ctx.cipher, now=NOW,
                               principal=Principal(2, "cs", "cs", "api"))
    with ctx.sessions() as session:
        total, entries = audit.search(session, audit.AuditFilter(action="orders.import"))
    assert total == 1
    entry = audit.entry_json(entries[0])
    assert entry["login"] == "cs" and entry["channel"] == "api" and entry["target_id"] == sample.name
    assert entry["detail"]["created"] == report.created > 0
