"""Writes for reports and the annual cycle. Each takes the acting account as `actor`."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from zhibu.core.params import check_year
from zhibu.core.periods import months_after
from zhibu.members.models import CommitteePosition, Member, MemberStatus
from zhibu.orglife.meeting_types import MeetingTypeCode
from zhibu.orglife.models import Meeting, ProcedureStep
from zhibu.orgs.models import Organization
from zhibu.orgs.permissions import Action, can, require
from zhibu.orgs.selectors import parameter_value
from zhibu.reports.models import (
    CriticismEntry,
    DemocraticReview,
    Grade,
    HeartTalk,
    Mentorship,
    Opinion,
    PeerVote,
    RectificationItem,
    RectificationStatus,
    ReportAmendment,
    ReportKind,
    ReportStatus,
    ReviewOutcome,
    ReviewStage,
    SelfAssessment,
    SelfExamination,
    ThoughtReport,
    WorkReport,
    WorkReportResponse,
)


def _own_member(actor) -> Member:
    member = Member.objects.filter(user=actor, is_active=True).select_related("branch").first()
    if member is None:
        raise ValidationError("当前账号没有关联党员信息，不能提交")
    return member


def is_mentor(user, member: Member, on: date | None = None) -> bool:
    on = on or timezone.localdate()
    return Mentorship.objects.filter(
        Q(end__isnull=True) | Q(end__gte=on),
        member=member,
        mentor__user=user,
        start__lte=on,
    ).exists()


def can_read_report(user, report: ThoughtReport) -> bool:
    """The author, READ_REPORTS over the report's organization, or the member's mentor."""
    if not user.is_authenticated:
        return False
    if report.member.user_id == user.pk:
        return True
    if can(user, Action.READ_REPORTS, report):
        return True
    return is_mentor(user, report.member)


# Thought reports -------------------------------------------------------------------------


@transaction.atomic
def report_save(
    *,
    actor,
    title: str,
    body: str,
    kind: str = ReportKind.THOUGHT_REPORT,
    to_party_group: bool = False,
    attachment=None,
    report: ThoughtReport | None = None,
    submit: bool = False,
) -> ThoughtReport:
    """Write or edit one's own report; `submit` sends it to the branch (or party group)."""
    member = _own_member(actor)
    if report is None:
        report = ThoughtReport(member=member)
    elif report.member_id != member.pk:
        raise ValidationError("只能修改自己的汇报")
    if report.status == ReportStatus.REVIEWED:
        raise ValidationError("已审阅的汇报不能直接修改，请以“补充说明”的方式补充")
    if report.status == ReportStatus.SUBMITTED and not submit:
        raise ValidationError("汇报已提交，等待审阅；如需补充请等审阅后添加补充说明")
    if to_party_group and member.party_group_id is None:
        raise ValidationError({"to_party_group": "您不在任何党小组，请提交给支部"})
    report.org_id = member.party_group_id if to_party_group else member.branch_id
    report.title, report.body, report.kind = title.strip(), body.strip(), kind
    if attachment is not None:
        report.attachment = attachment
    if submit:
        report.status = ReportStatus.SUBMITTED
        report.submitted_at = timezone.now()
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def report_review(*, actor, report: ThoughtReport, comment: str) -> ThoughtReport:
    report = (
        ThoughtReport.objects.select_for_update().select_related("member", "org").get(pk=report.pk)
    )
    if not can_read_report(actor, report):
        raise Http404
    if report.member.user_id == actor.pk:
        raise ValidationError("不能审阅自己的汇报")
    if report.status == ReportStatus.DRAFT:
        raise ValidationError("草稿尚未提交，不能审阅")
    if not comment.strip():
        raise ValidationError({"comment": "请填写审阅意见"})
    report.comment = comment.strip()
    report.status = ReportStatus.REVIEWED
    report.reviewed_by = actor
    report.reviewed_at = timezone.now()
    report.save(update_fields=["comment", "status", "reviewed_by", "reviewed_at", "updated_at"])
    return report


