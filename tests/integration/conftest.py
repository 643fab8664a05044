"""Fixtures for the integration tests of the Douyin connection through the app: the local fake Open Platform
(``fake``), the desk's shop connected to it (``connected``) and a client of the app (``http``). A test module's
``FAKE_NOW``, when set, is the platform's clock (a platform half an hour behind the desk's, say). A module that
defines a fixture of the same name (older Douyin tests, the Kuaidi100 ones) uses its own."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from xiaodian.channels.douyin import service
from xiaodian.db import transaction

from ..conftest import NOW
from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin


@pytest.fixture
def fake(request):
    server = FakeDouyin(now=getattr(request.module, "FAKE_NOW", NOW))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def connected(ctx, shop_id, fake):
    """The desk's shop connected to the fake platform (writes off, as a new connection has them)."""
    ctx.settings = ctx.settings.model_copy(update={"douyin_gateway": fake.url})
    with transaction(ctx.sessions) as session:
        service.connect(session, shop_id=shop_id, platform_shop_id=SHOP_ID, app_key=APP_KEY, app_secret=APP_SECRET,
                        cipher=ctx.cipher, principal=service.SYNC, now=NOW)
    return ctx


@pytest.fixture
def http(connected, app):
    with TestClient(app) as client:
        yield client
