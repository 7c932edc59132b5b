"""Reads of organizational life; every one starts from the permission layer.

Each returns a queryset whose query count does not grow with the number of rows.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, Count, F, FilteredRelation, Q, QuerySet, When
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from zhibu.core import periods
from zhibu.members.models import Member
from zhibu.orglife.meeting_types import ContentCategory
from zhibu.orglife.models import (
    Amendment,
    Attendance,
    LeaveRequest,
    LeaveStatus,
    Makeup,
    Meeting,
    MeetingStatus,
    Outcome,
)
from zhibu.orgs.models import Organization, subtree_q
from zhibu.orgs.permissions import Action, get_or_404, scope_q, user_scope, visible_to

ATTENDED = [Outcome.PRESENT, Outcome.LATE, Outcome.LEFT_EARLY]


def _bound(value: date | datetime | None) -> datetime | None:
    """A date means local midnight of that day; a datetime is taken as is."""
    if value is None or isinstance(value, datetime):
        return value
    return periods.local_midnight(value)


def meeting_list(
    *,
    user,
    org: Organization | None = None,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    action: Action = Action.VIEW,
) -> QuerySet[Meeting]:
    """Meetings the user may see, optionally under `org` and with planned start in
    [start, end) (dates are local days; `end` exclusive). Annotated with due and present counts.
    """
    qs = visible_to(user, action, Meeting.objects.select_related("org"))
    if org is not None:
        qs = qs.filter(subtree_q(org.path, "org__path"))
    if start is not None:
        qs = qs.filter(planned_start__gte=_bound(start))
    if end is not None:
        qs = qs.filter(planned_start__lt=_bound(end))
    return qs.annotate(
        due_count=Count("attendances", distinct=True),
        present_count=Count(
            "attendances", filter=Q(attendances__outcome__in=ATTENDED), distinct=True
        ),
    ).order_by("-planned_start", "-pk")


def meeting_scope_q(user, action: Action) -> Q:
    """Scope of meetings; for VIEW also the meetings the user was due at (a member who moved
    to another branch still sees the meetings of the old one they owed)."""
    q = scope_q(user, action, Meeting)
    if action == Action.VIEW and user.is_authenticated:
        member_id = user_scope(user).member_id
        if member_id is not None:
            q |= Q(pk__in=Attendance.objects.filter(member_id=member_id).values("meeting_id"))
    return q


def meeting_get(*, user, pk: int, action: Action = Action.VIEW) -> Meeting:
    """One meeting if the user may `action` it; Http404 otherwise."""
    qs = Meeting.objects.select_related("org", "created_by", "confirmed_by")
    if action == Action.VIEW:
        try:
            return qs.filter(meeting_scope_q(user, action)).get(pk=pk)
        except (Meeting.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
    return get_or_404(user, action, qs, pk=pk)


def _with_leave(qs: QuerySet[Attendance]) -> QuerySet[Attendance]:
    """Attach the attendee's leave request for the same meeting as `.leave_request` (or None),
    joined in the same query. (Not named "leave": Django leaves the join alias unquoted and
    LEAVE is a reserved word in MariaDB.)"""
    return qs.annotate(
        leave_request=FilteredRelation(
            "member__leave_requests",
            condition=Q(member__leave_requests__meeting=F("meeting")),
        )
    ).select_related("leave_request", "leave_request__decided_by")


def meeting_attendance(*, meeting: Meeting) -> QuerySet[Attendance]:
    """Due attendees of a meeting with member, `.leave_request` and `.makeup`, in one query.

    The caller has already checked that the user may see the meeting (meeting_get)."""
    return (
        _with_leave(Attendance.objects.filter(meeting=meeting))
        .select_related("member", "member__party_group", "makeup")
        .order_by("member__name", "member_id")
    )


def my_meetings(*, user, now: datetime | None = None) -> QuerySet[Attendance]:
    """The user's own attendances: meetings they have been notified of (or that took place),
    upcoming ones first (soonest first), then past ones (latest first)."""
    member_id = user_scope(user).member_id if user.is_authenticated else None
    if member_id is None:
        return Attendance.objects.none()
    now = now or timezone.now()
    qs = Attendance.objects.filter(member_id=member_id).filter(
        Q(meeting__notice_sent_at__isnull=False)
        | Q(meeting__status__in=[MeetingStatus.HELD, MeetingStatus.CONFIRMED])
        | Q(signed_in_at__isnull=False)
    )
    upcoming_key = Case(
        When(
            Q(meeting__planned_end__gte=now) & ~Q(meeting__status=MeetingStatus.CANCELLED),
            then=F("meeting__planned_start"),
        )
    )
    return (
        _with_leave(qs)
        .select_related("meeting", "meeting__org", "member", "makeup")
        .order_by(upcoming_key.asc(nulls_last=True), F("meeting__planned_start").desc(), "-pk")
    )


def leave_inbox(*, user) -> QuerySet[LeaveRequest]:
    """Pending leave requests the user may decide (never their own), soonest meeting first."""
    qs = visible_to(
        user,
        Action.APPROVE_LEAVE,
        LeaveRequest.objects.filter(
            status=LeaveStatus.PENDING,
            meeting__status__in=[MeetingStatus.PLANNED, MeetingStatus.HELD],
        ),
    )
    member_id = user_scope(user).member_id if user.is_authenticated else None
    if member_id is not None:
        qs = qs.exclude(member_id=member_id)
    return qs.select_related("meeting", "meeting__org", "member").order_by(
        "meeting__planned_start", "requested_at", "pk"
    )


def leave_list(*, user) -> QuerySet[LeaveRequest]:
    """Leave requests the user may see: their own, and those of meetings they may decide on or
    manage."""
    q = (
        scope_q(user, Action.VIEW_PERSONAL, LeaveRequest)
        | scope_q(user, Action.APPROVE_LEAVE, LeaveRequest)
        | scope_q(user, Action.MANAGE_ORGLIFE, LeaveRequest)
    )
    return (
        LeaveRequest.objects.filter(q)
        .select_related("meeting", "meeting__org", "member", "decided_by")
        .order_by("-requested_at", "-pk")
    )


MAKEUP_STATES = ("open", "overdue", "submitted", "done")


def makeup_list(
    *,
    user,
    overdue_only: bool = False,
    today: date | None = None,
    state: str | None = None,
) -> QuerySet[Makeup]:
    """Make-ups the user may see: their own, and those of branches where they may see personal
    records or run organizational life. Overdue = not confirmed and past the deadline.

    `state` narrows and orders the list by what needs action: `open` (not confirmed: overdue
    first, then the newest deadline), `overdue`, `submitted` (waiting to be confirmed) and
    `done` (newest confirmation first). Without a state: every row, by deadline."""
    today = today or timezone.localdate()
    if overdue_only:
        state = "overdue"
    q = scope_q(user, Action.VIEW_PERSONAL, Makeup) | scope_q(user, Action.MANAGE_ORGLIFE, Makeup)
    qs = Makeup.objects.filter(q).select_related(
        "attendance__meeting__org", "member", "later_meeting", "confirmed_by"
    )
    if state is None:
        return qs.order_by("due_date", "pk")
    if state == "done":
        return qs.filter(confirmed_at__isnull=False).order_by("-confirmed_at", "-pk")
    qs = qs.filter(confirmed_at__isnull=True)
    if state == "overdue":
        qs = qs.filter(due_date__lt=today)
    elif state == "submitted":
        qs = qs.filter(submitted_at__isnull=False)
    lapsed = Case(When(due_date__lt=today, then=0), default=1)
    return qs.order_by(lapsed, "-due_date", "-pk")


def makeup_counts(*, user, today: date | None = None) -> dict[str, int]:
    """How many make-ups are in each state of makeup_list, in one query (for the tabs)."""
    today = today or timezone.localdate()
    q = scope_q(user, Action.VIEW_PERSONAL, Makeup) | scope_q(user, Action.MANAGE_ORGLIFE, Makeup)
    open_ = Q(confirmed_at__isnull=True)
    return Makeup.objects.filter(q).aggregate(
        open=Count("pk", filter=open_),
        overdue=Count("pk", filter=open_ & Q(due_date__lt=today)),
        submitted=Count("pk", filter=open_ & Q(submitted_at__isnull=False)),
        done=Count("pk", filter=Q(confirmed_at__isnull=False)),
    )


def org_calendar(*, user, org: Organization, month: periods.Period | str) -> QuerySet[Meeting]:
    """The visible meetings under `org` whose planned start falls in `month` (a Period or
    "2026-10"), in time order."""
    if isinstance(month, str):
        month = periods.parse(month)
    return (
        visible_to(user, Action.VIEW, Meeting.objects.select_related("org"))
        .filter(subtree_q(org.path, "org__path"))
        .filter(planned_start__gte=month.start, planned_start__lt=month.end)
        .order_by("planned_start", "pk")
    )


def member_history(*, user, member: Member, limit: int = 200) -> list[Attendance]:
    """The member's meetings with outcome, leave and make-up, latest first, as far as the user
    may see personal records (the member, the branch committee, administrators). One query."""
    q = scope_q(user, Action.VIEW_PERSONAL, Attendance) | scope_q(
        user, Action.MANAGE_ORGLIFE, Attendance
    )
    return list(
        _with_leave(Attendance.objects.filter(q, member=member))
        .select_related(
            "meeting__org",
            "makeup",
            "makeup__confirmed_by",
            "makeup__recorded_by",
            "leave_request__filed_by",
        )
        .order_by("-meeting__planned_start", "-pk")[:limit]
    )


BLOCK_TAG = re.compile(r"</?(?:p|br|li|div|h[1-6]|ol|ul|tr|blockquote)\b[^>]*>", re.I)


def _amended_text(field: str, value: str) -> str:
    """A stored 补记 value as a reader sees it: a label for a code, local time for an ISO
    timestamp, plain text for minutes (stored as sanitized HTML)."""
    if not value:
        return "—"
    if field.startswith("attendance:"):
        return str(dict(Outcome.choices).get(value, value))
    if field == "content_category":
        return str(dict(ContentCategory.choices).get(value, value))
    if field in ("actual_start", "actual_end"):
        moment = parse_datetime(value)
        if moment is None:
            return value
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return date_format(timezone.localtime(moment), "Y年n月j日 H:i")
    if field == "minutes":
        spaced = BLOCK_TAG.sub(lambda m: " " + m.group(0), value)  # paragraphs stay apart
        return " ".join(html.unescape(strip_tags(spaced)).split())
    return value


def amendment_history(*, meeting: Meeting) -> list[Amendment]:
    """A meeting's 补记 rows, each with `label`, `old_text` and `new_text` ready to read:
    the field's name (出勤：张三 for an attendance), never the stored code. Two queries."""
    rows = list(meeting.amendments.select_related("by"))
    prefix = "attendance:"
    ids = {int(a.field[len(prefix) :]) for a in rows if a.field.startswith(prefix)}
    names = dict(Member.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    for a in rows:
        if a.field.startswith(prefix):
            name = names.get(int(a.field[len(prefix) :]), "—")
            a.label = _("出勤：%(name)s") % {"name": name}
        else:
            try:
                a.label = str(Meeting._meta.get_field(a.field).verbose_name)
            except FieldDoesNotExist:
                a.label = _("其他")
        a.old_text = _amended_text(a.field, a.old_value)
        a.new_text = _amended_text(a.field, a.new_value)
    return rows


def plan_year(*, user, org: Organization, year: int) -> dict:
    """A branch's plans for `year` next to what happened, month by month, in two queries:
    the annual plan, each month's plan, and the meetings scheduled (not cancelled) and held
    (held or confirmed) in the month, the month taken from the real start when there is one."""
    from zhibu.orglife.models import Plan

    plans = {
        p.month: p for p in visible_to(user, Action.VIEW, Plan.objects.filter(org=org, year=year))
    }
    start = periods.local_midnight(date(year, 1, 1))
    end = periods.local_midnight(date(year + 1, 1, 1))
    rows = (
        visible_to(user, Action.VIEW, Meeting.objects.filter(org=org))
        .filter(
            Q(actual_start__gte=start, actual_start__lt=end)
            | Q(actual_start__isnull=True, planned_start__gte=start, planned_start__lt=end)
        )
        .exclude(status=MeetingStatus.CANCELLED)
        .values_list("planned_start", "actual_start", "status")
    )
    scheduled = [0] * 13
    held = [0] * 13
    for planned_start, actual_start, status in rows:
        month = timezone.localtime(actual_start or planned_start).month
        scheduled[month] += 1
        held[month] += status in (MeetingStatus.HELD, MeetingStatus.CONFIRMED)
    months = [
        {"month": m, "plan": plans.get(m), "scheduled": scheduled[m], "held": held[m]}
        for m in range(1, 13)
    ]
    return {
        "annual": plans.get(None),
        "months": months,
        "scheduled": sum(scheduled),
        "held": sum(held),
    }
