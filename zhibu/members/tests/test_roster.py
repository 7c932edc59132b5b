"""Roster import/export: the workbook format, every kind of bad input, scope, round trips."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import to_excel

from zhibu.accounts.models import User
from zhibu.members.models import BranchTenure, Member
from zhibu.members.roster import (
    COLUMNS,
    DATA_SHEET,
    ETHNICITIES,
    HELP_SHEET,
    roster_export,
    roster_import,
    roster_parse,
    roster_template,
)
from zhibu.members.tests.factories import MemberFactory, make_id_number
from zhibu.orgs.models import OrgKind
from zhibu.orgs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 1)
HEADERS = [c.header for c in COLUMNS]


@pytest.fixture(autouse=True)
def pinned_time():
    with time_machine.travel(datetime(2026, 5, 1, 10, 0).astimezone(), tick=False):
        yield


def good_row(n: int, branch: str = "第一党支部", **changes) -> dict:
    birth = date(1985, 1, 1) + timedelta(days=n)
    row = {
        "姓名": f"测试{n}",
        "性别": "男" if n % 2 else "女",
        "民族": "汉族",
        "出生日期": None,
        "身份证号": make_id_number(n, birth),
        "手机号": f"137{n:08d}",
        "学历": "大学本科",
        "入党日期": "2010-07-01",
        "党员类别": "正式党员",
        "转正日期": "2011-07-01",
        "领导干部": "否",
        "所在支部": branch,
        "党小组": None,
    }
    row.update(changes)
    return row


def xlsx(rows: list[dict], headers: list[str] | None = None, above: list[list] = ()) -> bytes:
    """A workbook as a person would make it: optional title rows, a header row, data rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    for line in above:
        ws.append(line)
    headers = headers or HEADERS
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h.rstrip("*")) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def counts() -> tuple[int, int]:
    return Member.objects.count(), BranchTenure.objects.count()


def only_error(result):
    assert not result.ok
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


# --- the template ----------------------------------------------------------------------------


def test_template_has_header_instructions_text_formats_and_dropdowns():
    wb = load_workbook(io.BytesIO(roster_template(branch_names=["第一党支部", "第二党支部"])))
    assert wb.sheetnames[0] == DATA_SHEET
    assert HELP_SHEET in wb.sheetnames
    ws = wb[DATA_SHEET]
    header = [c.value for c in ws[1]]
    assert header == [c.title for c in COLUMNS]
    assert header[0] == "姓名*" and "民族" in header  # required columns carry a star
    id_col = HEADERS.index("身份证号") + 1
    assert ws.cell(row=2, column=id_col).number_format == "@"
    ranges = {str(dv.sqref).split(":")[0][:1] for dv in ws.data_validations.dataValidation}
    letters = {
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[HEADERS.index(h)] for h in ("性别", "党员类别", "所在支部")
    }
    assert letters <= ranges
    help_text = " ".join(str(c.value) for row in wb[HELP_SHEET].iter_rows() for c in row if c.value)
    assert "身份证号" in help_text and "2019年7月1日" in help_text
    assert len(ETHNICITIES) == 56
    # An untouched template imports as "empty", not as garbage.
    rows, errors = roster_parse(roster_template())
    assert rows == [] and "没有党员数据" in errors[0].message


# --- happy paths -----------------------------------------------------------------------------


def test_import_creates_members_with_tenures_and_party_group(world):
    before = counts()
    data = xlsx([good_row(1, 党小组="第一党小组"), good_row(2, 党员类别="预备党员", 转正日期=None)])
    result = roster_import(actor=world.admin, file=data)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert counts() == (before[0] + 2, before[1] + 2)
    first = Member.objects.get(id_number=good_row(1)["身份证号"])
    assert first.branch == world.branch and first.party_group == world.group
    assert first.birth_date == date(1985, 1, 2)  # taken from the ID number
    assert first.gender == "male" and first.education == "bachelor"
    assert first.full_member_date == date(2011, 7, 1)
    tenure = first.tenures.get()
    assert (tenure.branch, tenure.party_group, tenure.start, tenure.end) == (
        world.branch,
        world.group,
        date(2010, 7, 1),
        None,
    )
    second = Member.objects.get(id_number=good_row(2)["身份证号"])
    assert second.status == "probationary_member" and second.full_member_date is None


