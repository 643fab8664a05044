"""QA pass 10 on bulk shipping.

D14: a warned row of the preview (a ZTO-shaped number under 顺丰速运) shipped on the one Apply button though nobody
confirmed it; it now ships only when its own "已核对，仍然发货" box is ticked (unticked by default), else it is held
and reported held; the rest ship. The API keeps its documented per-kind flags.
D15: an unknown carrier in a file names the carriers the file may use (there is no list to choose from).
D16: the template downloads with a Chinese name on a Chinese page, ASCII on an English one.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from sqlalchemy import select

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order

from ..conftest import NOW, csrf_of
from ..factories import make_record

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

WARNED, PLAIN, UNKNOWN = "6979578482304326728", "6979578635532641631", "6979578635532641632"
# the tester's file (GBK): a ZTO-shaped number under 顺丰速运 (a warning), a good 中通 row
FILE = "订单号,快递公司,快递单号\r\n\t6979578482304326728,顺丰速运,78111122225555\r\n'6979578635532641631,中通快递,75111122226666\r\n"


def _seed(ctx, shop_id, *order_ids):
    records = [make_record(o, status=OrderStatus.AWAITING_SHIPMENT) for o in order_ids]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)


def _statuses(ctx) -> dict[str, str]:
    with ctx.sessions() as session:
        return dict(session.execute(select(Order.order_id, Order.status)).all())


def _preview(client, text: str):
    csrf = csrf_of(client, "/shipping/bulk")
    page = client.post("/shipping/bulk", data={"csrf_token": csrf},
                       files={"file": ("bulk2_gbk.csv", text.encode("gbk"), "text/csv")})
    assert page.status_code == 200
    action = page.text.split('action="/shipping/bulk/', 1)[1].split('"', 1)[0] if "/apply" in page.text else None
    return page, csrf, action


def _row(page: str, order_id: str) -> str:
    body = page.split('class="grid verdicts"', 1)[1]
    return next(tr for tr in body.split("<tr")[1:] if order_id in tr)


def test_an_unticked_warning_row_is_held_and_the_rest_ship(ctx, shop_id, owner_client):
    _seed(ctx, shop_id, WARNED, PLAIN)
    preview, csrf, action = _preview(owner_client, FILE)
    warned = _row(preview.text, WARNED)
    box = warned.split('name="confirm_row"', 1)[1].split(">", 1)[0]
    assert 'value="2"' in box and 'form="bulk-apply"' in box and "checked" not in box
    assert "已核对，仍然发货" in warned and 'name="confirm_row"' not in _row(preview.text, PLAIN)
    assert "确认：发货无提醒的行和已勾选的提醒行" in preview.text and "确认：发货通过校验的行" not in preview.text
    done = owner_client.post(f"/shipping/bulk/{action}", data={"csrf_token": csrf})
    assert done.status_code == 200
    assert _statuses(ctx) == {WARNED: "awaiting_shipment", PLAIN: "shipped"}
    held = _row(done.text, WARNED)
    assert 'class="v-held"' in held and "未勾选" in held
    assert '<td class="num">1</td>' in done.text.split('data-count="held"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">0</td>' in done.text.split('data-count="warnings"', 1)[1].split("</tr>", 1)[0]


def test_a_ticked_warning_row_ships(ctx, shop_id, owner_client):
    _seed(ctx, shop_id, WARNED, PLAIN)
    _preview_page, csrf, action = _preview(owner_client, FILE)
    done = owner_client.post(f"/shipping/bulk/{action}", data={"csrf_token": csrf, "confirm_row": ["2"]})
    assert done.status_code == 200
    assert _statuses(ctx) == {WARNED: "shipped", PLAIN: "shipped"}
    assert 'data-count="held"' not in done.text


def test_the_api_keeps_its_flag_for_warnings(ctx, shop_id, owner_client):
    _seed(ctx, shop_id, WARNED, PLAIN)
    csrf = csrf_of(owner_client, "/shipping/bulk")
    body = FILE.encode("gbk")
    held = owner_client.post("/api/v1/shipments/bulk", headers={"x-csrf-token": csrf},
                             files={"file": ("f.csv", body, "text/csv")}).json()
    assert held["shipped"] == 1 and [r["row"] for r in held["held"]] == [2]
    confirmed = owner_client.post("/api/v1/shipments/bulk", headers={"x-csrf-token": csrf},
                                  data={"confirm_warnings": "true"}, files={"file": ("f.csv", body, "text/csv")}).json()
    assert confirmed["shipped"] == 1 and confirmed["held"] == []
    assert set(_statuses(ctx).values()) == {"shipped"}


def test_an_unknown_carrier_names_the_carriers_a_file_may_use(ctx, shop_id, owner_client):
    _seed(ctx, shop_id, UNKNOWN)
    preview, _csrf, _action = _preview(owner_client, f"订单号,快递公司,快递单号\r\n{UNKNOWN},神行快递,75111122227777\r\n")
    why = _row(preview.text, UNKNOWN)
    assert "神行快递" in why and "请从列表中选择" not in why
    for name in ("中通快递", "顺丰速运", "极兔速递", "邮政快递包裹"):
        assert name in why


@pytest.mark.parametrize(("lang", "expected"), [("zh", "批量发货模板-24h需发货-"), ("en", "bulk-ship-due24h-")])
def test_the_template_is_named_in_the_pages_language(owner_client, lang, expected):
    owner_client.cookies.set("lang", lang)
    download = owner_client.get("/shipping/bulk/template.xlsx", params={"view": "due24h"})
    assert download.status_code == 200
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="bulk-ship-due24h-')  # the ASCII name for any client
    named = unquote(disposition.split("filename*=UTF-8''", 1)[1]) if "filename*=" in disposition else \
        disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert named.startswith(expected) and named.endswith(".xlsx")
