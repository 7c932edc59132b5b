"""A year of reports for the demo: members' quarterly thought reports and branches'
half-yearly work reports (reports app), mostly on time, with gaps where the story needs them."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from zhibu.demo.county import County
from zhibu.demo.orglife_year import YearBuilder
from zhibu.demo.people import random_day
from zhibu.demo.writer import Ids, Sink

THOUGHT_TITLES = (
    "第{q}季度思想汇报",
    "{y}年第{q}季度思想和工作情况汇报",
    "学习党的创新理论的思想汇报",
)
THOUGHT_BODIES = (
    "本季度认真学习党的创新理论，按时参加组织生活。工作中坚持标准、服务群众，"
    "也存在学习不够系统的问题，下一步将制定个人学习计划，抓好落实。",
    "本季度围绕单位中心工作履职尽责，积极参加主题党日和志愿服务。对照党章党规查找差距，"
    "在主动担当方面还有不足，今后将进一步增强责任意识。",
    "本季度重点学习了党纪学习教育有关材料，深刻认识到严守纪律规矩的重要性。"
    "今后将以更高标准要求自己，发挥党员先锋模范作用。",
)


def _quarters(first: date, last: date) -> list[tuple[int, int, date, date]]:
    out = []
    y, q = first.year, (first.month - 1) // 3 + 1
    while date(y, 3 * q - 2, 1) <= last:
        start = date(y, 3 * q - 2, 1)
        end = date(y + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
        out.append((y, q, start, end))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def build_reports(
    *, sink: Sink, county: County, year: YearBuilder, seed: int, now: datetime
) -> None:
    from zhibu.reports.models import ThoughtReport, WorkReport

    rng = random.Random(seed * 31 + 5)
    ids = Ids()
    tz = timezone.get_default_timezone()
    today = county.today
    users = {a.member.id: a.user_id for a in county.accounts if a.member is not None}
    for branch in county.branches:
        rate = 0.6 if branch.flags & {"makeup_slack", "silent"} else 1.0
        for y, q, q_first, q_last in _quarters(year.first, today):
            for stay in branch.stays:
                m = stay.member
                if m.is_exempt:
                    continue
                lo = max(q_first, stay.start, m.join_date)
                hi = min(q_last, stay.end or q_last, today)
                if lo > hi or rng.random() > rate:
                    continue
                day = random_day(rng, lo, hi)
                submitted = datetime.combine(day, time(rng.randint(9, 21)), tzinfo=tz)
                if submitted > now:
                    continue
                reviewed = submitted + timedelta(days=rng.randint(2, 12))
                secretary = branch.secretary(day)
                reviewer = users.get(secretary.id) if secretary else None
                done = reviewed <= now and reviewer is not None
                sink.add(
                    ThoughtReport,
                    id=ids.next(ThoughtReport),
                    member_id=m.id,
                    org_id=branch.id,
                    kind="thought_report",
                    title=rng.choice(THOUGHT_TITLES).format(y=y, q=q),
                    body=rng.choice(THOUGHT_BODIES),
                    attachment="",
                    status="reviewed" if done else "submitted",
                    submitted_at=submitted,
                    reviewed_by_id=reviewer if done else None,
                    reviewed_at=reviewed if done else None,
                    comment="已阅，望继续加强学习。" if done else "",
                    created_at=submitted - timedelta(hours=1),
                    updated_at=reviewed if done else submitted,
                )
        # Half-yearly work report to the members, at the June and December general meetings
        # (the two branches flagged as slack skip it).
        for (branch_id, y, month), meeting_id in year.general_meetings.items():
            if (
                branch_id != branch.id
                or month not in (6, 12)
                or branch.flags & {"makeup_slack", "silent"}
            ):
                continue
            half = 1 if month == 6 else 2
            meeting_day = date(y, month, 1)
            presented = min(today, meeting_day + timedelta(days=branch.fixed_party_day + 5))
            secretary = branch.secretary(presented)
            sink.add(
                WorkReport,
                id=ids.next(WorkReport),
                org_id=branch.id,
                kind="regular",
                title=f"{branch.name}{y}年{'上' if half == 1 else '下'}半年工作报告",
                body="一、主要工作：落实“三会一课”，开展主题党日，加强党员教育管理。"
                "二、存在问题：学习形式较单一。三、下步打算：丰富学习形式，抓好整改落实。",
                period_key=f"{y}H{half}",
                meeting_id=meeting_id,
                presented_on=presented,
                created_by_id=users.get(secretary.id) if secretary else None,
            )
