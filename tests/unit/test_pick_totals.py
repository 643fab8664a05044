"""Pick totals: what to take off the shelves for the pick list's orders, per product and spec."""

from __future__ import annotations

from hypothesis import given, strategies as st

from xiaodian.shipping.picking import PickItem, pick_totals


def item(name, spec, qty, code=None, after_sale=None):
    return PickItem(name, spec, qty, code, after_sale)


def test_quantities_add_up_and_an_order_counts_once_per_product_and_spec():
    orders = [
        [item("五常大米", "5kg", 2), item("小米", None, 1), item("五常大米", "5kg", 1)],  # the same SKU twice in one order
        [item("五常大米", "5kg", 1), item("五常大米", "10斤", 3)],
        [],
    ]
    totals = {(t.product_name, t.spec): (t.quantity, t.orders) for t in pick_totals(orders)}
    assert totals == {("五常大米", "5kg"): (4, 2), ("五常大米", "10斤"): (3, 1), ("小米", None): (1, 1)}


def test_a_different_merchant_code_is_a_different_shelf():
    totals = pick_totals([[item("菜籽油", "5L", 1, "OIL-A")], [item("菜籽油", "5L", 2, "OIL-B")]])
    assert [(t.merchant_code, t.quantity) for t in totals] == [("OIL-A", 1), ("OIL-B", 2)]


def test_sorted_by_product_then_spec_with_no_spec_first():
    totals = pick_totals([[item("b", "2", 1), item("a", None, 1), item("b", None, 1), item("a", "1", 1)]])
    assert [(t.product_name, t.spec) for t in totals] == [("a", None), ("a", "1"), ("b", None), ("b", "2")]


names = st.sampled_from(["五常大米", "小米", "菜籽油"])
specs = st.sampled_from([None, "5kg", "10斤"])


@given(st.lists(st.lists(st.builds(item, names, specs, st.integers(1, 50)), max_size=6), max_size=20))
def test_totals_keep_every_unit_and_never_count_more_orders_than_there_are(orders):
    totals = pick_totals(orders)
    assert sum(t.quantity for t in totals) == sum(i.quantity for items in orders for i in items)
    assert all(1 <= t.orders <= sum(1 for items in orders if items) for t in totals)
    assert len({(t.product_name, t.spec, t.merchant_code) for t in totals}) == len(totals)


def test_the_plain_dicts_are_what_dataclasses_asdict_gives():
    """The pick list's JSON is built with as_dict, a shallow copy: right only while every field is a scalar."""
    from dataclasses import asdict

    item = PickItem("五常大米", "5kg", 2, "WC-5", "退款中")
    total = pick_totals([[item]])[0]
    for value in (item, total):
        assert value.as_dict() == asdict(value) and list(value.as_dict()) == list(asdict(value))
        assert value.as_dict() is not value.__dict__  # a copy: the frozen value is not exposed
