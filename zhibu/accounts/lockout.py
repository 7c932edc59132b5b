"""Login lockout on django-axes: per account and per address, each with its own limit.

axes compares one failure count with AXES_FAILURE_LIMIT (the per-account limit). An address is
often a whole office behind one gateway, so its failures count in proportion:
ZHIBU_LOGIN_ADDRESS_LIMIT failures from one address weigh as much as the account limit.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Q, Sum
from django.http import HttpResponse
from django.shortcuts import render

from zhibu.accounts.models import User
from zhibu.core.text import normalize_digits


def login_name(request, credentials: dict | None) -> str | None:
    """The account a login names, whether typed as username or phone: one lockout per account."""
    typed = (credentials or {}).get("username") or (
        request.POST.get("username") if request is not None and hasattr(request, "POST") else None
    )
    if not typed:
        return typed
    typed = normalize_digits(str(typed).strip())
    user = User.objects.filter(Q(username=typed) | Q(phone=typed)).order_by("pk").first()
    return user.username if user is not None else typed


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        by_account, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        limits = settings.ZHIBU_LOGIN_FAILURE_LIMIT, settings.ZHIBU_LOGIN_ADDRESS_LIMIT
        return max(by_account, by_address * limits[0] // limits[1])

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """A good password clears that account's failures, not its address's: otherwise one
        own login from time to time would let an address guess at others' accounts for ever."""
        by_account = self.filter_user_attempts(request, credentials)[0]
        count, _ = by_account.delete()
        return count


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The lockout page (429): what happened, when to retry, who can unlock."""
    context = {
        "failure_limit": settings.ZHIBU_LOGIN_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "accounts/locked.html", context, status=429)
