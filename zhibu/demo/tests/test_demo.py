"""The county demo builds into the current database with a true, imperfect year."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Q

from zhibu.accounts.models import User
from zhibu.demo.management.commands.demo import mark_demo_database, unmark_demo_database, wipe_data
from zhibu.members.models import BranchTenure, CommitteePosition, Member
from zhibu.members.validators import birth_date_from_id, id_number_error
from zhibu.orglife.meeting_types import OLM_STEPS
from zhibu.orglife.models import Amendment, Attendance, LeaveRequest, Makeup, Meeting
from zhibu.orgs.models import Grant, Organization, OrgKind
from zhibu.orgs.permissions import Action, can
from zhibu.reports.models import ThoughtReport, WorkReport

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
ACCOUNTS = ("admin", "gongwei", "shuji", "dangyuan", "shuji2", "lingdao")


def _local(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Asia/Shanghai"))


def _snapshot() -> dict:
    """Counts and content that must be the same for the same seed and day."""
    return {
        "orgs": Organization.objects.count(),
        "members": sorted(Member.objects.values_list("name", "id_number", "join_date")),
        "tenures": BranchTenure.objects.count(),
        "positions": sorted(CommitteePosition.objects.values_list("role", "start", "end")),
        "meetings": sorted(
            Meeting.objects.values_list("meeting_type", "planned_start", "status", "topic")
        ),
        "attendance": sorted(
            Attendance.objects.values("outcome").annotate(n=Count("pk")).values_list("outcome", "n")
        ),
        "makeups": Makeup.objects.count(),
        "leave": LeaveRequest.objects.count(),
        "reports": sorted(ThoughtReport.objects.values_list("member__id_number", "submitted_at")),
        "work_reports": WorkReport.objects.count(),
    }


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The county demo built once for this module (time pinned), wiped again afterwards."""
    out = StringIO()
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False):
        mark_demo_database(connection)  # the migrated test database is the demo's to fill
        started = time.process_time()  # CPU time: robust on a busy CI machine
        call_command("demo", "--no-serve", stdout=out)
        seconds = time.process_time() - started
    yield out.getvalue(), seconds
    with django_db_blocker.unblock():
        wipe_data(connection)
        unmark_demo_database(connection)


@pytest.fixture
def demo(built, db):
    with time_machine.travel(NOW, tick=False):
        yield built[0]


def test_build_is_fast(built):
    assert built[1] < 30


def test_every_period_of_the_year_is_evaluated_at_build(demo):
    """The history since January is persisted, so past months, the year view and the trend
    show real rows; nothing before January, whose months the demo only partly records."""
    from zhibu.compliance.models import Obligation, StatusChange

    keys = set(Obligation.objects.values_list("period_key", flat=True))
    months = {f"2026-{m:02d}" for m in range(1, 12)}
    assert {k for k in keys if len(k) == 7} == months
    assert {"2026Q1", "2026Q2", "2026Q3", "2026Q4", "2026H1", "2026H2", "2026"} <= keys
    assert not {k for k in keys if k.startswith("2025")}
    closed = Obligation.objects.filter(period_key="2026-03", member__isnull=True)
    assert closed.filter(status="met").count() > closed.exclude(status="met").count() > 0
    # Months before October are filled in quietly: no status change for the notify worker.
    old = StatusChange.objects.filter(obligation__period_last__lt=date(2026, 10, 1))
    assert StatusChange.objects.exists() and not old.exists()


def test_county_shape(demo):
    branches = Organization.objects.filter(kind=OrgKind.BRANCH)
    assert 28 <= branches.count() <= 34
    assert Organization.objects.filter(kind=OrgKind.GENERAL_BRANCH).count() == 2
    assert branches.filter(category="enterprise").exists()
    assert branches.filter(category="school").exists()
    root = Organization.objects.get(kind=OrgKind.ORGANS_WORK_COMMITTEE)
    # Every path is the parent's path plus the organization's own segment.
    for org in Organization.objects.select_related("parent"):
        expected = (org.parent.path if org.parent else "") + str(org.pk).zfill(10)
        assert org.path == expected
        assert org.path.startswith(root.path)

    members = Member.objects.all()
    assert 560 <= members.count() <= 660
    sizes = list(
        branches.annotate(n=Count("members")).values_list("n", flat=True)
    )  # current roster
    assert min(sizes) >= 6 and max(sizes) <= 47
    cadres = members.filter(is_leading_cadre=True).count()
    assert 0.05 <= cadres / members.count() <= 0.12
    probationary = members.filter(status="probationary_member")
    assert probationary.exists()
    assert not probationary.filter(join_date__lt=TODAY - timedelta(days=366)).exists()
    assert not probationary.exclude(full_member_date=None).exists()
    # Branches with party groups have leaders for them.
    groups = Organization.objects.filter(kind=OrgKind.PARTY_GROUP)
    assert groups.count() >= 8
    leaders = CommitteePosition.objects.filter(role="party_group_leader", end=None)
    assert set(leaders.values_list("org_id", flat=True)) == set(groups.values_list("pk", flat=True))


