"""Pages of organizational life: calendar, scheduling, the meeting page, sign-in, leave, make-up.

Thin by design: reads go through orglife.selectors (which start from the permission layer),
writes through orglife.services (which re-check scope inside their transaction). Out of scope
is 404. A service's ValidationError is shown next to the form that caused it.
"""

from __future__ import annotations

import calendar as pycalendar
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhibu.core import periods
from zhibu.core.paging import page_of
from zhibu.core.pinyin import by_pinyin
from zhibu.members.models import Member
from zhibu.orglife import selectors, services
from zhibu.orglife import signin as signin_rules
from zhibu.orglife.forms import (
    AmendForm,
    AttachmentForm,
    CancelForm,
    DiscussionForm,
    LeaveDecideForm,
    LeaveFileForm,
    LeaveRequestForm,
    MakeupSubmitForm,
    MeetingForm,
    PlanForm,
    RecordForm,
    SignInCodeForm,
    StepForm,
    apply_errors,
)
from zhibu.orglife.meeting_types import meeting_type
from zhibu.orglife.models import (
    Attachment,
    Attendance,
    LeaveRequest,
    LeaveStatus,
    Makeup,
    Meeting,
    MeetingStatus,
    Outcome,
)
from zhibu.orgs.models import Organization, OrgKind, subtree_q
from zhibu.orgs.permissions import Action, can, get_or_404, user_scope
from zhibu.orgs.selectors import org_list, org_roots

# --------------------------------------------------------------------------- helpers


def _is_htmx(request: HttpRequest) -> bool:
    """An htmx request wanting a partial (a history restore was made a page load already)."""
    return bool(request.htmx)


def _org(user, pk: int, action: Action = Action.VIEW) -> Organization:
    return get_object_or_404(org_list(user=user, action=action), pk=pk)


def _next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def _error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, PermissionDenied):
        return str(exc) or _("没有权限")
    return "；".join(exc.messages)


def _member_id(user) -> int | None:
    return user_scope(user).member_id if user.is_authenticated else None


def _manage(user, pk: int) -> Meeting:
    """The meeting if the user may run it (plan, record, confirm); 404 otherwise."""
    return selectors.meeting_get(user=user, pk=pk, action=Action.MANAGE_ORGLIFE)


# --------------------------------------------------------------------------- calendar


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Start at the user's own branch; administrators pick from the roots of their scope."""
    scope = user_scope(request.user)
    if scope.branch_id:
        return redirect("orglife:calendar", org_pk=scope.branch_id)
    roots = org_roots(user=request.user)
    if len(roots) == 1:
        return redirect("orglife:calendar", org_pk=roots[0].pk)
    if not roots:
        return redirect("orglife:my_meetings")
    return render(request, "orglife/index.html", {"roots": roots})


def _month_param(request: HttpRequest) -> periods.Period:
    try:
        period = periods.parse(request.GET.get("month", ""))
        if period.kind == "month":
            return period
    except ValueError:
        pass
    today = timezone.localdate()
    return periods.month(today.year, today.month)


