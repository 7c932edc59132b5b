"""`zhibu check` and `zhibu evaluate`: exit codes, formats, and the CLI names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from zhibu.compliance import facts as facts_module
from zhibu.compliance.models import Obligation, StatusChange
from zhibu.members.services import position_assign
from zhibu.members.tests.factories import MemberFactory
from zhibu.orglife import services as orglife
from zhibu.orglife.models import Attendance, LeaveRequest, Makeup, Meeting
from zhibu.orgs.models import Organization, OrgKind
from zhibu.orgs.tests.factories import OrganizationFactory, UserFactory
from zhibu.reports.services import report_save

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


def check(*args, now: datetime = APRIL_2) -> tuple[int, str]:
    out = StringIO()
    with time_machine.travel(now, tick=False):
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


# ---- history: --since --------------------------------------------------------------------

NOV_25 = datetime(2026, 11, 25, 10, 0, tzinfo=SH)
MONTHS_2025_2026 = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]


def test_since_persists_every_period_of_both_years_and_tells_nobody_about_old_ones(world):
    out = StringIO()
    with time_machine.travel(NOV_25, tick=False):
        call_command("evaluate", "--since", "2025-01", stdout=out)
    assert out.getvalue().startswith("评估 2 个顶级组织：")
    rows = Obligation.objects.filter(org=world.branch, member__isnull=True)
    keys = set(rows.values_list("period_key", flat=True))
    # every month that has started, each with the same rules; December 2026 has not started
    months = MONTHS_2025_2026[:-1]
    assert sorted(k for k in keys if len(k) == 7) == months
    per_month = {k: rows.filter(period_key=k).count() for k in months}
    assert len(set(per_month.values())) == 1 and per_month["2025-01"] > 0
    quarters = {f"{y}Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)}
    assert quarters | {"2025H1", "2025H2", "2026H1", "2026H2", "2025", "2026"} <= keys
    # Periods ended before October are history filled in: stored, but no status change for
    # the notify worker; October and November are announced as always.
    announced = set(StatusChange.objects.values_list("obligation__period_key", flat=True))
    assert announced and announced <= {"2026-10", "2026-11", "2026Q4", "2026H2", "2026"}
    assert Obligation.objects.filter(period_key="2025-03", status="not_met").exists()


def test_without_since_only_the_previous_and_current_month_are_refreshed(world):
    with time_machine.travel(NOV_25, tick=False):
        call_command("evaluate", stdout=StringIO())
    months = set(Obligation.objects.filter(org=world.branch).values_list("period_key", flat=True))
    assert {k for k in months if len(k) == 7} == {"2026-10", "2026-11"}


@pytest.fixture
def secretary(enterprise):
    """The enterprise branch's secretary, with an account."""
    _root, branch = enterprise
    user = UserFactory(username="cj_sec")
    member = MemberFactory(name="吴书记", branch=branch, user=user)
    position_assign(member=member, org=branch, role="secretary", start=date(2020, 1, 1))
    return user


def test_a_late_record_for_a_closed_month_updates_the_stored_history(enterprise, secretary):
    """补记: a February party day entered in April flips February's stored obligation at once
    (record_confirm → refresh_for_meeting), without waiting for a sweep."""
    root, branch = enterprise
    april_20 = datetime(2026, 4, 20, 10, 0, tzinfo=SH)
    with time_machine.travel(april_20, tick=False):
        call_command("evaluate", "--since", "2026-01", stdout=StringIO())
        february = Obligation.objects.get(
            org=branch, rule_id="party_day_monthly", period_key="2026-02"
        )
        assert february.status == "not_met" and not february.changes.exists()
        start = datetime(2026, 2, 24, 9, 0, tzinfo=SH)
        meeting = orglife.meeting_schedule(
            actor=secretary,
            org=branch,
            meeting_type="party_day",
            topic="学习党章",
            planned_start=start,
            planned_end=start + timedelta(hours=3),
            late_entry_reason="纸质记录，事后录入",
        )
        orglife.meeting_record(
            actor=secretary,
            meeting=meeting,
            actual_start=start,
            actual_end=start + timedelta(hours=3),
            minutes="<p>学习党章第一章</p>",
        )
        orglife.record_confirm(actor=secretary, meeting=meeting)
    assert meeting.is_late_entry
    february.refresh_from_db()
    assert february.status == "met"
    assert list(february.changes.values_list("old_status", "new_status")) == [("not_met", "met")]


# ---- the as-of view --------------------------------------------------------------------------


def at(day: date, hhmm: str = "09:00") -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=SH)


