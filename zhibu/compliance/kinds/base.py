"""Facts as plain values, and helpers every rule kind shares.

Kinds are pure: they receive these frozen values (built in bulk by compliance.facts), a
Period and `now`, and return a Verdict. No database access happens below this line, so each
kind is tested table-driven without a database.
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from django.utils import timezone

from zhibu.compliance.verdicts import Status, Verdict
from zhibu.core.periods import Period


class cached_property:  # noqa: N801 - a lock-free functools.cached_property
    """Computed on first access and stored in the instance's __dict__ (which then shadows
    this non-data descriptor). Python 3.11's functools.cached_property takes a lock on every
    first access, which dominated the cost of building millions of facts."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


HELD = frozenset({"held", "confirmed"})
PRESENT = frozenset({"present", "late", "left_early"})
MISSED = frozenset({"absent", "on_leave"})


@functools.cache
def _party_content() -> frozenset[str]:
    from zhibu.orglife.meeting_types import PARTY_CONTENT

    return frozenset(PARTY_CONTENT)


def local_day(moment: datetime) -> date:
    """The Asia/Shanghai (TIME_ZONE) calendar day of an aware datetime.

    Converts with the default time zone directly: `timezone.localtime` looks the active zone
    up through asgiref's context-local storage on every call, which cost more than the rules
    themselves, and nothing in zhibu activates another zone."""
    if moment.tzinfo is None:
        return timezone.localtime(moment).date()  # raises, as before, for a naive value
    return moment.astimezone(timezone.get_default_timezone()).date()


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

    # Derived values are computed once per fact and cached on the instance (the facts are
    # frozen, so a cached value never goes stale): kinds read them for every rule and period.

    # Set once in __post_init__ (written straight into the instance dict: frozen dataclasses
    # guard setattr, and these are read for every rule and period):
    #   held     only held or confirmed meetings count as held; planned and cancelled never do
    #   planned  status is planned
    #   start    the real start, else the planned one
    #   day      the local calendar day of `start`; month_key its (year, month)
    held: ClassVar[bool]
    planned: ClassVar[bool]
    start: ClassVar[datetime]
    day: ClassVar[date]
    month_key: ClassVar[tuple[int, int]]

    def __post_init__(self) -> None:
        d = self.__dict__
        status = self.status
        d["held"] = status in HELD
        d["planned"] = status == "planned"
        start = d["start"] = self.actual_start or self.planned_start
        day = d["day"] = local_day(start)
        d["month_key"] = (day.year, day.month)

    @cached_property
    def duration_minutes(self) -> int | None:
        """Real duration from the recorded start and end; never the planned one."""
        if self.actual_start and self.actual_end:
            return int((self.actual_end - self.actual_start).total_seconds() // 60)
        return None

    @cached_property
    def planned_minutes(self) -> int:
        return int((self.planned_end - self.planned_start).total_seconds() // 60)

    @cached_property
    def party_content(self) -> bool:
        return self.content_category in _party_content()


@dataclass(slots=True, eq=False)
class AttendanceFact:
    """One due attendee of one meeting, with the leave request (if any) that may excuse them.

    Slotted and not frozen (read-only by convention, like every fact): a city-scale
    evaluation builds millions of these, and a frozen dataclass's guarded setattr made
    building them a large part of loading."""

    meeting: MeetingFact
    member_id: int
    outcome: str = ""
    leave_status: str = ""
    leave_requested_at: datetime | None = None
    leave_decided_at: datetime | None = None
    # Derived once in __post_init__:
    #   excused    leave counts only when approved, and requested and approved before the start
    #   attended   present, late or left early
    #   missed     absent or on leave
    #   unexcused  absent, or marked on leave without a leave approved before the start
    excused: bool = field(init=False, repr=False)
    attended: bool = field(init=False, repr=False)
    missed: bool = field(init=False, repr=False)
    unexcused: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        excused = False
        if self.leave_status == "approved":
            start = self.meeting.start
            decided, requested = self.leave_decided_at, self.leave_requested_at
            excused = (
                decided is not None
                and requested is not None
                and decided <= start
                and requested <= start
            )
        outcome = self.outcome
        missed = outcome in MISSED
        self.excused = excused
        self.attended = outcome in PRESENT
        self.missed = missed
        self.unexcused = missed and not excused


@dataclass(frozen=True)
class MakeupFact:
    member_id: int
    meeting_id: int
    due_date: date
    confirmed_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.confirmed_at is not None

    @cached_property
    def confirmed_day(self) -> date:
        """The local day the make-up was confirmed (only for done ones)."""
        return local_day(self.confirmed_at)


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
class ElectionFact:
    """A recorded term election: the day and the term it started (its last day in ends_on)."""

    held_on: date
    term_years: int
    ends_on: date


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
    elections: tuple[ElectionFact, ...] = ()  # the branch's, any date up to the window's end
    extra: dict = field(default_factory=dict)

    # Indexes built on first use and cached on the instance (the facts are frozen), so a kind
    # asked about one month looks at that month's facts only, not the whole window's.

    @cached_property
    def meetings_by_month(self) -> dict[tuple[int, int], list[tuple[int, MeetingFact]]]:
        """(position in `meetings`, meeting) per local (year, month)."""
        out: dict[tuple[int, int], list[tuple[int, MeetingFact]]] = {}
        for i, m in enumerate(self.meetings):
            out.setdefault(m.month_key, []).append((i, m))
        return out

    @cached_property
    def attendances_by_month(self) -> dict[tuple[int, int], list[AttendanceFact]]:
        """Attendances at held meetings per local (year, month) of the meeting."""
        out: dict[tuple[int, int], list[AttendanceFact]] = {}
        for a in self.attendances:
            if a.meeting.held:
                out.setdefault(a.meeting.month_key, []).append(a)
        return out

    @cached_property
    def memo(self) -> dict:
        """Per-subject values a kind derives once and reuses for every period."""
        return {}


# ---- periods and time -----------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def month_span(first: date, last: date) -> tuple[tuple[tuple[int, int], bool], ...]:
    """The local (year, month) keys overlapping first..last, each with whether the whole
    month lies inside."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        whole = (y, m) != (first.year, first.month) or first.day == 1
        if whole and (y, m) == (last.year, last.month):
            nxt = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
            whole = (nxt - last).days == 1
        out.append(((y, m), whole))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(out)


@functools.lru_cache(maxsize=256)
def today(now: datetime) -> date:
    """The local date of `now` (cached: every verdict of an evaluation asks with one `now`;
    the process time zone is fixed by TIME_ZONE)."""
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


@functools.lru_cache(maxsize=4096)
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
        return _exempt_verdict()
    return None


@functools.cache
def _exempt_verdict() -> Verdict:
    """One shared verdict (verdicts are read-only values)."""
    return na("年老体弱党员，活动和学习不作硬性要求（教育管理条例第二十三条）", exempt=True)


def open_status(short: bool, days_left: int, warn: int, behind: bool = False) -> str:
    """The status of a period that has not ended and is not yet met.

    `open` (进行中) unless what is held plus what is scheduled falls short (`short`) AND
    either the period ends within the rule's warning window (`warn` days, from the
    parameter registry) or, for paced rules, the year is already behind its pace."""
    if short and (behind or days_left <= warn):
        return Status.AT_RISK
    return Status.OPEN


# ---- verdict builders -----------------------------------------------------------------------


def verdict(status: str, explanation: str, pattern: str = "", **numbers) -> Verdict:
    if status in (Status.MET, Status.NOT_APPLICABLE, Status.OPEN):
        pattern = ""
    return Verdict(status=str(status), explanation=explanation, numbers=numbers, pattern=pattern)


def na(explanation: str, **numbers) -> Verdict:
    return verdict(Status.NOT_APPLICABLE, explanation, **numbers)


def fmt_days(units: float) -> str:
    """Half-day units as days: 1 → '0.5 天', 2 → '1 天'."""
    days = units / 2
    return f"{int(days)} 天" if days == int(days) else f"{days:g} 天"


def fmt_units(units: int) -> str:
    """Half-day units as people say them: 1 → '1 个半天'."""
    return f"{units} 个半天"


def all_(n: int) -> str:
    """'均' for several items ('3 次会议均…'); nothing for one (均 after '1 次' reads wrong)."""
    return "均" if n > 1 else ""


def fmt_day(day: date) -> str:
    """A calendar day as '3月12日' (explanations always name the period's year first)."""
    return f"{day.month}月{day.day}日"


def fmt_date(day: date) -> str:
    """A deadline with its year: '2026年12月15日'."""
    return f"{day.year}年{day.month}月{day.day}日"


def type_phrase(types: Iterable[str]) -> str:
    """What doing the meetings is called: '召开支部党员大会', '开展主题党日', '上党课'."""
    return _type_phrase(tuple(types))


@functools.lru_cache(maxsize=1024)
def _type_phrase(types: tuple[str, ...]) -> str:
    from zhibu.orglife.meeting_types import MEETING_TYPES

    verbs = {MEETING_TYPES[t].verb for t in types if t in MEETING_TYPES}
    verb = verbs.pop() if len(verbs) == 1 else "开展"
    return verb + _type_names(types)


def type_names(types: Iterable[str]) -> str:
    return _type_names(tuple(types))


@functools.lru_cache(maxsize=1024)
def _type_names(types: tuple[str, ...]) -> str:
    from zhibu.orglife.meeting_types import MEETING_TYPES

    return "、".join(MEETING_TYPES[t].name if t in MEETING_TYPES else t for t in types)


def meetings_in(
    facts: Facts, period: Period, types: Iterable[str] | None = None
) -> list[MeetingFact]:
    """The subject's meetings whose local day is in the period (of `types`), in fact order.

    Memoized per subject (several rules ask for the same types and period); the list is
    shared, so callers only read it."""
    key = ("meetings_in", tuple(types) if types else None, period.first, period.last)
    memo = facts.memo
    found = memo.get(key)
    if found is None:
        found = memo[key] = _meetings_in(facts, period, types)
    return found


def _meetings_in(facts: Facts, period: Period, types: Iterable[str] | None) -> list[MeetingFact]:
    wanted = set(types) if types else None
    index = facts.meetings_by_month
    first, last = period.first, period.last
    found: list[tuple[int, MeetingFact]] = []
    hits = 0
    for key, whole in month_span(first, last):
        items = index.get(key)
        if not items:
            continue
        hits += 1
        for i, m in items:
            if (wanted is None or m.meeting_type in wanted) and (whole or first <= m.day <= last):
                found.append((i, m))
    if hits > 1:
        found.sort(key=_position)
    return [m for _i, m in found]


def _position(item: tuple[int, MeetingFact]) -> int:
    return item[0]


def held_attendances_in(facts: Facts, period: Period) -> list[AttendanceFact]:
    """The subject's attendances at held meetings whose local day is in the period."""
    index = facts.attendances_by_month
    first, last = period.first, period.last
    out: list[AttendanceFact] = []
    for key, whole in month_span(first, last):
        items = index.get(key)
        if not items:
            continue
        if whole:
            out.extend(items)
        else:
            out.extend(a for a in items if first <= a.meeting.day <= last)
    return out


def last_on_or_before(days: list[date], ref: date) -> date | None:
    """The latest of sorted `days` not after `ref`."""
    i = bisect_right(days, ref)
    return days[i - 1] if i else None


def count_after(days: list[date], day: date | None) -> int:
    """How many of sorted `days` fall after `day` (all when `day` is None)."""
    return len(days) - (bisect_right(days, day) if day is not None else 0)


def scheduled_in(
    facts: Facts, period: Period, now: datetime, types: Iterable[str] | None = None
) -> list[MeetingFact]:
    """Planned meetings still ahead in the period: they count only toward feasibility."""
    return [m for m in meetings_in(facts, period, types) if m.planned and m.start >= now]
