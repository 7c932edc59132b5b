"""Importing the organization structure from Excel: all or nothing, errors by row and column."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from zhibu.orgs.models import Organization, OrgEvent, OrgKind
from zhibu.orgs.structure import COLUMNS, structure_import, structure_template

pytestmark = pytest.mark.django_db

HEADER = ["上级组织", "组织名称*", "组织类型*", "单位类别", "成立日期", "固定党日"]


def book(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


COMMITTEE = [
    ["", "市直机关工委", "党工委", "机关", "2001-07-01", ""],
    ["市直机关工委", "财政局党支部", "党支部", "", "2019/7/1", "15"],
    ["市直机关工委", "教育局党支部", "支部", "学校", "", "20"],
    ["财政局党支部", "第一党小组", "党小组", "", "", ""],
]


def errors(result) -> list[tuple]:
    return [(e.row, e.column, e.message) for e in result.errors]


def test_superuser_imports_a_committee_with_two_branches(world):
    result = structure_import(actor=world.superuser, file=book(COMMITTEE))
    assert result.ok, errors(result)
    assert (result.created, result.existing) == (4, 0)
    top = Organization.objects.get(name="市直机关工委")
    assert top.parent is None and top.kind == OrgKind.ORGANS_WORK_COMMITTEE
    finance = Organization.objects.get(name="财政局党支部")
    assert finance.parent == top and finance.fixed_party_day == 15
    assert finance.founded_on.isoformat() == "2019-07-01"
    assert Organization.objects.get(name="教育局党支部").category == "school"
    group = Organization.objects.get(name="第一党小组", parent=finance)
    assert group.path.startswith(finance.path)
    assert OrgEvent.objects.filter(org=group, kind="imported", actor=world.superuser).exists()
    # the same file again writes nothing
    again = structure_import(actor=world.superuser, file=book(COMMITTEE))
    assert again.ok and (again.created, again.existing) == (0, 4)
    assert Organization.objects.filter(name="财政局党支部").count() == 1


def test_rows_in_any_order_and_under_an_existing_organization(world):
    rows = [
        ["机关党总支", "第三党支部", "党支部", "", "", ""],
        ["县直机关工委", "机关党总支", "党总支", "", "", ""],
    ]
    result = structure_import(actor=world.admin, file=book(rows))
    assert result.ok, errors(result)
    general = Organization.objects.get(name="机关党总支")
    assert general.parent == world.committee
    assert Organization.objects.get(name="第三党支部").parent == general


def test_every_error_reported_by_row_and_column_and_nothing_written(world):
    before = Organization.objects.count()
    rows = [
        ["县直机关工委", "第二党支部", "党支部", "", "", ""],  # 2: exists, same kind: fine
        ["县直机关工委", "新支部", "支委", "", "", ""],  # 3: bad kind
        ["外县工委", "外来支部", "党支部", "", "", ""],  # 4: parent outside scope
        ["县直机关工委", "甲支部", "党支部", "", "2019-02-30", "31"],  # 5: bad date, bad day
        ["县直机关工委", "甲支部", "党支部", "", "", ""],  # 6: duplicate of row 5
        ["第一党小组", "小组下", "党支部", "", "", ""],  # 7: under a party group
        ["", "无上级", "党支部", "", "", ""],  # 8: top level, not superuser
        ["乙", "甲乙", "党总支", "", "", ""],  # 9: loop 9 -> 10 -> 9
        ["甲乙", "乙", "党总支", "", "", ""],  # 10
        ["县直机关工委", "第一党支部", "党总支", "", "", ""],  # 11: same name, other kind
    ]
    result = structure_import(actor=world.admin, file=book(rows))
    assert not result.ok
    found = errors(result)
    assert (3, "组织类型", "“支委”无法识别，请填写 党委、党工委、党总支、党支部 或 党小组") in found
    assert (
        4,
        "上级组织",
        "找不到上级组织“外县工委”：它既不在本文件中，也不是系统中您有权管理的组织。请核对名称",
    ) in found
    assert (5, "成立日期", "“2019-02-30”不是有效日期，请核对年月日") in found
    assert (5, "固定党日", "“31”不对，请填写每月第几天（1–28），如 15") in found
    assert (6, "组织名称", "与第 5 行重复：同一上级组织下不能有两个同名组织") in found
    assert (7, "上级组织", "党小组下不能再设组织") in found
    assert (8, "上级组织", "必填，请填写上级组织（只有系统管理员可以导入顶级组织）") in found
    loop = "上级组织形成了循环（本行最终又成了自己的上级），请核对"
    assert (9, "上级组织", loop) in found and (10, "上级组织", loop) in found
    assert (11, "组织名称", "“县直机关工委”下已有名为“第一党支部”的党支部，请换一个名称") in found
    assert not any(row == 2 for row, _c, _m in found)
    assert [r for r, _c, _m in found] == sorted(r for r, _c, _m in found)
    assert Organization.objects.count() == before
    assert result.summary() == f"发现 {len(found)} 处错误，未写入任何数据"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件是空的，请使用导入模板填写组织架构后再上传"),
        (b"not a workbook", "文件不是 Excel .xlsx 格式，请下载导入模板，填写后保存为 .xlsx 再上传"),
    ],
)
def test_unusable_files(world, data, message):
    result = structure_import(actor=world.admin, file=data)
    assert errors(result) == [(None, "", message)]


def test_missing_required_column(world):
    result = structure_import(actor=world.admin, file=book([["x", "y"]], ["上级组织", "组织名称"]))
    assert errors(result) == [
        (1, "", "缺少必填列：组织类型。请在第 1 行（表头）补上这些列名，或使用导入模板")
    ]


def test_dry_run_writes_nothing(world):
    rows = [["县直机关工委", "第三党支部", "党支部", "", "", ""]]
    result = structure_import(actor=world.admin, file=book(rows), dry_run=True)
    assert result.ok and result.created == 1
    assert result.summary() == "检查通过（未写入）：将新设 1 个组织，已存在 0 个"
    assert not Organization.objects.filter(name="第三党支部").exists()


def test_template_has_the_columns_and_imports_back(world):
    data = structure_template(parent_names=["县直机关工委"])
    ws = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[1]] == [c.title for c in COLUMNS]
    result = structure_import(actor=world.admin, file=data)
    assert errors(result) == [(None, "", "文件中没有组织数据：第 1 行表头下面是空的")]


# ---- the page ----


@pytest.mark.parametrize(
    ("who", "code"),
    [("outsider", 404), ("member_user", 404), ("secretary", 200), ("admin", 200)],
)
def test_page_permission_matrix(client, world, who, code):
    client.force_login(getattr(world, who))
    assert client.get(reverse("orgs:import")).status_code == code
    assert client.get(reverse("orgs:import-template")).status_code == code


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("orgs:import"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_page_shows_errors_as_the_roster_import_does(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.admin)
    rows = [
        ["县直机关工委", "第二党支部", "党支部", "", "", ""],
        ["外县工委", "x", "党支部", "", "", ""],
    ]
    upload = SimpleUploadedFile("org.xlsx", book(rows))
    response = client.post(reverse("orgs:import"), {"file": upload})
    html = response.content.decode()
    assert 'data-testid="import-errors"' in html
    assert 'data-row="3"' in html and "找不到上级组织“外县工委”" in html
    upload = SimpleUploadedFile("org.xlsx", book(rows[:1] + [["县直机关工委", "新", "党支部"]]))
    response = client.post(reverse("orgs:import"), {"file": upload})
    assert "导入成功：新设 1 个组织，已存在 1 个" in response.content.decode()


def test_import_query_count_does_not_grow_with_rows(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def tree(top: str, branches: int) -> bytes:
        rows = [["县直机关工委", top, "党总支", "", "", ""]]
        for i in range(branches):
            rows.append([top, f"{top}第{i}支部", "党支部", "", "", ""])
            rows.append([f"{top}第{i}支部", "第一党小组", "党小组", "", "", ""])
        return book(rows)

    def count(data: bytes) -> int:
        with CaptureQueriesContext(connection) as ctx:
            result = structure_import(actor=world.admin, file=data)
        assert result.ok, errors(result)
        return len(ctx.captured_queries)

    count(tree("丙总支", 1))  # the account's scope is read once, then cached
    small, large = count(tree("甲总支", 2)), count(tree("乙总支", 30))
    assert small == large
    assert Organization.objects.filter(parent__name="乙总支").count() == 30
    group = Organization.objects.filter(name="第一党小组", parent__parent__name="乙总支").first()
    assert group.path.startswith(group.parent.path) and group.depth == 3
    assert OrgEvent.objects.filter(org=group, kind="imported").exists()


def test_bulk_create_rechecks_scope_names_and_placement(world):
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from zhibu.orgs.services import orgs_create_bulk

    spec = {"name": "第二党支部", "kind": "branch", "parent": world.committee}
    with pytest.raises(ValidationError) as refused:
        orgs_create_bulk(actor=world.admin, specs=[spec])
    assert "已有名为“第二党支部”" in refused.value.message_dict["name"][0]
    with pytest.raises(Http404):
        orgs_create_bulk(actor=world.admin, specs=[{**spec, "parent": world.outside}])
    with pytest.raises(ValidationError):
        orgs_create_bulk(actor=world.admin, specs=[{**spec, "name": "x", "parent": world.group}])
    assert not Organization.objects.filter(name="x").exists()
