"""Reports and the annual cycle: thought reports, work reports, the 组织生活会 cycle and
民主评议党员. Names follow GLOSSARY.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhibu.core.models import TimeStampedModel
from zhibu.members.models import Member
from zhibu.orglife.models import Meeting
from zhibu.orgs.models import Organization


class Mentorship(models.Model):
    """培养联系人: a full member who mentors an activist or a probationary member."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="mentorships")
    mentor = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="mentees")
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"), null=True, blank=True)

    scope_path = "member__branch__path"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "mentor", "start"], name="mentorship_unique")
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id}→{self.member_id}"

    def get_scope_path(self) -> str:
        return self.member.branch.path


class ReportKind(models.TextChoices):
    THOUGHT_REPORT = "thought_report", _("思想汇报")
    THINKING_AND_WORK = "thinking_and_work", _("汇报思想和工作")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    REVIEWED = "reviewed", _("已阅")


class ThoughtReport(TimeStampedModel):
    """A member's report of their thinking (and work) to the branch or party group.

    Private: readable by the author, those with READ_REPORTS over the branch (its secretary,
    explicit grants) and the member's mentor. Administrators see counts, not content.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="thought_reports")
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(
        _("类型"), max_length=24, choices=ReportKind.choices, default=ReportKind.THOUGHT_REPORT
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    attachment = models.FileField(
        _("附件"), upload_to="reports/%Y/", max_length=300, blank=True, default=""
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审阅时间"), null=True, blank=True)
    comment = models.TextField(_("书记意见"), blank=True, default="")

    scope_path = "org__path"
    scope_owner = "member"

    class Meta:
        verbose_name = _("思想汇报")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["member", "submitted_at"])]

    def __str__(self) -> str:
        return self.title

    def get_scope_path(self) -> str:
        return self.org.path


class ReportAmendment(models.Model):
    """A change to a report after it was reviewed: kept beside the original, never over it."""

    report = models.ForeignKey(ThoughtReport, on_delete=models.CASCADE, related_name="amendments")
    body = models.TextField(_("补充内容"))
    reason = models.CharField(_("原因"), max_length=500)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id}@{self.at:%Y-%m-%d}"


class WorkReportKind(models.TextChoices):
    REGULAR = "regular", _("半年工作报告")
    SPECIAL = "special", _("专题报告")


class WorkReport(TimeStampedModel):
    """报告工作: the branch committee (or organ party committee) reports its work to members."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="work_reports")
    kind = models.CharField(
        _("类型"), max_length=16, choices=WorkReportKind.choices, default=WorkReportKind.REGULAR
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    period_key = models.CharField(_("所属半年"), max_length=8, blank=True, default="")  # 2026H1
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_reports"
    )
    presented_on = models.DateField(_("报告日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path = "org__path"

    class Meta:
        verbose_name = _("工作报告")
        ordering = ["-presented_on", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_scope_path(self) -> str:
        return self.org.path


class WorkReportResponse(models.Model):
    report = models.ForeignKey(WorkReport, on_delete=models.CASCADE, related_name="responses")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("意见"))
    at = models.DateTimeField()

    def __str__(self) -> str:
        return self.text[:40]


class Opinion(models.Model):
    """征求意见 for a 组织生活会. An anonymous opinion stores no author, no address and no
    time finer than the day, so it cannot be traced back."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="opinions")
    author = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("意见建议"))
    submitted_on = models.DateField(_("提交日期"))

    scope_path = "meeting__org__path"

    def __str__(self) -> str:
        return self.text[:40]

    def get_scope_path(self) -> str:
        return self.meeting.org.path


class HeartTalk(models.Model):
    """谈心谈话 between two people before a 组织生活会."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="heart_talks")
    first = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    held_on = models.DateField(_("谈话日期"))
    summary = models.TextField(_("谈话要点"), blank=True, default="")

    scope_path = "meeting__org__path"

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(first=models.F("second")), name="talk_two_people")
        ]

    def __str__(self) -> str:
        return f"{self.first_id}↔{self.second_id}"

    def get_scope_path(self) -> str:
        return self.meeting.org.path


