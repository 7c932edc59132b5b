"""Serializers of the organizational-life API.

Read serializers describe rows; input serializers only parse, and orglife.services checks every
rule. The 6-digit sign-in code is never part of a meeting's ordinary representation: it is
handed only to committee members by the signin-token action.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zhibu.core.api import ScopedRelatedField
from zhibu.members.models import Member
from zhibu.orglife import selectors
from zhibu.orglife.meeting_types import ContentCategory, MeetingTypeCode
from zhibu.orglife.models import (
    Amendment,
    Attachment,
    Attendance,
    DiscussionEntry,
    LeaveRequest,
    Makeup,
    MakeupMethod,
    Meeting,
    Outcome,
    Plan,
    ProcedureStep,
    SignInMethod,
)
from zhibu.orglife.services import AMENDABLE_FIELDS, UPDATABLE_FIELDS
from zhibu.orgs.models import Organization
from zhibu.orgs.permissions import Action


@extend_schema_field(OpenApiTypes.INT)
class VisibleMeetingField(serializers.PrimaryKeyRelatedField):
    """A meeting by id, among those the account may see (including ones it was due at)."""

    default_error_messages = {"does_not_exist": _("会议（编号 {pk_value}）不存在或不可见")}

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Meeting.objects.none()
        return Meeting.objects.filter(selectors.meeting_scope_q(request.user, Action.VIEW))


class MeetingSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    meeting_type_name = serializers.CharField(source="get_meeting_type_display", read_only=True)
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    duration_minutes = serializers.IntegerField(read_only=True, allow_null=True)
    notice_lead_hours = serializers.SerializerMethodField(
        help_text=_("通知发出到计划开始相隔的小时数（机关要求不少于 3 天）")
    )
    due_count = serializers.SerializerMethodField()
    present_count = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "org",
            "org_name",
            "meeting_type",
            "meeting_type_name",
            "topic",
            "content_category",
            "place",
            "agenda",
            "materials",
            "lecturer",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "duration_minutes",
            "status",
            "status_name",
            "notice_sent_at",
            "notice_lead_hours",
            "minutes",
            "is_late_entry",
            "late_entry_reason",
            "confirmed_at",
            "cancelled_at",
            "cancel_reason",
            "due_count",
            "present_count",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_notice_lead_hours(self, obj: Meeting) -> int | None:
        if obj.notice_sent_at is None:
            return None
        return int((obj.planned_start - obj.notice_sent_at).total_seconds() // 3600)

    @extend_schema_field(OpenApiTypes.INT)
    def get_due_count(self, obj: Meeting) -> int | None:
        return getattr(obj, "due_count", None)

    @extend_schema_field(OpenApiTypes.INT)
    def get_present_count(self, obj: Meeting) -> int | None:
        return getattr(obj, "present_count", None)


class MeetingCreateSerializer(serializers.Serializer):
    org = ScopedRelatedField(
        queryset=Organization.objects.all(),
        scope_action=Action.MANAGE_ORGLIFE,
        label=_("召开组织"),
    )
    meeting_type = serializers.ChoiceField(choices=MeetingTypeCode.choices, label=_("类型"))
    topic = serializers.CharField(max_length=200, label=_("主题"))
    planned_start = serializers.DateTimeField(label=_("计划开始"))
    planned_end = serializers.DateTimeField(label=_("计划结束"))
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    content_category = serializers.ChoiceField(
        choices=ContentCategory.choices, required=False, allow_null=True, default=None
    )
    agenda = serializers.CharField(required=False, allow_blank=True, default="")
    materials = serializers.CharField(required=False, allow_blank=True, default="")
    lecturer = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    late_entry_reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("开始时间早于补记期限时必填"),
    )


class MeetingUpdateSerializer(serializers.Serializer):
    """Only the fields sent are changed (before confirmation; afterwards use amend)."""

    topic = serializers.CharField(max_length=200, required=False)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    content_category = serializers.ChoiceField(choices=ContentCategory.choices, required=False)
    agenda = serializers.CharField(required=False, allow_blank=True)
    materials = serializers.CharField(required=False, allow_blank=True)
    lecturer = serializers.CharField(max_length=100, required=False, allow_blank=True)
    planned_start = serializers.DateTimeField(required=False)
    planned_end = serializers.DateTimeField(required=False)
    late_entry_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        assert set(attrs) <= UPDATABLE_FIELDS
        return attrs


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, label=_("取消原因"))


class SignInSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=SignInMethod.choices, label=_("签到方式"))
    token = serializers.CharField(
        required=False, allow_blank=True, help_text=_("扫码签到：二维码中的 t 参数")
    )
    code = serializers.CharField(
        required=False, allow_blank=True, max_length=12, help_text=_("签到码：6 位数字")
    )
    member = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("书记勾选：被签到党员的编号")
    )


class SignInTokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    url = serializers.CharField(help_text=_("二维码内容"))
    code = serializers.CharField(help_text=_("6 位签到码"))
    expires_at = serializers.DateTimeField(help_text=_("二维码更换时间"))
    window_opens = serializers.DateTimeField()
    window_closes = serializers.DateTimeField()


class RecordSerializer(serializers.Serializer):
    actual_start = serializers.DateTimeField(label=_("实际开始"))
    actual_end = serializers.DateTimeField(label=_("实际结束"))
    minutes = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None, label=_("会议记录")
    )
    outcomes = serializers.DictField(
        child=serializers.ChoiceField(choices=Outcome.choices, allow_blank=True),
        required=False,
        allow_null=True,
        default=None,
        help_text=_('按党员编号登记出勤，例如 {"12": "present"}'),
    )
    decisions = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("决定事项；提交后替换原有决定事项"),
    )


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcedureStep
        fields = ["id", "code", "done_on", "note"]


class DiscussionSerializer(serializers.ModelSerializer):
    speaker = ScopedRelatedField(
        queryset=Member.objects.all(), required=False, allow_null=True, label=_("发言人")
    )
    speaker_name = serializers.CharField(source="speaker.name", read_only=True, allow_null=True)

    class Meta:
        model = DiscussionEntry
        fields = ["id", "speaker", "speaker_name", "text"]


class AttachmentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True, label=_("文件"))
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "file", "name", "content_type", "size", "url", "created_at"]
        read_only_fields = ["name", "content_type", "size", "created_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: Attachment) -> str:
        return obj.file.url


class AmendSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text=_("会议字段（%(fields)s）或 attendance:<党员编号>")
        % {"fields": ", ".join(sorted(AMENDABLE_FIELDS))}
    )
    value = serializers.CharField(allow_blank=True, label=_("新值"))
    reason = serializers.CharField(allow_blank=True, max_length=500, label=_("补正原因"))


class AmendmentSerializer(serializers.ModelSerializer):
    by_name = serializers.CharField(source="by.get_username", read_only=True, allow_null=True)

    class Meta:
        model = Amendment
        fields = ["id", "field", "old_value", "new_value", "reason", "by", "by_name", "at"]
        read_only_fields = fields


class LeaveBriefSerializer(serializers.ModelSerializer):
    status_name = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = LeaveRequest
        fields = ["id", "status", "status_name", "reason", "requested_at", "decided_at"]
        read_only_fields = fields


class MakeupBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Makeup
        fields = ["id", "due_date", "method", "submitted_at", "confirmed_at"]
        read_only_fields = fields


def _reverse_one(obj: Any, name: str) -> Any:
    """A reverse one-to-one that may be missing, without a query when select_related."""
    try:
        return getattr(obj, name)
    except Exception:  # RelatedObjectDoesNotExist
        return None


class AttendanceSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    outcome_name = serializers.CharField(source="get_outcome_display", read_only=True)
    leave = serializers.SerializerMethodField()
    makeup = serializers.SerializerMethodField()

    class Meta:
        model = Attendance
        fields = [
            "id",
            "meeting",
            "member",
            "member_name",
            "outcome",
            "outcome_name",
            "signed_in_at",
            "sign_in_method",
            "is_leading_cadre",
            "leave",
            "makeup",
        ]
        read_only_fields = fields

    @extend_schema_field(LeaveBriefSerializer(allow_null=True))
    def get_leave(self, obj: Attendance) -> dict | None:
        leave = getattr(obj, "leave_request", None)
        return LeaveBriefSerializer(leave).data if leave is not None else None

    @extend_schema_field(MakeupBriefSerializer(allow_null=True))
    def get_makeup(self, obj: Attendance) -> dict | None:
        makeup = _reverse_one(obj, "makeup")
        return MakeupBriefSerializer(makeup).data if makeup is not None else None


class MyMeetingSerializer(AttendanceSerializer):
    """One of my meetings: my attendance row with the meeting."""

    meeting = MeetingSerializer(read_only=True)

    class Meta(AttendanceSerializer.Meta):
        pass


class LeaveRequestSerializer(serializers.ModelSerializer):
    meeting = VisibleMeetingField(label=_("会议"))
    meeting_topic = serializers.CharField(source="meeting.topic", read_only=True)
    meeting_start = serializers.DateTimeField(source="meeting.planned_start", read_only=True)
    member_name = serializers.CharField(source="member.name", read_only=True)
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    excuses = serializers.BooleanField(
        read_only=True, help_text=_("会前获批才视为请假；否则仍记缺席")
    )

    class Meta:
        model = LeaveRequest
        fields = [
            "id",
            "meeting",
            "meeting_topic",
            "meeting_start",
            "member",
            "member_name",
            "reason",
            "requested_at",
            "status",
            "status_name",
            "decided_at",
            "decision_note",
            "excuses",
            "filed_by",
        ]
        read_only_fields = [
            "member",
            "filed_by",
            "requested_at",
            "status",
            "decided_at",
            "decision_note",
        ]
        extra_kwargs = {"reason": {"allow_blank": True}}


class LeaveFileSerializer(serializers.Serializer):
    """A secretary files leave for a member without a smartphone."""

    meeting = VisibleMeetingField(label=_("会议"))
    member = ScopedRelatedField(queryset=Member.objects.all(), label=_("请假党员"))
    reason = serializers.CharField(max_length=500, label=_("请假事由"))
    requested_at = serializers.DateTimeField(label=_("党员提出请假的时间"))
    approve = serializers.BooleanField(default=False, label=_("同时批准"))


class LeaveDecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField(label=_("批准"))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MakeupSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    meeting = serializers.IntegerField(source="attendance.meeting_id", read_only=True)
    meeting_topic = serializers.CharField(source="attendance.meeting.topic", read_only=True)
    meeting_type = serializers.CharField(source="attendance.meeting.meeting_type", read_only=True)
    outcome = serializers.CharField(source="attendance.outcome", read_only=True)
    is_done = serializers.BooleanField(read_only=True)

    class Meta:
        model = Makeup
        fields = [
            "id",
            "member",
            "member_name",
            "meeting",
            "meeting_topic",
            "meeting_type",
            "outcome",
            "due_date",
            "method",
            "reflection",
            "later_meeting",
            "submitted_at",
            "confirmed_at",
            "recorded_by",
            "is_done",
        ]
        read_only_fields = fields


class MakeupSubmitSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=MakeupMethod.choices, label=_("补课方式"))
    reflection = serializers.CharField(required=False, allow_blank=True, default="")
    later_meeting = VisibleMeetingField(required=False, allow_null=True, default=None)


class MakeupCompleteSerializer(serializers.Serializer):
    """Empty to confirm a submitted make-up; with a method to record one done on paper."""

    method = serializers.ChoiceField(
        choices=MakeupMethod.choices, required=False, allow_null=True, default=None
    )
    reflection = serializers.CharField(required=False, allow_blank=True, default="")
    later_meeting = VisibleMeetingField(required=False, allow_null=True, default=None)


class PlanSerializer(serializers.ModelSerializer):
    org = ScopedRelatedField(
        queryset=Organization.objects.all(), scope_action=Action.MANAGE_ORGLIFE
    )
    org_name = serializers.CharField(source="org.name", read_only=True)

    class Meta:
        model = Plan
        fields = ["id", "org", "org_name", "year", "month", "content", "updated_at"]
        read_only_fields = ["updated_at"]
        validators: list = []  # plan_save replaces an existing plan of the same period
        extra_kwargs = {"content": {"allow_blank": True}}