@pytest.mark.parametrize(
    "typed",
    [
        "2010-07-01",
        "2010/7/1",
        "2010.7.1",
        "2010年7月1日",
        "2010 年 7 月 1 日",
        "２０１０－０７－０１",
        "２０１０年７月１日",
        " 2010-07-01 ",
        "20100701",
        "2010-07-01 00:00:00",
        date(2010, 7, 1),
        datetime(2010, 7, 1, 0, 0),
        int(to_excel(datetime(2010, 7, 1))),  # a date typed into a cell formatted as number
    ],
)
def test_dates_as_people_type_them(world, typed):
    result = roster_import(actor=world.admin, file=xlsx([good_row(1, 入党日期=typed)]))
    assert result.ok, result.errors
    assert Member.objects.get(id_number=good_row(1)["身份证号"]).join_date == date(2010, 7, 1)


def test_spaces_full_width_digits_and_common_variants_are_cleaned(world):
    id_number = make_id_number(8, date(1990, 2, 3))  # even: a woman
    assert id_number[-1] != "X" or True
    full_width = id_number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    row = good_row(
        7,
        姓名=" 张　三 ",
        性别="女性",
        民族="回",
        身份证号=f" {full_width[:6]} {full_width[6:]} ",
        手机号="138 0013 8000",
        学历="本科",
        党员类别="预备",
        转正日期=None,
        领导干部="Y",
        所在支部=" 第一党支部 ",
        党小组="第一党小组 ",
    )
    result = roster_import(actor=world.admin, file=xlsx([row]))
    assert result.ok, result.errors
    m = Member.objects.get(id_number=id_number)
    assert (m.name, m.gender, m.ethnicity, m.phone) == ("张三", "female", "回族", "13800138000")
    assert (m.education, m.status, m.is_leading_cadre) == ("bachelor", "probationary_member", True)
    assert m.party_group == world.group


def test_title_rows_above_header_and_unknown_columns_are_tolerated(world):
    headers = ["序号", *HEADERS, "备注"]
    data = xlsx([good_row(1) | {"序号": 1, "备注": "x"}], headers, above=[["第一党支部党员花名册"]])
    result = roster_import(actor=world.admin, file=data)
    assert result.ok, result.errors
    assert result.created == 1 and result.ignored_columns == ["序号", "备注"]


def test_header_aliases_from_other_systems(world):
    aliases = {"身份证号": "公民身份号码", "所在支部": "所在党支部", "手机号": "联系电话"}
    headers = [aliases.get(h, h) for h in HEADERS]
    rows = [{aliases.get(k, k): v for k, v in good_row(1).items()}]
    result = roster_import(actor=world.admin, file=xlsx(rows, headers))
    assert result.ok, result.errors


def test_dry_run_checks_everything_and_writes_nothing(world):
    before = counts()
    result = roster_import(actor=world.admin, file=xlsx([good_row(1), good_row(2)]), dry_run=True)
    assert result.ok and result.dry_run and result.created == 2
    assert "未写入" in result.summary()
    assert counts() == before


# --- bad input: every problem reported, nothing written -----------------------------------------

