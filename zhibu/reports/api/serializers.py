from rest_framework import serializers

from zhibu.reports.models import (
    DemocraticReview,
    Grade,
    ReportAmendment,
    ReportKind,
    ThoughtReport,
    WorkReport,
    WorkReportResponse,
)


class AmendmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportAmendment
        fields = ["id", "body", "reason", "at"]
        ref_name = "ReportAmendment"  # orglife has an "Amendment" schema component too


class ThoughtReportSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    amendments = AmendmentSerializer(many=True, read_only=True)

    class Meta:
        model = ThoughtReport
        fields = [
            "id",
            "member",
            "member_name",
            "org",
            "kind",
            "title",
            "body",
            "status",
            "submitted_at",
            "reviewed_at",
            "comment",
            "amendments",
        ]
        read_only_fields = [
            "member",
            "org",
            "status",
            "submitted_at",
            "reviewed_at",
            "comment",
        ]


class ThoughtReportWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    kind = serializers.ChoiceField(choices=ReportKind.choices, default=ReportKind.THOUGHT_REPORT)
    to_party_group = serializers.BooleanField(default=False)
    submit = serializers.BooleanField(default=False, help_text="提交（否则存为草稿）")


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField()


class AmendSerializer(serializers.Serializer):
    body = serializers.CharField()
    reason = serializers.CharField(max_length=500)

    class Meta:
        ref_name = "ReportAmend"  # distinct from orglife's "Amend" schema component


class WorkReportResponseSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = WorkReportResponse
        fields = ["id", "member_name", "text", "at"]


class WorkReportSerializer(serializers.ModelSerializer):
    responses = WorkReportResponseSerializer(many=True, read_only=True)

    class Meta:
        model = WorkReport
        fields = [
            "id",
            "org",
            "kind",
            "title",
            "body",
            "period_key",
            "meeting",
            "presented_on",
            "responses",
        ]
        read_only_fields = ["meeting"]


class RespondSerializer(serializers.Serializer):
    text = serializers.CharField()


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = DemocraticReview
        fields = ["id", "org", "year", "stage", "cap_override_reason", "decided_at"]


class VoteSerializer(serializers.Serializer):
    subject = serializers.IntegerField(help_text="被评议党员的编号")
    grade = serializers.ChoiceField(choices=Grade.choices)
