"""The demo's build summary counts overdue as the desk does (bb1d66c, domain.md §2: shipping at the ship-by second is
on time, so an order is overdue only after it): an order due this very second is not overdue."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from xiaodian.demo.generator import DemoShopData
from xiaodian.demo.shop import _summary

from ..conftest import NOW
from ..factories import make_record


def test_the_demo_summary_counts_overdue_strictly_after_the_ship_by():
    orders = [make_record("6938459704022659101", ship_by=NOW),
              make_record("6938459704022659102", ship_by=NOW - timedelta(seconds=1))]
    data = DemoShopData(now=NOW, seed=1, orders=orders)
    result = SimpleNamespace(created=2, updated=0, unchanged=0, rejected=[])
    assert _summary(data, result, 1, {})["overdue"] == 1