BAD_CELLS = [
    ("身份证号", make_id_number(1, date(1985, 1, 2))[:17] + "0", "校验位"),
    ("身份证号", "11010119850102001", "18位"),
    ("身份证号", 1.10101198501021e17, "文本"),
    ("身份证号", "110101********0011", "打码"),
    ("入党日期", "2010-13-01", "不是有效日期"),
    ("入党日期", "去年七一", "不是可识别的日期"),
    ("入党日期", "2010.07", "只写到了月份"),
    ("入党日期", "2026-06-01", "晚于今天"),
    ("入党日期", "2000-07-01", "未满18周岁"),
    ("出生日期", "1985-01-03", "不一致"),
    ("转正日期", "2009-07-01", "不能早于入党日期"),
    ("性别", "未知", "“男”或“女”"),
    ("民族", "火星族", "民族名称"),
    ("学历", "幼儿园", "研究生"),
    ("党员类别", "积极分子", "正式党员"),
    ("领导干部", "也许", "“是”或“否”"),
    ("手机号", "12345", "手机号"),
    ("姓名", None, "必填"),
    ("姓名", "   ", "必填"),
    ("所在支部", "不存在的支部", "找不到党支部"),
    ("党小组", "第九党小组", "没有名为“第九党小组”的党小组"),
]


@pytest.mark.parametrize(("column", "value", "reason"), BAD_CELLS)
def test_each_bad_cell_is_reported_with_row_column_and_reason(world, column, value, reason):
    before = counts()
    changes = {column: value}
    data = xlsx([good_row(1, **changes), good_row(2)])
    error = only_error(roster_import(actor=world.admin, file=data))
    assert (error.row, error.column) == (2, column)
    assert reason in error.message
    assert counts() == before


def test_probationary_member_with_conversion_date_is_an_error(world):
    data = xlsx([good_row(1, 党员类别="预备党员")])
    error = only_error(roster_import(actor=world.admin, file=data))
    assert error.column == "转正日期" and "预备党员不应填写转正日期" in error.message


def test_duplicate_id_numbers_within_the_file(world):
    before = counts()
    same = good_row(1)["身份证号"]
    data = xlsx([good_row(1), good_row(2), good_row(3, 身份证号=same)])
    error = only_error(roster_import(actor=world.admin, file=data))
    assert (error.row, error.column) == (4, "身份证号")
    assert "第 2 行" in error.message
    assert counts() == before


def test_id_number_of_a_member_outside_scope_is_a_conflict_that_reveals_nobody(world):
    before = counts()
    row = good_row(1, 身份证号=world.outside_member.id_number)
    error = only_error(roster_import(actor=world.admin, file=xlsx([row])))
    assert error.column == "身份证号" and "管理范围以外" in error.message
    for secret in ("孙党员", "外县", world.outside_member.name):
        assert secret not in error.message
    assert counts() == before
    assert Member.objects.get(pk=world.outside_member.pk).name == "孙党员"


def test_inactive_member_is_not_revived_by_import(world):
    Member.objects.filter(pk=world.other_member.pk).update(is_active=False)
    row = good_row(1, 身份证号=world.other_member.id_number)
    error = only_error(roster_import(actor=world.admin, file=xlsx([row])))
    assert "不在册" in error.message


def test_id_number_of_another_member_in_scope_does_not_rename_them(world):
    row = good_row(1, 身份证号=world.other_member.id_number)
    error = only_error(roster_import(actor=world.secretary, file=xlsx([row])))
    assert error.column == "身份证号" and "已属于党员“王党员”" in error.message
    assert Member.objects.get(pk=world.other_member.pk).name == "王党员"


def test_missing_required_columns_is_one_clear_error(world):
    headers = [h for h in HEADERS if h not in ("身份证号", "入党日期")]
    error = only_error(roster_import(actor=world.admin, file=xlsx([good_row(1)], headers)))
    assert error.row == 1
    assert "缺少必填列" in error.message and "身份证号、入党日期" in error.message


def test_duplicate_columns_are_reported(world):
    headers = [*HEADERS, "身份证号码"]
    error = only_error(roster_import(actor=world.admin, file=xlsx([good_row(1)], headers)))
    assert "出现了两次" in error.message


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "文件是空的"),
        (xlsx([], headers=[None]), "文件是空的"),
        (xlsx([]), "没有党员数据"),
        (xlsx([], headers=["甲", "乙"], above=[["随便写的"]]), "找不到表头行"),
        ("姓名,身份证号\n张三,1\n".encode(), "不是 Excel .xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
    ],
)
def test_file_level_problems(world, data, reason):
    before = counts()
    error = only_error(roster_import(actor=world.admin, file=data))
    assert error.row is None or error.row == 1
    assert reason in error.message
    assert counts() == before


