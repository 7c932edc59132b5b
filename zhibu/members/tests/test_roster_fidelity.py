"""Roster import data fidelity: OOXML `_xHHHH_` escapes decoded, emoji and control characters
refused in names, and a sheet formatted far below its data read only up to the data."""

import io
import time
import zipfile

import pytest
from openpyxl import load_workbook

from zhibu.members.models import Member
from zhibu.members.roster import _clean_text, roster_import, roster_parse
from zhibu.members.tests.test_roster import HEADERS, good_row, pinned_time, xlsx  # noqa: F401

pytestmark = pytest.mark.django_db


def test_ooxml_escapes_are_decoded():
    assert _clean_text("第一党支部_x000D_") == "第一党支部"
    assert _clean_text("A_x0041_") == "AA"
    # `_x005F_` is an escaped underscore: the text really was "_x0000_".
    assert _clean_text("_x005F_x0000_") == "_x0000_"


def test_an_escaped_carriage_return_in_a_name_is_not_stored_literally(world):
    result = roster_import(actor=world.admin, file=xlsx([good_row(1, 姓名="李_x000D_四")]))
    assert result.ok, result.errors
    assert Member.objects.filter(name="李四").exists()
    assert not Member.objects.filter(name__contains="_x").exists()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("张三😀", "第 3 个字符“😀”是表情或符号"),
        ("王👍🏻", "第 2 个字符“👍”是表情或符号"),
        ("赵_x0000_五", "第 2 个字符是不可见的控制字符（U+0000）"),
        ("钱\u200b六", "第 2 个字符是不可见的控制字符（U+200B）"),
        ("Anna_x0007_", "第 5 个字符是不可见的控制字符（U+0007）"),
    ],
)
def test_emoji_and_control_characters_in_names_are_refused_with_row_and_column(world, name, reason):
    before = Member.objects.count()
    result = roster_import(actor=world.admin, file=xlsx([good_row(1), good_row(2, 姓名=name)]))
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, "姓名")]
    assert reason in result.errors[0].message
    assert Member.objects.count() == before


def test_names_people_really_have_are_accepted(world):
    names = ["阿依古丽·买买提", "Mary-Ann O'Neil", "欧阳　娜"]
    rows = [good_row(n, 姓名=name) for n, name in enumerate(names, start=1)]
    result = roster_import(actor=world.admin, file=xlsx(rows))
    assert result.ok, result.errors
    assert set(
        Member.objects.filter(
            name__in=["阿依古丽·买买提", "Mary-Ann O'Neil", "欧阳娜"]
        ).values_list("name", flat=True)
    ) == {"阿依古丽·买买提", "Mary-Ann O'Neil", "欧阳娜"}


def _with_blank_rows(data: bytes, first: int, last: int) -> bytes:
    """The workbook with rows first..last present but empty (a formatted cell each), as a
    sheet formatted down to the bottom is saved."""
    source = zipfile.ZipFile(io.BytesIO(data))
    sheet_name = "xl/worksheets/sheet1.xml"
    sheet = source.read(sheet_name).decode()
    blank = "".join(f'<row r="{n}"><c r="A{n}" s="0"/></row>' for n in range(first, last + 1))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            body = source.read(name)
            if name == sheet_name:
                body = sheet.replace("</sheetData>", blank + "</sheetData>").encode()
            target.writestr(name, body)
    return out.getvalue()


def test_a_million_blank_rows_after_the_data_cost_under_a_second():
    data = _with_blank_rows(xlsx([good_row(1), good_row(2)]), 4, 1_000_000)
    started = time.perf_counter()
    rows, errors = roster_parse(data)
    elapsed = time.perf_counter() - started
    assert (len(rows), errors) == (2, [])
    assert elapsed < 1, elapsed  # 6.3 s before the scan for the last row with a value


def test_a_far_blank_cell_and_a_row_after_a_gap(world):
    wb = load_workbook(io.BytesIO(xlsx([good_row(1)])))
    ws = wb.active
    for column, header in enumerate(HEADERS, start=1):  # a real row after a gap is read...
        ws.cell(500, column).value = good_row(500).get(header.rstrip("*"))
    ws.cell(1_000_000, 3).value = " "  # ...and a blank cell far below is nothing
    buffer = io.BytesIO()
    wb.save(buffer)
    started = time.perf_counter()
    rows, errors = roster_parse(buffer.getvalue())
    assert time.perf_counter() - started < 1
    assert errors == []
    assert [r.row for r in rows] == [2, 500]


def test_a_missing_name_below_the_data_of_a_formatted_sheet_is_still_reported(world):
    data = _with_blank_rows(xlsx([good_row(1), good_row(2, 姓名=None)]), 4, 200_000)
    rows, errors = roster_parse(data)
    assert [(e.row, e.column) for e in errors] == [(3, "姓名")]
