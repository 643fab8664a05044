"""QA pass 14, #2: the import page opened for one shop (``/imports/orders?shop=2``, as a link or the header shows it)
imported into the desk's first shop: its forms posted to a bare /imports/orders. Every form and link of the page now
keeps the ``shop`` it was opened with, through preview, apply and the result page, and the page names the shop."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ..conftest import csrf_of, login
from ..integration.test_orders_several_shops import two_shops

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "samples" / "douyin_orders_export.csv"


def _totals(client, shop) -> int:
    return client.get("/api/v1/orders/counts", params={"shop": shop}).json()["counts"]["all"]


def test_a_file_previewed_for_the_second_shop_is_imported_into_it(app, users, ctx, shop_id):
    second = two_shops(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "owner")
        before = (_totals(client, shop_id), _totals(client, second))
        page = client.get(f"/imports/orders?shop={second}")
        assert "导入到店铺：第二家店" in page.text
        assert f'action="/imports/orders?shop={second}"' in page.text
        csrf = csrf_of(client, f"/imports/orders?shop={second}")
        preview = client.post(f"/imports/orders?shop={second}", data={"csrf_token": csrf},
                              files={"file": ("export.csv", SAMPLE.read_bytes(), "text/csv")})
        assert preview.status_code == 200 and "导入到店铺：第二家店" in preview.text
        action = preview.text.split('form class="apply" method="post" action="', 1)[1].split('"', 1)[0]
        assert action.endswith(f"/apply?shop={second}")
        done = client.post(action, data={"csrf_token": csrf})
        assert done.status_code == 200 and str(done.url).endswith(f"/result?shop={second}")
        assert "导入到店铺：第二家店" in done.text and "已导入" in done.text
        after = (_totals(client, shop_id), _totals(client, second))
    assert after[0] == before[0] and after[1] > before[1]  # the first shop untouched