def test_a_zip_that_is_not_a_workbook(world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("word/document.xml", "<x/>")
    error = only_error(roster_import(actor=world.admin, file=buffer.getvalue()))
    assert "无法作为 Excel 工作簿打开" in error.message


def test_fifty_rows_three_bad_then_corrected_then_unchanged(world):
    before = counts()
    rows = [good_row(n) for n in range(1, 51)]
    bad = dict(rows[3]), dict(rows[18]), dict(rows[38])  # Excel rows 5, 20 and 40
    rows[3] = bad[0] | {"性别": "X"}
    rows[18] = bad[1] | {
        "身份证号": bad[1]["身份证号"][:17] + ("1" if bad[1]["身份证号"][17] != "1" else "2")
    }
    rows[38] = bad[2] | {"所在支部": "第二党支部"} | {"所在支部": "不存在支部"}
    result = roster_import(actor=world.admin, file=xlsx(rows))
    assert result.error_rows == [5, 20, 40]
    assert [e.column for e in result.errors] == ["性别", "身份证号", "所在支部"]
    assert counts() == before

    rows[3], rows[18], rows[38] = bad
    result = roster_import(actor=world.admin, file=xlsx(rows))
    assert result.ok and (result.created, result.updated, result.unchanged) == (50, 0, 0)
    assert counts() == (before[0] + 50, before[1] + 50)
    stamps = dict(Member.objects.values_list("pk", "updated_at"))

    with time_machine.travel(datetime(2026, 5, 2, 9, 0).astimezone(), tick=False):
        result = roster_import(actor=world.admin, file=xlsx(rows))
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 0, 50)
    assert counts() == (before[0] + 50, before[1] + 50)
    assert dict(Member.objects.values_list("pk", "updated_at")) == stamps


