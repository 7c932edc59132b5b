from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zhibu.compliance import selectors
from zhibu.compliance.exports import header_row, table_rows
from zhibu.compliance.tests.conftest import make_obligation
from zhibu.core import periods
from zhibu.orgs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def sheet_rows(content: bytes, title: str = "达标情况") -> list[list]:
    wb = load_workbook(BytesIO(content))
    return [list(r) for r in wb[title].iter_rows(values_only=True)]


def seed(world):
    make_obligation(world.branch, status="met")
    make_obligation(
        world.branch,
        "general_meeting_quarterly",
        family="meetings",
        status="not_met",
        pattern="time_squeezed",
    )
    make_obligation(
        world.branch,
        "organ_member_report_quarterly",
        family="reports",
        member=world.member,
        status="met",
    )
    make_obligation(
        world.branch,
        "organ_member_report_quarterly",
        family="reports",
        member=world.other_member,
        status="at_risk",
        pattern="people_missing",
    )
    make_obligation(world.sibling, status="at_risk", pattern="perfunctory")
    make_obligation(world.outside, status="not_met")


def test_export_matches_the_table_on_screen(client, world, now):
    seed(world)
    client.force_login(world.admin)
    page = client.get(
        reverse("compliance:dashboard", args=[world.committee.pk]) + "?period=2026-10"
    )
    res = client.get(reverse("compliance:export", args=[world.committee.pk]) + "?period=2026-10")
    assert res.status_code == 200
    assert res["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in res["Content-Disposition"]
    rows = sheet_rows(res.content)
    assert rows[0][0] == "县直机关工委 · 2026年10月 · 组织生活达标情况"
    assert rows[1][0] == "数据评估时间：2026-10-25 10:00"
    header, body = rows[2], rows[3:]
    assert header == page.context["header"]
    on_screen = [[row.name, *[t for t, _s in cells]] for row, cells in page.context["table"]]
    assert [list(r) for r in body] == on_screen
    assert body[0] == [
        "第一党支部",
        "未达标 2/4",
        "达标",
        "未达标",
        "—",
        "—",
        "—",
        "需关注 1/2",
        "—",
        "—",
    ]
    assert "外县党支部" not in [r[0] for r in body]
    patterns = dict(sheet_rows(res.content, "问题类型")[1:])
    assert patterns == {
        "时间经常被挤占": 1,
        "落实经常走过场": 1,
        "内容经常有遗漏": 0,
        "人员经常到不齐": 1,
    }


def test_export_follows_grouping_and_period(client, world, now):
    seed(world)
    client.force_login(world.admin)
    url = reverse("compliance:export", args=[world.committee.pk]) + "?period=2026Q3&by=child"
    rows = sheet_rows(client.get(url).content)
    assert rows[2][0] == "组织"
    assert all(cell == "—" for row in rows[3:] for cell in row[1:])  # nothing in Q3


def test_export_permission(client, world, now):
    url = reverse("compliance:export", args=[world.committee.pk])
    assert client.get(url).status_code == 302
    for user in (world.secretary, world.member_user, world.outsider, world.sibling_secretary):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(world.admin)
    assert client.get(reverse("compliance:export", args=[world.outside.pk])).status_code == 404


def test_export_query_count_independent_of_branches(
    client, world, now, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.admin)
    url = reverse("compliance:export", args=[world.committee.pk])
    seed(world)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(30):
        make_obligation(OrganizationFactory(name=f"支部{i}", parent=world.committee))
    with django_assert_max_num_queries(len(few)):
        rows = sheet_rows(client.get(url).content)
    assert len(rows) == 3 + 32


def test_table_rows_helper_is_what_the_export_writes(world, now):
    seed(world)
    board = selectors.compliance_dashboard(
        user=world.admin, org=world.committee, period=periods.parse("2026-10")
    )
    assert header_row(board)[:2] == ["支部", "总体"]
    assert table_rows(board)[1][:3] == ["第二党支部", "需关注", "需关注"]


def test_export_colours_by_light_and_writes_open_hints_and_trend(client, world, now):
    make_obligation(world.branch, period_key="2026-09", status="at_risk")  # stale → red
    make_obligation(world.branch, status="open")
    make_obligation(
        world.sibling,
        "party_lecture_quarterly",
        family="meetings",
        period_key="2026Q4",
        status="not_met",
        severity="low",
    )
    make_obligation(world.sibling, status="open")
    client.force_login(world.admin)
    url = reverse("compliance:export", args=[world.committee.pk]) + "?period=2026"
    content = client.get(url).content
    wb = load_workbook(BytesIO(content))
    ws = wb["达标情况"]
    assert [ws.cell(row=r, column=2).value for r in (4, 5)] == ["未达标 0/2", "进行中 0/2 · 提示 1"]
    assert [ws.cell(row=r, column=2).fill.fgColor.rgb for r in (4, 5)] == ["00FFCDD2", "00DCE6F0"]
    # the same cells as numbers, one row per organization and family, to sort and filter
    detail = sheet_rows(content, "明细")
    assert detail[0] == ["组织", "类别", "状态", "达标", "适用", "未达标", "有风险", "提示"]
    assert ["第一党支部", "总体", "未达标", 0, 2, 1, 0, 0] in detail
    assert ["第二党支部", "总体", "进行中", 0, 2, 1, 0, 1] in detail
    assert wb["明细"].freeze_panes == "A2" and wb["明细"]["D1"].font.bold
    assert sheet_rows(content, "按规则") == [
        ["规则", "类别", "达标", "进行中", "有风险", "未达标", "不适用", "其中提示"],
        [selectors.rule_name("organ_party_day_monthly"), "主题党日", 0, 2, 0, 1, 0, 0],
        [selectors.rule_name("party_lecture_quarterly"), "三会一课", 0, 0, 0, 1, 0, 1],
    ]
    trend = sheet_rows(content, "月度趋势")
    assert trend[0] == ["月份", "支部数", "达标", "进行中", "需关注", "未达标", "达标率(%)"]
    by_month = {r[0]: r[1:] for r in trend[1:]}
    assert by_month["2026-09"] == [1, 0, 0, 0, 1, 0]
    assert by_month["2026-10"] == [2, 0, 2, 0, 0, 0]


def test_dashboard_export_has_no_formula(world, client, now):
    """A branch named "=…" is exported as text, not as a live formula."""
    from zhibu.core.tests.test_xlsx import EVIL, formulas

    world.branch.name = EVIL[0]
    world.branch.save()
    make_obligation(world.branch, status="met")
    client.force_login(world.admin)
    url = reverse("compliance:export", args=[world.committee.pk]) + "?period=2026-10"
    content = client.get(url).content
    assert formulas(content) == []
    rows = load_workbook(BytesIO(content)).worksheets[0].iter_rows(values_only=True)
    assert EVIL[0] in {v for row in rows for v in row}
