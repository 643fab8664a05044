"""A desk with no orders yet tells the new merchant the first step instead of "no orders match the filters" (QA pass 6,
#22: a fresh desk said 没有符合条件的订单 with no filter set and nothing pointed to 导入订单)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ..conftest import login

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_an_empty_desk_points_to_the_import_and_a_filter_with_no_match_says_so(owner_client, app, users):
    page = owner_client.get("/orders").text
    assert "还没有订单" in page and 'href="/imports/orders">导入订单</a>' in page
    assert "没有符合条件的订单" not in page
    filtered = owner_client.get("/orders", params={"q": "五常"}).text
    assert "没有符合条件的订单" in filtered and "还没有订单" not in filtered
    with TestClient(app) as warehouse:  # the warehouse cannot import: told, but no button to a page it cannot open
        login(warehouse, "warehouse")
        page = warehouse.get("/orders").text
        assert "还没有订单" in page and 'class="button primary" href="/imports/orders"' not in page
