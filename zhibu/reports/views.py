"""Pages for reports and the annual cycle; thin, over services and selectors."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from zhibu.core.params import parse_year
from zhibu.members.models import Member
from zhibu.orglife.models import Meeting
from zhibu.orgs.models import Organization
from zhibu.orgs.permissions import Action, can, get_or_404, has_any
from zhibu.reports import selectors, services
from zhibu.reports.models import (
    DemocraticReview,
    Grade,
    ReportKind,
    ReportStatus,
    ThoughtReport,
    WorkReport,
)


def _errors(exc: ValidationError) -> list[str]:
    return exc.messages


@login_required
def report_list(request):
    mine = selectors.readable_reports(user=request.user).filter(member__user=request.user)
    return render(
        request,
        "reports/report_list.html",
        {
            "mine": mine,
            "to_review": selectors.reports_to_review(user=request.user),
            "kinds": ReportKind.choices,
        },
    )


@login_required
def report_edit(request, pk: int | None = None):
    report = None
    if pk is not None:
        report = get_or_404(
            request.user, Action.VIEW, ThoughtReport.objects.select_related("member"), pk=pk
        )
        if report.member.user_id != request.user.pk:
            raise Http404
    errors: list[str] = []
    if request.method == "POST":
        try:
            report = services.report_save(
                actor=request.user,
                report=report,
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                kind=request.POST.get("kind", ReportKind.THOUGHT_REPORT),
                to_party_group=bool(request.POST.get("to_party_group")),
                attachment=request.FILES.get("attachment"),
                submit="submit" in request.POST,
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(
                request,
                _("汇报已提交") if report.status == ReportStatus.SUBMITTED else _("已保存草稿"),
            )
            return redirect("reports:detail", report.pk)
    return render(
        request,
        "reports/report_form.html",
        {
            "report": report,
            "errors": errors,
            "kinds": ReportKind.choices,
            "data": request.POST
            or {
                "title": report.title if report else "",
                "body": report.body if report else "",
                "kind": report.kind if report else ReportKind.THOUGHT_REPORT,
            },
        },
    )


@login_required
def report_detail(request, pk: int):
    report = (
        ThoughtReport.objects.select_related("member", "org", "reviewed_by").filter(pk=pk).first()
    )
    if report is None or not services.can_read_report(request.user, report):
        raise Http404
    errors: list[str] = []
    if request.method == "POST":
        try:
            if "comment" in request.POST:
                services.report_review(
                    actor=request.user, report=report, comment=request.POST["comment"]
                )
                messages.success(request, _("已审阅"))
            else:
                services.report_amend(
                    actor=request.user,
                    report=report,
                    body=request.POST.get("body", ""),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("补充说明已添加"))
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("reports:detail", report.pk)
    is_author = report.member.user_id == request.user.pk
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": report,
            "amendments": report.amendments.all(),
            "is_author": is_author,
            "can_review": not is_author and report.status == ReportStatus.SUBMITTED,
            "errors": errors,
        },
    )


@login_required
def member_file(request, pk: int):
    member = get_or_404(
        request.user, Action.VIEW_PERSONAL, Member.objects.select_related("branch"), pk=pk
    )
    today = timezone.localdate()
    try:
        year = parse_year(request.GET.get("year"), default=today.year)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        year = today.year
    data = selectors.member_file(user=request.user, member=member, year=year)
    if request.GET.get("format") == "xlsx":
        return _member_file_xlsx(data)
    return render(request, "reports/member_file.html", data)


def _member_file_xlsx(data: dict) -> HttpResponse:
    from openpyxl import Workbook

    from zhibu.core.xlsx import defuse_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "组织生活"
    ws.append(["日期", "组织", "类型", "主题", "出勤", "签到方式"])
    for a in data["attendance"]:
        m = a.meeting
        ws.append(
            [
                timezone.localtime(m.planned_start).strftime("%Y-%m-%d"),
                m.org.name,
                m.get_meeting_type_display(),
                m.topic,
                a.get_outcome_display() or "—",
                a.get_sign_in_method_display() or "",
            ]
        )
    ws = wb.create_sheet("补课")
    ws.append(["会议", "期限", "完成", "确认"])
    for mk in data["makeups"]:
        ws.append(
            [
                mk.attendance.meeting.topic,
                mk.due_date.isoformat(),
                "是" if mk.submitted_at else "否",
                "是" if mk.confirmed_at else "否",
            ]
        )
    ws = wb.create_sheet("汇报")
    ws.append(["提交时间", "标题", "状态"])
    for report, readable in data["reports"]:
        ws.append(
            [
                timezone.localtime(report.submitted_at).strftime("%Y-%m-%d")
                if report.submitted_at
                else "",
                report.title if readable else "（内容仅本人、书记和培养联系人可见）",
                report.get_status_display(),
            ]
        )
    ws = wb.create_sheet("民主评议")
    ws.append(["年度", "评定等次", "组织处置", "处置完成"])
    for o in data["outcomes"]:
        ws.append(
            [
                o.review.year,
                o.get_grade_display() or "—",
                o.get_disposition_display() or "",
                o.follow_up_done_on.isoformat() if o.follow_up_done_on else "",
            ]
        )
    defuse_workbook(wb)
    out = BytesIO()
    wb.save(out)
    name = f"member-{data['member'].pk}-{data['year']}.xlsx"
    return HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@login_required
def work_reports(request):
    errors: list[str] = []
    orgs = Organization.objects.none()
    if has_any(request.user, Action.MANAGE_ORGLIFE):
        from zhibu.orgs.permissions import visible_to

        orgs = visible_to(request.user, Action.MANAGE_ORGLIFE, Organization.objects.all())
    if request.method == "POST":
        try:
            if "respond" in request.POST:
                report = get_or_404(
                    request.user, Action.VIEW, WorkReport.objects.all(), pk=request.POST["respond"]
                )
                services.work_report_respond(
                    actor=request.user, report=report, text=request.POST.get("text", "")
                )
            else:
                org = get_or_404(
                    request.user,
                    Action.MANAGE_ORGLIFE,
                    Organization.objects.all(),
                    pk=request.POST.get("org") or 0,
                )
                presented = request.POST.get("presented_on")
                services.work_report_save(
                    actor=request.user,
                    org=org,
                    title=request.POST.get("title", ""),
                    body=request.POST.get("body", ""),
                    kind=request.POST.get("kind", "regular"),
                    period_key=request.POST.get("period_key", ""),
                    presented_on=date.fromisoformat(presented) if presented else None,
                )
        except (ValidationError, ValueError) as exc:
            errors = _errors(exc) if isinstance(exc, ValidationError) else [_("日期格式不正确")]
        else:
            messages.success(request, _("已保存"))
            return redirect("reports:work")
    return render(
        request,
        "reports/work_reports.html",
        {
            "reports": selectors.work_report_list(user=request.user).prefetch_related(
                "responses__member"
            ),
            "orgs": orgs,
            "errors": errors,
        },
    )


@login_required
def review_list(request):
    """Open the year's 民主评议 for a branch, and list the reviews one may see."""
    from zhibu.orgs.models import OrgKind
    from zhibu.orgs.permissions import visible_to

    branches = visible_to(
        request.user, Action.MANAGE_ORGLIFE, Organization.objects.filter(kind=OrgKind.BRANCH)
    )
    errors: list[str] = []
    if request.method == "POST":
        org = get_or_404(
            request.user, Action.MANAGE_ORGLIFE, branches, pk=request.POST.get("org") or 0
        )
        try:
            review = services.review_open(
                actor=request.user, org=org, year=parse_year(request.POST.get("year"))
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("reports:review", review.pk)
    return render(
        request,
        "reports/review_list.html",
        {
            "reviews": selectors.review_list(user=request.user).order_by("-year", "org__name"),
            "branches": branches,
            "year": timezone.localdate().year,
            "errors": errors,
        },
    )


@login_required
def review_detail(request, pk: int):
    review = get_or_404(
        request.user, Action.VIEW, DemocraticReview.objects.select_related("org"), pk=pk
    )
    me = Member.objects.filter(user=request.user, branch=review.org).first()
    manage = can(request.user, Action.MANAGE_ORGLIFE, review)
    errors: list[str] = []
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "self":
                services.self_assessment_submit(
                    actor=request.user,
                    review=review,
                    text=request.POST.get("text", ""),
                    grade=request.POST.get("grade", ""),
                )
            elif action == "vote":
                subject = get_or_404(
                    request.user, Action.VIEW, Member.objects.all(), pk=request.POST.get("subject")
                )
                services.peer_vote(
                    actor=request.user,
                    review=review,
                    subject=subject,
                    grade=request.POST.get("grade", ""),
                )
            elif action in ("propose", "decide") and manage:
                grades = {
                    int(k.split("_", 1)[1]): v
                    for k, v in request.POST.items()
                    if k.startswith("grade_") and v
                }
                if action == "propose":
                    services.review_propose(actor=request.user, review=review, grades=grades)
                else:
                    services.review_decide(
                        actor=request.user,
                        review=review,
                        grades=grades,
                        override_reason=request.POST.get("override_reason", ""),
                    )
            else:
                raise Http404
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("已提交"))
            return redirect("reports:review", review.pk)
    outcomes = list(review.outcomes.select_related("member").order_by("member__name"))
    voted = set()
    if me is not None:
        voted = set(review.votes.filter(voter=me).values_list("subject_id", flat=True))
    return render(
        request,
        "reports/review.html",
        {
            "review": review,
            "me": me,
            "manage": manage,
            "outcomes": outcomes,
            "tally": services.vote_tally(review) if manage else {},
            "cap": services.excellent_cap(review),
            "grades": Grade.choices,
            "voted": voted,
            "errors": errors,
        },
    )