def test_id_numbers_and_phones_are_valid(demo):
    rows = list(Member.objects.values_list("id_number", "birth_date", "gender", "phone"))
    for id_number, birth, gender, phone in rows:
        assert id_number_error(id_number) is None, id_number
        assert birth_date_from_id(id_number) == birth
        assert (int(id_number[16]) % 2 == 1) == (gender == "male")
        assert len(phone) == 11 and phone.startswith("1") and phone.isdigit()
    assert len({r[0] for r in rows}) == len(rows)


def test_committees_follow_the_branch_size_rule(demo):
    current = Q(end__isnull=True) | Q(end__gte=TODAY)
    posts = defaultdict(list)
    for org_id, role in CommitteePosition.objects.filter(current).values_list("org_id", "role"):
        posts[org_id].append(role)
    secretary_only = 0
    for branch in Organization.objects.filter(kind=OrgKind.BRANCH):
        roles = posts[branch.pk]
        assert roles.count("secretary") == 1, branch.name
        committee = [r for r in roles if r != "secretary"]
        if committee:
            # 机关条例 第九条: an organ branch committee has a discipline member; 3–5 in all.
            assert "discipline_member" in committee, branch.name
            assert 3 <= len(roles) <= 5, branch.name
        else:
            secretary_only += 1
    assert secretary_only >= 1


def test_transfers_leave_history(demo):
    moved = Member.objects.annotate(n=Count("tenures")).filter(n__gt=1)
    assert moved.count() >= 5
    for member in moved:
        tenures = list(member.tenures.order_by("start"))
        assert tenures[-1].end is None and tenures[-1].branch_id == member.branch_id
        assert all(t.end is not None for t in tenures[:-1])
        assert tenures[0].end < tenures[1].start
    # One branch changed secretary during the year.
    changed = CommitteePosition.objects.filter(role="secretary", end__isnull=False)
    assert changed.filter(end__gte=TODAY - timedelta(days=365)).exists()


def test_accounts_log_in_with_their_rights(demo, client):
    def login(username: str) -> bool:
        response = client.post("/accounts/login/", {"username": username, "password": "zhibu2026"})
        return response.status_code == 302

    for username in ACCOUNTS:
        assert login(username), username
        client.logout()
    shuji = User.objects.get(username="shuji")
    assert shuji.phone and login(shuji.phone)
    assert User.objects.get(username="admin").is_superuser
    root = Organization.objects.get(kind=OrgKind.ORGANS_WORK_COMMITTEE)
    assert Grant.objects.filter(user__username="gongwei", org=root, role="org_admin").exists()

    branch1 = shuji.member.branch
    assert can(shuji, Action.MANAGE_ORGLIFE, branch1)
    shuji2 = User.objects.get(username="shuji2")
    assert not can(shuji2, Action.MANAGE_ORGLIFE, branch1)
    dangyuan = User.objects.get(username="dangyuan")
    assert dangyuan.member.branch_id == branch1.pk
    assert can(dangyuan, Action.VIEW, branch1)
    assert not can(dangyuan, Action.MANAGE_ORGLIFE, branch1)
    assert User.objects.get(username="lingdao").member.is_leading_cadre
    # The printed table names each account.
    for username in ACCOUNTS:
        assert username in demo
    assert "zhibu2026" in demo


