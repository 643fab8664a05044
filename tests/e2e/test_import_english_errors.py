"""QA pass 5 (E10): the English import page said "…nothing was changed. the file is empty" and showed a Python
exception name ("(BadZipFile)") for a damaged workbook. A file-level refusal is a sentence a clerk can act on; the
technical cause goes to the log. The Chinese page keeps its own texts."""

from __future__ import annotations

import logging
import re

import pytest

from ..conftest import csrf_of

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
FILES = {"empty.csv": b"", "damaged.xlsx": b"PK\x03\x04 a download cut off long before its end",
         "photo.csv": bytes(range(256)) * 64, "people.csv": "name,age\nfoo,1\n".encode()}


def _alert(client, name: str) -> str:
    page = client.post("/imports/orders", data={"csrf_token": csrf_of(client, "/imports/orders")},
                       files={"file": (name, FILES[name])}).text
    alert = page.split('class="alert error"', 1)[1].split("</div>\n</div>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", alert.split(">", 1)[1])).strip()


@sqlite_only
def test_the_english_page_gives_file_refusals_as_sentences_without_exception_names(owner_client, caplog):
    owner_client.get("/lang/en")
    shown = {}
    with caplog.at_level(logging.WARNING):
        for name in FILES:
            shown[name] = _alert(owner_client, name)
    assert shown["empty.csv"].endswith("nothing was changed. The file is empty: there is nothing to import.")
    damaged = shown["damaged.xlsx"]
    assert "BadZipFile" not in damaged and "The workbook is damaged" in damaged and "save it again" in damaged
    assert "BadZipFile" in caplog.text  # the cause is kept for whoever reads the log
    assert "This is not a CSV or XLSX file" in shown["photo.csv"]
    assert "This is not an order export: the required column(s) 主订单编号" in shown["people.csv"]
    for text in shown.values():
        message = text.split("nothing was changed. ", 1)[1]
        assert message[0].isupper() and message.endswith("."), text


@sqlite_only
def test_the_chinese_page_keeps_its_texts(owner_client):
    assert "文件是空的" in _alert(owner_client, "empty.csv")
    assert "这不是抖店的订单导出文件" in _alert(owner_client, "damaged.xlsx")
