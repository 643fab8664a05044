"""The bulk-ship preview shows a refused row's tracking number as the clerk typed it in the file (QA: it showed the
desk's normalised form, upper-cased and without spaces or dashes, so the clerk could not find the cell to fix)."""

from __future__ import annotations

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

KNOWN = "6938459704022657501"
MISSING = "6938459704022657599"  # not in the desk


def _cells(page: str, row: int) -> list[str]:
    body = page.split('class="grid verdicts"', 1)[1]
    line = next(tr for tr in body.split("<tr")[1:] if f'<td class="num">{row}</td>' in tr)
    return [td.split(">", 1)[1].split("</td", 1)[0] for td in line.split("<td")[1:]]


def test_the_preview_shows_a_refused_number_as_typed(ctx, shop_id, owner_client):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(KNOWN)])
    lines = ["订单号,快递公司,快递单号",
             f"{KNOWN},顺丰,sf-12 3",  # too short once normalised (SF123): refused
             f"{MISSING},顺丰,sf 1234 5678 9012 3",  # a fine number, but no such order: refused
             ]
    csrf = csrf_of(owner_client, "/shipping/bulk")
    preview = owner_client.post("/shipping/bulk", data={"csrf_token": csrf},
                                files={"file": ("ship.csv", ("\n".join(lines) + "\n").encode(), "text/csv")})
    assert preview.status_code == 200, preview.text
    malformed, missing = _cells(preview.text, 2), _cells(preview.text, 3)
    assert malformed[3] == "sf-12 3" and "tracking_malformed" in malformed[5]
    assert missing[3] == "sf 1234 5678 9012 3" and "order_not_found" in missing[5]
    assert "SF123<" not in preview.text and "SF1234567890123<" not in preview.text


def test_a_number_repeated_in_the_file_is_refused_in_the_pages_language(ctx, shop_id, owner_client):
    """A number twice in one file for two orders: both rows are refused (QA pass 9, #13: the first one shipped), each
    naming the other row, in Chinese on the Chinese page (it read in English: the text of tracking_in_use needs the
    owning order); the code stays in a data attribute."""
    second = "6938459704022657502"
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(KNOWN), make_record(second)])
    lines = ["订单号,快递公司,快递单号", f"{KNOWN},顺丰,SF1234567890123", f"{second},顺丰,SF1234567890123"]
    csrf = csrf_of(owner_client, "/shipping/bulk")
    preview = owner_client.post("/shipping/bulk", data={"csrf_token": csrf},
                                files={"file": ("ship.csv", ("\n".join(lines) + "\n").encode(), "text/csv")})
    assert preview.status_code == 200, preview.text
    repeated, first = _cells(preview.text, 3), _cells(preview.text, 2)
    code = 'data-code="duplicate_tracking_in_file"'
    assert code in repeated[5] and code in first[5]
    assert "快递单号：快递单号 SF1234567890123 在文件第 2 行也出现了" in repeated[5]
    assert "在文件第 3 行也出现了" in first[5]
    assert "is also on row" not in preview.text.split('class="grid verdicts"', 1)[1].split("</table>", 1)[0]
