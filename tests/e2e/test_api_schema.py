"""schemathesis against the desk's own OpenAPI schema, authenticated as an owner: no 5xx, and every
response matches what the schema promises (status codes, content type, body shape)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.checks import not_a_server_error

from xiaodian.accounts import service
from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, PASSWORD
from ..factories import make_record


@pytest.fixture
def api_schema(ctx, shop_id):
    from xiaodian.web.app import create_app

    if not ctx.settings.is_sqlite:
        pytest.skip("the schema is the same on both backends; SQLite keeps this fuzzing run short")
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(order_id=f"69384597040226560{i:02d}") for i in range(5)])
        owner = service.add_user(session, login="owner", password=PASSWORD, role="owner", now=NOW)
        service.add_user(session, login="spare", password=PASSWORD, role="owner", now=NOW)
        _row, token = service.create_token(session, owner, "schemathesis", NOW)
    app = create_app(ctx)
    app.state.test_token = token
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers={"authorization": f"Bearer {token}"})


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_errors_and_matches_its_schema(case):
    token = case.operation.schema.app.state.test_token
    response = case.call(headers={"authorization": f"Bearer {token}"})
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                             response_schema_conformance])
