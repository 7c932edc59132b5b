"""Reading the audit log, through the permission layer: system administrators see every row,
organization administrators (MANAGE_GRANTS) the rows of their subtree."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from zhibu.audit.models import AuditEvent


def audit_events(
    *, user, action: str = "", since: date | None = None, until: date | None = None
) -> QuerySet[AuditEvent]:
    from zhibu.orgs.permissions import Action, visible_to  # orgs sits above audit

    rows = visible_to(user, Action.MANAGE_GRANTS, AuditEvent.objects.all())
    if action:
        rows = rows.filter(action=action)
    if since:
        rows = rows.filter(at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until:
        rows = rows.filter(at__lt=timezone.make_aware(datetime.combine(until, time.max)))
    return rows.order_by("-seq")


def may_read(user) -> bool:
    from zhibu.orgs.permissions import Action, has_any

    return has_any(user, Action.MANAGE_GRANTS)
