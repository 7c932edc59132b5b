"""What the benchmark's edit and dashboard steps act on, shared by the bench scripts (run
after django.setup())."""

from __future__ import annotations

from datetime import datetime


def edit_meeting(now: datetime):
    """The confirmed party day whose record the edit step refreshes: the first one of the
    month before `now`'s, or later."""
    from zhibu.core import periods
    from zhibu.orglife.models import Meeting

    month = periods.containing("month", periods.local_date(now))
    return (
        Meeting.objects.filter(
            meeting_type="party_day",
            status="confirmed",
            planned_start__gte=month.start - (month.end - month.start),
        )
        .order_by("pk")
        .first()
    )


def dashboard_reader():
    """(the first 机关工委 by path, an org_admin of it): the dashboard step's subtree and user."""
    from zhibu.accounts.models import User
    from zhibu.orgs.models import Grant, Organization, OrgKind

    subtree = (
        Organization.objects.filter(kind=OrgKind.ORGANS_WORK_COMMITTEE).order_by("path").first()
    )
    admin, _new = User.objects.get_or_create(username="bench-admin")
    Grant.objects.get_or_create(user=admin, org=subtree, role="org_admin")
    return subtree, User.objects.get(pk=admin.pk)  # fresh: no cached permission scope
