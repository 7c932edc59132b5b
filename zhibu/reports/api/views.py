"""REST API for reports: the same services and permission layer as the pages."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from zhibu.core.api import ScopedViewSetMixin
from zhibu.members.models import Member
from zhibu.orgs.models import Organization
from zhibu.orgs.permissions import Action, get_or_404
from zhibu.reports import selectors, services
from zhibu.reports.api import serializers as s
from zhibu.reports.models import DemocraticReview, ThoughtReport, WorkReport


class ThoughtReportViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Thought reports: only the author, the branch secretary, the mentor and explicit grants
    see them (others get 404)."""

    queryset = ThoughtReport.objects.all()
    serializer_class = s.ThoughtReportSerializer

    def scope_filter(self, queryset):
        return selectors.readable_reports(user=self.request.user).prefetch_related("amendments")

    @extend_schema(request=s.ThoughtReportWriteSerializer, responses=s.ThoughtReportSerializer)
    def create(self, request):
        data = self._valid(s.ThoughtReportWriteSerializer, request)
        report = services.report_save(actor=request.user, **data)
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ThoughtReportWriteSerializer, responses=s.ThoughtReportSerializer)
    def update(self, request, pk=None):
        report = self.get_object()
        if report.member.user_id != request.user.pk:
            raise Http404
        data = self._valid(s.ThoughtReportWriteSerializer, request)
        report = services.report_save(actor=request.user, report=report, **data)
        return Response(self.get_serializer(report).data)

    @extend_schema(request=s.CommentSerializer, responses=s.ThoughtReportSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        data = self._valid(s.CommentSerializer, request)
        report = services.report_review(actor=request.user, report=self.get_object(), **data)
        return Response(self.get_serializer(report).data)

    @extend_schema(request=s.AmendSerializer, responses=s.AmendmentSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        data = self._valid(s.AmendSerializer, request)
        amendment = services.report_amend(actor=request.user, report=self.get_object(), **data)
        return Response(s.AmendmentSerializer(amendment).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _valid(serializer_class, request):
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class WorkReportViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = WorkReport.objects.prefetch_related("responses__member")
    serializer_class = s.WorkReportSerializer

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        org = get_or_404(
            request.user, Action.MANAGE_ORGLIFE, Organization.objects.all(), pk=data.pop("org").pk
        )
        report = services.work_report_save(actor=request.user, org=org, **data)
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.RespondSerializer, responses=s.WorkReportResponseSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        serializer = s.RespondSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        response = services.work_report_respond(
            actor=request.user, report=self.get_object(), **serializer.validated_data
        )
        return Response(
            s.WorkReportResponseSerializer(response).data, status=status.HTTP_201_CREATED
        )


class DemocraticReviewViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = DemocraticReview.objects.all()
    serializer_class = s.ReviewSerializer

    @extend_schema(request=s.VoteSerializer, responses={201: None})
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        review = self.get_object()
        serializer = s.VoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subject = get_or_404(
            request.user, Action.VIEW, Member.objects.all(), pk=serializer.validated_data["subject"]
        )
        services.peer_vote(
            actor=request.user,
            review=review,
            subject=subject,
            grade=serializer.validated_data["grade"],
        )
        return Response(status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Registers this app's viewsets on the API router."""
    router.register("thought-reports", ThoughtReportViewSet, basename="thought-report")
    router.register("work-reports", WorkReportViewSet, basename="work-report")
    router.register("reviews", DemocraticReviewViewSet, basename="review")
