"""Re-importing the desk's own export changes nothing an order shows, so its preview and report count every order as
unchanged (not "updated") and no timeline event is written: the export's masked phone, name and address equal the
stored masked copies and keep what is stored (later_snapshot.keep_known)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from xiaodian.orders.models import Order, OrderEvent

from ..conftest import SAMPLES, csrf_of

SAMPLE = SAMPLES / "douyin_orders_export.csv"


def _post(client, content, **params):
    return client.post("/api/v1/imports/orders", params=params, headers={"x-csrf-token": csrf_of(client)},
                       files={"file": ("export.csv", content, "text/csv")})


def _stored(ctx):
    with ctx.sessions() as session:
        events = session.scalar(select(func.count()).select_from(OrderEvent))
        orders = [tuple(getattr(o, c.key) for c in Order.__table__.columns if c.key not in ("content_hash",))
                  for o in session.scalars(select(Order).order_by(Order.id))]
    return events, orders


def test_reimporting_the_desks_own_export_counts_every_order_unchanged(owner_client, ctx):
    first = _post(owner_client, SAMPLE.read_bytes())
    assert first.json()["created"] == 43
    export = owner_client.get("/api/v1/exports/orders", params={"format": "csv"})
    assert export.status_code == 200
    before = _stored(ctx)
    preview = _post(owner_client, export.content, dry_run="true").json()
    assert (preview["created"], preview["updated"], preview["unchanged"], preview["rejected"]) == (0, 0, 43, [])
    again = _post(owner_client, export.content).json()
    assert (again["created"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, 43, [])
    assert _stored(ctx) == before  # no event written, no column (nor modified_at) rewritten
    third = _post(owner_client, export.content).json()
    assert (third["updated"], third["unchanged"]) == (0, 43)


def test_an_own_export_with_one_cell_changed_updates_that_order_only(owner_client, ctx):
    """Still a real change where there is one: the merchant's note edited in the exported file."""
    _post(owner_client, SAMPLE.read_bytes())
    export = owner_client.get("/api/v1/exports/orders", params={"format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(export)))
    rows[1][rows[0].index("商家备注")] = "加急发顺丰"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    edited = out.getvalue().encode("utf-8-sig")
    order_id = rows[1][0].strip()
    events = _stored(ctx)[0]
    report = _post(owner_client, edited).json()
    assert (report["updated"], report["unchanged"]) == (1, 42)
    assert owner_client.get(f"/api/v1/orders/{order_id}").json()["merchant_note"] == "加急发顺丰"
    assert _stored(ctx)[0] == events  # a note edited: no timeline event, as before
