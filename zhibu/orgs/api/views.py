"""REST endpoints of the organization tree and grants; thin over orgs.services and selectors."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from zhibu.core.api import ScopedViewSetMixin
from zhibu.orgs.api.filtersets import GrantFilterSet
from zhibu.orgs.api.parameters import OrganizationParametersMixin
from zhibu.orgs.api.serializers import (
    GrantSerializer,
    OrganizationChildSerializer,
    OrganizationCreateSerializer,
    OrganizationDissolveSerializer,
    OrganizationMoveSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
    OrgEventSerializer,
)
from zhibu.orgs.filtersets import OrganizationFilterSet
from zhibu.orgs.models import Grant, Organization
from zhibu.orgs.permissions import Action, scope_q
from zhibu.orgs.selectors import org_children, org_events
from zhibu.orgs.services import grant_create, grant_delete, org_create, org_move, org_update


class OrganizationViewSet(
    OrganizationParametersMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Organizations the account may see; create, rename and move need CHANGE (书记、组织管理员),
    dissolve needs CHANGE over the parent. The same services as the pages."""

    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet

    @extend_schema(request=OrganizationCreateSerializer, responses={201: OrganizationSerializer})
    def create(self, request: Request) -> Response:
        data = self._valid(OrganizationCreateSerializer, request.data)
        org = org_create(actor=request.user, **data)
        return Response(OrganizationSerializer(org).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OrganizationMoveSerializer, responses=OrganizationSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        """Move the organization (with its whole subtree) under another parent."""
        org = self.get_object()
        data = self._valid(OrganizationMoveSerializer, request.data)
        org = org_move(
            actor=request.user, org=org, new_parent=data["parent"], note=data.get("note", "")
        )
        return Response(OrganizationSerializer(org).data)

    @extend_schema(request=OrganizationUpdateSerializer, responses=OrganizationSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Rename the organization or change its category, founding date or fixed party day."""
        org = self.get_object()
        data = self._valid(OrganizationUpdateSerializer, request.data)
        note = data.pop("note", "")
        org = org_update(actor=request.user, org=org, note=note, **data)
        return Response(OrganizationSerializer(org).data)

    @extend_schema(request=OrganizationDissolveSerializer, responses=OrganizationSerializer)
    @action(detail=True, methods=["post"])
    def dissolve(self, request: Request, pk: str | None = None) -> Response:
        """Dissolve the organization (never deleted); a branch's members may move first."""
        # The roster sits above the tree: moving members is members' service (as on the page).
        from zhibu.members.services import branch_dissolve

        org = self.get_object()
        data = self._valid(OrganizationDissolveSerializer, request.data)
        org = branch_dissolve(
            actor=request.user,
            org=org,
            on=data.get("on"),
            transfer_to=data.get("transfer_to"),
            note=data.get("note", ""),
        )
        return Response(OrganizationSerializer(org).data)

    @extend_schema(responses=OrgEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        """Every recorded change of the organization, newest first."""
        org = self.get_object()
        events = org_events(user=request.user, org=org)
        return Response(OrgEventSerializer(events, many=True).data)

    @extend_schema(responses=OrganizationChildSerializer(many=True))
    @action(detail=True, methods=["get"])
    def children(self, request: Request, pk: str | None = None) -> Response:
        """Direct children the account may see, with member and sub-organization counts."""
        # The filters apply to the children, not to finding the parent.
        org = get_object_or_404(self.get_queryset(), pk=pk)
        queryset = self.filter_queryset(org_children(user=request.user, org=org))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(OrganizationChildSerializer(page, many=True).data)

    def _valid(self, serializer_class, data) -> dict:
        serializer = serializer_class(data=data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class GrantViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Grants over organizations: managed by accounts with MANAGE_GRANTS over the organization.

    Every account also sees its own grants (read-only unless it may manage them).
    """

    queryset = Grant.objects.select_related("user", "org", "granted_by").order_by(
        "org__path", "role", "pk"
    )
    serializer_class = GrantSerializer
    scope_action = Action.MANAGE_GRANTS
    filterset_class = GrantFilterSet

    def scope_filter(self, queryset: QuerySet) -> QuerySet:
        user = self.request.user
        manageable = scope_q(user, Action.MANAGE_GRANTS, Grant)
        if not manageable:  # an empty Q means "everywhere" (superuser); Q() | x would be x
            return queryset
        return queryset.filter(manageable | Q(user_id=user.pk))

    def perform_create(self, serializer: GrantSerializer) -> None:
        serializer.instance = grant_create(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance: Grant) -> None:
        grant_delete(actor=self.request.user, grant=instance)


def register(router) -> None:
    """Registers this app's viewsets on the API router."""
    router.register("organizations", OrganizationViewSet, basename="organization")
    router.register("grants", GrantViewSet, basename="grant")
