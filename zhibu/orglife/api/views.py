"""REST endpoints of organizational life: everything a member or a secretary can do on the
pages, for a mini-program or another client.

Thin: reads go through orglife.selectors (which start from the permission layer), writes through
orglife.services, which re-check scope inside their transaction. Out of scope is 404; visible
but not allowed (e.g. a member approving a leave) is 403 with the reason; bad input is 400 with
the same field keys and Chinese messages as the pages.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from zhibu.core.api import ScopedViewSetMixin
from zhibu.orglife import selectors, services
from zhibu.orglife.api.filtersets import (
    LeaveFilterSet,
    MakeupFilterSet,
    MeetingFilterSet,
    PlanFilterSet,
)
from zhibu.orglife.api.serializers import (
    AmendmentSerializer,
    AmendSerializer,
    AttachmentSerializer,
    AttendanceSerializer,
    CancelSerializer,
    DiscussionSerializer,
    LeaveDecideSerializer,
    LeaveFileSerializer,
    LeaveRequestSerializer,
    MakeupCompleteSerializer,
    MakeupSerializer,
    MakeupSubmitSerializer,
    MeetingCreateSerializer,
    MeetingSerializer,
    MeetingUpdateSerializer,
    MyMeetingSerializer,
    PlanSerializer,
    RecordSerializer,
    SignInSerializer,
    SignInTokenSerializer,
    StepSerializer,
)
from zhibu.orglife.models import LeaveRequest, Makeup, Meeting, Plan
from zhibu.orglife.signin import signin_window, slot_expires_at
from zhibu.orgs.permissions import Action, can, user_scope


def _input(serializer_class, request: Request, view) -> dict:
    data = serializer_class(data=request.data, context=view.get_serializer_context())
    data.is_valid(raise_exception=True)
    return data.validated_data


@extend_schema_view(
    list=extend_schema(summary="组织生活列表（可按组织、类型、状态、日期筛选）"),
    retrieve=extend_schema(summary="一次组织生活"),
    create=extend_schema(
        summary="安排组织生活（快照应到人员）",
        request=MeetingCreateSerializer,
        responses={201: MeetingSerializer},
    ),
    update=extend_schema(
        summary="修改（确认前）", request=MeetingUpdateSerializer, responses=MeetingSerializer
    ),
    partial_update=extend_schema(
        summary="修改（确认前）", request=MeetingUpdateSerializer, responses=MeetingSerializer
    ),
)
class MeetingViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Meetings of every type. Planning, recording and confirming need MANAGE_ORGLIFE
    (支部委员); signing in and asking for leave are for the due attendees themselves."""

    queryset = Meeting.objects.select_related("org")
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilterSet
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def scope_filter(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(selectors.meeting_scope_q(self.request.user, Action.VIEW))

    def get_queryset(self) -> QuerySet:
        if self.action == "list":
            return selectors.meeting_list(user=self.request.user)
        return super().get_queryset()

    def _reload(self, meeting: Meeting) -> Meeting:
        return Meeting.objects.select_related("org").get(pk=meeting.pk)

    def _out(self, meeting: Meeting, code: int = status.HTTP_200_OK) -> Response:
        return Response(MeetingSerializer(self._reload(meeting)).data, status=code)

    def create(self, request: Request) -> Response:
        data = _input(MeetingCreateSerializer, request, self)
        meeting = services.meeting_schedule(actor=request.user, **data)
        return self._out(meeting, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None, partial: bool = False) -> Response:
        meeting = self.get_object()
        data = _input(MeetingUpdateSerializer, request, self)
        meeting = services.meeting_update(actor=request.user, meeting=meeting, **data)
        return self._out(meeting)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk, partial=True)

    @extend_schema(
        summary="我的组织生活（已通知或已召开，近期在前）", responses=MyMeetingSerializer
    )
    @action(
        detail=False, methods=["get"], serializer_class=MyMeetingSerializer, filterset_class=None
    )
    def mine(self, request: Request) -> Response:
        rows = selectors.my_meetings(user=request.user)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(MyMeetingSerializer(page, many=True).data)

    @extend_schema(summary="发出会议通知", request=None, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def notify(self, request: Request, pk: str | None = None) -> Response:
        meeting = services.meeting_notify(actor=request.user, meeting=self.get_object())
        return self._out(meeting)

    @extend_schema(summary="取消会议", request=CancelSerializer, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        data = _input(CancelSerializer, request, self)
        meeting = services.meeting_cancel(actor=request.user, meeting=meeting, **data)
        return self._out(meeting)

    @extend_schema(summary="当前签到二维码和签到码（支部委员）", responses=SignInTokenSerializer)
    @action(detail=True, methods=["get"], url_path="signin-token")
    def signin_token(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        if not can(request.user, Action.MANAGE_ORGLIFE, meeting):
            raise PermissionDenied("只有支部委员会成员可以显示签到二维码和签到码")
        now = timezone.now()
        window = signin_window(meeting)
        body = {
            "token": services.signin_token(meeting, now=now),
            "url": services.signin_url(meeting, now=now),
            "code": services.signin_code(meeting, now=now),
            "expires_at": slot_expires_at(now),
            "window_opens": window.opens,
            "window_closes": window.closes,
        }
        return Response(SignInTokenSerializer(body).data)

    @extend_schema(
        summary="签到：本人扫码（token）或签到码（code）；书记勾选（member）",
        request=SignInSerializer,
        responses=AttendanceSerializer,
    )
    @action(detail=True, methods=["post"], url_path="sign-in")
    def sign_in(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        data = _input(SignInSerializer, request, self)
        attendance = services.sign_in(actor=request.user, meeting=meeting, **data)
        row = selectors.meeting_attendance(meeting=meeting).get(pk=attendance.pk)
        return Response(AttendanceSerializer(row).data)

    @extend_schema(
        summary="出勤名单（委员和审批人看全部，党员只看本人）",
        responses=AttendanceSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def attendance(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        rows = selectors.meeting_attendance(meeting=meeting)
        user = request.user
        if not any(
            can(user, a, meeting)
            for a in (Action.MANAGE_ORGLIFE, Action.APPROVE_LEAVE, Action.VIEW_PERSONAL)
        ):
            rows = rows.filter(member_id=user_scope(user).member_id)
        return Response(AttendanceSerializer(rows, many=True).data)

    @extend_schema(
        summary="填写会议记录（实际时间、记录、出勤、决定事项）", request=RecordSerializer
    )
    @action(detail=True, methods=["post"])
    def record(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        data = _input(RecordSerializer, request, self)
        if data.get("outcomes"):
            data["outcomes"] = {str(k): v for k, v in data["outcomes"].items()}
        meeting = services.meeting_record(actor=request.user, meeting=meeting, **data)
        return self._out(meeting)

    @extend_schema(methods=["GET"], summary="程序步骤", responses=StepSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        summary="记录程序步骤及完成日期",
        request=StepSerializer,
        responses={201: StepSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def steps(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        if request.method == "GET":
            rows = meeting.steps.order_by("done_on", "pk")
            return Response(StepSerializer(rows, many=True).data)
        data = _input(StepSerializer, request, self)
        step = services.step_record(actor=request.user, meeting=meeting, **data)
        return Response(StepSerializer(step).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], summary="讨论发言", responses=DiscussionSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        summary="记录讨论发言（党课课后讨论）",
        request=DiscussionSerializer,
        responses={201: DiscussionSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def discussion(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        if request.method == "GET":
            rows = meeting.discussion.select_related("speaker").order_by("pk")
            return Response(DiscussionSerializer(rows, many=True).data)
        data = _input(DiscussionSerializer, request, self)
        entry = services.discussion_add(actor=request.user, meeting=meeting, **data)
        return Response(DiscussionSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], summary="附件", responses=AttachmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        summary="上传附件（图片、PDF、Office 文档；按内容识别类型）",
        request={"multipart/form-data": AttachmentSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        if request.method == "GET":
            rows = meeting.attachments.order_by("pk")
            return Response(AttachmentSerializer(rows, many=True).data)
        upload = request.FILES.get("file")
        attachment = services.attachment_add(actor=request.user, meeting=meeting, upload=upload)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="确认并锁定记录（生成缺席和补课）", request=None, responses=MeetingSerializer
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        meeting = services.record_confirm(actor=request.user, meeting=self.get_object())
        return self._out(meeting)

    @extend_schema(methods=["GET"], summary="补正历史", responses=AmendmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        summary="补正已确认的记录（须说明原因，保留原值）",
        request=AmendSerializer,
        responses={201: AmendmentSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def amend(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        if request.method == "GET":
            rows = meeting.amendments.select_related("by")
            return Response(AmendmentSerializer(rows, many=True).data)
        data = _input(AmendSerializer, request, self)
        amendment = services.amend(actor=request.user, meeting=meeting, **data)
        return Response(AmendmentSerializer(amendment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="请假申请（本人的，以及可审批或管理的）"),
    retrieve=extend_schema(summary="一条请假申请"),
    create=extend_schema(summary="请假（本人，会前提交并获批才算请假）"),
)
class LeaveRequestViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = LeaveRequest.objects.all()
    serializer_class = LeaveRequestSerializer
    filterset_class = LeaveFilterSet

    def get_queryset(self) -> QuerySet:
        return selectors.leave_list(user=self.request.user)

    def perform_create(self, serializer: LeaveRequestSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.leave_request(
            actor=self.request.user, meeting=data["meeting"], reason=data.get("reason", "")
        )

    @extend_schema(
        summary="代党员请假（书记为没有智能手机的党员登记）",
        request=LeaveFileSerializer,
        responses={201: LeaveRequestSerializer},
    )
    @action(detail=False, methods=["post"], filterset_class=None)
    def file(self, request: Request) -> Response:
        data = _input(LeaveFileSerializer, request, self)
        leave = services.leave_file_for(actor=request.user, **data)
        return Response(
            LeaveRequestSerializer(self.get_queryset().get(pk=leave.pk)).data, status=201
        )

    @extend_schema(summary="待我审批的请假", responses=LeaveRequestSerializer(many=True))
    @action(detail=False, methods=["get"], filterset_class=None)
    def inbox(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.leave_inbox(user=request.user))
        return self.get_paginated_response(LeaveRequestSerializer(page, many=True).data)

    @extend_schema(
        summary="审批请假（书记；党小组会由党小组长）",
        request=LeaveDecideSerializer,
        responses=LeaveRequestSerializer,
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        leave = self.get_object()
        data = _input(LeaveDecideSerializer, request, self)
        leave = services.leave_decide(actor=request.user, leave=leave, **data)
        return Response(LeaveRequestSerializer(self.get_queryset().get(pk=leave.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary="补课（本人的，以及可管理支部的）",
        parameters=[OpenApiParameter("overdue", bool, description="仅逾期未完成")],
    ),
    retrieve=extend_schema(summary="一项补课"),
)
class MakeupViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Makeup.objects.all()
    serializer_class = MakeupSerializer
    filterset_class = MakeupFilterSet

    def get_queryset(self) -> QuerySet:
        return selectors.makeup_list(user=self.request.user)

    @extend_schema(summary="提交补课（本人）", request=MakeupSubmitSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        makeup = self.get_object()
        data = _input(MakeupSubmitSerializer, request, self)
        makeup = services.makeup_submit(actor=request.user, makeup=makeup, **data)
        return Response(MakeupSerializer(self.get_queryset().get(pk=makeup.pk)).data)

    @extend_schema(summary="确认补课完成（支部委员）", request=MakeupCompleteSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        makeup = self.get_object()
        data = _input(MakeupCompleteSerializer, request, self)
        if data.get("method") is None:
            data = {}
        makeup = services.makeup_complete(actor=request.user, makeup=makeup, **data)
        return Response(MakeupSerializer(self.get_queryset().get(pk=makeup.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="组织生活计划"),
    retrieve=extend_schema(summary="一份计划"),
    create=extend_schema(summary="保存年度计划（不填月份）或月度计划；同期已有则替换"),
)
class PlanViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Plan.objects.select_related("org").order_by("-year", "month", "pk")
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet

    def perform_create(self, serializer: PlanSerializer) -> None:
        serializer.instance = services.plan_save(
            actor=self.request.user, **serializer.validated_data
        )


def register(router) -> None:
    """Registers this app's viewsets on the API router."""
    router.register("meetings", MeetingViewSet, basename="meeting")
    router.register("leave-requests", LeaveRequestViewSet, basename="leave-request")
    router.register("makeups", MakeupViewSet, basename="makeup")
    router.register("plans", PlanViewSet, basename="plan")
