"""Organizational life, recorded once: meetings, who was due, what happened, what follows.

Every write goes through orglife.services; the compliance engine reads these rows in bulk.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from zhibu.core.models import TimeStampedModel
from zhibu.members.models import Member
from zhibu.orglife.meeting_types import MEETING_TYPES, ContentCategory, MeetingTypeCode
from zhibu.orgs.models import Organization


class Plan(TimeStampedModel):
    """A branch's annual plan (month is null) or monthly plan of organizational life."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="plans")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"), null=True, blank=True)
    content = models.TextField(_("计划内容"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path = "org__path"

    class Meta:
        verbose_name = _("组织生活计划")
        constraints = [
            models.UniqueConstraint(fields=["org", "year", "month"], name="plan_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.year}{'-' + str(self.month) if self.month else ''}"

    def get_scope_path(self) -> str:
        return self.org.path


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("已计划")
    HELD = "held", _("已召开")  # record being written
    CONFIRMED = "confirmed", _("已确认")  # locked; changes are amendments
    CANCELLED = "cancelled", _("已取消")


class Meeting(TimeStampedModel):
    """One session of organizational life of any type (see meeting_types)."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="meetings")
    meeting_type = models.CharField(_("类型"), max_length=32, choices=MeetingTypeCode.choices)
    topic = models.CharField(_("主题"), max_length=200)
    content_category = models.CharField(
        _("内容类别"),
        max_length=20,
        choices=ContentCategory.choices,
        default=ContentCategory.POLITICAL_STUDY,
    )
    place = models.CharField(_("地点"), max_length=200, blank=True, default="")
    agenda = models.TextField(_("议程"), blank=True, default="")
    materials = models.TextField(_("学习材料"), blank=True, default="")
    lecturer = models.CharField(_("授课人"), max_length=100, blank=True, default="")
    planned_start = models.DateTimeField(_("计划开始"))
    planned_end = models.DateTimeField(_("计划结束"))
    actual_start = models.DateTimeField(_("实际开始"), null=True, blank=True)
    actual_end = models.DateTimeField(_("实际结束"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    notice_sent_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    minutes = models.TextField(_("会议记录"), blank=True, default="")  # sanitized HTML
    # 补记: entered after the fact, beyond the late-entry window
    is_late_entry = models.BooleanField(_("补记"), default=False)
    late_entry_reason = models.CharField(_("补记原因"), max_length=500, blank=True, default="")
    signin_code = models.CharField(_("签到码"), max_length=6, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=500, blank=True, default="")

    scope_path = "org__path"

    class Meta:
        verbose_name = _("组织生活")
        verbose_name_plural = _("组织生活")
        ordering = ["-planned_start"]
        indexes = [
            models.Index(fields=["org", "planned_start"]),
            models.Index(fields=["org", "meeting_type", "actual_start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gt=F("planned_start")), name="meeting_planned_order"
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_end__gt=F("actual_start")),
                name="meeting_actual_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_meeting_type_display()}：{self.topic}"

    def get_scope_path(self) -> str:
        return self.org.path

    @property
    def is_locked(self) -> bool:
        return self.status == MeetingStatus.CONFIRMED

    @property
    def duration_minutes(self) -> int | None:
        """Real duration, from the recorded start and end; never the planned one."""
        if self.actual_start and self.actual_end:
            return int((self.actual_end - self.actual_start).total_seconds() // 60)
        return None


class Outcome(models.TextChoices):
    PRESENT = "present", _("出席")
    LATE = "late", _("迟到")
    LEFT_EARLY = "left_early", _("早退")
    ON_LEAVE = "on_leave", _("请假")
    ABSENT = "absent", _("缺席")


class SignInMethod(models.TextChoices):
    ROSTER = "roster", _("书记勾选")
    QR = "qr", _("扫码签到")
    CODE = "code", _("签到码")


class Attendance(models.Model):
    """A due attendee of a meeting and, once known, their one outcome.

    Rows are the snapshot of who was due (taken from the roster at scheduling time, recomputed
    if the meeting moves); `outcome` is empty until the member signs in or the record is made.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attendances")
    outcome = models.CharField(
        _("出勤"), max_length=16, choices=Outcome.choices, blank=True, default=""
    )
    signed_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    sign_in_method = models.CharField(
        _("签到方式"), max_length=8, choices=SignInMethod.choices, blank=True, default=""
    )
    # True when the member took part as a leading cadre in dual organizational life.
    is_leading_cadre = models.BooleanField(default=False)
    # The attendee's leave request for this meeting, joined in by orglife.selectors; None when
    # there is none (or the row was not read through a selector).
    leave_request: LeaveRequest | None = None

    scope_path = "meeting__org__path"
    scope_owner = "member"

    class Meta:
        verbose_name = _("出勤")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_unique"),
        ]
        indexes = [models.Index(fields=["member", "outcome"])]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.member_id}:{self.outcome}"

    def get_scope_path(self) -> str:
        return self.meeting.org.path

    @property
    def leave(self) -> LeaveRequest | None:
        """Short name for `leave_request` (the join itself cannot be called "leave": Django
        leaves join aliases unquoted and LEAVE is reserved in MariaDB)."""
        return self.leave_request

    @leave.setter
    def leave(self, value: LeaveRequest | None) -> None:
        self.leave_request = value


class LeaveStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class LeaveRequest(TimeStampedModel):
    """A member's request to be excused from one meeting.

    Only a request approved before the meeting starts excuses the absence (DOMAIN.md §0,
    organ_leave_approval); later ones are kept as records but the outcome stays absent.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="leave_requests")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="leave_requests")
    reason = models.CharField(_("请假事由"), max_length=500)
    requested_at = models.DateTimeField(_("申请时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=LeaveStatus.choices, default=LeaveStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True, default="")
    # A secretary filing for a member without a smartphone; requested_at is when the member asked.
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代为登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_path = "meeting__org__path"
    scope_owner = "member"

    class Meta:
        verbose_name = _("请假")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="leave_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.meeting} · {self.get_status_display()}"

    def get_scope_path(self) -> str:
        return self.meeting.org.path

    @property
    def excuses(self) -> bool:
        """Approved, and approved before the meeting started."""
        start = self.meeting.actual_start or self.meeting.planned_start
        return (
            self.status == LeaveStatus.APPROVED
            and self.decided_at is not None
            and self.decided_at <= start
            and self.requested_at <= start
        )


class MakeupMethod(models.TextChoices):
    STUDY = "study", _("学习记录和材料并撰写心得")
    LATER_SESSION = "later_session", _("参加后续场次")


class Makeup(TimeStampedModel):
    """补课: the make-up obligation of one absentee (excused or not) for one meeting."""

    attendance = models.OneToOneField(Attendance, on_delete=models.CASCADE, related_name="makeup")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="makeups")
    due_date = models.DateField(_("补课期限"))
    method = models.CharField(
        _("补课方式"), max_length=16, choices=MakeupMethod.choices, blank=True, default=""
    )
    reflection = models.TextField(_("学习心得"), blank=True, default="")
    later_meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    # The committee member who entered the make-up for the member (no smartphone), if any.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代为登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_path = "attendance__meeting__org__path"
    scope_owner = "member"

    class Meta:
        verbose_name = _("补课")
        indexes = [models.Index(fields=["member", "due_date"])]

    def __str__(self) -> str:
        return f"补课 {self.member} · {self.attendance.meeting}"

    def get_scope_path(self) -> str:
        return self.attendance.meeting.org.path

    @property
    def is_done(self) -> bool:
        return self.confirmed_at is not None


class ProcedureStep(models.Model):
    """A required step of a meeting's procedure (meeting_types), recorded with its date."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="steps")
    code = models.CharField(_("步骤"), max_length=32)
    done_on = models.DateField(_("完成日期"))
    note = models.TextField(_("说明"), blank=True, default="")

    scope_path = "meeting__org__path"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "code"], name="step_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.code}"

    @property
    def name(self) -> str:
        """The step as its meeting type names it (theme → 确定主题): pages never show a code."""
        steps = MEETING_TYPES[self.meeting.meeting_type].steps
        return next(s.name for s in steps if s.code == self.code)

    def get_scope_path(self) -> str:
        return self.meeting.org.path


class Decision(models.Model):
    """A decision taken at a meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("决定事项"))

    scope_path = "meeting__org__path"

    def __str__(self) -> str:
        return self.text[:40]

    def get_scope_path(self) -> str:
        return self.meeting.org.path


class DiscussionEntry(models.Model):
    """A contribution to a lecture's post-lecture discussion (or any meeting's discussion)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="discussion")
    speaker = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField(_("发言内容"))

    scope_path = "meeting__org__path"

    def __str__(self) -> str:
        return self.text[:40]

    def get_scope_path(self) -> str:
        return self.meeting.org.path


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"meetings/{instance.meeting_id}/{filename}"


class Attachment(TimeStampedModel):
    """A photo or document attached to a meeting; optional evidence, never a condition."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)  # detected from the content
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path = "meeting__org__path"

    def __str__(self) -> str:
        return self.name

    def get_scope_path(self) -> str:
        return self.meeting.org.path


class Amendment(models.Model):
    """补记: a change to a confirmed (locked) record, keeping the original value and why."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="amendments")
    field = models.CharField(_("字段"), max_length=64)
    old_value = models.TextField(_("原值"), blank=True, default="")
    new_value = models.TextField(_("新值"), blank=True, default="")
    reason = models.CharField(_("原因"), max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("时间"))

    scope_path = "meeting__org__path"

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.field}@{self.at:%Y-%m-%d}"

    def get_scope_path(self) -> str:
        return self.meeting.org.path
