"""The annual cycle in the demo: each branch's 组织生活会 with its preparation and
rectification list, and its 民主评议党员 — last year's finished, this year's under way
(some branches behind), so the procedure checks have something true to say."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from django.utils import timezone

from zhibu.core.periods import months_after
from zhibu.members.models import CommitteePosition, Member, MemberStatus
from zhibu.orglife.meeting_types import MeetingTypeCode
from zhibu.orglife.models import Attendance, Meeting, MeetingStatus, ProcedureStep
from zhibu.orgs import parameters
from zhibu.reports.models import (
    CriticismEntry,
    DemocraticReview,
    Grade,
    HeartTalk,
    Opinion,
    PeerVote,
    RectificationItem,
    RectificationStatus,
    ReviewOutcome,
    ReviewStage,
    SelfAssessment,
    SelfExamination,
)

OPINIONS = [
    "会前学习可以再充分一些，建议提前一周发放学习材料。",
    "希望支部多组织到基层一线的主题党日活动。",
    "支委要多和年轻党员谈心，了解思想动态。",
    "党课内容可以结合本单位业务实际，更接地气。",
    "个别党员参加组织生活不够积极，请假较多。",
]
PROBLEMS = [
    ("理论学习不够系统，学用结合不紧", "制定季度学习计划，每月一次专题研讨"),
    ("联系服务群众不够经常", "每名党员每季度到联系社区开展一次志愿服务"),
    ("组织生活时间有时被业务工作挤占", "主题党日时间提前锁定，专时专用"),
    ("批评和自我批评辣味不足", "会前逐一谈心谈话，发言提纲由支委把关"),
]
SELF_EXAM = "对照党章党规，从理论学习、政治素质、作风建设等方面查摆问题，剖析原因，明确整改方向。"


def build_cycle(*, seed: int, now: datetime) -> None:
    """Write the cycle for every demo branch with bulk inserts (a fixed number of queries)."""
    rng = random.Random(seed + 7)
    today = timezone.localdate(now)
    meetings = list(
        Meeting.objects.filter(
            meeting_type__in=[MeetingTypeCode.ORG_LIFE_MEETING, MeetingTypeCode.DEMOCRATIC_REVIEW]
        )
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by("org_id", "planned_start")
    )
    by_org: dict[int, dict[tuple[str, int], Meeting]] = {}
    for m in meetings:
        by_org.setdefault(m.org_id, {})[(m.meeting_type, m.planned_start.year)] = m
    attendees: dict[int, list[int]] = {}
    for meeting_id, member_id in Attendance.objects.filter(meeting__in=meetings).values_list(
        "meeting_id", "member_id"
    ):
        attendees.setdefault(meeting_id, []).append(member_id)
    full = set(
        Member.objects.filter(status=MemberStatus.FULL, is_active=True).values_list("pk", flat=True)
    )
    committee: dict[int, set[int]] = {}
    for org_id, member_id in (
        CommitteePosition.objects.filter(end__isnull=True)
        .exclude(role="party_group_leader")
        .values_list("org_id", "member_id")
    ):
        committee.setdefault(org_id, set()).add(member_id)

    rows: dict[type, list] = {
        Opinion: [],
        HeartTalk: [],
        SelfExamination: [],
        CriticismEntry: [],
        RectificationItem: [],
        ProcedureStep: [],
        SelfAssessment: [],
        PeerVote: [],
    }
    reviews: list[tuple[DemocraticReview, list[int], dict[int, str]]] = []
    for index, (org_id, org_meetings) in enumerate(sorted(by_org.items())):
        behind = index % 4 == 3  # every fourth branch is behind with this year's preparation
        for (kind, year), meeting in org_meetings.items():
            people = attendees.get(meeting.pk, [])
            if not people:
                continue
            past = meeting.status == MeetingStatus.CONFIRMED
            if kind == MeetingTypeCode.ORG_LIFE_MEETING:
                _olm(rows, rng, meeting, people, committee.get(org_id, set()), past, behind, today)
            elif past or not behind:
                graded = [p for p in people if p in full]
                grades = _grades(rng, graded) if past else {}
                review = DemocraticReview(
                    org_id=org_id,
                    year=year,
                    meeting=meeting if past else None,
                    stage=ReviewStage.DECIDED if past else ReviewStage.PEER_ASSESSMENT,
                    decided_at=meeting.actual_end if past else None,
                )
                reviews.append((review, people, grades))
                for member_id in people:
                    rows[SelfAssessment].append((review, member_id))
                for voter in graded:
                    for subject in rng.sample(graded, k=min(len(graded), 6)):
                        if subject != voter and (past or rng.random() < 0.5):
                            grade = grades.get(subject) or Grade.QUALIFIED
                            rows[PeerVote].append((review, voter, subject, grade))
    for model in (
        Opinion,
        HeartTalk,
        SelfExamination,
        CriticismEntry,
        RectificationItem,
        ProcedureStep,
    ):
        model.objects.bulk_create(rows[model], ignore_conflicts=model is ProcedureStep)
    DemocraticReview.objects.bulk_create([r for r, _, _ in reviews])
    saved = {
        (r.org_id, r.year): r
        for r in DemocraticReview.objects.filter(org_id__in=[r.org_id for r, _, _ in reviews])
    }
    SelfAssessment.objects.bulk_create(
        [
            SelfAssessment(
                review=saved[(r.org_id, r.year)],
                member_id=m,
                text=SELF_EXAM,
                grade=Grade.QUALIFIED,
            )
            for r, m in rows[SelfAssessment]
        ]
    )
    PeerVote.objects.bulk_create(
        [
            PeerVote(review=saved[(r.org_id, r.year)], voter_id=v, subject_id=s, grade=g)
            for r, v, s, g in rows[PeerVote]
        ],
        ignore_conflicts=True,
    )
    outcomes = []
    for review, people, grades in reviews:
        saved_review = saved[(review.org_id, review.year)]
        for member_id in people:
            if member_id not in full:
                continue  # probationary members take part but are not graded
            grade = grades.get(member_id, "")
            outcomes.append(
                ReviewOutcome(
                    review=saved_review,
                    member_id=member_id,
                    proposed_grade=grade,
                    grade=grade,
                    disposition="deadline_correction" if grade == Grade.UNQUALIFIED else "",
                    follow_up_deadline=(
                        date(review.year + 1, 12, 31) if grade == Grade.UNQUALIFIED else None
                    ),
                )
            )
    ReviewOutcome.objects.bulk_create(outcomes, ignore_conflicts=True)


def _grades(rng: random.Random, members: list[int]) -> dict[int, str]:
    """About a quarter excellent (under the one-third cap), a few basically qualified, rarely
    one unqualified."""
    grades = {}
    cap = len(members) // 3
    excellent = set(rng.sample(members, k=min(cap, max(0, len(members) // 4))))
    for member_id in members:
        if member_id in excellent:
            grades[member_id] = Grade.EXCELLENT
        elif rng.random() < 0.05:
            grades[member_id] = Grade.BASICALLY_QUALIFIED
        else:
            grades[member_id] = Grade.QUALIFIED
    if len(members) > 20 and rng.random() < 0.3:
        grades[rng.choice([m for m in members if m not in excellent])] = Grade.UNQUALIFIED
    return grades


def _olm(rows, rng, meeting, people, committee, past, behind, today):
    """Preparation, criticism and rectification rows. Steps of past meetings were written with
    the year's records (one branch deliberately skipped one); only this year's are added."""
    day = timezone.localdate(meeting.planned_start)
    prep = day - timedelta(days=14)
    if prep > today:
        return
    for text in rng.sample(OPINIONS, k=3):
        anonymous = rng.random() < 0.6
        rows[Opinion].append(
            Opinion(
                meeting=meeting,
                author_id=None if anonymous else rng.choice(people),
                text=text,
                submitted_on=prep,
            )
        )
    if not past:
        rows[ProcedureStep].append(ProcedureStep(meeting=meeting, code="solicit", done_on=prep))
    leaders = sorted(committee & set(people)) or people[:1]
    ordinary = [p for p in people if p not in leaders]
    talks = [(a, b) for i, a in enumerate(leaders) for b in leaders[i + 1 :]]
    talks += [(leaders[i % len(leaders)], m) for i, m in enumerate(ordinary)]
    talks += [(ordinary[i], ordinary[i + 1]) for i in range(0, len(ordinary) - 1, 2)]
    if len(ordinary) % 2 and len(ordinary) > 1:
        talks.append((ordinary[-1], ordinary[0]))
    if behind and not past:
        talks = talks[: len(talks) // 2]  # preparation unfinished
    for a, b in talks:
        rows[HeartTalk].append(HeartTalk(meeting=meeting, first_id=a, second_id=b, held_on=prep))
    if not (behind and not past):
        if not past:
            rows[ProcedureStep].append(
                ProcedureStep(meeting=meeting, code="heart_talk", done_on=prep)
            )
        for member_id in people:
            rows[SelfExamination].append(
                SelfExamination(meeting=meeting, member_id=member_id, text=SELF_EXAM)
            )
        if not past:
            rows[ProcedureStep].append(
                ProcedureStep(meeting=meeting, code="self_check", done_on=prep)
            )
    if not past:
        return
    for speaker in rng.sample(people, k=min(3, len(people))):
        rows[CriticismEntry].append(
            CriticismEntry(
                meeting=meeting,
                speaker_id=speaker,
                target_id=speaker,
                text="检视自身在理论学习和作风方面的不足。",
            )
        )
    for n, (problem, measure) in enumerate(rng.sample(PROBLEMS, k=2)):
        deadline = day + timedelta(days=90)
        done = n == 0 or not behind
        rows[RectificationItem].append(
            RectificationItem(
                org_id=meeting.org_id,
                meeting=meeting,
                problem=problem,
                measure=measure,
                owner_id=leaders[0],
                deadline=deadline,
                status=RectificationStatus.VERIFIED if done else RectificationStatus.OPEN,
                evidence="已按措施落实，形成工作记录。" if done else "",
                done_on=deadline - timedelta(days=10) if done else None,
                recheck_on=months_after(deadline, int(parameters.default("recheck_months")))
                if done
                else None,
            )
        )
