"""REST endpoints of compliance: stored obligations and a live evaluation; thin over selectors."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from zhibu.compliance import selectors
from zhibu.compliance.api.filtersets import ObligationFilterSet
from zhibu.compliance.api.serializers import EvaluateSerializer, ObligationSerializer
from zhibu.compliance.models import Obligation
from zhibu.core import periods
from zhibu.core.api import ScopedViewSetMixin


class ObligationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Persisted compliance results: subtrees one oversees, branches one runs, one's own rows.

    Filter with `org` (its whole subtree), `period` (2026-10, 2026Q3, 2026H2, 2026, ytd),
    `status` (the displayed status: an at_risk or open row whose period has ended is
    not_met), `light`, `family`, `pattern`, `rule`, `member`, `subject`. Ordered by tree
    position, never ranked.
    """

    queryset = Obligation.objects.select_related("org", "member").order_by(
        "org__path", "member_id", "period_first", "rule_id", "pk"
    )
    serializer_class = ObligationSerializer
    filterset_class = ObligationFilterSet

    def scope_filter(self, queryset: QuerySet) -> QuerySet:
        return queryset & selectors.obligation_list(user=self.request.user)

    def get_serializer_context(self) -> dict:
        return super().get_serializer_context() | {"today": periods.local_date()}


class EvaluateViewSet(ScopedViewSetMixin, viewsets.ViewSet):
    """Live evaluation (engine.evaluate) of one organization for one period; no worker needed.

    Allowed for an organization one oversees, or for the branch one runs.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("org", OpenApiTypes.INT, required=True, description="组织编号"),
            OpenApiParameter(
                "period", OpenApiTypes.STR, description="期间：2026-10、2026Q3、2026H2、2026、ytd"
            ),
        ],
        responses=EvaluateSerializer,
    )
    def list(self, request: Request) -> Response:
        errors: dict[str, list[str]] = {}
        try:
            org_id = int(request.query_params.get("org", ""))
        except ValueError:
            org_id = None
            errors["org"] = ["请提供要评估的组织编号 org（整数）"]
        now = timezone.now()
        text = request.query_params.get("period") or ""
        try:
            period = (
                periods.parse(text, today=periods.local_date(now))
                if text
                else periods.containing("month", periods.local_date(now))
            )
        except ValueError as exc:
            errors["period"] = [str(exc)]
        if errors:
            raise ValidationError(errors)
        org = selectors.org_for_branch_view(user=request.user, pk=org_id)
        items = selectors.branch_live_status(org=org, period=period, now=now)
        data = {"org": org.pk, "period": period.key, "evaluated_at": now, "results": items}
        return Response(EvaluateSerializer(data).data)


def register(router) -> None:
    """Registers this app's viewsets on the API router."""
    router.register("compliance/obligations", ObligationViewSet, basename="compliance-obligation")
    router.register("compliance/evaluate", EvaluateViewSet, basename="compliance-evaluate")
