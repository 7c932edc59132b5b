"""Pure fact builders for the table-driven kind tests (no database)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from zhibu.compliance.kinds.base import (
    AttendanceFact,
    Facts,
    MakeupFact,
    MeetingFact,
    MemberFact,
    Tenure,
)

SH = ZoneInfo("Asia/Shanghai")
BRANCH = 10
OTHER_BRANCH = 20
GROUP = 11


def at(day: date, hhmm: str = "09:00") -> datetime:
    """An aware Asia/Shanghai datetime."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=SH)


_ids = iter(range(1, 10**6))


def meeting(
    day: date,
    minutes: int | None = 180,
    *,
    type: str = "party_day",
    status: str = "confirmed",
    start: str = "09:00",
    planned_minutes: int | None = None,
    category: str = "political_study",
    org_id: int = BRANCH,
    id: int | None = None,
    **kw,
) -> MeetingFact:
    begin = at(day, start)
    planned = planned_minutes or (minutes if minutes and minutes >= 180 else 180)
    held = status in ("held", "confirmed") and minutes is not None
    return MeetingFact(
        id=id or next(_ids),
        org_id=org_id,
        meeting_type=type,
        status=status,
        content_category=category,
        planned_start=begin,
        planned_end=begin + timedelta(minutes=planned),
        actual_start=begin if held else None,
        actual_end=begin + timedelta(minutes=minutes) if held else None,
        **kw,
    )


def attend(
    m: MeetingFact,
    member_id: int = 1,
    outcome: str = "present",
    *,
    leave: str = "",
    requested: datetime | None = None,
    decided: datetime | None = None,
) -> AttendanceFact:
    return AttendanceFact(
        meeting=m,
        member_id=member_id,
        outcome=outcome,
        leave_status=leave,
        leave_requested_at=requested,
        leave_decided_at=decided,
    )


def branch(meetings=(), **kw) -> Facts:
    kw.setdefault("full_member_count", 10)
    return Facts(org_id=BRANCH, org_name="第一党支部", meetings=tuple(meetings), **kw)


def person(
    member_id: int = 1,
    *,
    attendances=(),
    makeups=(),
    exempt: bool = False,
    cadre: bool = False,
    tenures=None,
    **kw,
) -> Facts:
    member = MemberFact(
        id=member_id,
        name="党员",
        is_exempt=exempt,
        is_leading_cadre=cadre,
        tenures=tuple(tenures or (Tenure(BRANCH, date(2010, 7, 1)),)),
    )
    return Facts(
        org_id=BRANCH,
        member=member,
        members=(member,),
        attendances=tuple(attendances),
        makeups=tuple(makeups),
        **kw,
    )


def makeup(m: MeetingFact, due: date, done: datetime | None = None, member_id: int = 1):
    return MakeupFact(member_id, m.id, due, done)
