"""A year of organizational life for every demo branch, up to today and a few weeks beyond.

Realistic and imperfect on purpose, so the compliance engine has something true to say. Besides
the random noise (a late member, an approved leave, a make-up not yet done), the branches flagged
in county.FLAGS carry one story each:

- `skip_months`: no party day (nor committee meeting) in two past months;
- `concentrated`: no party day in February, two full days in March (相对集中使用);
- `short_half_day`: one "half-day" party day over in 50 minutes;
- `business_day`: one party day used for business (业务工作) content;
- `cadres_absent`: leading cadres often absent without leave (双重组织生活);
- `makeup_slack`: half of the make-ups never done, so they go overdue;
- `silent`: nothing recorded or planned for the last 45 days;
- `late_entry`: one record entered weeks late (补记, with a reason);
- `amendment`: a confirmed record corrected afterwards (Amendment rows);
- `lecture_no_discussion`: a party lecture recorded without its discussion;
- `secretary_change`: handled in county (a new secretary mid-year).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from zhibu.demo import pools
from zhibu.demo.county import County, DemoBranch, DemoMember
from zhibu.demo.writer import Ids, Sink
from zhibu.orglife.meeting_types import OLM_STEPS
from zhibu.orglife.models import (
    Amendment,
    Attendance,
    Decision,
    DiscussionEntry,
    LeaveRequest,
    Makeup,
    Meeting,
    Plan,
    ProcedureStep,
)
from zhibu.orgs import parameters

UPCOMING_DAYS = 24


@dataclass(eq=False)
class Spec:
    """One meeting to write, decided before any is written (so make-ups can point forward)."""

    id: int
    org_id: int
    mtype: str
    day: date
    start: time
    planned_minutes: int
    actual_minutes: int
    topic: str
    category: str = "political_study"
    group_id: int | None = None
    lecturer: str = ""
    materials: str = ""
    late_entry: bool = False
    amend: bool = False
    no_discussion: bool = False
    skip_steps: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


def _weekday(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def _months(first: date, last: date) -> list[tuple[int, int]]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _day(y: int, m: int, d: int) -> date:
    return _weekday(date(y, m, max(1, min(28, d))))


class YearBuilder:
    def __init__(self, *, sink: Sink, county: County, seed: int, now: datetime) -> None:
        self.sink = sink
        self.county = county
        self.rng = random.Random(seed * 7919 + 17)
        self.ids = Ids()
        self.now = now
        self.today = county.today
        self.first = date(self.today.year - 1, self.today.month, 1)
        self.horizon = self.today + timedelta(days=UPCOMING_DAYS)
        self.tz = timezone.get_default_timezone()
        self.users = {a.member.id: a.user_id for a in county.accounts if a.member is not None}
        # February/March used by the `concentrated` branch: the latest pair fully in the past.
        y = self.today.year if self.today >= date(self.today.year, 4, 1) else self.today.year - 1
        self.concentrate_year = y
        # (branch id, year, month) -> id of the general meeting held then (for work reports).
        self.general_meetings: dict[tuple[int, int, int], int] = {}

    def at(self, day: date, t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=self.tz)

    # -- planning -------------------------------------------------------------------------

    def build(self) -> None:
        for branch in self.county.branches:
            self._plans(branch)
            specs = self._schedule(branch)
            specs.sort(key=lambda s: (s.day, s.start, s.id))
            self.written: set[int] = set()
            self.makeups: list[dict] = []
            for i, spec in enumerate(specs):
                later = next(
                    (
                        o
                        for o in specs[i + 1 :]
                        if o.mtype == spec.mtype and o.org_id == spec.org_id
                    ),
                    None,
                )
                self._write(branch, spec, later)
            # Make-ups may point at a later meeting: add them once every meeting row is queued.
            for row in self.makeups:
                if (
                    row["later_meeting_id"] is not None
                    and row["later_meeting_id"] not in self.written
                ):
                    row.update(
                        later_meeting_id=None,
                        method="study",
                        reflection=pools.MAKEUP_REFLECTIONS[0],
                    )
                self.sink.add(Makeup, **row)

    def _author(self, branch: DemoBranch, day: date) -> int | None:
        secretary = branch.secretary(day) or branch.secretary(self.today)
        return self.users.get(secretary.id) if secretary else None

    def _plans(self, branch: DemoBranch) -> None:
        for year in (self.first.year, self.today.year):
            self.sink.add(
                Plan,
                id=self.ids.next(Plan),
                org_id=branch.id,
                year=year,
                month=None,
                content=(
                    f"{year}年度{branch.name}组织生活计划：每月{branch.fixed_party_day}日前后开展"
                    "主题党日，按月召开支委会和党小组会，每季度召开党员大会、上党课，"
                    "年底召开组织生活会并开展民主评议党员。"
                ),
                created_by_id=self._author(branch, max(self.first, date(year, 1, 5))),
            )
        self.sink.add(
            Plan,
            id=self.ids.next(Plan),
            org_id=branch.id,
            year=self.today.year,
            month=self.today.month,
            content=f"{self.today.month}月：主题党日两次，支委会一次，党小组会各一次。",
            created_by_id=self._author(branch, self.today),
        )

    def _schedule(self, branch: DemoBranch) -> list[Spec]:
        rng, flags = self.rng, branch.flags
        organ = branch.category == "organ"
        months = _months(self.first, self.horizon)
        past_months = [ym for ym in months if date(*ym, 28) < self.today - timedelta(days=60)]
        skipped = set(rng.sample(past_months[1:-1], 2)) if "skip_months" in flags else set()
        short_month = past_months[-4] if "short_half_day" in flags else None
        business_month = past_months[-3] if "business_day" in flags else None
        late_month = past_months[-2] if "late_entry" in flags else None
        amend_month = past_months[-5] if "amendment" in flags else None
        no_disc_count = 1 if "lecture_no_discussion" in flags else 0
        specs: list[Spec] = []
        topic_offset = rng.randrange(len(pools.PARTY_DAY_TOPICS))

        def add(**kw) -> Spec:
            spec = Spec(id=self.ids.next(Meeting), **kw)
            specs.append(spec)
            return spec

        fixed = branch.fixed_party_day
        for n, (y, m) in enumerate(months):
            # Party days.
            concentrated = "concentrated" in flags and y == self.concentrate_year
            if (y, m) in skipped or (concentrated and m == 2):
                pass
            elif concentrated and m == 3:
                for d in (fixed, fixed + 7):
                    add(
                        org_id=branch.id,
                        mtype="party_day",
                        day=_day(y, m, d),
                        start=time(8, 30),
                        planned_minutes=540,
                        actual_minutes=rng.choice((525, 540, 535)),
                        topic="集中开展党日活动：党的创新理论专题学习（全天）",
                        category="political_study",
                    )
            else:
                sessions = (fixed, fixed + 10 if fixed <= 18 else fixed - 10) if organ else (fixed,)
                for k, d in enumerate(sessions):
                    idx = (topic_offset + n * 2 + k) % len(pools.PARTY_DAY_TOPICS)
                    if organ:
                        start = rng.choice((time(14, 30), time(8, 30)))
                        planned = 210
                        # Always a full half-day here: the branches flagged short_half_day
                        # show what a short one does to the pace.
                        actual = rng.choices(
                            (200, 205, 210, 215, 220, 225), weights=(10, 15, 30, 15, 12, 8)
                        )[0]
                    else:
                        start, planned = time(15, 0), 150
                        actual = rng.choice((120, 135, 150, 145))
                    spec = add(
                        org_id=branch.id,
                        mtype="party_day",
                        day=_day(y, m, d),
                        start=start,
                        planned_minutes=planned,
                        actual_minutes=actual,
                        topic=pools.PARTY_DAY_TOPICS[idx],
                        category=pools.PARTY_DAY_CATEGORY.get(idx, "political_study"),
                    )
                    if k == 0 and (y, m) == short_month:
                        spec.actual_minutes = 50
                    if k == 1 and (y, m) == business_month:
                        spec.topic, spec.category = pools.BUSINESS_TOPIC, "business"
                    if k == 0 and (y, m) == late_month:
                        spec.late_entry = True
                    if k == 0 and (y, m) == amend_month:
                        spec.amend = True
            # Committee meeting, monthly, before the party day.
            if branch.has_committee and (y, m) not in skipped:
                add(
                    org_id=branch.id,
                    mtype="committee_meeting",
                    day=_day(y, m, fixed - 4),
                    start=time(16, 0),
                    planned_minutes=60,
                    actual_minutes=rng.randint(45, 75),
                    topic=pools.COMMITTEE_TOPICS[(n + branch.index) % len(pools.COMMITTEE_TOPICS)],
                )
            # Party-group meetings, monthly.
            for gid, _gname in branch.groups:
                if (y, m) in skipped and rng.random() < 0.5:
                    continue
                add(
                    org_id=gid,
                    mtype="party_group_meeting",
                    group_id=gid,
                    day=_day(y, m, fixed + 3 + rng.randint(0, 4)),
                    start=time(16, 30),
                    planned_minutes=60,
                    actual_minutes=rng.randint(50, 70),
                    topic=pools.GROUP_TOPICS[(n + gid) % len(pools.GROUP_TOPICS)],
                )
            # General meeting in the last month of each quarter.
            if m % 3 == 0:
                add(
                    org_id=branch.id,
                    mtype="general_meeting",
                    day=_day(y, m, fixed + 6),
                    start=time(15, 0),
                    planned_minutes=90,
                    actual_minutes=rng.randint(75, 100),
                    topic=pools.GENERAL_TOPICS[(m // 3 - 1) % len(pools.GENERAL_TOPICS)],
                )
            # Party lecture in the middle month of each quarter.
            if m % 3 == 2:
                title, who = pools.LECTURE_TOPICS[(n + branch.index) % len(pools.LECTURE_TOPICS)]
                spec = add(
                    org_id=branch.id,
                    mtype="party_lecture",
                    day=_day(y, m, fixed + 5),
                    start=time(14, 30),
                    planned_minutes=120,
                    actual_minutes=rng.randint(100, 130),
                    topic=title,
                    materials=rng.choice(pools.LECTURE_MATERIALS),
                    category="political_study",
                )
                spec.extra["lecturer_kind"] = who
                if no_disc_count and date(y, m, 1) < self.today - timedelta(days=60):
                    spec.no_discussion = True
                    no_disc_count -= 1
            # 组织生活会 late last year (and planned for this December in some branches).
            if m == 12:
                spec = add(
                    org_id=branch.id,
                    mtype="org_life_meeting",
                    day=_day(y, m, 22),
                    start=time(9, 0),
                    planned_minutes=180,
                    actual_minutes=rng.randint(170, 200),
                    topic=f"{y}年度组织生活会",
                    category="org_life",
                )
                if "skip_months" in flags:
                    spec.skip_steps = ("heart_talk",)
                # 民主评议党员 the same afternoon (支部条例 第十八条 allows combining them).
                add(
                    org_id=branch.id,
                    mtype="democratic_review",
                    day=spec.day,
                    start=time(14, 30),
                    planned_minutes=120,
                    actual_minutes=rng.randint(100, 130),
                    topic=f"{y}年度民主评议党员",
                    category="org_life",
                )
                # 谈心谈话 before the meeting: the secretary with a few members (no roll call).
                for k in range(2 if "skip_months" in flags else 3):
                    add(
                        org_id=branch.id,
                        mtype="heart_talk",
                        day=_day(y, m, 5 + 3 * k),
                        start=time(16, 0),
                        planned_minutes=40,
                        actual_minutes=rng.randint(30, 50),
                        topic="组织生活会前谈心谈话",
                        category="org_life",
                    )
        # Nothing in the last 45 days (nor planned) for the silent branch.
        if "silent" in flags:
            specs = [s for s in specs if s.day <= self.today - timedelta(days=45)]
        return [s for s in specs if s.day <= self.horizon]

    # -- writing --------------------------------------------------------------------------

    def _write(self, branch: DemoBranch, spec: Spec, later: Spec | None) -> None:
        rng = self.rng
        planned_start = self.at(spec.day, spec.start)
        planned_end = planned_start + timedelta(minutes=spec.planned_minutes)
        future = planned_start > self.now
        secretary = branch.secretary(min(spec.day, self.today))
        sec_user = self._author(branch, min(spec.day, self.today))

        if spec.mtype == "committee_meeting":
            due = branch.committee(spec.day)
        elif spec.mtype == "party_group_meeting":
            due = branch.due(spec.day, spec.group_id)
        elif spec.mtype == "heart_talk":
            due = []  # a talk between two people registers no attendance
        else:
            due = branch.due(spec.day)
        if not due and spec.mtype != "heart_talk":
            return
        lecturer = ""
        if spec.mtype == "party_lecture":
            kind = spec.extra.get("lecturer_kind")
            if kind == "纪检委员":
                lect = next(
                    (
                        p.member
                        for p in branch.posts
                        if p.role == "discipline_member" and p.covers(spec.day)
                    ),
                    secretary,
                )
                lecturer = lect.name if lect else ""
            elif kind == "县委党校讲师":
                lecturer = f"县委党校 {rng.choice(pools.SURNAMES[:30])}老师"
            elif kind == "领导干部":
                cadre = next((m for m in due if m.is_leading_cadre), secretary)
                lecturer = cadre.name if cadre else ""
            else:
                lecturer = secretary.name if secretary else ""

        spec.lecturer = lecturer
        self.written.add(spec.id)
        if spec.mtype == "general_meeting" and not future:
            self.general_meetings[(branch.id, spec.day.year, spec.day.month)] = spec.id
        notice = None
        actual_start = actual_end = confirmed_at = None
        status = "planned"
        if future:
            sent = planned_start - timedelta(days=rng.randint(5, 8))
            notice = sent if sent <= self.now else None
        else:
            lead = rng.choices((1, 3, 5, 7), weights=(0.2, 30, 40, 28))[0]
            notice = planned_start - timedelta(days=lead, hours=rng.randint(0, 6))
            actual_start = planned_start + timedelta(minutes=rng.choice((0, 0, 2, 5, 10)))
            actual_end = actual_start + timedelta(minutes=spec.actual_minutes)
            confirm_after = timedelta(days=rng.randint(1, 6), hours=rng.randint(1, 5))
            if spec.late_entry:
                confirm_after = timedelta(days=rng.randint(20, 30))
            confirmed_at = actual_end + confirm_after
            status = "confirmed"
            if confirmed_at > self.now or (
                spec.day > self.today - timedelta(days=12) and rng.random() < 0.4
            ):
                status, confirmed_at = "held", None
        created_at = notice or planned_start - timedelta(days=2)
        if spec.late_entry and confirmed_at:
            created_at = confirmed_at - timedelta(hours=2)

        outcomes: list[tuple[DemoMember, str]] = []
        for m in due:
            outcomes.append((m, "" if future else self._outcome(branch, spec, m)))
        counts = {
            k: sum(1 for _, o in outcomes if o == k)
            for k in ("present", "late", "left_early", "on_leave", "absent")
        }
        chair = secretary.name if secretary else "支部负责人"
        minutes = ""
        if not future:
            attended = counts["present"] + counts["late"] + counts["left_early"]
            minutes = (
                f"<p>会议主题：{spec.topic}。主持人：{chair}。</p>"
                f"<p>应到{len(due)}人，实到{attended}"
                f"人（迟到{counts['late']}人、早退{counts['left_early']}人），"
                f"请假{counts['on_leave']}人，缺席{counts['absent']}人。</p>"
                "<p>会议按议程进行，与会党员结合实际交流发言，会议要求会后抓好跟进落实。</p>"
            )
            if spec.mtype == "heart_talk":
                minutes = f"<p>{chair}与党员谈心谈话，交流思想和工作情况，听取意见建议。</p>"
        self.sink.add(
            Meeting,
            id=spec.id,
            org_id=spec.org_id,
            meeting_type=spec.mtype,
            topic=spec.topic,
            content_category=spec.category,
            place=rng.choice(("机关三楼党员活动室", "单位会议室", "县党群服务中心")),
            agenda=f"一、{spec.topic}；二、交流发言；三、部署下步工作。",
            materials=spec.materials or ("学习材料已提前印发" if spec.mtype == "party_day" else ""),
            lecturer=lecturer,
            planned_start=planned_start,
            planned_end=planned_end,
            actual_start=actual_start,
            actual_end=actual_end,
            status=status,
            notice_sent_at=notice,
            minutes=minutes,
            is_late_entry=spec.late_entry,
            late_entry_reason="记录人外出培训，返回后根据签到表和笔记补记"
            if spec.late_entry
            else "",
            signin_code="",
            created_by_id=sec_user,
            confirmed_by_id=sec_user if confirmed_at else None,
            confirmed_at=confirmed_at,
            created_at=created_at,
            updated_at=confirmed_at or actual_end or created_at,
        )

        for m, outcome in outcomes:
            att_id = self.ids.next(Attendance)
            signed = method = None
            if outcome in ("present", "left_early", "late"):
                offset = rng.randint(8, 30) if outcome == "late" else -rng.randint(1, 15)
                signed = actual_start + timedelta(minutes=offset)
                method = rng.choices(("qr", "roster", "code"), weights=(6, 3, 1))[0]
            self.sink.add(
                Attendance,
                id=att_id,
                meeting_id=spec.id,
                member_id=m.id,
                outcome=outcome,
                signed_in_at=signed,
                sign_in_method=method or "",
                is_leading_cadre=m.is_leading_cadre and spec.mtype != "committee_meeting",
            )
            self._leave(spec, m, outcome, planned_start, future, sec_user)
            if outcome in ("on_leave", "absent"):  # as meeting_confirm does, for every type
                self._makeup(branch, spec, m, att_id, actual_end, later, sec_user)

        self._steps(spec, status, present=[m for m, o in outcomes if o in ("present", "late")])
        if spec.mtype in ("committee_meeting", "general_meeting") and not future:
            self.sink.add(
                Decision,
                id=self.ids.next(Decision),
                meeting_id=spec.id,
                text=f"同意{spec.topic.removeprefix('研究')}的安排，由支部委员分工落实。",
            )
        if spec.amend and confirmed_at:
            self._amend(spec, actual_end, confirmed_at, sec_user)

    def _outcome(self, branch: DemoBranch, spec: Spec, m: DemoMember) -> str:
        rng = self.rng
        if m.is_exempt and spec.mtype != "committee_meeting":
            return "on_leave"
        if m.is_leading_cadre:
            if "cadres_absent" in branch.flags and rng.random() < 0.55:
                return "absent"
            return rng.choices(
                ("present", "on_leave", "late", "absent"), weights=(78, 18, 4, 0.03)
            )[0]
        # Unexcused absence is rare in a well-run branch (about one member-session in 10,000,
        # a handful in the county's year); the branches flagged for it show the pattern.
        return rng.choices(
            ("present", "late", "left_early", "on_leave", "absent"), weights=(88, 4, 2, 6, 0.01)
        )[0]

    def _leave(
        self,
        spec: Spec,
        m: DemoMember,
        outcome: str,
        start: datetime,
        future: bool,
        sec_user: int | None,
    ) -> None:
        rng = self.rng
        reason = "年老体弱，申请送学上门" if m.is_exempt else rng.choice(pools.LEAVE_REASONS)
        requested = start - timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 8))
        if future:
            if rng.random() < 0.04 and requested <= self.now:
                self.sink.add(
                    LeaveRequest,
                    id=self.ids.next(LeaveRequest),
                    meeting_id=spec.id,
                    member_id=m.id,
                    reason=reason,
                    requested_at=requested,
                    status="pending",
                    created_at=requested,
                    updated_at=requested,
                )
            return
        status, decided = None, None
        if outcome == "on_leave":
            status, decided = "approved", requested + timedelta(hours=rng.randint(1, 20))
            decided = min(decided, start - timedelta(minutes=30))
        elif outcome == "absent" and rng.random() < 0.15:
            # Asked too late: approved only after the start, so the absence is not excused.
            requested = start - timedelta(minutes=rng.randint(5, 40))
            status, decided = "approved", start + timedelta(hours=rng.randint(1, 5))
        if status is None:
            return
        self.sink.add(
            LeaveRequest,
            id=self.ids.next(LeaveRequest),
            meeting_id=spec.id,
            member_id=m.id,
            reason=reason,
            requested_at=requested,
            status=status,
            decided_by_id=sec_user,
            decided_at=decided,
            decision_note="同意，请按要求补课" if status == "approved" else "",
            created_at=requested,
            updated_at=decided,
        )

    def _makeup(
        self,
        branch: DemoBranch,
        spec: Spec,
        m: DemoMember,
        att_id: int,
        ended: datetime,
        later: Spec | None,
        sec_user: int | None,
    ) -> None:
        rng = self.rng
        due = spec.day + timedelta(days=int(parameters.default("makeup_days")))
        never = "makeup_slack" in branch.flags and rng.random() < 0.5
        done_day = spec.day + timedelta(days=rng.randint(3, 25))
        submitted = confirmed = None
        method = reflection = ""
        later_id = None
        if not never and done_day <= self.today:
            if later is not None and later.day <= done_day and rng.random() < 0.25:
                method, later_id = "later_session", later.id
            else:
                method, reflection = "study", rng.choice(pools.MAKEUP_REFLECTIONS)
            submitted = datetime.combine(done_day, time(rng.randint(9, 20)), tzinfo=self.tz)
            confirmed = submitted + timedelta(days=rng.randint(1, 3))
            if confirmed > self.now:
                confirmed = None
        self.makeups.append(
            {
                "id": self.ids.next(Makeup),
                "attendance_id": att_id,
                "member_id": m.id,
                "due_date": due,
                "method": method,
                "reflection": reflection,
                "later_meeting_id": later_id,
                "submitted_at": submitted,
                "confirmed_by_id": sec_user if confirmed else None,
                "confirmed_at": confirmed,
                "created_at": ended,
                "updated_at": confirmed or submitted or ended,
            }
        )

    def _steps(self, spec: Spec, status: str, present: list[DemoMember]) -> None:
        rng = self.rng
        steps: list[tuple[str, date, str]] = []
        d = spec.day
        if spec.mtype == "party_day":
            steps.append(("theme", d - timedelta(days=7), "支委会研究确定主题和内容"))
            if status == "confirmed":
                steps.append(("follow_up", d + timedelta(days=7), "会后落实情况已跟进"))
        elif spec.mtype == "party_lecture" and status != "planned":
            steps.append(("lecture", d, f"授课人：{spec.lecturer or '支部书记'}"))
            if not spec.no_discussion:
                steps.append(("discussion", d, "课后分组讨论交流"))
                for speaker in rng.sample(present, min(3, len(present))):
                    self.sink.add(
                        DiscussionEntry,
                        id=self.ids.next(DiscussionEntry),
                        meeting_id=spec.id,
                        speaker_id=speaker.id,
                        text=rng.choice(pools.DISCUSSION_LINES),
                    )
        elif spec.mtype == "democratic_review" and status != "planned":
            offsets = {
                "self_assessment": -10,
                "peer_assessment": -3,
                "democratic_poll": 0,
                "committee_proposal": 1,
                "assembly_decision": 8,
            }
            for code, offset in offsets.items():
                steps.append((code, d + timedelta(days=offset), ""))
        elif spec.mtype == "org_life_meeting":
            offsets = {
                "theme": -30,
                "pre_study": -21,
                "heart_talk": -14,
                "solicit": -14,
                "self_check": -7,
                "criticism": 0,
                "rectify": 7,
                "report": 12,
            }
            for step in OLM_STEPS:
                day = d + timedelta(days=offsets[step.code])
                if step.code in spec.skip_steps or day > self.today:
                    continue
                steps.append((step.code, day, step.name))
        for code, day, note in steps:
            if day <= self.today:
                self.sink.add(
                    ProcedureStep,
                    id=self.ids.next(ProcedureStep),
                    meeting_id=spec.id,
                    code=code,
                    done_on=day,
                    note=note,
                )

    def _amend(
        self, spec: Spec, actual_end: datetime, confirmed_at: datetime, sec_user: int | None
    ) -> None:
        at = confirmed_at + timedelta(days=9)
        if at > self.now:
            return
        local_end = timezone.localtime(actual_end, self.tz)
        self.sink.add(
            Amendment,
            id=self.ids.next(Amendment),
            meeting_id=spec.id,
            field="minutes",
            old_value="<p>会议按议程进行。</p>",
            new_value="<p>会议按议程进行，补充了两名党员的交流发言要点。</p>",
            reason="确认后发现交流发言记录不全，根据记录本补充",
            by_id=sec_user,
            at=at,
        )
        self.sink.add(
            Amendment,
            id=self.ids.next(Amendment),
            meeting_id=spec.id,
            field="actual_end",
            old_value=(local_end + timedelta(minutes=20)).isoformat(),
            new_value=local_end.isoformat(),
            reason="结束时间误记，按签到表更正",
            by_id=sec_user,
            at=at + timedelta(hours=1),
        )


def build_year(*, sink: Sink, county: County, seed: int, now: datetime) -> YearBuilder:
    builder = YearBuilder(sink=sink, county=county, seed=seed, now=now)
    builder.build()
    return builder
