"""Reads for reports. Thought reports are private: see services.can_read_report."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhibu.core.periods import Period
from zhibu.members.models import Member
from zhibu.orglife.models import Attendance, Makeup, Outcome
from zhibu.orgs.permissions import Action, scope_q, visible_to
from zhibu.reports.models import (
    DemocraticReview,
    ReportStatus,
    ReviewOutcome,
    ThoughtReport,
    WorkReport,
)


def readable_reports(*, user) -> QuerySet[ThoughtReport]:
    """Reports whose text this user may read: own, READ_REPORTS scope, or as mentor."""
    if not user.is_authenticated:
        return ThoughtReport.objects.none()
    today = timezone.localdate()
    mentor = Q(
        member__mentorships__mentor__user=user,
        member__mentorships__start__lte=today,
    ) & (Q(member__mentorships__end__isnull=True) | Q(member__mentorships__end__gte=today))
    return (
        ThoughtReport.objects.filter(
            scope_q(user, Action.READ_REPORTS, ThoughtReport) | Q(member__user=user) | mentor
        )
        .select_related("member", "org")
        .distinct()
    )


def reports_to_review(*, user) -> QuerySet[ThoughtReport]:
    """Submitted reports of others the user may read, newest first (the 待审阅 list)."""
    return (
        readable_reports(user=user)
        .filter(status=ReportStatus.SUBMITTED)
        .exclude(member__user=user)
        .select_related("member")
        .order_by("-submitted_at", "-pk")
    )


def report_counts(*, user, period: Period) -> QuerySet:
    """Per organization: how many reports were submitted in the period — counts, never text.
    What an organization administrator sees."""
    return (
        visible_to(user, Action.OVERSEE, ThoughtReport.objects.all())
        .filter(submitted_at__gte=period.start, submitted_at__lt=period.end)
        .values("org_id", "org__name")
        .annotate(count=Count("pk"), members=Count("member", distinct=True))
        .order_by("org__name")
    )


def work_report_list(*, user) -> QuerySet[WorkReport]:
    return visible_to(user, Action.VIEW, WorkReport.objects.select_related("org", "meeting"))


def review_list(*, user) -> QuerySet[DemocraticReview]:
    return visible_to(user, Action.VIEW, DemocraticReview.objects.select_related("org"))


def member_file(*, user, member: Member, year: int) -> dict:
    """What an inspector asks for about one member and one year, in five queries."""
    start = timezone.make_aware(timezone.datetime(year, 1, 1))
    end = timezone.make_aware(timezone.datetime(year + 1, 1, 1))
    attendance = list(
        Attendance.objects.filter(
            member=member, meeting__planned_start__gte=start, meeting__planned_start__lt=end
        )
        .select_related("meeting", "meeting__org")
        .order_by("meeting__planned_start")
    )
    makeups = list(
        Makeup.objects.filter(
            member=member,
            attendance__meeting__planned_start__gte=start,
            attendance__meeting__planned_start__lt=end,
        )
        .select_related("attendance__meeting")
        .order_by("due_date")
    )
    reports = ThoughtReport.objects.filter(
        member=member, submitted_at__gte=start, submitted_at__lt=end
    ).order_by("submitted_at")
    readable = set(readable_reports(user=user).filter(member=member).values_list("pk", flat=True))
    reports = [(r, r.pk in readable) for r in reports]
    outcomes = list(
        ReviewOutcome.objects.filter(member=member, review__year=year).select_related("review")
    )
    by_outcome: dict[str, int] = {}
    for a in attendance:
        by_outcome[a.outcome] = by_outcome.get(a.outcome, 0) + 1
    # (label, count) in the outcomes' order; a meeting not yet recorded is 待记录, never a code
    counts = [(label, by_outcome[code]) for code, label in Outcome.choices if code in by_outcome]
    if by_outcome.get(""):
        counts.append((_("待记录"), by_outcome[""]))
    return {
        "member": member,
        "year": year,
        "attendance": attendance,
        "attendance_counts": counts,
        "makeups": makeups,
        "reports": reports,
        "outcomes": outcomes,
    }
