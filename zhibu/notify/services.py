"""Writes of the notify app: publishing notices, delivering them, reading them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from zhibu.accounts.models import User
from zhibu.notify.channels import SENDERS
from zhibu.notify.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Notice,
    Preference,
    Reason,
    WebhookEndpoint,
)
from zhibu.notify.outbound import check_url
from zhibu.orgs.permissions import Action, require

log = logging.getLogger("zhibu.notify")

BACKOFF_BASE = timedelta(minutes=1)


@dataclass(frozen=True)
class Draft:
    """A notice a planner wants to exist. `key` makes it exist once, however often planned."""

    key: str
    org_id: int
    reason: str
    title: str
    body: str
    url: str = ""
    recipient_id: int | None = None  # None: the organization's group chats


def notice_key(audience: str, reason: str, subject: str, period: str = "") -> str:
    return f"{audience}|{reason}|{subject}|{period}"


def quiet_until(moment: datetime, start: int, end: int) -> datetime:
    """The first moment at or after `moment` outside quiet hours [start, end) local time."""
    if start == end:
        return moment
    local = timezone.localtime(moment)
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return moment
    wake = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if wake <= local:
        wake += timedelta(days=1)
    return wake


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def notices_publish(drafts: list[Draft], *, now: datetime | None = None) -> int:
    """Create the notices that do not exist yet and their deliveries; returns how many new.

    Set-based and safe to run concurrently: unique keys plus ignore_conflicts mean two
    workers planning at once still create each notice and each delivery once.
    """
    now = now or timezone.now()
    unique = {d.key: d for d in drafts}
    if not unique:
        return 0
    existing: set[str] = set()
    for chunk in _chunks(list(unique)):
        existing.update(Notice.objects.filter(key__in=chunk).values_list("key", flat=True))
    new = [d for key, d in unique.items() if key not in existing]
    if not new:
        return 0
    Notice.objects.bulk_create(
        [
            Notice(
                key=d.key,
                recipient_id=d.recipient_id,
                org_id=d.org_id,
                reason=d.reason,
                title=d.title[:200],
                body=d.body,
                url=d.url,
                created_at=now,
            )
            for d in new
        ],
        ignore_conflicts=True,
    )
    notices: list[Notice] = []
    for chunk in _chunks([d.key for d in new]):
        notices.extend(
            Notice.objects.filter(key__in=chunk).only("pk", "recipient_id", "org_id", "reason")
        )
    Delivery.objects.bulk_create(_deliveries_for(notices, now), ignore_conflicts=True)
    return len(new)


def _deliveries_for(notices: list[Notice], now: datetime) -> list[Delivery]:
    user_ids = {n.recipient_id for n in notices if n.recipient_id}
    org_ids = {n.org_id for n in notices if n.recipient_id is None}
    # The account's own address, or else the one on the member's roster record.
    users = {
        u.pk: u
        for u in User.objects.filter(pk__in=user_ids, is_active=True)
        .annotate(roster_email=F("member__email"))
        .exclude(Q(email="") & (Q(roster_email="") | Q(roster_email__isnull=True)))
    }
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=user_ids)}
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(org_id__in=org_ids, enabled=True):
        endpoints.setdefault(endpoint.org_id, []).append(endpoint)
    default_start, default_end = settings.ZHIBU_QUIET_START, settings.ZHIBU_QUIET_END
    rows = []
    for notice in notices:
        if notice.recipient_id:
            user = users.get(notice.recipient_id)
            pref = prefs.get(notice.recipient_id)
            if user is None or (pref and not pref.allows(notice.reason, Channel.EMAIL)):
                continue
            start = pref.quiet_start if pref and pref.quiet_start is not None else default_start
            end = pref.quiet_end if pref and pref.quiet_end is not None else default_end
            rows.append(
                Delivery(
                    notice=notice,
                    channel=Channel.EMAIL,
                    target=user.email or user.roster_email,
                    next_attempt_at=quiet_until(now, start, end),
                )
            )
        else:
            for endpoint in endpoints.get(notice.org_id, []):
                if endpoint.reasons and notice.reason not in endpoint.reasons:
                    continue
                rows.append(
                    Delivery(
                        notice=notice,
                        channel=endpoint.channel,
                        target=str(endpoint.pk),
                        next_attempt_at=quiet_until(now, default_start, default_end),
                    )
                )
    return rows


def _claim(pk: int, now: datetime) -> bool:
    """Conditional UPDATE: exactly one worker wins a pending delivery."""
    return bool(
        Delivery.objects.filter(pk=pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SENDING,
            claimed_until=now + timedelta(seconds=settings.ZHIBU_DELIVERY_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    )


def deliveries_release_stale(*, now: datetime | None = None) -> int:
    """Deliveries claimed by a worker that died: back to pending after their lease ran out."""
    now = now or timezone.now()
    return Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_until__lt=now).update(
        status=DeliveryStatus.PENDING, claimed_until=None
    )


def deliver_due(*, limit: int = 50, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Send what is due, one claimed row at a time; a row that raises never stops the loop."""
    now = timezone.now()
    deliveries_release_stale(now=now)
    pks = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in pks:
        if should_stop():
            break
        if not _claim(pk, timezone.now()):
            continue  # another worker has it
        delivery = Delivery.objects.select_related("notice").get(pk=pk)
        try:
            SENDERS[delivery.channel](delivery)
        except Exception as exc:
            log.warning("delivery %s failed (attempt %s): %s", pk, delivery.attempts, exc)
            _fail(delivery, str(exc))
        else:
            Delivery.objects.filter(pk=pk).update(
                status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
            )
            sent += 1
    return sent