def _shift_month(period: periods.Period, months: int) -> periods.Period:
    index = period.first.year * 12 + period.first.month - 1 + months
    return periods.month(index // 12, index % 12 + 1)


@login_required
def org_calendar(request: HttpRequest, org_pk: int) -> HttpResponse:
    """A branch's month: grid (default) or list; the fixed party day is marked."""
    org = _org(request.user, org_pk)
    month = _month_param(request)
    # Above a branch, the month is read branch by branch (a list grouped by branch, with a
    # filter): one grid with thirty branches' meetings says nothing.
    branches: list[Organization] = []
    if org.kind not in (OrgKind.BRANCH, OrgKind.PARTY_GROUP):
        branches = list(
            org_list(user=request.user)
            .filter(subtree_q(org.path, "path"), kind=OrgKind.BRANCH, is_active=True)
            .only("pk", "name", "path")
            .order_by("name")[:1000]
        )
    picked = next((b for b in branches if str(b.pk) == request.GET.get("branch")), None)
    default_view = "list" if branches and picked is None else "grid"
    view = request.GET.get("view") if request.GET.get("view") in ("list", "grid") else default_view
    meetings = list(selectors.org_calendar(user=request.user, org=picked or org, month=month))
    groups: list[tuple[Organization, list[Meeting]]] = []
    if branches and view == "list":
        by_org: dict[int, list[Meeting]] = defaultdict(list)
        for m in meetings:
            by_org[m.org_id].append(m)
        owners = {m.org_id: m.org for m in meetings}
        groups = [(owners[pk], rows) for pk, rows in by_org.items()]
        groups.sort(key=lambda g: (g[0].path, g[0].name))
    by_day: dict[date, list[Meeting]] = defaultdict(list)
    for m in meetings:
        by_day[timezone.localdate(m.planned_start)].append(m)
    weeks = [
        [
            {
                "day": d,
                "in_month": d.month == month.first.month,
                "meetings": by_day.get(d, []),
                "party_day": bool(org.fixed_party_day)
                and d.day == org.fixed_party_day
                and d.month == month.first.month,
            }
            for d in week
        ]
        for week in pycalendar.Calendar().monthdatescalendar(month.first.year, month.first.month)
    ]
    children = []
    if org.kind != OrgKind.PARTY_GROUP:
        children = list(
            org_list(user=request.user)
            .filter(parent=org, is_active=True)
            .only("pk", "name", "kind")
            .order_by("kind", "name")[:200]
        )
    context = {
        "org": org,
        "month": month,
        "prev_month": _shift_month(month, -1),
        "next_month": _shift_month(month, 1),
        "view": view,
        "weeks": weeks,
        "meetings": meetings,
        "today": timezone.localdate(),
        "can_schedule": can(request.user, Action.MANAGE_ORGLIFE, org),
        "children": children,
        "branches": branches,
        "picked": picked,
        "groups": groups,
        "weekdays": [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
    }
    template = "orglife/_calendar.html" if _is_htmx(request) else "orglife/calendar.html"
    return render(request, template, context)


# --------------------------------------------------------------------------- schedule / edit


def _late_entry_cutoff(org: Organization) -> date:
    """Meetings before this day are late entries (补记) for `org` (the form asks why)."""
    return timezone.localdate() - timedelta(days=services.late_entry_days(org))


@login_required
def meeting_schedule(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = _org(request.user, org_pk, Action.MANAGE_ORGLIFE)
    form = MeetingForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_schedule(
                actor=request.user, org=org, **form.service_fields()
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已安排会议，应到人员名单已生成"))
            return redirect("orglife:meeting", pk=meeting.pk)
    return render(
        request,
        "orglife/meeting_form.html",
        {"form": form, "org": org, "meeting": None, "late_cutoff": _late_entry_cutoff(org)},
    )


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request.user, pk)
    if meeting.is_locked or meeting.status == MeetingStatus.CANCELLED:
        messages.error(request, _("会议记录已确认或已取消，不能再编辑；如需更正请使用补记"))
        return redirect("orglife:meeting", pk=meeting.pk)
    form = MeetingForm(request.POST or None, org=meeting.org, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            fields = form.service_fields()
            fields.pop("meeting_type")  # the type is fixed once scheduled
            services.meeting_update(actor=request.user, meeting=meeting, **fields)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("会议信息已保存"))
            return redirect("orglife:meeting", pk=meeting.pk)
    return render(
        request,
        "orglife/meeting_form.html",
        {
            "form": form,
            "org": meeting.org,
            "meeting": meeting,
            "late_cutoff": _late_entry_cutoff(meeting.org),
        },
    )


# --------------------------------------------------------------------------- meeting page


def _record_parts(meeting: Meeting) -> dict[str, list]:
    """The child rows of a meeting the user may already see (one query each)."""
    return {
        "steps": list(meeting.steps.order_by("done_on", "pk")),
        "decisions": list(meeting.decisions.order_by("pk")),
        "discussion": list(meeting.discussion.select_related("speaker").order_by("pk")),
        "attachments": list(meeting.attachments.order_by("pk")),
        "amendments": selectors.amendment_history(meeting=meeting),
    }


def _name(att: Attendance) -> str:
    return att.member.name


def _attendance_counts(attendances: list[Attendance]) -> dict[str, int]:
    """The counter above the roster (应到 · 已签到 · 请假 · 迟到 · 早退 · 缺席)."""
    return {
        "due": len(attendances),
        "signed": sum(1 for a in attendances if a.signed_in_at),
        "leave": sum(
            1
            for a in attendances
            if a.outcome == Outcome.ON_LEAVE
            or (not a.outcome and a.leave and a.leave.status == LeaveStatus.APPROVED)
        ),
        "late": sum(1 for a in attendances if a.outcome == Outcome.LATE),
        "left_early": sum(1 for a in attendances if a.outcome == Outcome.LEFT_EARLY),
        "absent": sum(1 for a in attendances if a.outcome == Outcome.ABSENT),
    }


def _meeting_context(request: HttpRequest, meeting: Meeting, forms: dict[str, Any]) -> dict:
    user = request.user
    manage = can(user, Action.MANAGE_ORGLIFE, meeting)
    approve = can(user, Action.APPROVE_LEAVE, meeting)
    member_id = _member_id(user)
    mtype = meeting_type(meeting.meeting_type)
    now = timezone.now()
    window = signin_rules.signin_window(meeting)
    ctx: dict[str, Any] = {
        "meeting": meeting,
        "mtype": mtype,
        "manage": manage,
        "approve": approve,
        "now": now,
        "window": window,
        "window_open": window.contains(now),
        "started": now >= (meeting.actual_start or meeting.planned_start),
        "active": meeting.status in (MeetingStatus.PLANNED, MeetingStatus.HELD),
    }
    attendances: list[Attendance] = []
    if manage or approve:
        attendances = by_pinyin(selectors.meeting_attendance(meeting=meeting), _name)
        ctx["attendances"] = attendances
        ctx["counts"] = _attendance_counts(attendances)
        ctx["outcome_choices"] = Outcome.choices
        ctx["can_mark"] = meeting.status in (MeetingStatus.PLANNED, MeetingStatus.HELD)
        ctx["pending_leaves"] = [
            a for a in attendances if a.leave and a.leave.status == LeaveStatus.PENDING
        ]
        mine = next((a for a in attendances if a.member_id == member_id), None)
    else:
        mine = (
            selectors.meeting_attendance(meeting=meeting).filter(member_id=member_id).first()
            if member_id
            else None
        )
    ctx["mine"] = mine
    if manage:
        parts = _record_parts(meeting)
        ctx.update(parts)
        ctx["record_form"] = forms.get("record") or RecordForm(
            meeting=meeting, attendances=attendances, decisions=parts["decisions"]
        )
        ctx["step_form"] = forms.get("step") or (StepForm(meeting=meeting) if mtype.steps else None)
        ctx["discussion_form"] = forms.get("discussion") or DiscussionForm(attendances=attendances)
        ctx["attachment_form"] = forms.get("attachment") or AttachmentForm()
        ctx["amend_form"] = forms.get("amend") or AmendForm(attendances=attendances)
        ctx["cancel_form"] = forms.get("cancel") or CancelForm()
        done = {s.code for s in parts["steps"]}
        ctx["step_status"] = [(s, s.code in done) for s in mtype.steps]
    else:
        ctx.update(_record_parts(meeting) if meeting.is_locked else {})
    if mine is not None:
        ctx["leave_form"] = forms.get("leave") or LeaveRequestForm()
        ctx["code_form"] = forms.get("code") or SignInCodeForm()
    ctx["open_section"] = forms.get("open")
    return ctx


def _render_meeting(
    request: HttpRequest, meeting: Meeting, forms: dict[str, Any] | None = None
) -> HttpResponse:
    return render(request, "orglife/meeting.html", _meeting_context(request, meeting, forms or {}))


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    return _render_meeting(request, meeting)


def _form_post(
    request: HttpRequest,
    meeting: Meeting,
    key: str,
    form,
    call,
    success: str,
    anchor: str = "",
) -> HttpResponse:
    """Validate `form`, call the service, and either redirect or show the page with errors."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(reverse("orglife:meeting", args=[meeting.pk]) + anchor)
    return _render_meeting(request, meeting, {key: form, "open": key})


@login_required
@require_POST
def meeting_notify(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request.user, pk)
    try:
        services.meeting_notify(actor=request.user, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("通知已发出，应到人员可在“我的会议”中看到"))
    return redirect("orglife:meeting", pk=meeting.pk)


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request.user, pk)
    return _form_post(
        request,
        meeting,
        "cancel",
        CancelForm(request.POST),
        lambda d: services.meeting_cancel(actor=request.user, meeting=meeting, reason=d["reason"]),
        _("会议已取消"),
    )


def _attendance_row(request: HttpRequest, meeting: Meeting, member_pk: int, error: str = ""):
    """One roster row after a change, with the counter above the roster swapped in place."""
    attendances = list(selectors.meeting_attendance(meeting=meeting))
    att = next((a for a in attendances if a.member_id == member_pk), None)
    if att is None:
        raise Http404
    return render(
        request,
        "orglife/_attendance_row.html",
        {
            "a": att,
            "meeting": meeting,
            "manage": True,
            "row_error": error,
            "row_counts": _attendance_counts(attendances),
            "outcome_choices": Outcome.choices,
        },
    )


@login_required
@require_POST
def attendance_all(request: HttpRequest, pk: int) -> HttpResponse:
    """全员到会: everyone not yet marked (and not on leave) is ticked present at once."""
    meeting = _manage(request.user, pk)
    try:
        n = services.attendance_all_present(actor=request.user, meeting=meeting)
    except ValidationError as exc:
        notice, ok = _error_text(exc), False
    else:
        notice, ok = _("已记 %(n)s 人到会；请标出迟到、早退或缺席的同志") % {"n": n}, True
    if _is_htmx(request):  # the roster and its counter, with the notice in place
        ctx = _meeting_context(request, meeting, {})
        ctx["attendance_notice"], ctx["attendance_ok"] = notice, ok
        return render(request, "orglife/_attendance.html", ctx)
    (messages.success if ok else messages.error)(request, notice)
    return redirect(reverse("orglife:meeting", args=[meeting.pk]) + "#attendance")


@login_required
@require_POST
def attendance_mark(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """Mark one exception (迟到, 早退, 请假, 缺席) or put the member back as present."""
    meeting = _manage(request.user, pk)
    error = ""
    try:
        services.attendance_mark(
            actor=request.user,
            meeting=meeting,
            member=member_pk,
            outcome=request.POST.get("outcome", ""),
        )
    except ValidationError as exc:
        error = _error_text(exc)
    if _is_htmx(request):
        return _attendance_row(request, meeting, member_pk, error)
    if error:
        messages.error(request, error)
    return redirect(reverse("orglife:meeting", args=[meeting.pk]) + "#attendance")


@login_required
@require_POST
def roster_tick(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """The secretary ticks a member as present (paper sheet, no smartphone)."""
    meeting = _manage(request.user, pk)
    att = (
        selectors.meeting_attendance(meeting=meeting)
        .filter(member_id=member_pk)
        .select_related("member")
        .first()
    )
    if att is None:
        raise Http404
    error = ""
    try:
        services.sign_in(actor=request.user, meeting=meeting, method="roster", member=att.member)
    except ValidationError as exc:
        error = _error_text(exc)
    if _is_htmx(request):
        return _attendance_row(request, meeting, member_pk, error)
    if error:
        messages.error(request, error)
    return redirect(reverse("orglife:meeting", args=[meeting.pk]) + "#attendance")


@login_required
@require_POST
def leave_request(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    return _form_post(
        request,
        meeting,
        "leave",
        LeaveRequestForm(request.POST),
        lambda d: services.leave_request(actor=request.user, meeting=meeting, reason=d["reason"]),
        _("请假申请已提交，等待审批"),
    )


@login_required
@require_POST
def leave_decide(request: HttpRequest, pk: int) -> HttpResponse:
    leave = get_or_404(
        request.user,
        Action.APPROVE_LEAVE,
        LeaveRequest.objects.select_related("meeting__org", "member"),
        pk=pk,
    )
    form = LeaveDecideForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            leave = services.leave_decide(
                actor=request.user,
                leave=leave,
                approve=form.cleaned_data["approve"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as exc:
            error = _error_text(exc)
    else:
        error = _("请选择批准或不批准")
    if _is_htmx(request):
        return render(
            request,
            "orglife/_leave_row.html",
            {"leave": leave, "row_error": error, "decided": not error},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("已批准 %(name)s 的请假") % {"name": leave.member.name}
            if leave.status == LeaveStatus.APPROVED
            else _("已退回 %(name)s 的请假") % {"name": leave.member.name},
        )
    return redirect(_next_or(request, reverse("orglife:meeting", args=[leave.meeting_id])))


@login_required
@require_POST
def signin_code(request: HttpRequest, pk: int) -> HttpResponse:
    """A member signs in with the 6-digit code shown in the room."""
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    form = SignInCodeForm(request.POST)
    if form.is_valid():
        try:
            att = services.sign_in(
                actor=request.user, meeting=meeting, method="code", code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if att.outcome == Outcome.LATE:
                messages.warning(request, _late_text(meeting, att))
            else:
                messages.success(request, _("签到成功"))
            return redirect(reverse("orglife:meeting", args=[meeting.pk]))
    return _render_meeting(request, meeting, {"code": form, "open": "code"})


def _late_text(meeting: Meeting, att: Attendance) -> str:
    """What a member signing in late is told: signed in, and recorded as late."""
    start = timezone.localtime(meeting.actual_start or meeting.planned_start)
    text = _("已签到，但记为迟到：会议 %(start)s 开始，您 %(at)s 签到。如有特殊情况请向支部说明。")
    return text % {
        "start": f"{start:%H:%M}",
        "at": f"{timezone.localtime(att.signed_in_at):%H:%M}",
    }


@login_required
@require_POST
def meeting_record(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request.user, pk)
    attendances = list(selectors.meeting_attendance(meeting=meeting))
    form = RecordForm(request.POST, meeting=meeting, attendances=attendances)

    def call(data):
        services.meeting_record(
            actor=request.user,
            meeting=meeting,
            actual_start=data["actual_start"],
            actual_end=data["actual_end"],
            minutes=data["minutes"],
            outcomes=form.outcomes() or None,
            decisions=form.decision_list(),
        )

    return _form_post(request, meeting, "record", form, call, _("会议记录已保存"), "#record")


@login_required
@require_POST
def step_record(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request.user, pk)
    return _form_post(
        request,
        meeting,
        "step",
        StepForm(request.POST, meeting=meeting),
        lambda d: services.step_record(
            actor=request.user,
            meeting=meeting,
            code=d["code"],
            done_on=d["done_on"],
            note=d["note"],
        ),
        _("程序步骤已记录"),
        "#record",
    )


@login_required
@require_POST
def discussion_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request.user, pk)
    attendances = list(selectors.meeting_attendance(meeting=meeting))
    speakers = {a.member_id: a.member for a in attendances}

    def call(data):
        services.discussion_add(
            actor=request.user,
            meeting=meeting,
            text=data["text"],
            speaker=speakers.get(data["speaker"]),
        )

    return _form_post(
        request,
        meeting,
        "discussion",
        DiscussionForm(request.POST, attendances=attendances),
        call,
        _("发言已记录"),
        "#record",
    )


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request.user, pk)
    return _form_post(
        request,
        meeting,
        "attachment",
        AttachmentForm(request.POST, request.FILES),
        lambda d: services.attachment_add(actor=request.user, meeting=meeting, upload=d["upload"]),
        _("附件已上传"),
        "#record",
    )


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Files are served only to those who may see the meeting."""
    attachment = get_or_404(
        request.user, Action.VIEW, Attachment.objects.select_related("meeting__org"), pk=pk
    )
    inline = attachment.content_type.startswith("image/") or attachment.content_type == (
        "application/pdf"
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.content_type,
    )


@login_required
@require_POST
def record_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request.user, pk)
    try:
        services.record_confirm(actor=request.user, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, _("还不能确认：") + _error_text(exc))
        return redirect(reverse("orglife:meeting", args=[meeting.pk]) + "#record")
    messages.success(request, _("会议记录已确认并锁定；缺席和请假的同志已生成补课任务"))
    return redirect("orglife:meeting", pk=meeting.pk)


@login_required
@require_POST
def meeting_amend(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request.user, pk)
    attendances = list(selectors.meeting_attendance(meeting=meeting))
    return _form_post(
        request,
        meeting,
        "amend",
        AmendForm(request.POST, attendances=attendances),
        lambda d: services.amend(
            actor=request.user,
            meeting=meeting,
            field=d["field"],
            value=d["value"],
            reason=d["reason"],
        ),
        _("补记已保存，原内容保留在补记记录中"),
        "#amend",
    )


# --------------------------------------------------------------------------- sign-in screens


def _screen_context(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    now = timezone.now()
    url = services.signin_url(meeting, now=now, base=request.build_absolute_uri("/"))
    qr = segno.make(url, error="m")
    counts = selectors.meeting_attendance(meeting=meeting).aggregate(
        due=Count("pk"), signed=Count("pk", filter=Q(signed_in_at__isnull=False))
    )
    seconds = settings.ZHIBU_SIGNIN_TOKEN_SECONDS
    window = signin_rules.signin_window(meeting)
    return {
        "meeting": meeting,
        "signin_url": url,
        "signin_code": services.signin_code(meeting, now=now),
        "qr_svg": qr.svg_inline(scale=10, border=2, dark="#000", light="#fff"),
        "counts": counts,
        "poll_seconds": max(5, min(60, seconds // 3)),
        "window": window,
        "window_open": window.contains(now),
        "now": now,
    }


@login_required
def signin_screen(request: HttpRequest, pk: int) -> HttpResponse:
    """For the projector: a rotating QR code, the 6-digit code and the live count."""
    meeting = _manage(request.user, pk)
    return render(request, "orglife/signin_screen.html", _screen_context(request, meeting))


@login_required
def signin_screen_live(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _manage(request.user, pk)
    return render(request, "orglife/_signin_live.html", _screen_context(request, meeting))


@login_required
def meeting_signin(request: HttpRequest, pk: int) -> HttpResponse:
    """The page a member's phone opens from the QR code: one big button."""
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    token = request.POST.get("t") or request.GET.get("t", "")
    member_id = _member_id(request.user)
    mine = (
        selectors.meeting_attendance(meeting=meeting).filter(member_id=member_id).first()
        if member_id
        else None
    )
    problem = ""
    done = False
    if mine is None:
        problem = _("您不在本次会议的应到人员名单中，无需签到。如有疑问请联系支部书记。")
    elif mine.signed_in_at:
        done = True
    elif meeting.status == MeetingStatus.CANCELLED:
        problem = _("本次会议已取消，无需签到")
    elif meeting.is_locked:
        problem = _("本次会议记录已确认，签到已结束；如有出入请联系支部书记补记")
    elif request.method == "POST":
        try:
            mine = services.sign_in(actor=request.user, meeting=meeting, method="qr", token=token)
        except ValidationError as exc:
            problem = _error_text(exc)
        else:
            done = True
    else:
        try:
            signin_rules.check_token(meeting, token, now=timezone.now())
        except ValidationError as exc:
            problem = _error_text(exc)
        if not problem and not signin_rules.signin_window(meeting).contains(timezone.now()):
            problem = _("现在不在签到时间内（会前 %(m)s 分钟至会后 %(m)s 分钟）") % {
                "m": signin_rules.margin_minutes(meeting)
            }
    late = _late_text(meeting, mine) if done and mine.outcome == Outcome.LATE else ""
    return render(
        request,
        "orglife/signin_phone.html",
        {
            "meeting": meeting,
            "mine": mine,
            "token": token,
            "problem": problem,
            "done": done,
            "late": late,
        },
    )


@login_required
def signin_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """Printable sign-in sheet: members without a smartphone sign on paper."""
    meeting = _manage(request.user, pk)
    attendances = by_pinyin(selectors.meeting_attendance(meeting=meeting), _name)
    return render(request, "orglife/signin_sheet.html", {"meeting": meeting, "rows": attendances})


# --------------------------------------------------------------------------- personal pages


def _my_context(request: HttpRequest, forms: dict[int, MakeupSubmitForm] | None = None) -> dict:
    now = timezone.now()
    rows = list(selectors.my_meetings(user=request.user))
    upcoming, past = [], []
    for att in rows:
        m = att.meeting
        if m.status == MeetingStatus.CANCELLED and m.planned_end < now:
            continue
        if (m.actual_end or m.planned_end) >= now and m.status != MeetingStatus.CONFIRMED:
            if m.notice_sent_at or att.signed_in_at:
                upcoming.append(att)
        else:
            past.append(att)
    member_id = _member_id(request.user)
    makeups = []
    if member_id:
        makeups = list(
            selectors.makeup_list(user=request.user)
            .filter(member_id=member_id, confirmed_at__isnull=True)
            .order_by("due_date")
        )
    later = [
        a.meeting for a in past if a.outcome in (Outcome.PRESENT, Outcome.LATE, Outcome.LEFT_EARLY)
    ]
    forms = forms or {}
    for mk in makeups:
        after = [m for m in later if m.planned_start > mk.attendance.meeting.planned_start]
        mk.form = forms.get(mk.pk) or MakeupSubmitForm(
            later_meetings=after,
            initial={"reflection": mk.reflection, "method": mk.method or "study"},
        )
    return {
        "upcoming": upcoming,
        "past": past[:30],
        "makeups": makeups,
        "today": timezone.localdate(),
        "has_member": member_id is not None,
    }


@login_required
def my_meetings(request: HttpRequest) -> HttpResponse:
    return render(request, "orglife/my_meetings.html", _my_context(request))


@login_required
@require_POST
def makeup_submit(request: HttpRequest, pk: int) -> HttpResponse:
    member_id = _member_id(request.user)
    makeup = get_or_404(
        request.user,
        Action.VIEW,
        Makeup.objects.select_related("attendance__meeting__org"),
        pk=pk,
        member_id=member_id,
    )
    context = _my_context(request)
    target = next((mk for mk in context["makeups"] if mk.pk == makeup.pk), None)
    if target is None:
        messages.error(request, _("这项补课已经确认完成，无需再提交"))
        return redirect("orglife:my_meetings")
    form = MakeupSubmitForm(request.POST, later_meetings=list(target.form.later_meetings.values()))
    if form.is_valid():
        try:
            services.makeup_submit(
                actor=request.user,
                makeup=makeup,
                method=form.cleaned_data["method"],
                reflection=form.cleaned_data["reflection"],
                later_meeting=form.cleaned_data["later_meeting"],
            )
        except (ValidationError, PermissionDenied) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("补课已提交，等待支部确认"))
            return redirect("orglife:my_meetings")
    target.form = form
    return render(request, "orglife/my_meetings.html", context)


@login_required
def leave_inbox(request: HttpRequest) -> HttpResponse:
    page = page_of(request, selectors.leave_inbox(user=request.user))
    return render(request, "orglife/leave_inbox.html", {"leaves": page, "page": page})


@login_required
def makeup_list(request: HttpRequest) -> HttpResponse:
    """Make-ups by what needs action (overdue first, then the newest), 30 to a page."""
    state = request.GET.get("state") or ("overdue" if request.GET.get("overdue") == "1" else "")
    if state not in selectors.MAKEUP_STATES:
        state = "open"
    today = timezone.localdate()
    page = page_of(request, selectors.makeup_list(user=request.user, state=state, today=today))
    for mk in page:
        mk.can_confirm = not mk.is_done and can(
            request.user, Action.MANAGE_ORGLIFE, mk.attendance.meeting.org
        )
        mk.overdue = not mk.is_done and mk.due_date < today
    return render(
        request,
        "orglife/makeup_list.html",
        {
            "page": page,
            "state": state,
            "counts": selectors.makeup_counts(user=request.user, today=today),
            "today": today,
        },
    )


@login_required
@require_POST
def makeup_complete(request: HttpRequest, pk: int) -> HttpResponse:
    makeup = get_or_404(
        request.user,
        Action.MANAGE_ORGLIFE,
        Makeup.objects.select_related("attendance__meeting__org", "member"),
        pk=pk,
    )
    # A member without a phone: the secretary notes how the make-up was done and confirms.
    note = (request.POST.get("reflection") or "").strip()
    extra = {"method": "study", "reflection": note} if note and not makeup.submitted_at else {}
    try:
        services.makeup_complete(actor=request.user, makeup=makeup, **extra)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("已确认 %(name)s 补课完成") % {"name": makeup.member.name})
    return redirect(_next_or(request, reverse("orglife:makeups")))


# --------------------------------------------------------------------------- acting for members


@login_required
def leave_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The secretary files leave for a member who asked by phone or in person (no smartphone).
    Only those who may approve leave for the meeting see the page; for others it is 404."""
    meeting = selectors.meeting_get(user=request.user, pk=pk, action=Action.APPROVE_LEAVE)
    attendances = list(selectors.meeting_attendance(meeting=meeting))
    initial = {"requested_at": timezone.localtime().replace(second=0, microsecond=0)}
    form = LeaveFileForm(request.POST or None, attendances=attendances, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = next(a.member for a in attendances if a.member_id == data["member"])
        try:
            services.leave_file_for(
                actor=request.user,
                meeting=meeting,
                member=member,
                reason=data["reason"],
                requested_at=data["requested_at"],
                approve=data["approve"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已代 %(name)s 登记请假") % {"name": member.name})
            return redirect(reverse("orglife:meeting", args=[meeting.pk]) + "#attendance")
    return render(request, "orglife/leave_file.html", {"meeting": meeting, "form": form})


@login_required
def member_history(request: HttpRequest, pk: int) -> HttpResponse:
    """A member's organizational life: outcomes, leave (and who filed it), make-ups (and who
    entered them). Needs VIEW over the member; rows follow the personal-record scope."""
    member = get_or_404(request.user, Action.VIEW, Member.objects.select_related("branch"), pk=pk)
    rows = selectors.member_history(user=request.user, member=member)
    return render(request, "orglife/member_history.html", {"member": member, "rows": rows})


@login_required
def plan_page(request: HttpRequest, org_pk: int) -> HttpResponse:
    """A branch's annual and monthly plans with planned vs held meetings per month; the
    committee (MANAGE_ORGLIFE) writes the plans here through plan_save."""
    user = request.user
    org = _org(user, org_pk)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or today.year)
    except ValueError:
        year = today.year
    if not 2000 <= year <= 2100:
        raise Http404
    can_manage = can(user, Action.MANAGE_ORGLIFE, org)
    if request.method == "POST" and not can_manage:
        raise Http404
    data = selectors.plan_year(user=user, org=org, year=year)
    form = None
    if can_manage:
        month = request.GET.get("month", "")
        month = int(month) if month.isdigit() and 1 <= int(month) <= 12 else None
        chosen = data["months"][month - 1]["plan"] if month else data["annual"]
        initial = {"month": month or "", "content": chosen.content if chosen else ""}
        form = PlanForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                services.plan_save(
                    actor=user,
                    org=org,
                    year=year,
                    month=form.cleaned_data["month"],
                    content=form.cleaned_data["content"],
                )
            except (ValidationError, PermissionDenied) as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("计划已保存"))
                return redirect(f"{reverse('orglife:plans', args=[org.pk])}?year={year}")
    context = {
        "org": org,
        "year": year,
        "data": data,
        "form": form,
        "can_manage": can_manage,
        "current_month": today.month if year == today.year else None,
    }
    return render(request, "orglife/plans.html", context)