def test_a_year_of_meetings(demo):
    branches = Organization.objects.filter(kind=OrgKind.BRANCH)
    first = date(TODAY.year - 1, TODAY.month, 1)
    held = Meeting.objects.filter(status__in=["held", "confirmed"])
    assert held.filter(planned_start__lt=_local(first + timedelta(days=20))).exists()
    for mtype in (
        "party_day",
        "committee_meeting",
        "general_meeting",
        "party_lecture",
        "party_group_meeting",
        "org_life_meeting",
    ):
        assert held.filter(meeting_type=mtype).exists(), mtype
    # Every held meeting has an outcome for every due attendee; planned ones have none yet.
    assert not Attendance.objects.filter(meeting__status="confirmed", outcome="").exists()
    assert not Attendance.objects.filter(meeting__status="planned").exclude(outcome="").exists()
    # Organ party days mostly take ~3.5 hours.
    organ_days = held.filter(meeting_type="party_day", org__category="organ").annotate(
        length=(F("actual_end") - F("actual_start"))
    )
    long_enough = [m for m in organ_days if m.length >= timedelta(hours=3)]
    assert len(long_enough) / organ_days.count() > 0.9
    # The 组织生活会 late last year, with all its steps in most branches.
    olm = held.filter(
        meeting_type="org_life_meeting",
        planned_start__gte=_local(date(TODAY.year - 1, 12, 1)),
        planned_start__lt=_local(date(TODAY.year, 1, 1)),
    )
    assert olm.count() == branches.count()
    full = olm.annotate(n=Count("steps")).filter(n=len(OLM_STEPS)).count()
    assert 0 < full < olm.count()  # one branch skipped a step
    # 民主评议党员 and heart talks before it, with the review's five steps.
    reviews = held.filter(meeting_type="democratic_review")
    assert reviews.count() == branches.count()
    assert not reviews.annotate(n=Count("steps")).exclude(n=5).exists()
    assert held.filter(meeting_type="heart_talk", attendances__isnull=True).exists()
    lectures = held.filter(meeting_type="party_lecture")
    assert not lectures.filter(lecturer="").exists()
    assert lectures.filter(discussion__isnull=False).exists()
    assert lectures.exclude(steps__code="discussion").exists()  # one without discussion
    # Excused absences: approved before the start.
    for leave in LeaveRequest.objects.filter(status="approved").select_related("meeting")[:300]:
        outcome = Attendance.objects.get(meeting=leave.meeting, member=leave.member).outcome
        assert (outcome == "on_leave") == leave.excuses


def test_the_imperfections_are_there(demo):
    party_days = Meeting.objects.filter(meeting_type="party_day").exclude(status="cancelled")
    branches = list(Organization.objects.filter(kind=OrgKind.BRANCH))
    months = []
    d = date(TODAY.year - 1, TODAY.month + 1, 1) if TODAY.month < 12 else date(TODAY.year, 1, 1)
    while d < date(TODAY.year, TODAY.month, 1):
        months.append((d.year, d.month))
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    held_months = defaultdict(set)
    for org_id, start in party_days.values_list("org_id", "planned_start"):
        local = start.astimezone(ZoneInfo("Asia/Shanghai"))
        held_months[org_id].add((local.year, local.month))
    gaps = [b for b in branches if set(months) - held_months[b.pk]]
    assert len(gaps) >= 3  # skipped months, the concentrated branch's February, the silent one

    # Concentrated: none in February, two full days in March.
    full_days = party_days.filter(actual_end__gte=F("actual_start") + timedelta(hours=7))
    (org_id,) = {m.org_id for m in full_days}
    shanghai = ZoneInfo("Asia/Shanghai")
    assert [m.planned_start.astimezone(shanghai).month for m in full_days] == [3, 3]
    year = full_days[0].planned_start.year
    assert (year, 2) not in held_months[org_id] and (year, 1) in held_months[org_id]
    # The 50-minute "half-day".
    short = party_days.filter(actual_end=F("actual_start") + timedelta(minutes=50))
    assert short.count() == 1
    # A party day used for business.
    assert party_days.filter(content_category="business").count() == 1
    # Leading cadres absent without leave, concentrated in one branch.
    cadre_absences = Attendance.objects.filter(is_leading_cadre=True, outcome="absent")
    by_branch = cadre_absences.values("meeting__org_id").annotate(n=Count("pk")).order_by("-n")
    assert by_branch[0]["n"] >= 10
    # Make-ups: most done and confirmed, some open, some overdue.
    makeups = Makeup.objects.all()
    done = makeups.filter(confirmed_at__isnull=False).count()
    overdue = makeups.filter(confirmed_at__isnull=True, due_date__lt=TODAY).count()
    assert done / makeups.count() > 0.7
    assert overdue >= 20
    assert makeups.filter(confirmed_at__isnull=True, due_date__gte=TODAY).exists()
    # One branch silent for the last 40+ days.
    recent = set(
        Meeting.objects.filter(planned_start__gte=NOW - timedelta(days=40)).values_list(
            "org_id", flat=True
        )
    )
    assert [b for b in branches if b.pk not in recent]
    # Upcoming planned meetings with notice sent.
    upcoming = Meeting.objects.filter(status="planned", planned_start__gt=NOW)
    assert upcoming.filter(planned_start__lt=NOW + timedelta(days=21)).exists()
    assert upcoming.filter(notice_sent_at__isnull=False, notice_sent_at__lte=NOW).exists()
    # 补记 and amendments.
    late = Meeting.objects.filter(is_late_entry=True)
    assert late.count() >= 2 and not late.filter(late_entry_reason="").exists()
    assert Amendment.objects.count() >= 2
    assert not Amendment.objects.exclude(meeting__status="confirmed").exists()


