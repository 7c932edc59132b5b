"""Facts as plain values, and helpers every rule kind shares.

Kinds are pure: they receive these frozen values (built in bulk by compliance.facts), a
Period and `now`, and return a Verdict. No database access happens below this line, so each
kind is tested table-driven without a database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from zhibu.compliance.verdicts import Status, Verdict
from zhibu.core.periods import Period

HELD = frozenset({"held", "confirmed"})
PRESENT = frozenset({"present", "late", "left_early"})


def local_day(moment: datetime) -> date:
    """The Asia/Shanghai (TIME_ZONE) calendar day of an aware datetime."""
    return timezone.localtime(moment).date()


@dataclass(frozen=True)
class MeetingFact:
    id: int
    org_id: int
    meeting_type: str
    status: str
    planned_start: datetime
    planned_end: datetime
    content_category: str = "political_study"
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    notice_sent_at: datetime | None = None
    topic: str = ""
    has_agenda: bool = False
    has_materials: bool = False
    has_minutes: bool = False
    has_lecturer: bool = False
    steps: frozenset[str] = frozenset()
    discussion_count: int = 0

    @property
    def held(self) -> bool:
        """Only held or confirmed meetings count as held; planned and cancelled never do."""
        return self.status in HELD

    @property
    def planned(self) -> bool:
        return self.status == "planned"

    @property
    def start(self) -> datetime:
        return self.actual_start or self.planned_start

    @property
    def day(self) -> date:
        return local_day(self.start)

    @property
    def duration_minutes(self) -> int | None:
        """Real duration from the recorded start and end; never the planned one."""
        if self.actual_start and self.actual_end:
            return int((self.actual_end - self.actual_start).total_seconds() // 60)
        return None

    @property
    def planned_minutes(self) -> int:
        return int((self.planned_end - self.planned_start).total_seconds() // 60)

    @property
    def party_content(self) -> bool:
        from zhibu.orglife.meeting_types import PARTY_CONTENT

        return self.content_category in PARTY_CONTENT


@dataclass(frozen=True)
class AttendanceFact:
    """One due attendee of one meeting, with the leave request (if any) that may excuse them."""

    meeting: MeetingFact
    member_id: int
    outcome: str = ""
    leave_status: str = ""
    leave_requested_at: datetime | None = None
    leave_decided_at: datetime | None = None

    @property
    def excused(self) -> bool:
        """Leave counts only when approved, and requested and approved before the start."""
        start = self.meeting.start
        return (
            self.leave_status == "approved"
            and self.leave_decided_at is not None
            and self.leave_requested_at is not None
            and self.leave_decided_at <= start
            and self.leave_requested_at <= start
        )

    @property
    def attended(self) -> bool:
        return self.outcome in PRESENT

    @property
    def missed(self) -> bool:
        return self.outcome in ("absent", "on_leave")

    @property
    def unexcused(self) -> bool:
        """Absent, or marked on leave without a leave approved before the start."""
        return self.missed and not self.excused


@dataclass(frozen=True)
class MakeupFact:
    member_id: int
    meeting_id: int
    due_date: date
    confirmed_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.confirmed_at is not None


@dataclass(frozen=True)
class Tenure:
    branch_id: int
    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class MemberFact:
    id: int
    name: str = ""
    status: str = "full_member"
    is_exempt: bool = False
    is_leading_cadre: bool = False
    tenures: tuple[Tenure, ...] = ()


@dataclass(frozen=True)
class ReportFact:
    member_id: int | None  # None for a branch's work report
    day: date
    kind: str = ""  # thought_report | work_report
    org_id: int | None = None


@dataclass(frozen=True)
class Facts:
    """Everything a kind may look at for one subject: a branch, or one member of it."""

    org_id: int
    org_name: str = ""
    founded_on: date | None = None
    meetings: tuple[MeetingFact, ...] = ()  # the branch's and its party groups'
    party_group_ids: tuple[int, ...] = ()
    members: tuple[MemberFact, ...] = ()  # members of the branch during the window
    attendances: tuple[AttendanceFact, ...] = ()  # the branch's; a member's own (any branch)
    makeups: tuple[MakeupFact, ...] = ()
    reports: tuple[ReportFact, ...] | None = None  # None: no data source installed
    member: MemberFact | None = None  # set when the subject is a member
    window_first: date | None = None  # earliest day the loader looked at
    full_member_count: int = 0
    extra: dict = field(default_factory=dict)


# ---- periods and time -----------------------------------------------------------------------


def today(now: datetime) -> date:
    return local_day(now)


def is_over(period: Period, now: datetime) -> bool:
    """The deadline has passed: the local date is after the period's last day."""
    return today(now) > period.last