class SelfExamination(TimeStampedModel):
    """对照检查材料 / 发言提纲 of one member for a 组织生活会."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="self_exams")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("对照检查材料"))

    scope_path = "meeting__org__path"
    scope_owner = "member"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="self_exam_unique")
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.member_id}"

    def get_scope_path(self) -> str:
        return self.meeting.org.path


class CriticismEntry(models.Model):
    """批评和自我批评 at the meeting: self-criticism when the target is the speaker."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="criticisms")
    speaker = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("内容"))

    scope_path = "meeting__org__path"

    def __str__(self) -> str:
        return f"{self.speaker_id}→{self.target_id}"

    def get_scope_path(self) -> str:
        return self.meeting.org.path


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    DONE = "done", _("已完成")
    VERIFIED = "verified", _("已验收销号")


class RectificationItem(TimeStampedModel):
    """An item of the 整改清单: problem, measure, owner, deadline, evidence, verification,
    and a 回头看 re-check date after closure."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="rectifications")
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="rectifications"
    )
    problem = models.TextField(_("问题"))
    measure = models.TextField(_("整改措施"))
    owner = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    evidence = models.TextField(_("整改情况"), blank=True, default="")
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recheck_on = models.DateField(_("回头看日期"), null=True, blank=True)

    scope_path = "org__path"

    def __str__(self) -> str:
        return self.problem[:40]

    def get_scope_path(self) -> str:
        return self.org.path


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    QUALIFIED = "qualified", _("合格")
    BASICALLY_QUALIFIED = "basically_qualified", _("基本合格")
    UNQUALIFIED = "unqualified", _("不合格")


class ReviewStage(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("个人自评")
    PEER_ASSESSMENT = "peer_assessment", _("党员互评")
    COMMITTEE_PROPOSAL = "committee_proposal", _("支委会提出意见")
    DECIDED = "decided", _("党员大会审议确定")


class DemocraticReview(TimeStampedModel):
    """民主评议党员 of one branch for one year."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="reviews")
    year = models.PositiveSmallIntegerField(_("年度"))
    stage = models.CharField(
        _("阶段"), max_length=24, choices=ReviewStage.choices, default=ReviewStage.SELF_ASSESSMENT
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    cap_override_reason = models.CharField(
        _("优秀比例超限说明"), max_length=500, blank=True, default=""
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    scope_path = "org__path"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="review_unique")]

    def __str__(self) -> str:
        return f"{self.org} {self.year} 民主评议"

    def get_scope_path(self) -> str:
        return self.org.path


class SelfAssessment(models.Model):
    review = models.ForeignKey(
        DemocraticReview, on_delete=models.CASCADE, related_name="self_assessments"
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("个人总结"))
    grade = models.CharField(_("自评等次"), max_length=24, choices=Grade.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "member"], name="self_assessment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.review_id}:{self.member_id}"


class PeerVote(models.Model):
    """One full member's grade for another in the peer assessment; once per pair."""

    review = models.ForeignKey(DemocraticReview, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    grade = models.CharField(_("等次"), max_length=24, choices=Grade.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "voter", "subject"], name="vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id}→{self.subject_id}:{self.grade}"


class Disposition(models.TextChoices):
    """组织处置 for an unqualified member (教育管理条例 第三十、三十一条)."""

    DEADLINE_CORRECTION = "deadline_correction", _("限期改正")
    ADVISED_WITHDRAWAL = "advised_withdrawal", _("劝其退党")
    REMOVAL = "removal", _("除名")


class ReviewOutcome(models.Model):
    """The grade a member ends with, and its follow-up."""

    review = models.ForeignKey(DemocraticReview, on_delete=models.CASCADE, related_name="outcomes")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="review_outcomes")
    proposed_grade = models.CharField(
        _("支委会意见"), max_length=24, choices=Grade.choices, blank=True, default=""
    )
    grade = models.CharField(_("评定等次"), max_length=24, choices=Grade.choices, blank=True)
    disposition = models.CharField(
        _("组织处置"), max_length=24, choices=Disposition.choices, blank=True, default=""
    )
    follow_up_deadline = models.DateField(_("处置期限"), null=True, blank=True)
    follow_up_done_on = models.DateField(_("处置完成日期"), null=True, blank=True)

    scope_path = "review__org__path"
    scope_owner = "member"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "member"], name="outcome_unique")]

    def __str__(self) -> str:
        return f"{self.review_id}:{self.member_id}:{self.grade}"

    def get_scope_path(self) -> str:
        return self.review.org.path
