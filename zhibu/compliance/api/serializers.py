"""Read-only shapes of compliance results for the API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zhibu.compliance.lights import Light
from zhibu.compliance.models import Obligation
from zhibu.compliance.selectors import obligation_next_step, rule_name
from zhibu.compliance.verdicts import Status


class ObligationSerializer(serializers.ModelSerializer):
    """A stored obligation as pages show it: `status` is the displayed status (an at_risk or
    open row whose period has ended reads not_met); `stored_status` is the row as last
    evaluated. Needs `today` in the context."""

    org_name = serializers.CharField(source="org.name", read_only=True)
    member_name = serializers.SerializerMethodField()
    rule_name = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    stored_status = serializers.ChoiceField(source="status", choices=Status.choices)
    light = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField()

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
            "stored_status",
            "light",
            "pattern",
            "severity",
            "explanation",
            "next_step",
            "numbers",
            "evaluated_at",
        ]
        read_only_fields = fields

    def get_member_name(self, obj: Obligation) -> str:
        return obj.member.name if obj.member_id else ""

    def get_rule_name(self, obj: Obligation) -> str:
        return rule_name(obj.rule_id)

    @extend_schema_field(serializers.ChoiceField(choices=Status.choices))
    def get_status(self, obj: Obligation) -> str:
        return obj.display_status(self.context["today"])

    @extend_schema_field(serializers.ChoiceField(choices=Light.choices))
    def get_light(self, obj: Obligation) -> str:
        return obj.light(self.context["today"])

    def get_next_step(self, obj: Obligation) -> str:
        return obligation_next_step(obj, self.context["today"])


class LiveResultSerializer(serializers.Serializer):
    """One live result of engine.evaluate, as the branch page shows it."""

    rule_id = serializers.CharField()
    name = serializers.CharField()
    family = serializers.CharField()
    org_id = serializers.IntegerField()
    member_id = serializers.IntegerField(allow_null=True)
    period = serializers.SerializerMethodField()
    status = serializers.CharField()
    light = serializers.CharField()
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
