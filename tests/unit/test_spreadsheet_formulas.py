"""Other people's text in the desk's spreadsheets never becomes a formula: CSV cells that would start one get an
apostrophe that reading the file back removes exactly; XLSX cells starting with "=" stay text cells."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from xiaodian.spreadsheets import TEXT, csv_text, unguarded, write_sheet


@given(st.text(alphabet="'=+-@\t\rab 米", max_size=10))
def test_the_csv_guard_round_trips_and_leaves_no_formula_start(value):
    guarded = csv_text(value)
    assert unguarded(guarded) == value
    assert guarded == value or guarded == "'" + value
    assert not guarded.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_plain_values_and_numbers_pass_untouched():
    assert [csv_text(v) for v in ("五常大米", "45.90", "", 7, None)] == ["五常大米", "45.90", "", 7, None]
    assert unguarded("'ok") == "'ok"  # an apostrophe the guard did not add stays


def test_xlsx_text_starting_with_equals_is_a_text_cell():
    data, count = write_sheet("x", ["note"], [[('=HYPERLINK("http://evil.example/","x")', TEXT)], [("=1+1", TEXT)]])
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2))
    assert count == 2 and [(r[0].value, r[0].data_type) for r in rows] == [
        ('=HYPERLINK("http://evil.example/","x")', "s"), ("=1+1", "s")]