@login_required
def olm_cycle(request, meeting_pk: int):
    """The 组织生活会 cycle around one meeting: opinions, talks, self-examination, criticism,
    rectification."""
    meeting = get_or_404(
        request.user, Action.VIEW, Meeting.objects.select_related("org"), pk=meeting_pk
    )
    manage = can(request.user, Action.MANAGE_ORGLIFE, meeting)
    errors: list[str] = []
    if request.method == "POST":
        post = request.POST
        try:
            action = post.get("action")
            members = Member.objects.filter(attendances__meeting=meeting)
            if action == "opinion":
                services.opinion_add(
                    actor=request.user,
                    meeting=meeting,
                    text=post.get("text", ""),
                    anonymous=bool(post.get("anonymous")),
                )
            elif action == "self_exam":
                services.self_exam_submit(
                    actor=request.user, meeting=meeting, text=post.get("text", "")
                )
            elif action == "talk" and manage:
                services.heart_talk_record(
                    actor=request.user,
                    meeting=meeting,
                    first=members.get(pk=post.get("first")),
                    second=members.get(pk=post.get("second")),
                    held_on=date.fromisoformat(post.get("held_on", "")),
                    summary=post.get("summary", ""),
                )
            elif action == "criticism" and manage:
                services.criticism_add(
                    actor=request.user,
                    meeting=meeting,
                    speaker=members.get(pk=post.get("speaker")),
                    target=members.get(pk=post.get("target")),
                    text=post.get("text", ""),
                )
            elif action in ("rectify_done", "rectify_verify"):
                item = get_or_404(
                    request.user, Action.VIEW, meeting.rectifications.all(), pk=post.get("item")
                )
                if action == "rectify_done":
                    services.rectification_done(
                        actor=request.user, item=item, evidence=post.get("evidence", "")
                    )
                else:
                    services.rectification_verify(actor=request.user, item=item)
            elif action == "rectify" and manage:
                services.rectification_add(
                    actor=request.user,
                    org=meeting.org,
                    meeting=meeting,
                    problem=post.get("problem", ""),
                    measure=post.get("measure", ""),
                    owner=members.get(pk=post.get("owner")),
                    deadline=date.fromisoformat(post.get("deadline", "")),
                )
            else:
                raise Http404
        except ValidationError as exc:
            errors = _errors(exc)
        except (ValueError, Member.DoesNotExist):
            errors = [_("请完整填写：人员从列表中选择，日期写成 2026-11-28")]
        else:
            messages.success(request, _("已保存"))
            return redirect("reports:olm", meeting.pk)
    from zhibu.orglife.meeting_types import MEETING_TYPES

    steps = {s.code: s for s in meeting.steps.all()}
    return render(
        request,
        "reports/olm_cycle.html",
        {
            "meeting": meeting,
            "manage": manage,
            "errors": errors,
            "members": Member.objects.filter(attendances__meeting=meeting).order_by("name"),
            "opinions": meeting.opinions.all() if manage else [],
            "talks": meeting.heart_talks.select_related("first", "second") if manage else [],
            "coverage": services.heart_talk_coverage(meeting) if manage else None,
            "criticisms": meeting.criticisms.select_related("speaker", "target"),
            "rectifications": meeting.rectifications.select_related("owner"),
            "exam_count": meeting.self_exams.count(),
            "steps": [(s, steps.get(s.code)) for s in MEETING_TYPES[meeting.meeting_type].steps],
        },
    )