def _fail(delivery: Delivery, error: str) -> None:
    if delivery.attempts >= settings.ZHIBU_DELIVERY_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_error=error[:2000], claimed_until=None
        )
        return
    delay = BACKOFF_BASE * (2 ** (delivery.attempts - 1))
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=timezone.now() + delay,
        last_error=error[:2000],
        claimed_until=None,
    )


@transaction.atomic
def delivery_retry(*, actor: User, delivery: Delivery) -> Delivery:
    """An administrator sends a failed delivery again."""
    require(actor, Action.CHANGE, delivery)
    if delivery.status != DeliveryStatus.FAILED:
        raise ValidationError("只有发送失败的消息可以重发")
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    delivery.refresh_from_db()
    return delivery


def notice_mark_read(*, actor: User, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notices read (all unread ones when no ids are given)."""
    rows = Notice.objects.filter(recipient=actor, read_at__isnull=True)
    if notice_ids is not None:
        rows = rows.filter(pk__in=list(notice_ids))
    return rows.update(read_at=timezone.now())


@transaction.atomic
def preference_save(
    *, actor: User, muted: dict[str, list[str]], quiet_start: int | None, quiet_end: int | None
) -> Preference:
    errors = {}
    valid_reasons, valid_channels = set(Reason.values), set(Channel.values) - {Channel.INBOX}
    for reason, channels in muted.items():
        if reason not in valid_reasons or not set(channels) <= valid_channels:
            errors["muted"] = f"未知的提醒类型或渠道：{reason}"
    for name, hour in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        if hour is not None and not 0 <= hour <= 23:
            errors[name] = "请填写 0–23 之间的整点"
    if (quiet_start is None) != (quiet_end is None):
        errors["quiet_end"] = "免打扰的开始和结束时间需同时填写"
    if errors:
        raise ValidationError(errors)
    pref, _ = Preference.objects.get_or_create(user=actor)
    pref.muted = {r: sorted(c) for r, c in muted.items() if c}
    pref.quiet_start, pref.quiet_end = quiet_start, quiet_end
    pref.save()
    return pref


@transaction.atomic
def webhook_save(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    require(actor, Action.CHANGE, endpoint.org)
    endpoint.full_clean()
    check_url(endpoint.url)  # the allowlist (notify.outbound)
    endpoint.save()
    return endpoint
