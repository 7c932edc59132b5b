"""Writing the audit log. Other apps call `record(...)` inside their own transaction, so an
action and its audit row are committed (or rolled back) together."""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from zhibu.audit.models import AuditAction, AuditEvent, AuditHead

MIN_RETENTION_DAYS = 183  # 等保 2.0: logs kept at least six months

# The client address of the current request, set by audit.middleware.
_address: contextvars.ContextVar[str] = contextvars.ContextVar("audit_address", default="")
# Unmasked personal data seen during the current request: {(viewer_id, member_id): (label, path)}.
_viewed: contextvars.ContextVar[dict | None] = contextvars.ContextVar("audit_viewed", default=None)


def retention_days() -> int:
    days = int(getattr(settings, "ZHIBU_AUDIT_RETENTION_DAYS", 200))
    if days < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"ZHIBU_AUDIT_RETENTION_DAYS must be at least {MIN_RETENTION_DAYS} (six months)."
        )
    return days


def _digest(event: AuditEvent) -> str:
    payload = [
        event.seq,
        event.at.astimezone(UTC).isoformat(),
        event.actor_id,
        event.actor_name,
        event.action,
        event.target_type,
        event.target_id,
        event.target_label,
        event.org_path,
        event.address,
        event.details,
        event.prev_hash,
    ]
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _target(target: Any) -> tuple[str, str, str, str]:
    if target is None:
        return "", "", "", ""
    path = target.get_scope_path() if hasattr(target, "get_scope_path") else ""
    return target._meta.label_lower, str(target.pk), str(target)[:200], path or ""


def _build(actor, action: str, target: Any, org_path: str | None, details: dict | None):
    target_type, target_id, label, path = _target(target)
    return AuditEvent(
        at=timezone.now().replace(microsecond=timezone.now().microsecond // 1000 * 1000),
        actor_id=getattr(actor, "pk", None),
        actor_name=(actor.get_username() if getattr(actor, "pk", None) else "")[:150],
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=label,
        org_path=path if org_path is None else org_path,
        address=_address.get()[:64],
        details=json.loads(json.dumps(details or {}, ensure_ascii=False, default=str)),
    )


@transaction.atomic(savepoint=False)
def _append(events: list[AuditEvent]) -> list[AuditEvent]:
    """Chain and insert in three queries. The head row is locked while the chain grows; on
    SQLite (no row locks) two writers that read the same head collide on the unique `seq`, so
    the chain never forks."""
    if not events:
        return events
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head, _ = AuditHead.objects.get_or_create(pk=1)
    seq, prev = head.seq, head.hash
    for event in events:
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = _digest(event)
    AuditEvent.objects.bulk_create(events)
    AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev)
    return events


def record(
    actor,
    action: AuditAction | str,
    target: Any = None,
    *,
    org_path: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Append one event: who (`actor`, None for a system job), what, on which object (its
    organization path scopes who may read the row), with free `details`."""
    return _append([_build(actor, str(action), target, org_path, details)])[0]


def personal_viewed(viewer, member) -> None:
    """Someone saw this member's unmasked personal data. Within a request the views are
    collected and written once at the end (audit.middleware); elsewhere at once."""
    if not getattr(viewer, "pk", None) or member.user_id == viewer.pk:
        return
    pending = _viewed.get()
    key = (viewer.pk, member.pk)
    if pending is None:
        _record_views(viewer, {key: (str(member), member.get_scope_path())})
    else:
        pending.setdefault(key, (str(member), member.get_scope_path()))


def _record_views(viewer, seen: dict) -> None:
    """At most one row per viewer, member and day (one query to find today's rows)."""
    day_start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    done = set(
        AuditEvent.objects.filter(
            actor_id=viewer.pk,
            action=AuditAction.PERSONAL_VIEW,
            at__gte=day_start,
            target_id__in=[str(m) for _, m in seen],
        ).values_list("target_id", flat=True)
    )
    events = []
    for (_, member_id), (label, path) in seen.items():
        if str(member_id) in done:
            continue
        event = _build(viewer, AuditAction.PERSONAL_VIEW, None, path, None)
        event.target_type, event.target_id, event.target_label = (
            "members.member",
            str(member_id),
            label[:200],
        )
        events.append(event)
    _append(events)


def begin_request(address: str) -> tuple:
    return _address.set(address), _viewed.set({})


def end_request(viewer, tokens: tuple) -> None:
    seen = _viewed.get() or {}
    _address_token, viewed_token = tokens
    try:
        if seen and getattr(viewer, "pk", None):
            _record_views(viewer, seen)
    finally:
        _viewed.reset(viewed_token)
        _address.reset(_address_token)


def verify_chain() -> list[str]:
    """Problems found in the chain (an empty list: intact). Recomputes every row's hash in
    order, so an edited, inserted or deleted row shows as a break."""
    problems: list[str] = []
    head = AuditHead.objects.filter(pk=1).first()
    start_seq = head.pruned_seq if head else 0
    prev = head.pruned_hash if head else ""
    seq = start_seq
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != seq + 1:
            problems.append(f"rows {seq + 1}–{event.seq - 1} are missing")
        if event.prev_hash != prev:
            problems.append(f"row {event.seq} does not follow the row before")
        if _digest(event) != event.hash:
            problems.append(f"row {event.seq} was changed")
        seq, prev = event.seq, event.hash
    if head is not None and (head.seq != seq or head.hash != prev):
        problems.append(f"rows after {seq} are missing")
    return problems


@transaction.atomic
def prune(now: datetime | None = None) -> int:
    """Remove rows older than the retention period, oldest first; the head remembers the last
    removed row so the chain stays verifiable."""
    cutoff = (now or timezone.now()) - timedelta(days=retention_days())
    AuditHead.objects.get_or_create(pk=1)
    AuditHead.objects.select_for_update().get(pk=1)
    last = AuditEvent.objects.filter(at__lt=cutoff).order_by("-seq").first()
    if last is None:
        return 0
    count, _ = AuditEvent.objects.filter(seq__lte=last.seq).delete()
    AuditHead.objects.filter(pk=1).update(pruned_seq=last.seq, pruned_hash=last.hash)
    return count


def record_many(
    actor,
    action: AuditAction | str,
    targets: Iterable[Any],
    *,
    org_path: str | None = None,
    **details: Any,
) -> None:
    """One event per target in one insert (imports, bulk creation)."""
    _append([_build(actor, str(action), t, org_path, details) for t in targets])
