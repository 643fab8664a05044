"""品退率 of one product through the API answers for that product or refuses: asked with the CLI's name
(``?product=``, as ``--product``) or an empty id, it used to answer with the whole shop's figures (or with every
product and no shop row) while the CLI refused (QA #2). The refusal is the project's JSON error shape."""

from __future__ import annotations

from typer.testing import CliRunner

from .test_aftersale_http import desk  # noqa: F401 (the fixture: one order of 五常大米 with a quality case)

PRODUCT = "3512000000000000101"  # the product of make_record's default item


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_an_unknown_product_asked_as_product_is_a_404_naming_the_field(owner_client, desk):  # noqa: F811
    missing = owner_client.get("/api/v1/quality-rate", params={"product": "nope", "window": 14})
    assert missing.status_code == 404
    error = error_of(missing)
    assert error["code"] == "product_not_found" and error["details"]["field"] == "product_id"
    assert "nope" in error["message"]


def test_a_known_product_asked_as_product_answers_its_own_row_only(owner_client, desk):  # noqa: F811
    rows = owner_client.get("/api/v1/quality-rate", params={"product": PRODUCT}).json()
    assert [r["product_id"] for r in rows] == [PRODUCT] and rows[0]["quality_cases_first_reason"] == 1
    assert rows == owner_client.get("/api/v1/quality-rate", params={"product_id": PRODUCT}).json()


def test_two_different_products_in_one_request_are_refused(owner_client, desk):  # noqa: F811
    both = owner_client.get("/api/v1/quality-rate", params={"product": "nope", "product_id": PRODUCT})
    assert both.status_code == 422 and error_of(both)["details"]["field"] == "product_id"


def test_an_empty_product_id_is_refused_not_answered_with_every_product(owner_client, desk):  # noqa: F811
    for value in ("", "  "):
        blank = owner_client.get("/api/v1/quality-rate", params={"product_id": value})
        assert blank.status_code == 422
        error = error_of(blank)
        assert error["code"] == "product_empty" and error["details"]["field"] == "product_id"


def test_the_cli_refuses_an_empty_product_too(desk, cli_env):  # noqa: F811
    app = cli_env

    blank = CliRunner().invoke(app, ["quality-rate", "--product", " ", "--json"])
    assert blank.exit_code == 1 and "product_empty" in blank.output