def test_deterministic_with_the_seed(demo):
    """A second run empties the database it marked and builds the same data again."""
    before = _snapshot()
    with time_machine.travel(NOW, tick=False):
        out = StringIO()
        call_command("demo", "--no-serve", stdout=out)
    assert "清空并重建演示数据库" in out.getvalue()
    assert _snapshot() == before


def test_reports_mostly_on_time(demo):
    members = Member.objects.filter(is_exempt=False).count()
    quarter_start = _local(date(TODAY.year, 7, 1))
    quarter_end = _local(date(TODAY.year, 10, 1))
    in_q3 = ThoughtReport.objects.filter(
        submitted_at__gte=quarter_start, submitted_at__lt=quarter_end
    )
    assert 0.7 < in_q3.values("member_id").distinct().count() / members < 1
    assert ThoughtReport.objects.filter(status="reviewed").exists()
    work = WorkReport.objects.filter(period_key=f"{TODAY.year}H1")
    branches = Organization.objects.filter(kind=OrgKind.BRANCH).count()
    assert branches * 0.7 < work.count() < branches
    assert not work.filter(meeting__isnull=True).exists()


def test_demo_has_the_annual_cycle_and_opens_with_reminders(demo):
    """Issue acceptance: reports, one 组织生活会 cycle and one 民主评议 per branch (some
    incomplete); the secretary's and the member's inboxes already hold their reminders."""
    from zhibu.notify.models import Notice
    from zhibu.reports.models import DemocraticReview, HeartTalk, RectificationItem, ThoughtReport

    branches = Organization.objects.filter(kind="branch").count()
    assert ThoughtReport.objects.count() > branches
    decided = DemocraticReview.objects.filter(stage="decided").count()
    assert decided == branches
    assert DemocraticReview.objects.exclude(stage="decided").count() < branches  # some behind
    assert HeartTalk.objects.exists() and RectificationItem.objects.filter(status="open").exists()
    assert Notice.objects.filter(recipient__username="shuji", reason="at_risk").exists()
    assert Notice.objects.filter(recipient__username="dangyuan", reason="makeup_due").exists()


def test_the_demo_shows_green_yellow_and_red_that_explain_themselves(demo):
    """The compliance engine's acceptance on the demo: a realistic mix; every red and yellow
    states its numbers and its source; `zhibu check` exits 1 and lists the reds."""
    import json
    import re
    from collections import Counter

    from zhibu.compliance import engine
    from zhibu.core import periods

    root = Organization.objects.filter(parent__isnull=True).order_by("path").first()
    results = engine.evaluate(root, periods.year(2026), NOW)
    statuses = Counter(r.status for r in results)
    assert statuses["met"] > statuses["at_risk"] > 0 and statuses["not_met"] > 0
    assert statuses["met"] > len(results) / 3  # mostly green, not a wall of red
    flagged = [r for r in results if r.status in ("at_risk", "not_met")]
    assert all(re.search(r"\d", r.verdict.explanation) and r.rule.source for r in flagged)
    assert all(r.verdict.pattern for r in flagged)

    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("compliance_check", "--period", "2026", "--format", "json", stdout=out)
    assert exit_.value.code == 1
    doc = json.loads(out.getvalue())
    reds = [r for r in doc["results"] if r["status"] == "not_met"]
    assert doc["failing"] >= 1 and reds
    assert all(r["explanation"] and r["source"] for r in reds)