def recorded_party_day(org, day: date, *, created: datetime, confirmed: datetime) -> Meeting:
    """A party day on `day`, entered at `created` and confirmed at `confirmed`."""
    start = at(day)
    with time_machine.travel(created, tick=False):
        meeting = Meeting.objects.create(
            org=org,
            meeting_type="party_day",
            topic="学习",
            planned_start=start,
            planned_end=start + timedelta(hours=3),
            actual_start=start,
            actual_end=start + timedelta(hours=3),
            status="held",
        )
    with time_machine.travel(confirmed, tick=False):
        meeting.status, meeting.confirmed_at = "confirmed", confirmed
        meeting.save()
    return meeting


def test_as_of_reproduces_a_past_days_view(enterprise):
    """March's party day on the enterprise branch is the fixture's; a second branch held its
    March party day on the 28th but confirmed the record only on 3 April: as of 2 April
    10:00 it counts for nothing (no record says when it was held), as of now it counts."""
    root, branch = enterprise
    confirmed = at(date(2026, 3, 10), "13:00")  # the fixture's party day, recorded that day
    Meeting.objects.filter(org=branch).update(
        created_at=at(date(2026, 3, 1)), updated_at=confirmed, confirmed_at=confirmed
    )
    late = OrganizationFactory(name="仓储党支部", parent=root, category="enterprise")
    MemberFactory(name="郑党员", branch=late)
    recorded_party_day(
        late, date(2026, 3, 28), created=at(date(2026, 3, 20)), confirmed=at(date(2026, 4, 3))
    )
    args = ("--org", str(root.pk), "--period", "2026-03", "--format", "json")
    april_10 = at(date(2026, 4, 10))

    def march(doc) -> dict:
        rows = [r for r in doc["results"] if r["rule_id"] == "party_day_monthly"]
        return {r["org"]: r["status"] for r in rows}

    code, out = check(*args, now=april_10)
    assert code == 0 and march(json.loads(out)) == {"车间党支部": "met", "仓储党支部": "met"}
    code, out = check(*args, "--as-of", "2026-04-02T10:00", now=april_10)
    doc = json.loads(out)
    assert code == 1 and march(doc) == {"车间党支部": "met", "仓储党支部": "not_met"}
    red = next(
        r
        for r in doc["results"]
        if r["org"] == "仓储党支部" and r["rule_id"] == "party_day_monthly"
    )
    assert red["next_step"] == "2026年3月已结束未达标：请在下期补足，并在记录中说明原因"


def test_as_of_table_says_when_and_prints_each_red_items_next_step(enterprise):
    root, _branch = enterprise
    code, out = check(
        "--org", str(root.pk), "--period", "2026-02", "--as-of", "2026-03-01", now=APRIL_2
    )
    assert code == 1
    assert "截至 2026-03-01 23:59 已登记的记录" in out
    assert "    下一步：2026年2月已结束未达标：请在下期补足，并在记录中说明原因" in out
    # no internal marker, rule id, status or severity code: every column is its Chinese label
    for code in ("DOMAIN.md", "[P]", "[Q]", "[U]", "客户规则", "party_day_monthly", "not_met"):
        assert code not in out
    assert "at_risk" not in out and "high" not in out


def test_evaluate_as_of_counts_without_persisting(enterprise):
    out = StringIO()
    with time_machine.travel(APRIL_2, tick=False):
        call_command("evaluate", "--as-of", "2026-03-20T08:00", stdout=out)
    text = out.getvalue()
    assert text.startswith("截至 2026-03-20 08:00：评估 1 个顶级组织 ")
    assert text.rstrip().endswith("；未保存")
    assert not Obligation.objects.exists()