def test_reimport_updates_changed_fields_only_and_never_duplicates(world):
    roster_import(actor=world.admin, file=xlsx([good_row(1), good_row(2)]))
    result = roster_import(
        actor=world.admin,
        file=xlsx([good_row(1, 手机号="13912345678", 学历=None), good_row(2)]),
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    m = Member.objects.get(id_number=good_row(1)["身份证号"])
    assert m.phone == "13912345678"
    assert m.education == "bachelor"  # a blank optional cell does not erase
    assert Member.objects.filter(id_number=good_row(1)["身份证号"]).count() == 1


def test_party_group_change_within_branch_updates_the_open_tenure(world):
    roster_import(actor=world.admin, file=xlsx([good_row(1)]))
    result = roster_import(actor=world.admin, file=xlsx([good_row(1, 党小组="第一党小组")]))
    assert result.updated == 1 and result.transferred == 0
    m = Member.objects.get(id_number=good_row(1)["身份证号"])
    assert m.party_group == world.group
    assert m.tenures.get().party_group == world.group
    result = roster_import(actor=world.admin, file=xlsx([good_row(1, 党小组=None)]))
    m.refresh_from_db()
    assert result.updated == 1 and m.party_group is None and m.tenures.get().party_group is None


def test_branch_change_is_a_transfer_that_keeps_history(world):
    roster_import(actor=world.admin, file=xlsx([good_row(1, 党小组="第一党小组")]))
    result = roster_import(actor=world.admin, file=xlsx([good_row(1, branch="第二党支部")]))
    assert result.ok, result.errors
    assert (result.updated, result.transferred) == (1, 1)
    m = Member.objects.get(id_number=good_row(1)["身份证号"])
    assert m.branch == world.sibling and m.party_group is None
    old, new = m.tenures.order_by("start")
    assert (old.branch, old.start, old.end) == (
        world.branch,
        date(2010, 7, 1),
        TODAY - timedelta(1),
    )
    assert (new.branch, new.start, new.end, new.note) == (world.sibling, TODAY, None, "名册导入")


def test_same_day_second_transfer_is_refused_cleanly(world):
    roster_import(actor=world.admin, file=xlsx([good_row(1)]))
    roster_import(actor=world.admin, file=xlsx([good_row(1, branch="第二党支部")]))
    before = counts()
    error = only_error(roster_import(actor=world.admin, file=xlsx([good_row(1)])))
    assert error.column == "所在支部" and "明天" in error.message
    assert counts() == before


def test_ambiguous_branch_names_need_the_parent(world):
    general = OrganizationFactory(
        name="机关总支", kind=OrgKind.GENERAL_BRANCH, parent=world.committee
    )
    OrganizationFactory(name="第三党支部", parent=world.committee)
    under_general = OrganizationFactory(name="第三党支部", parent=general)
    error = only_error(
        roster_import(actor=world.admin, file=xlsx([good_row(1, branch="第三党支部")]))
    )
    assert "有 2 个党支部都叫“第三党支部”" in error.message
    result = roster_import(
        actor=world.admin, file=xlsx([good_row(1, branch="机关总支/第三党支部")])
    )
    assert result.ok, result.errors
    assert Member.objects.get(id_number=good_row(1)["身份证号"]).branch == under_general


# --- scope -----------------------------------------------------------------------------------


def test_secretary_cannot_import_into_sibling_branch(world):
    before = counts()
    data = xlsx([good_row(1), good_row(2, branch="第二党支部")])
    error = only_error(roster_import(actor=world.secretary, file=data))
    assert (error.row, error.column) == (3, "所在支部")
    assert (
        "找不到党支部“第二党支部”" in error.message
    )  # same words as for a branch that does not exist
    assert counts() == before
    result = roster_import(actor=world.secretary, file=xlsx([good_row(1)]))
    assert result.ok and result.created == 1


def test_secretary_cannot_take_over_a_sibling_member_by_id_number(world):
    row = good_row(1, 身份证号=world.sibling_member.id_number)
    error = only_error(roster_import(actor=world.secretary, file=xlsx([row])))
    assert "管理范围以外" in error.message and "钱党员" not in error.message
    assert Member.objects.get(pk=world.sibling_member.pk).branch == world.sibling


def test_system_import_reaches_every_branch(world):
    result = roster_import(actor=None, file=xlsx([good_row(1, branch="外县党支部")]))
    assert result.ok and result.created == 1


# --- export ----------------------------------------------------------------------------------


def read_export(data: bytes) -> list[dict]:
    ws = load_workbook(io.BytesIO(data))[DATA_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "姓名*")
    header = [str(h).rstrip("*") for h in rows[start]]
    return [dict(zip(header, r, strict=True)) for r in rows[start + 1 :]]


def test_export_round_trip_changes_nothing(world):
    MemberFactory(name="周党员", branch=world.sibling, is_leading_cadre=True, education="junior")
    roster_import(
        actor=world.admin,
        file=xlsx([good_row(1, 党小组="第一党小组"), good_row(2, 党员类别="预备", 转正日期=None)]),
    )
    scope = Member.objects.filter(is_active=True)
    snapshot = list(Member.objects.order_by("pk").values())
    tenures = list(BranchTenure.objects.order_by("pk").values())
    data = roster_export(user=world.admin, queryset=scope)
    exported = read_export(data)
    assert {r["姓名"] for r in exported} >= {"张书记", "钱党员", "测试1", "周党员"}
    assert "孙党员" not in {r["姓名"] for r in exported}  # outside the admin's scope
    result = roster_import(actor=world.admin, file=data)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (0, 0) and result.unchanged == len(exported)
    assert list(Member.objects.order_by("pk").values()) == snapshot
    assert list(BranchTenure.objects.order_by("pk").values()) == tenures


def test_export_writes_parent_for_ambiguous_branch_names_and_round_trips(world):
    general = OrganizationFactory(
        name="机关总支", kind=OrgKind.GENERAL_BRANCH, parent=world.committee
    )
    OrganizationFactory(name="第一党支部", parent=general)
    data = roster_export(user=world.admin, queryset=Member.objects.all())
    branches = {r["所在支部"] for r in read_export(data)}
    assert "县直机关工委/第一党支部" in branches
    result = roster_import(actor=world.admin, file=data)
    assert result.ok and result.updated == 0, result.errors


def test_export_masks_personal_data_without_view_personal_and_cannot_be_reimported(world):
    data = roster_export(user=world.member_user, queryset=Member.objects.all())
    rows = {r["姓名"]: r for r in read_export(data)}
    assert set(rows) == {"张书记", "李党员", "王党员"}
    assert rows["李党员"]["身份证号"] == world.member.id_number  # their own record
    assert "*" in rows["王党员"]["身份证号"] and "*" in rows["王党员"]["手机号"]
    ws = load_workbook(io.BytesIO(data))[DATA_SHEET]
    assert "打码" in ws["A1"].value and "不能用于导入" in ws["A1"].value
    result = roster_import(actor=world.admin, file=data)
    assert not result.ok and all("打码" in e.message for e in result.errors)
    assert {e.row for e in result.errors} == {3, 5}


def test_export_query_count_does_not_grow(world, django_assert_max_num_queries):
    def measure() -> int:
        user = User.objects.get(pk=world.admin.pk)
        with CaptureQueriesContext(connection) as ctx:
            roster_export(user=user, queryset=Member.objects.all())
        return len(ctx)

    small = measure()
    for _ in range(25):
        MemberFactory(branch=world.sibling)
    assert measure() == small <= 6 + 3  # + 3: the export's audit row


# --- query counts ----------------------------------------------------------------------------


def test_import_query_count_is_the_same_for_5_and_30_rows(world):
    # (30: SQLite's 999-variable limit splits a bulk insert of 40 members, 27 columns each, in
    # two batches.)
    def measure(rows) -> int:
        actor = User.objects.get(pk=world.admin.pk)  # fresh: scope not cached
        with CaptureQueriesContext(connection) as ctx:
            result = roster_import(actor=actor, file=xlsx(rows))
        assert result.ok, result.errors
        return len(ctx)

    created_5 = measure([good_row(n, 党小组="第一党小组") for n in range(1, 6)])
    created_50 = measure([good_row(n, 党小组="第一党小组") for n in range(101, 131)])
    assert created_5 == created_50
    updated_5 = measure([good_row(n, 手机号=f"136{n:08d}") for n in range(1, 6)])
    updated_50 = measure([good_row(n, 手机号=f"136{n:08d}") for n in range(101, 131)])
    assert updated_5 == updated_50
    unchanged_5 = measure([good_row(n, 手机号=f"136{n:08d}") for n in range(1, 6)])
    unchanged_50 = measure([good_row(n, 手机号=f"136{n:08d}") for n in range(101, 131)])
    assert unchanged_5 == unchanged_50
    # + 3 for the import's audit rows (one insert for every member created or changed).
    assert max(created_50, updated_50, unchanged_50) <= 15 + 3


# --- pages -----------------------------------------------------------------------------------


def upload(client, data: bytes, name: str = "名册.xlsx", **extra):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("members:roster-import"), {"file": file, **extra})