def remaining_days(period: Period, now: datetime) -> int:
    """Local days left in the period, today included."""
    t = today(now)
    if t > period.last:
        return 0
    return (period.last - max(t, period.first)).days + 1


def reference_day(period: Period, now: datetime) -> date:
    return min(today(now), period.last)


def period_label(period: Period) -> str:
    f = period.first
    if period.kind == "month":
        return f"{f.year}年{f.month}月"
    if period.kind == "quarter":
        return f"{f.year}年第{(f.month - 1) // 3 + 1}季度"
    if period.kind == "half":
        return f"{f.year}年{'上' if f.month <= 6 else '下'}半年"
    if period.kind == "year":
        return f"{f.year}年"
    return f"{f.year}年初至{period.last.month}月{period.last.day}日"


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def active_months(founded_on: date | None, period: Period) -> int:
    """Months of the period in which the branch existed for the whole month."""
    total = months_between(period.first, period.last)
    if founded_on is None or founded_on <= period.first:
        return total
    if founded_on > period.last:
        return 0
    start_year, start_month = founded_on.year, founded_on.month
    if founded_on.day != 1:
        start_month += 1
        if start_month == 13:
            start_year, start_month = start_year + 1, 1
    start = date(start_year, start_month, 1)
    if start > period.last:
        return 0
    return months_between(start, period.last)


def prorated(required: float, facts: Facts, period: Period) -> int:
    """A count requirement scaled to the months the branch existed, rounded up."""
    total = months_between(period.first, period.last)
    active = active_months(facts.founded_on, period)
    if active >= total:
        return math.ceil(required)
    return math.ceil(required * active / total)


def founding_gate(facts: Facts, period: Period) -> Verdict | None:
    """not_applicable when the branch did not exist for a single full month of the period."""
    if facts.founded_on is None or facts.founded_on <= period.first:
        return None
    if active_months(facts.founded_on, period) == 0:
        return na(
            f"支部成立于{facts.founded_on:%Y-%m-%d}，{period_label(period)}不是完整期间，不作要求",
            founded_on=facts.founded_on.isoformat(),
        )
    return None


def exempt_gate(facts: Facts) -> Verdict | None:
    if facts.member is not None and facts.member.is_exempt:
        return na("年老体弱党员，活动和学习不作硬性要求（教育管理条例第二十三条）", exempt=True)
    return None


# ---- verdict builders -----------------------------------------------------------------------


def verdict(status: str, explanation: str, pattern: str = "", **numbers) -> Verdict:
    if status in (Status.MET, Status.NOT_APPLICABLE):
        pattern = ""
    return Verdict(status=str(status), explanation=explanation, numbers=numbers, pattern=pattern)


def na(explanation: str, **numbers) -> Verdict:
    return verdict(Status.NOT_APPLICABLE, explanation, **numbers)


def fmt_days(units: float) -> str:
    """Half-day units as days: 1 → '0.5 天', 2 → '1 天'."""
    days = units / 2
    return f"{int(days)} 天" if days == int(days) else f"{days:g} 天"


def type_names(types: Iterable[str]) -> str:
    from zhibu.orglife.meeting_types import MEETING_TYPES

    return "、".join(MEETING_TYPES[t].name if t in MEETING_TYPES else t for t in types)


def meetings_in(
    facts: Facts, period: Period, types: Iterable[str] | None = None
) -> list[MeetingFact]:
    wanted = set(types) if types else None
    return [
        m
        for m in facts.meetings
        if period.contains(m.day) and (wanted is None or m.meeting_type in wanted)
    ]


def scheduled_in(
    facts: Facts, period: Period, now: datetime, types: Iterable[str] | None = None
) -> list[MeetingFact]:
    """Planned meetings still ahead in the period: they count only toward feasibility."""
    return [m for m in meetings_in(facts, period, types) if m.planned and m.start >= now]
