"""Logins and failed logins, from Django's auth signals (django-axes counts the failures; this
only records them)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from zhibu.audit.models import AuditAction
from zhibu.audit.services import record


def _branch_path(user) -> str:
    """The account's branch, so that its administrators see the login ("" without a member
    record: the system administrator only). Imported late: members sits above audit."""
    from zhibu.members.models import Member

    path = Member.objects.filter(user=user).values_list("branch__path", flat=True).first()
    return path or ""


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs) -> None:
    record(user, AuditAction.LOGIN, user, org_path=_branch_path(user))


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first() if username else None
    path = _branch_path(user) if user is not None else ""
    record(None, AuditAction.LOGIN_FAILED, user, org_path=path, username=username)