def test_import_page_permissions(client, world):
    url = reverse("members:roster-import")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for user in (world.outsider, world.member_user):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(reverse("members:roster-template")).status_code == 404
        assert upload(client, xlsx([good_row(1)])).status_code == 404
    assert not Member.objects.filter(id_number=good_row(1)["身份证号"]).exists()
    client.force_login(world.secretary)
    response = client.get(url)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_import_page_success_and_error_report(client, world):
    client.force_login(world.secretary)
    response = upload(client, xlsx([good_row(1), good_row(2)]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "导入成功：新增 2，更新 0，未变 0" in page

    response = upload(client, xlsx([good_row(3), good_row(4, 性别="?", branch="第二党支部")]))
    page = response.content.decode()
    assert "发现 2 处错误，未导入任何数据" in page
    assert 'data-row="3"' in page and "第 3 行" in page and "所在支部" in page
    assert not Member.objects.filter(id_number=good_row(3)["身份证号"]).exists()

    response = upload(client, b"not a workbook", name="名册.csv")
    assert "不是 Excel .xlsx" in response.content.decode()

    response = upload(client, xlsx([good_row(5)]), dry_run="on")
    assert "检查通过（未写入）" in response.content.decode()
    assert not Member.objects.filter(id_number=good_row(5)["身份证号"]).exists()


def test_import_page_requires_csrf(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.secretary)
    assert upload(client, xlsx([good_row(1)])).status_code == 403


def test_template_download_lists_the_users_branches(client, world):
    client.force_login(world.secretary)
    response = client.get(reverse("members:roster-template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    options = [c.value for row in wb["选项"].iter_rows() for c in row if c.value]
    assert "第一党支部" in options and "第二党支部" not in options


def test_export_download_respects_scope_and_filters(client, world):
    client.force_login(world.sibling_secretary)
    response = client.get(reverse("members:roster-export"))
    assert response.status_code == 200
    assert {r["姓名"] for r in read_export(response.content)} == {"赵书记", "钱党员"}
    client.force_login(world.admin)
    response = client.get(reverse("members:roster-export"), {"branch": world.branch.pk})
    assert {r["姓名"] for r in read_export(response.content)} == {"张书记", "李党员", "王党员"}
    client.force_login(world.outsider)
    assert read_export(client.get(reverse("members:roster-export")).content) == []


# --- command line ----------------------------------------------------------------------------


def test_cli_import_success_errors_and_dry_run(world, tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([good_row(1), good_row(2)]))
    out = io.StringIO()
    call_command("import_roster", str(good), "--dry-run", stdout=out)
    assert "检查通过（未写入）：将新增 2，更新 0，未变 0" in out.getvalue()
    assert not Member.objects.filter(id_number=good_row(1)["身份证号"]).exists()

    out = io.StringIO()
    call_command("import_roster", str(good), stdout=out)
    assert out.getvalue().strip() == "导入成功：新增 2，更新 0，未变 0"
    out = io.StringIO()
    call_command("import_roster", str(good), stdout=out)
    assert out.getvalue().strip() == "导入成功：新增 0，更新 0，未变 2"

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([good_row(3), good_row(4, 性别="?"), good_row(5, 入党日期="昨天")]))
    out, err = io.StringIO(), io.StringIO()
    before = counts()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_roster", str(bad), stdout=out, stderr=err)
    assert exit_info.value.code == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == "第 R 行 | 列 | 原因"
    assert lines[1].startswith("第 3 行 | 性别 | ") and lines[2].startswith("第 4 行 | 入党日期 | ")
    assert "共 2 处错误，未写入任何数据" in err.getvalue()
    assert counts() == before


def test_cli_import_as_user_is_scoped(world, tmp_path):
    path = tmp_path / "sibling.xlsx"
    path.write_bytes(xlsx([good_row(1, branch="第二党支部")]))
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import_roster", str(path), "--as", "sec1", stdout=out, stderr=io.StringIO())
    assert "找不到党支部" in out.getvalue()
    call_command("import_roster", str(path), "--as", "sec2", stdout=io.StringIO())
    assert Member.objects.get(id_number=good_row(1)["身份证号"]).branch == world.sibling


def test_cli_export_then_import_round_trip(world, tmp_path):
    path = tmp_path / "out.xlsx"
    out = io.StringIO()
    call_command("export_roster", "--org", str(world.committee.pk), "-o", str(path), stdout=out)
    assert "共 5 名党员" in out.getvalue()
    assert {r["姓名"] for r in read_export(path.read_bytes())} == {
        "张书记",
        "李党员",
        "王党员",
        "赵书记",
        "钱党员",
    }
    out = io.StringIO()
    call_command("import_roster", str(path), stdout=out)
    assert out.getvalue().strip() == "导入成功：新增 0，更新 0，未变 5"
