"""REST endpoints of the roster, committee positions and the current account.

Thin: reads start from the permission layer (core.api.ScopedViewSetMixin), writes call
members.services, which re-check scope inside their transaction.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from zhibu.core.api import API_AUTHENTICATION, ScopedViewSetMixin
from zhibu.members.account_services import account_password_reset, accounts_create
from zhibu.members.api.filtersets import CommitteePositionFilterSet
from zhibu.members.api.serializers import (
    AccountBatchSerializer,
    AccountsCreateSerializer,
    CommitteePositionSerializer,
    MemberConvertSerializer,
    MemberEndSerializer,
    MemberSerializer,
    MemberTransferSerializer,
    MeSerializer,
    PositionEndSerializer,
    SlipSerializer,
)
from zhibu.members.filtersets import MemberFilterSet
from zhibu.members.models import CommitteePosition, CommitteeRole, Member
from zhibu.members.services import (
    member_convert,
    member_create,
    member_end,
    member_transfer,
    member_update,
    position_assign,
    position_end,
)
from zhibu.orgs.models import GrantRole, Organization
from zhibu.orgs.permissions import Action, can, has_any, user_scope, visible_to


class MemberViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The roster the account may see, filtered like the member list page.

    Creating, editing and transferring need CHANGE over the branch (书记、副书记、组织委员、
    组织管理员); anything else answers 404.
    """

    queryset = Member.objects.select_related("branch", "party_group")
    serializer_class = MemberSerializer
    filterset_class = MemberFilterSet

    def create(self, request: Request, *args, **kwargs) -> Response:
        # Permission before validation: the uniqueness check of the ID number must not answer
        # someone who may not add members (it would tell them who is registered anywhere).
        user = request.user
        branch = str(request.data.get("branch", "")) if hasattr(request.data, "get") else ""
        if not has_any(user, Action.CHANGE):
            raise Http404
        if (
            branch.isdigit()
            and len(branch) < 19  # larger is no id at all (and overflows SQLite)
            and not visible_to(
                user, Action.CHANGE, Organization.objects.filter(pk=int(branch))
            ).exists()
        ):
            self.get_serializer().fields["branch"].fail("does_not_exist", pk_value=branch)
        return super().create(request, *args, **kwargs)

    def update(self, request: Request, *args, **kwargs) -> Response:
        # As for create: a member PATCHing their own record learns nothing from validation.
        if not can(request.user, Action.CHANGE, self.get_object()):
            raise Http404
        return super().update(request, *args, **kwargs)

    def perform_create(self, serializer: MemberSerializer) -> None:
        serializer.instance = member_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: MemberSerializer) -> None:
        fields = dict(serializer.validated_data)
        fields.pop("since", None)
        serializer.instance = member_update(
            actor=self.request.user, member=serializer.instance, **fields
        )

    @extend_schema(request=MemberTransferSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: str | None = None) -> Response:
        """组织关系转接: move the member to another branch from a date, keeping history."""
        member = self.get_object()
        data = MemberTransferSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        member = member_transfer(actor=request.user, member=member, **data.validated_data)
        member = Member.objects.select_related("branch", "party_group").get(pk=member.pk)
        return Response(self.get_serializer(member).data)

    @extend_schema(request=MemberEndSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """党员减少 (去世、停止党籍、出党、转出本系统): off the roster from a date, with history."""
        member = self.get_object()
        data = MemberEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = member_end(actor=request.user, member=member, **data.validated_data)
        member = Member.objects.select_related("branch", "party_group").get(pk=member.pk)
        return Response(self.get_serializer(member).data)

    @extend_schema(request=MemberConvertSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: str | None = None) -> Response:
        """转正: a probationary member becomes a full member from a date."""
        member = self.get_object()
        data = MemberConvertSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = member_convert(actor=request.user, member=member, **data.validated_data)
        member = Member.objects.select_related("branch", "party_group").get(pk=member.pk)
        return Response(self.get_serializer(member).data)

    @extend_schema(request=None, responses=SlipSerializer)
    @action(detail=True, methods=["post"], url_path="password-reset")
    def password_reset(self, request: Request, pk: str | None = None) -> Response:
        """A new one-time password for the member's account (CHANGE over the member)."""
        slip = account_password_reset(actor=request.user, member=self.get_object())
        return Response(SlipSerializer(slip.as_dict()).data)

    @extend_schema(request=AccountsCreateSerializer, responses={201: AccountBatchSerializer})
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def accounts(self, request: Request) -> Response:
        """Create login accounts (username = phone) for the roster of an organization's subtree."""
        data = AccountsCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        batch = accounts_create(actor=request.user, org=data.validated_data["org"])
        body = {"slips": [s.as_dict() for s in batch.slips], "skipped": batch.skipped}
        return Response(AccountBatchSerializer(body).data, status=201)


class CommitteePositionViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Committee posts (书记、委员、党小组长) by organization; assigning and ending need CHANGE."""

    queryset = CommitteePosition.objects.select_related("member", "org")
    serializer_class = CommitteePositionSerializer
    filterset_class = CommitteePositionFilterSet

    def perform_create(self, serializer: CommitteePositionSerializer) -> None:
        serializer.instance = position_assign(actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=PositionEndSerializer, responses=CommitteePositionSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """End the post on a date (离任)."""
        position = self.get_object()
        context = {**self.get_serializer_context(), "position": position}
        data = PositionEndSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        position = position_end(
            actor=request.user, position=position, end=data.validated_data["end"]
        )
        return Response(self.get_serializer(position).data)


ROLE_LABELS = {**dict(GrantRole.choices), **dict(CommitteeRole.choices), "member": "党员"}


class MeViewSet(viewsets.ViewSet):
    """GET /api/me/: who am I, which member am I, where do my rights apply."""

    authentication_classes = API_AUTHENTICATION

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def list(self, request: Request) -> Response:
        user = request.user
        scope = user_scope(user)
        names = dict(
            Organization.objects.filter(pk__in={e.org_id for e in scope.entries}).values_list(
                "pk", "name"
            )
        )
        member = (
            Member.objects.select_related("branch", "party_group")
            .filter(pk=scope.member_id)
            .first()
            if scope.member_id
            else None
        )
        data = {
            "id": user.pk,
            "username": user.username,
            "name": str(user),
            "phone": user.phone,
            "is_superuser": user.is_superuser,
            "member": member,
            "scope": [
                {
                    "org_id": e.org_id,
                    "org_name": names.get(e.org_id, ""),
                    "role": e.role,
                    "role_display": str(ROLE_LABELS.get(e.role, e.role)),
                    "actions": sorted(e.actions),
                }
                for e in scope.entries
            ],
        }
        return Response(MeSerializer(data, context={"request": request}).data)


def register(router) -> None:
    """Registers this app's viewsets on the API router."""
    router.register("members", MemberViewSet, basename="member")
    router.register("positions", CommitteePositionViewSet, basename="position")
    router.register("me", MeViewSet, basename="me")
