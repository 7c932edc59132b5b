"""`GET/PUT /api/organizations/<id>/parameters/`: an organization's parameters of
organizational life, the same rows and the same service as the page's section."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from zhibu.orgs.parameters import PARAMETERS
from zhibu.orgs.permissions import Action, can
from zhibu.orgs.selectors import parameter_rows
from zhibu.orgs.services import parameter_set


class ParameterSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    label = serializers.CharField(source="parameter.label", read_only=True)
    unit = serializers.CharField(source="parameter.unit", read_only=True)
    help = serializers.CharField(source="parameter.help", read_only=True)
    value = serializers.JSONField(read_only=True, label=_("有效值"))
    display = serializers.CharField(read_only=True, label=_("有效值（含单位）"))
    default = serializers.JSONField(read_only=True, label=_("默认值"))
    source = serializers.CharField(read_only=True, label=_("默认值依据"))
    set_by = serializers.SerializerMethodField(label=_("设置该值的组织"))
    reason = serializers.SerializerMethodField(label=_("理由"))
    set_at = serializers.SerializerMethodField(label=_("设置时间"))
    loosened = serializers.BooleanField(read_only=True, label=_("已放宽"))
    inherited = serializers.JSONField(read_only=True, label=_("上级有效值"))
    own = serializers.JSONField(read_only=True, label=_("本组织设置值"))
    minimum = serializers.JSONField(source="parameter.minimum", read_only=True)
    maximum = serializers.JSONField(source="parameter.maximum", read_only=True)

    def get_set_by(self, row) -> dict | None:
        org = row["set_by"]
        return {"id": org.pk, "name": org.name} if org is not None else None

    def get_reason(self, row) -> str:
        return row["change"].reason if row["change"] else ""

    def get_set_at(self, row) -> str | None:
        return row["change"].created_at.isoformat() if row["change"] else None


class ParameterSetSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=[(k, p.label) for k, p in PARAMETERS.items()])
    value = serializers.JSONField(allow_null=True, help_text=_("null：恢复为上级设置"))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class OrganizationParametersMixin:
    """The `parameters` action of the organization viewset: read in scope (VIEW); set with
    CHANGE over the organization (its managers or the upper committee's), else 403."""

    @extend_schema(
        methods=["GET"], responses=ParameterSerializer(many=True), summary="组织生活参数"
    )
    @extend_schema(
        methods=["PUT"],
        request=ParameterSetSerializer,
        responses=ParameterSerializer(many=True),
        summary="设置组织生活参数",
    )
    @action(detail=True, methods=["get", "put"], pagination_class=None)
    def parameters(self, request: Request, pk: str | None = None) -> Response:
        org = self.get_object()
        if request.method == "PUT":
            if not can(request.user, Action.CHANGE, org):
                raise PermissionDenied(_("只有本组织或上级组织的管理人员可以设置组织生活参数"))
            body = ParameterSetSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
            parameter_set(
                actor=request.user,
                org=org,
                key=data["key"],
                value=data["value"],
                reason=data.get("reason", ""),
            )
        return Response(ParameterSerializer(parameter_rows(org), many=True).data)
