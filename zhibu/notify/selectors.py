"""Reads of the notify app; each starts from the permission layer or the user's own rows."""

from __future__ import annotations

from django.db.models import QuerySet

from zhibu.notify.models import Delivery, DeliveryStatus, Notice, Preference, WebhookEndpoint
from zhibu.orgs.permissions import Action, visible_to


def inbox(*, user) -> QuerySet[Notice]:
    """A person's own notices: nobody reads another's inbox, whatever their grants."""
    return Notice.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


def preference_of(*, user) -> Preference:
    return Preference.objects.filter(user=user).first() or Preference(user=user)


def webhook_list(*, user) -> QuerySet[WebhookEndpoint]:
    return visible_to(user, Action.CHANGE, WebhookEndpoint.objects.select_related("org"))


def failed_deliveries(*, user) -> QuerySet[Delivery]:
    return visible_to(
        user,
        Action.CHANGE,
        Delivery.objects.filter(status=DeliveryStatus.FAILED).select_related(
            "notice", "notice__org"
        ),
    ).order_by("-next_attempt_at")
