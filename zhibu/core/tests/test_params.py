"""The one parser of integers, ids and years typed into URLs and forms (boundary table)."""

import pytest
from django.core.exceptions import ValidationError

from zhibu.core.params import MAX_ID, parse_int, parse_year


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1921", 1921), ("2100", 2100), (" 2026 ", 2026), ("２０２６", 2026), (2026, 2026)],
)
def test_years_accepted(raw, expected):
    assert parse_year(raw) == expected


@pytest.mark.parametrize("raw", ["1920", "2101", "0", "-1", "abc", "2026.5", "9" * 30, "٢٠٢٦"])
def test_years_refused_with_the_field_named(raw):
    with pytest.raises(ValidationError) as exc:
        parse_year(raw)
    assert "年度" in exc.value.message_dict["year"][0]


def test_empty_uses_the_default_or_asks():
    assert parse_year("", default=2026) == 2026
    with pytest.raises(ValidationError, match="请填写年度"):
        parse_year(None)


def test_ids_stop_at_the_largest_primary_key():
    assert parse_int(str(MAX_ID), field="id", label="编号", lo=1, hi=MAX_ID) == MAX_ID
    with pytest.raises(ValidationError):
        parse_int(str(MAX_ID + 1), field="id", label="编号", lo=1, hi=MAX_ID)
