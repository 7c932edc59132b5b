"""Read-only shapes of compliance results for the API."""

from __future__ import annotations

from rest_framework import serializers

from zhibu.compliance.models import Obligation
from zhibu.compliance.selectors import rule_name


class ObligationSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    member_name = serializers.SerializerMethodField()
    rule_name = serializers.SerializerMethodField()

    class Meta:
        model = Obligation
        fields = [
            "id",
            "org",
            "org_name",
            "member",
            "member_name",
            "rule_id",
            "rule_name",
            "family",
            "period_key",
            "period_first",
            "period_last",
            "status",
            "pattern",
            "severity",
            "explanation",
            "numbers",
            "evaluated_at",
        ]
        read_only_fields = fields

    def get_member_name(self, obj: Obligation) -> str:
        return obj.member.name if obj.member_id else ""

    def get_rule_name(self, obj: Obligation) -> str:
        return rule_name(obj.rule_id)


class LiveResultSerializer(serializers.Serializer):
    """One live result of engine.evaluate, as the branch page shows it."""

    rule_id = serializers.CharField()
    name = serializers.CharField()
    family = serializers.CharField()
    org_id = serializers.IntegerField()
    member_id = serializers.IntegerField(allow_null=True)
    period = serializers.SerializerMethodField()
    status = serializers.CharField()
    pattern = serializers.CharField()
    severity = serializers.CharField()
    explanation = serializers.CharField()
    next_step = serializers.CharField()
    source = serializers.CharField()
    numbers = serializers.DictField()

    def get_period(self, obj) -> str:
        return obj.period.key


class EvaluateSerializer(serializers.Serializer):
    org = serializers.IntegerField()
    period = serializers.CharField()
    evaluated_at = serializers.DateTimeField()
    results = LiveResultSerializer(many=True)
