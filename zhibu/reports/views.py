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
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from zhibu.core.paging import page_of
from zhibu.core.params import parse_year
from zhibu.core.pinyin import by_pinyin
from zhibu.members.models import Member
from zhibu.orglife.models import Meeting
from zhibu.orgs.models import Organization
from zhibu.orgs.permissions import Action, can, get_or_404, has_any
from zhibu.orgs.selectors import parameter_value
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
            "mine": page_of(request, mine.order_by("-created_at", "-pk")),
            "to_review": page_of(
                request, selectors.reports_to_review(user=request.user), param="r"
            ),
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


def _sheet(wb, title: str, header: list[str], widths: list[int], rows, *, first: bool = False):
    """One sheet people can sort: a frozen header row, column widths, dates as dates."""
    ws = wb.active if first else wb.create_sheet(title)
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    return ws


def _member_file_xlsx(data: dict) -> HttpResponse:
    from openpyxl import Workbook

    from zhibu.core.xlsx import defuse_workbook

    wb = Workbook()
    _sheet(
        wb,
        "组织生活",
        ["日期", "组织", "类型", "主题", "出勤", "签到方式"],
        [12, 24, 14, 40, 10, 12],
        (
            [
                timezone.localtime(a.meeting.planned_start).date(),
                a.meeting.org.name,
                a.meeting.get_meeting_type_display(),
                a.meeting.topic,
                a.get_outcome_display() or "—",
                a.get_sign_in_method_display() or "",
            ]
            for a in data["attendance"]
        ),
        first=True,
    )
    _sheet(
        wb,
        "补课",
        ["会议", "期限", "完成", "确认"],
        [40, 12, 8, 8],
        (
            [
                mk.attendance.meeting.topic,
                mk.due_date,
                "是" if mk.submitted_at else "否",
                "是" if mk.confirmed_at else "否",
            ]
            for mk in data["makeups"]
        ),
    )
    _sheet(
        wb,
        "汇报",
        ["提交时间", "标题", "状态"],
        [12, 40, 10],
        (
            [
                timezone.localtime(report.submitted_at).date() if report.submitted_at else None,
                report.title if readable else "（内容仅本人、书记和培养联系人可见）",
                report.get_status_display(),
            ]
            for report, readable in data["reports"]
        ),
    )
    _sheet(
        wb,
        "民主评议",
        ["年度", "评定等次", "组织处置", "处置完成"],
        [8, 12, 16, 12],
        (
            [
                o.review.year,
                o.get_grade_display() or "—",
                o.get_disposition_display() or "",
                o.follow_up_done_on,
            ]
            for o in data["outcomes"]
        ),
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
            "reports": page_of(
                request,
                selectors.work_report_list(user=request.user).prefetch_related("responses__member"),
                per_page=10,
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
            "reviews": page_of(
                request,
                selectors.review_list(user=request.user).order_by("-year", "org__name", "pk"),
            ),
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
    outcomes = by_pinyin(review.outcomes.select_related("member"), lambda o: o.member.name)
    if manage:
        tally = services.vote_tally(review)
        for o in outcomes:  # the peer votes as (等次, votes) in the grades' order, never a code
            votes = tally.get(o.member_id, {})
            o.votes = [(label, votes[g]) for g, label in Grade.choices if votes.get(g)]
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
            "cap": services.excellent_cap(review),
            "cap_share": parameter_value(review.org, "excellent_cap"),
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
