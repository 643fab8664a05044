"""QA pass 14, #4: an export whose buyers are masked (the desk's own export, or the platform's without decryption)
was taken in silently, its masked copies stored as the buyer's data and masked a second time on the way out
(科技路5**** → 科技****). The import now says so once for the file (buyer_data_masked, with how many orders), and an
already masked name or address is shown as it is."""

from __future__ import annotations

import pytest

from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.orders.queries import get_order
from xiaodian.privacy.masking import mask_address, mask_name, mask_phone

from ..conftest import NOW

HEADER = ("主订单编号,子订单编号,选购商品,商品ID,商品数量,商品金额,订单应付金额,订单提交时间,支付完成时间,订单状态,"
          "收件人,收件人手机号,省,市,区,详细地址")


def _row(order_id: str, name: str, phone: str, address: str) -> str:
    return (f"{order_id},{order_id},五常大米 5kg,3512000000000000101,1,59.90,59.90,2026-11-20 10:00:00,"
            f"2026-11-20 10:01:00,备货中,{name},{phone},浙江省,杭州市,西湖区,{address}")


def test_masked_copies_are_not_masked_again():
    assert mask_address("科技路5****") == "科技路5****" and mask_name("邓**") == "邓**"
    assert mask_phone("176****7554") == "176****7554"
    assert mask_address("科技路5号院3栋") == "科技****" and mask_name("邓小平") == "邓**"  # plain ones as before


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_file_of_masked_buyers_is_imported_with_one_note(ctx, shop_id, tmp_path):
    path = tmp_path / "masked.csv"
    path.write_text("\n".join([HEADER, _row("6938459704022600001", "邓**", "176****7554", "科技路5****"),
                               _row("6938459704022600002", "王小明", "13812345678", "科苑南路2666号"),
                               _row("6938459704022600003", "李*", "138****5678", "文三路****")]) + "\n",
                    encoding="utf-8")
    report = import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW)
    assert report.created == 3 and report.rejected == []
    notes = [w for w in report.warnings if w.code == "buyer_data_masked"]
    assert len(notes) == 1 and notes[0].details == {"orders": 2} and notes[0].row == 2
    assert notes[0].as_warning()["order_id"] == "6938459704022600001"
    with ctx.sessions() as session:
        order = get_order(session, shop_id, "6938459704022600001")
        assert order.buyer_name_masked == "邓**" and order.address_masked == "科技路5****"
        assert order.phone_masked == "176****7554"



@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_masked_file_of_orders_the_desk_has_unchanged_says_nothing(ctx, shop_id, tmp_path):
    """QA pass 15, #12: re-importing masked rows that change nothing kept nothing masked, so no note."""
    path = tmp_path / "masked.csv"
    path.write_text("\n".join([HEADER, _row("6938459704022600001", "邓**", "176****7554", "科技路5****")]) + "\n",
                    encoding="utf-8")
    import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW)
    again = import_order_file(ctx.sessions, shop_id=shop_id, path=path, cipher=ctx.cipher, now=NOW)
    assert again.unchanged == 1 and [w.code for w in again.warnings] == []