@transaction.atomic
def report_amend(*, actor, report: ThoughtReport, body: str, reason: str) -> ReportAmendment:
    """After review a report changes only by an amendment that keeps the history."""
    member = _own_member(actor)
    if report.member_id != member.pk:
        raise Http404
    if report.status != ReportStatus.REVIEWED:
        raise ValidationError("尚未审阅的汇报可以直接修改")
    if not reason.strip():
        raise ValidationError({"reason": "请说明补充的原因"})
    if not body.strip():
        raise ValidationError({"body": "请填写补充内容"})
    return ReportAmendment.objects.create(
        report=report, body=body.strip(), reason=reason.strip(), at=timezone.now()
    )


@transaction.atomic
def mentorship_assign(*, actor, member: Member, mentor: Member, start: date) -> Mentorship:
    require(actor, Action.CHANGE, member)
    if mentor.status != MemberStatus.FULL:
        raise ValidationError({"mentor": "培养联系人应为正式党员"})
    if mentor.pk == member.pk:
        raise ValidationError({"mentor": "不能做自己的培养联系人"})
    return Mentorship.objects.create(member=member, mentor=mentor, start=start)


# Work reports ----------------------------------------------------------------------------


@transaction.atomic
def work_report_save(
    *,
    actor,
    org: Organization,
    title: str,
    body: str,
    kind: str = "regular",
    period_key: str = "",
    meeting: Meeting | None = None,
    presented_on: date | None = None,
) -> WorkReport:
    require(actor, Action.MANAGE_ORGLIFE, org)
    if meeting is not None and meeting.org_id != org.pk:
        raise ValidationError({"meeting": "报告所在的会议应为本组织的会议"})
    if meeting is not None and presented_on is None:
        presented_on = timezone.localdate(meeting.actual_start or meeting.planned_start)
    report = WorkReport(
        org=org,
        title=title.strip(),
        body=body.strip(),
        kind=kind,
        period_key=period_key,
        meeting=meeting,
        presented_on=presented_on,
        created_by=actor,
    )
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def work_report_respond(*, actor, report: WorkReport, text: str) -> WorkReportResponse:
    member = _own_member(actor)
    if not member.branch.path.startswith(report.org.path):
        raise Http404
    if not text.strip():
        raise ValidationError({"text": "请填写意见"})
    return WorkReportResponse.objects.create(
        report=report, member=member, text=text.strip(), at=timezone.now()
    )


# The 组织生活会 cycle -----------------------------------------------------------------------


def _olm(meeting: Meeting) -> None:
    if meeting.meeting_type != MeetingTypeCode.ORG_LIFE_MEETING:
        raise ValidationError("只有组织生活会才有这一环节")


def _step(meeting: Meeting, code: str, on: date) -> None:
    """Record a procedure step the first time its evidence appears."""
    ProcedureStep.objects.get_or_create(meeting=meeting, code=code, defaults={"done_on": on})


@transaction.atomic
def opinion_add(*, actor, meeting: Meeting, text: str, anonymous: bool = False) -> Opinion:
    """征求意见. Anonymous: no author, no address, only the day — nothing to trace."""
    _olm(meeting)
    require(actor, Action.VIEW, meeting)
    if not text.strip():
        raise ValidationError({"text": "请填写意见建议"})
    author = None if anonymous else Member.objects.filter(user=actor).first()
    today = timezone.localdate()
    opinion = Opinion.objects.create(
        meeting=meeting, author=author, text=text.strip(), submitted_on=today
    )
    _step(meeting, "solicit", today)
    return opinion


def _branch_members(meeting: Meeting) -> set[int]:
    return set(meeting.attendances.values_list("member_id", flat=True))


def committee_ids(org: Organization, on: date) -> set[int]:
    return set(
        CommitteePosition.objects.filter(org=org, start__lte=on)
        .filter(Q(end__isnull=True) | Q(end__gte=on))
        .exclude(role="party_group_leader")
        .values_list("member_id", flat=True)
    )