def test_fact_loader_keeps_only_what_was_recorded_by_the_instant(world):
    """Each record type is filtered by its own time (facts.load's `as_of`)."""
    branch, member = world.branch, world.member
    as_of = at(date(2026, 3, 15), "12:00")
    before, after = at(date(2026, 3, 10)), at(date(2026, 3, 20))
    kept = recorded_party_day(branch, date(2026, 3, 2), created=before, confirmed=before)
    unconfirmed = recorded_party_day(branch, date(2026, 3, 5), created=before, confirmed=after)
    entered_later = recorded_party_day(branch, date(2026, 3, 6), created=after, confirmed=after)
    with time_machine.travel(before, tick=False):
        held = Meeting.objects.create(  # recorded as held before the instant, unchanged since
            org=branch,
            meeting_type="party_day",
            topic="学习",
            planned_start=at(date(2026, 3, 9)),
            planned_end=at(date(2026, 3, 9), "12:00"),
            actual_start=at(date(2026, 3, 9)),
            actual_end=at(date(2026, 3, 9), "12:00"),
            status="held",
        )
        absent = Attendance.objects.create(meeting=kept, member=member, outcome="absent")
        Makeup.objects.create(
            attendance=absent, member=member, due_date=date(2026, 4, 1), confirmed_at=after
        )
        LeaveRequest.objects.create(
            meeting=unconfirmed,
            member=member,
            requested_at=before,
            status="approved",
            decided_at=after,
        )
    with time_machine.travel(after, tick=False):
        report_save(actor=world.member_user, title="思想汇报", body="学习体会", submit=True)
    orgs = list(Organization.objects.filter(pk__in=[branch.pk, world.group.pk]))

    def loaded(as_of_: datetime | None):
        store = facts_module.load(branch, orgs, date(2026, 1, 1), date(2026, 3, 31), as_of_)
        meetings = {m.id: m.status for m in store.meetings_by_branch.get(branch.pk, [])}
        makeups = [m.done for m in store.makeups_by_member.get(member.pk, [])]
        leave = [
            (a.meeting.id, a.leave_status) for a in store.attendances_by_member.get(member.pk, [])
        ]
        reports = [r.kind for r in store.reports if r.member_id == member.pk]
        return meetings, makeups, leave, reports

    meetings, makeups, _leave, reports = loaded(None)
    assert meetings == {
        kept.pk: "confirmed",
        unconfirmed.pk: "confirmed",
        entered_later.pk: "confirmed",
        held.pk: "held",
    }
    assert makeups == [True] and reports == ["thought_report"]
    meetings, makeups, _leave, reports = loaded(as_of)
    assert meetings == {kept.pk: "confirmed", unconfirmed.pk: "planned", held.pk: "held"}
    assert makeups == [False] and reports == []
    Attendance.objects.create(meeting=unconfirmed, member=member, outcome="on_leave")
    assert loaded(None)[2][-1] == (unconfirmed.pk, "approved")
    assert loaded(as_of)[2][-1] == (unconfirmed.pk, "pending")


@pytest.mark.parametrize(
    "command,args,message",
    [
        ("evaluate", ["--since", "2025-13"], "--since 应为月份，例如 2025-01（收到 2025-13）"),
        ("evaluate", ["--since", "2025Q1"], "--since 应为月份，例如 2025-01（收到 2025Q1）"),
        ("evaluate", ["--since", "2026-05"], "--since 不能晚于本月：2026-05 尚未开始"),
        (
            "evaluate",
            ["--as-of", "yesterday"],
            "--as-of 应为日期或时间，例如 2026-11-25T10:00（收到 yesterday）",
        ),
        (
            "compliance_check",
            ["--as-of", "2026-04-02T25:00"],
            "--as-of 应为日期或时间，例如 2026-11-25T10:00（收到 2026-04-02T25:00）",
        ),
        (
            "compliance_check",
            ["--as-of", "2026-04-02T09:01"],
            "--as-of 不能晚于现在：2026-04-02T09:01 尚未到来",
        ),
        (
            "evaluate",
            ["--as-of", "2026-04-01", "--loop", "5"],
            "--as-of 只评估一次，不能与 --loop 同用",
        ),
    ],
)
def test_bad_since_and_as_of_are_one_line_errors(db, command, args, message):
    with time_machine.travel(APRIL_2, tick=False), pytest.raises(CommandError) as error:
        call_command(command, *args, stdout=StringIO())
    assert str(error.value) == message


# ---- the console script ----------------------------------------------------------------------


def test_cli_maps_zhibu_names_to_django_commands():
    from zhibu.cli import command_name

    assert command_name("check") == "compliance_check"
    assert command_name("system-check") == "check"
    assert command_name("import-roster") == "import_roster"
    assert command_name("evaluate") == "evaluate"


@pytest.mark.parametrize(
    "typed,usage",
    [("check", "usage: zhibu check "), ("import-roster", "usage: zhibu import-roster ")],
)
def test_help_names_the_command_as_typed(typed, usage, capsys):
    from zhibu import cli

    with pytest.raises(SystemExit) as exit_:
        cli.main([typed, "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(usage)


def zhibu(*args: str, database: str, language: str = "zh-hans") -> subprocess.CompletedProcess:
    env = os.environ | {"DATABASE_URL": database, "LANGUAGE_CODE": language}
    return subprocess.run(
        [sys.executable, "-m", "zhibu.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unmigrated_database_is_one_line_not_a_traceback(tmp_path):
    database = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    for command in ("check", "evaluate"):
        done = zhibu(command, database=database)
        assert done.returncode == 2, done.stderr
        assert done.stderr == "数据库尚未初始化，请先运行 zhibu migrate\n"
        assert done.stdout == ""
    done = zhibu("check", database=database, language="en")
    assert done.stderr == "The database is not set up yet: run zhibu migrate first\n"
    assert zhibu("migrate", "contenttypes", database=database).returncode == 0
    done = zhibu("check", "--period", "2026-03", database=database)
    assert done.returncode == 2
    assert done.stderr == "数据库有尚未执行的迁移，请先运行 zhibu migrate\n"
