"""Signing of the Douyin Open Platform (domain.md §5) and the order mapping: pure, no network."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from xiaodian.channels.douyin import mapping, signing
from xiaodian.orders.domain import OrderStatus

from ..fakes.douyin import platform_order


def test_param_json_sorts_keys_recursively_with_compact_separators_and_keeps_chinese():
    text = signing.canonical_param_json({"b": 1, "a": {"z": [{"y": 2, "x": "大米"}], "c": None}})
    assert text == '{"a":{"c":null,"z":[{"x":"大米","y":2}]},"b":1}'


def test_empty_params_are_an_empty_object():
    assert signing.canonical_param_json(None) == "{}"


def test_sign_string_is_secret_then_sorted_pairs_then_v2_then_secret():
    assert signing.sign_string("K", "order.searchList", '{"a":1}', 1700000000, "S") == (
        'Sapp_keyKmethodorder.searchListparam_json{"a":1}timestamp1700000000v2S')


def test_hmac_sha256_is_lowercase_hex_keyed_with_the_secret():
    text = b'Sapp_keyKmethodm.nparam_json{}timestamp1v2S'
    assert signing.sign("K", "m.n", "{}", 1, "S") == hmac.new(b"S", text, hashlib.sha256).hexdigest()


def test_md5_is_lowercase_hex_of_the_sign_string():
    text = b'Sapp_keyKmethodm.nparam_json{}timestamp1v2S'
    assert signing.sign("K", "m.n", "{}", 1, "S", "md5") == hashlib.md5(text).hexdigest()


def test_an_unknown_sign_method_is_refused():
    with pytest.raises(ValueError):
        signing.sign("K", "m", "{}", 1, "S", "sha1")


def test_method_is_the_path_with_dots():
    assert signing.method_of("/order/searchList") == "order.searchList"
    assert signing.path_of("order.logisticsAdd") == "/order/logisticsAdd"


def test_event_sign_is_md5_of_app_key_raw_body_and_secret():
    body = '[{"tag":"101","msg_id":"1","data":"{}"}]'.encode()
    expected = hashlib.md5(b"K" + body + b"S").hexdigest()
    assert signing.event_sign("K", body, "S") == expected
    assert signing.event_sign_ok("K", body, "S", expected.upper())
    assert not signing.event_sign_ok("K", body + b" ", "S", expected)
    assert not signing.event_sign_ok("K", body, "", expected)
    assert not signing.event_sign_ok("K", body, "S", None)


AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("code,status", [(1, OrderStatus.UNPAID), (105, OrderStatus.PAID_PENDING),
                                         (2, OrderStatus.AWAITING_SHIPMENT), (101, OrderStatus.PARTIALLY_SHIPPED),
                                         (3, OrderStatus.SHIPPED), (5, OrderStatus.COMPLETED),
                                         (4, OrderStatus.CANCELLED)])
def test_every_platform_status_code_maps_to_the_desk_status(code, status):
    assert mapping.to_record(platform_order("4907538423936588900", status=code, create=AT)).status is status


def test_money_stays_fen_times_become_utc_and_exp_ship_time_is_the_ship_by():
    ship_by = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    rec = mapping.to_record(platform_order("4907538423936588900", create=AT, exp_ship=ship_by, amount_fen=5990))
    assert rec.pay_amount_fen == 5990 and rec.ship_by == ship_by and rec.created_at == AT
    assert rec.created_at.tzinfo is UTC and rec.order_id == "4907538423936588900"
    assert rec.items[0].sku_order_id == "4907538423936588900" and rec.items[0].quantity == 2
    assert rec.items[0].spec == "5kg" and rec.province == "浙江省" and rec.district == "西湖区"


def test_an_unpaid_order_has_no_paid_time_or_ship_by():
    rec = mapping.to_record(platform_order("4907538423936588900", status=1, create=AT, exp_ship=AT))
    assert rec.paid_at is None and rec.ship_by is None


def test_only_masked_buyer_data_is_used_when_plaintext_is_absent():
    order = platform_order("4907538423936588900", create=AT)
    del order["post_tel"], order["post_receiver"]
    rec = mapping.to_record(order)
    assert rec.buyer_phone == "138****5678" and rec.buyer_name == "张*"


def test_shipped_orders_carry_every_tracking_number():
    order = platform_order("4907538423936588900", status=3, create=AT)
    order["logistics_info"] = [{"company_name": "中通快递", "tracking_no": "ZT1", "ship_time": 1763600000},
                               {"company_name": "中通快递", "tracking_no": "ZT2", "ship_time": 1763600000}]
    rec = mapping.to_record(order)
    assert rec.tracking_no == "ZT1,ZT2" and rec.carrier == "中通快递" and rec.shipped_at is not None


@pytest.mark.parametrize("field,value", [("order_id", "4.90754E+18"), ("order_status", 99), ("create_time", 0),
                                         ("pay_amount", "abc")])
def test_an_unreadable_order_names_the_field(field, value):
    order = platform_order("4907538423936588900", create=AT)
    order[field] = value
    with pytest.raises(mapping.MappingError) as err:
        mapping.to_record(order)
    assert err.value.field == field


def test_a_list_row_without_items_or_address_needs_the_detail():
    order = platform_order("4907538423936588900", create=AT)
    assert not mapping.needs_detail(order)
    del order["sku_order_list"]
    assert mapping.needs_detail(order)