def heart_talk_coverage(meeting: Meeting) -> dict:
    """Which required talks are missing: committee↔committee (every pair), committee↔member
    and member↔member (every member at least once with each side). 支部条例 第十九条."""
    on = timezone.localdate(meeting.planned_start)
    people = _branch_members(meeting)
    committee = committee_ids(meeting.org, on) & people
    ordinary = people - committee
    pairs = {
        frozenset(p)
        for p in HeartTalk.objects.filter(meeting=meeting).values_list("first", "second")
    }
    missing_committee = [
        (a, b)
        for a in sorted(committee)
        for b in sorted(committee)
        if a < b
        if frozenset((a, b)) not in pairs
    ]
    talked = {}
    for pair in pairs:
        for person in pair:
            talked.setdefault(person, set()).update(pair - {person})
    no_committee_talk = sorted(m for m in ordinary if not talked.get(m, set()) & committee)
    no_member_talk = sorted(
        m for m in ordinary if len(ordinary) > 1 and not talked.get(m, set()) & (ordinary - {m})
    )
    required = len(committee) * (len(committee) - 1) // 2 + 2 * len(ordinary)
    missing = len(missing_committee) + len(no_committee_talk) + len(no_member_talk)
    return {
        "committee_pairs_missing": missing_committee,
        "members_without_committee_talk": no_committee_talk,
        "members_without_member_talk": no_member_talk,
        "required": required,
        "done": required - missing,
        "complete": missing == 0,
    }


@transaction.atomic
def heart_talk_record(
    *, actor, meeting: Meeting, first: Member, second: Member, held_on: date, summary: str = ""
) -> HeartTalk:
    _olm(meeting)
    require(actor, Action.MANAGE_ORGLIFE, meeting)
    if first.pk == second.pk:
        raise ValidationError({"second": "谈心谈话需要两个人"})
    people = _branch_members(meeting)
    for who in (first, second):
        if who.pk not in people:
            raise ValidationError({"first": f"{who.name}不是本次组织生活会的参会党员"})
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "谈话日期不能晚于今天"})
    talk = HeartTalk.objects.create(
        meeting=meeting, first=first, second=second, held_on=held_on, summary=summary
    )
    if heart_talk_coverage(meeting)["complete"]:
        _step(meeting, "heart_talk", held_on)
    return talk


@transaction.atomic
def self_exam_submit(*, actor, meeting: Meeting, text: str) -> SelfExamination:
    _olm(meeting)
    member = _own_member(actor)
    if member.pk not in _branch_members(meeting):
        raise Http404
    if not text.strip():
        raise ValidationError({"text": "请填写对照检查材料"})
    exam, _ = SelfExamination.objects.update_or_create(
        meeting=meeting, member=member, defaults={"text": text.strip()}
    )
    due = meeting.attendances.exclude(member__is_exempt=True).values_list("member_id", flat=True)
    if not set(due) - set(
        SelfExamination.objects.filter(meeting=meeting).values_list("member_id", flat=True)
    ):
        _step(meeting, "self_check", timezone.localdate())
    return exam


@transaction.atomic
def criticism_add(
    *, actor, meeting: Meeting, speaker: Member, target: Member, text: str
) -> CriticismEntry:
    _olm(meeting)
    require(actor, Action.MANAGE_ORGLIFE, meeting)
    people = _branch_members(meeting)
    if speaker.pk not in people or target.pk not in people:
        raise ValidationError({"speaker": "发言人和被批评人都应是参会党员"})
    if not text.strip():
        raise ValidationError({"text": "请填写内容"})
    entry = CriticismEntry.objects.create(
        meeting=meeting, speaker=speaker, target=target, text=text.strip()
    )
    _step(meeting, "criticism", timezone.localdate(meeting.actual_start or meeting.planned_start))
    return entry


@transaction.atomic
def rectification_add(
    *,
    actor,
    org: Organization,
    problem: str,
    measure: str,
    owner: Member,
    deadline: date,
    meeting: Meeting | None = None,
) -> RectificationItem:
    require(actor, Action.MANAGE_ORGLIFE, org)
    if not owner.branch.path.startswith(org.path):
        raise ValidationError({"owner": f"{owner.name}不在{org.name}，不能作为整改责任人"})
    item = RectificationItem(
        org=org,
        meeting=meeting,
        problem=problem.strip(),
        measure=measure.strip(),
        owner=owner,
        deadline=deadline,
    )
    item.full_clean()
    item.save()
    if meeting is not None:
        _step(meeting, "rectify", timezone.localdate())
    return item


