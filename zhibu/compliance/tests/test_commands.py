"""`zhibu check` and `zhibu evaluate`: exit codes, formats, and the CLI names."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from zhibu.compliance.models import Obligation
from zhibu.members.tests.factories import MemberFactory
from zhibu.orglife.models import Meeting
from zhibu.orgs.models import OrgKind
from zhibu.orgs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
APRIL_2 = datetime(2026, 4, 2, 9, 0, tzinfo=SH)


def party_day(org, day: date) -> Meeting:
    start = datetime.combine(day, time(9, 0), tzinfo=SH)
    return Meeting.objects.create(
        org=org,
        meeting_type="party_day",
        topic="学习",
        planned_start=start,
        planned_end=start + timedelta(hours=3),
        actual_start=start,
        actual_end=start + timedelta(hours=3),
        status="confirmed",
    )


@pytest.fixture
def enterprise():
    """An enterprise branch (central profile only) that held its party day in March."""
    root = OrganizationFactory(
        name="某公司党委", kind=OrgKind.BASE_PARTY_COMMITTEE, category="enterprise"
    )
    branch = OrganizationFactory(name="车间党支部", parent=root, category="enterprise")
    MemberFactory(name="周党员", branch=branch)
    party_day(branch, date(2026, 3, 10))
    return root, branch


def check(*args) -> tuple[int, str]:
    out = StringIO()
    with time_machine.travel(APRIL_2, tick=False):
        try:
            call_command("compliance_check", *args, stdout=out)
        except SystemExit as exc:
            return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_exit_0_when_nothing_high_is_missed(enterprise):
    root, branch = enterprise
    code, out = check("--org", str(root.pk), "--period", "2026-03")
    assert code == 0
    assert "车间党支部" in out and "主题党日每月1次" in out
    assert "2026年3月：已开展主题党日 1 次" in out
    assert "依据：《中国共产党党员教育管理工作条例》第十六条" in out


def test_exit_1_on_high_not_met_and_json_is_parseable(enterprise, tmp_path):
    root, branch = enterprise
    code, out = check("--org", str(root.pk), "--period", "2026-02", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["period"] == "2026-02" and doc["failing"] >= 1
    missed = [r for r in doc["results"] if r["rule_id"] == "party_day_monthly"]
    assert missed[0]["status"] == "not_met" and missed[0]["severity"] == "high"
    assert missed[0]["explanation"].startswith(
        "2026年2月：开展主题党日 0 次，要求至少 1 次，还差 1 次"
    )
    target = tmp_path / "check.json"
    code, _ = check(
        "--org", str(root.pk), "--period", "2026-02", "--format", "json", "-o", str(target)
    )
    assert code == 1 and json.loads(target.read_text(encoding="utf-8"))["failing"] >= 1


def test_xlsx_opens_with_openpyxl(enterprise, tmp_path):
    root, _ = enterprise
    target = tmp_path / "check.xlsx"
    code, out = check(
        "--org", str(root.pk), "--period", "2026Q1", "--format", "xlsx", "-o", str(target)
    )
    assert code == 1  # January and February had no party day
    ws = load_workbook(target).active
    header = [c.value for c in ws[1]]
    assert header[:6] == ["组织", "党员", "规则", "期间", "状态", "严重程度"]
    periods = {row[3] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert {"2026-01", "2026-02", "2026-03", "2026Q1"} <= periods
    assert "已写入" in out


@pytest.mark.parametrize(
    "args,message",
    [
        (["--period", "2026-13"], "无法识别的期间"),
        (["--org", "999999"], "没有 ID 为 999999 的组织"),
        (["--format", "xlsx"], "-o"),
    ],
)
def test_bad_input_is_a_clear_error(enterprise, args, message):
    with pytest.raises(CommandError, match=message):
        check(*args)


def test_all_roots_and_ytd(enterprise, world):
    code, out = check("--period", "ytd", "--format", "json")
    doc = json.loads(out)
    orgs = {r["org"] for r in doc["results"]}
    assert {"车间党支部", "第一党支部", "外县党支部"} <= orgs
    assert code == 1  # the 工委's branches held no party day


def test_evaluate_command_persists(world):
    out = StringIO()
    with time_machine.travel(APRIL_2, tick=False):
        call_command("evaluate", stdout=out)
    assert "评估 2 个顶级组织" in out.getvalue()
    assert Obligation.objects.filter(period_key="2026-03").exists()
    assert Obligation.objects.filter(period_key="2026-04").exists()


def test_evaluate_command_takes_workers_and_rejects_nonsense(world):
    out = StringIO()
    with time_machine.travel(APRIL_2, tick=False):
        call_command("evaluate", "--workers", "2", stdout=out)
    assert "评估 2 个顶级组织" in out.getvalue()
    assert Obligation.objects.filter(period_key="2026-04").exists()
    with pytest.raises(CommandError, match="--workers"):
        call_command("evaluate", "--workers", "0")


def test_cli_names(monkeypatch):
    from zhibu import cli

    seen = []
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda argv: seen.append(argv)
    )
    cli.main(["check", "--period", "2026Q3"])
    cli.main(["system-check"])
    cli.main(["import-roster", "x.xlsx"])
    assert seen == [
        ["zhibu", "compliance_check", "--period", "2026Q3"],
        ["zhibu", "check"],
        ["zhibu", "import_roster", "x.xlsx"],
    ]