@transaction.atomic
def rectification_done(*, actor, item: RectificationItem, evidence: str) -> RectificationItem:
    require(actor, Action.MANAGE_ORGLIFE, item)
    if not evidence.strip():
        raise ValidationError({"evidence": "请说明整改完成情况"})
    item.evidence, item.status, item.done_on = (
        evidence.strip(),
        RectificationStatus.DONE,
        (timezone.localdate()),
    )
    item.save()
    return item


@transaction.atomic
def rectification_verify(*, actor, item: RectificationItem) -> RectificationItem:
    """销号 by the level above; schedules the 回头看 re-check."""
    parent = item.org.parent
    if not (actor.is_superuser or (parent is not None and can(actor, Action.OVERSEE, parent))):
        raise ValidationError("整改验收销号应由上级组织进行")
    if item.status != RectificationStatus.DONE:
        raise ValidationError("整改尚未完成，不能验收销号")
    months = int(parameter_value(item.org, "recheck_months"))
    item.status, item.verified_by = RectificationStatus.VERIFIED, actor
    item.recheck_on = months_after(timezone.localdate(), months)
    item.save()
    return item


# 民主评议党员 ------------------------------------------------------------------------------


def _full_members(review: DemocraticReview) -> set[int]:
    return set(
        Member.objects.filter(
            branch=review.org, is_active=True, status=MemberStatus.FULL
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def review_open(*, actor, org: Organization, year: int, meeting: Meeting | None = None):
    require(actor, Action.MANAGE_ORGLIFE, org)
    check_year(year, field="year", label="评议年度")
    if DemocraticReview.objects.filter(org=org, year=year).exists():
        raise ValidationError({"year": f"{org.name}{year}年度的民主评议已经开始"})
    review = DemocraticReview.objects.create(org=org, year=year, meeting=meeting)
    # Probationary members take part but are not graded: outcomes only for full members.
    ReviewOutcome.objects.bulk_create(
        [ReviewOutcome(review=review, member_id=pk) for pk in sorted(_full_members(review))]
    )
    return review


@transaction.atomic
def self_assessment_submit(*, actor, review: DemocraticReview, text: str, grade: str):
    member = _own_member(actor)
    if member.branch_id != review.org_id:
        raise Http404
    if review.stage == ReviewStage.DECIDED:
        raise ValidationError("评议已经结束")
    if grade not in Grade.values:
        raise ValidationError({"grade": "请选择自评等次"})
    assessment, _ = SelfAssessment.objects.update_or_create(
        review=review, member=member, defaults={"text": text.strip(), "grade": grade}
    )
    return assessment


@transaction.atomic
def peer_vote(*, actor, review: DemocraticReview, subject: Member, grade: str) -> PeerVote:
    """党员互评: each full member grades each other full member once."""
    voter = _own_member(actor)
    full = _full_members(review)
    if voter.branch_id != review.org_id:
        raise Http404
    if voter.pk not in full:
        raise ValidationError("预备党员参加评议，但没有表决权，不能投票")
    if review.stage not in (ReviewStage.SELF_ASSESSMENT, ReviewStage.PEER_ASSESSMENT):
        raise ValidationError("互评阶段已经结束")
    if subject.pk == voter.pk:
        raise ValidationError({"subject": "互评不能评自己，请在个人自评中填写"})
    if subject.pk not in full:
        raise ValidationError({"subject": f"{subject.name}不是本支部正式党员，不参加评定"})
    if grade not in Grade.values:
        raise ValidationError({"grade": "请选择等次：优秀、合格、基本合格或不合格"})
    if PeerVote.objects.filter(review=review, voter=voter, subject=subject).exists():
        raise ValidationError({"subject": f"您已经评过{subject.name}，每人只能评一次"})
    try:
        with transaction.atomic():
            vote = PeerVote.objects.create(review=review, voter=voter, subject=subject, grade=grade)
    except IntegrityError:
        raise ValidationError({"subject": f"您已经评过{subject.name}，每人只能评一次"}) from None
    if review.stage == ReviewStage.SELF_ASSESSMENT:
        DemocraticReview.objects.filter(pk=review.pk).update(stage=ReviewStage.PEER_ASSESSMENT)
    return vote


def vote_tally(review: DemocraticReview) -> dict[int, dict[str, int]]:
    """subject id -> {grade: votes}; one query."""
    from django.db.models import Count

    tally: dict[int, dict[str, int]] = {}
    rows = (
        PeerVote.objects.filter(review=review).values("subject_id", "grade").annotate(n=Count("pk"))
    )
    for row in rows:
        tally.setdefault(row["subject_id"], {})[row["grade"]] = row["n"]
    return tally


def excellent_cap(review: DemocraticReview) -> int:
    """Most members that may be graded 优秀: a share (the excellent_cap parameter) of the
    full members."""
    share = Fraction(str(parameter_value(review.org, "excellent_cap")))
    return int(share * len(_full_members(review)))


def _check_grades(review: DemocraticReview, grades: dict[int, str]) -> None:
    outcome_members = set(review.outcomes.values_list("member_id", flat=True))
    unknown = set(grades) - outcome_members
    if unknown:
        raise ValidationError({"grades": "只能评定本支部参加评定的正式党员（预备党员不评定等次）"})
    bad = [g for g in grades.values() if g not in Grade.values]
    if bad:
        raise ValidationError({"grades": f"未知的等次：{bad[0]}"})


@transaction.atomic
def review_propose(*, actor, review: DemocraticReview, grades: dict[int, str]):
    require(actor, Action.MANAGE_ORGLIFE, review)
    _check_grades(review, grades)
    for member_id, grade in grades.items():
        ReviewOutcome.objects.filter(review=review, member_id=member_id).update(
            proposed_grade=grade
        )
    review.stage = ReviewStage.COMMITTEE_PROPOSAL
    review.save(update_fields=["stage", "updated_at"])
    return review


@transaction.atomic
def review_decide(
    *, actor, review: DemocraticReview, grades: dict[int, str], override_reason: str = ""
) -> DemocraticReview:
    """The branch assembly's decision. 优秀 above the cap needs an explicit reason."""
    require(actor, Action.MANAGE_ORGLIFE, review)
    _check_grades(review, grades)
    missing = set(review.outcomes.values_list("member_id", flat=True)) - set(grades)
    if missing:
        names = "、".join(Member.objects.filter(pk__in=missing).values_list("name", flat=True))
        raise ValidationError({"grades": f"还有党员未评定等次：{names}"})
    excellent = sum(1 for g in grades.values() if g == Grade.EXCELLENT)
    cap = excellent_cap(review)
    if excellent > cap and not override_reason.strip():
        raise ValidationError(
            {
                "override_reason": (
                    f"评为优秀的有 {excellent} 人，超过上限 {cap} 人（正式党员总数的"
                    f"{parameter_value(review.org, 'excellent_cap')}）。"
                    "请减少优秀人数，或填写超限说明"
                )
            }
        )
    for member_id, grade in grades.items():
        ReviewOutcome.objects.filter(review=review, member_id=member_id).update(grade=grade)
    review.stage = ReviewStage.DECIDED
    review.cap_override_reason = override_reason.strip() if excellent > cap else ""
    review.decided_at = timezone.now()
    review.save()
    if review.meeting_id:
        _step(review.meeting, "assembly_decision", timezone.localdate())
    return review


@transaction.atomic
def outcome_dispose(
    *, actor, outcome: ReviewOutcome, disposition: str, deadline: date
) -> ReviewOutcome:
    """组织处置 of an unqualified member, tracked to completion."""
    require(actor, Action.MANAGE_ORGLIFE, outcome.review)
    if outcome.grade != Grade.UNQUALIFIED:
        raise ValidationError("只有评为不合格的党员需要组织处置")
    outcome.disposition, outcome.follow_up_deadline = disposition, deadline
    outcome.full_clean()
    outcome.save()
    return outcome


@transaction.atomic
def outcome_follow_up_done(*, actor, outcome: ReviewOutcome, on: date) -> ReviewOutcome:
    require(actor, Action.MANAGE_ORGLIFE, outcome.review)
    if not outcome.disposition:
        raise ValidationError("请先确定组织处置方式")
    outcome.follow_up_done_on = on
    outcome.save(update_fields=["follow_up_done_on"])
    return outcome
