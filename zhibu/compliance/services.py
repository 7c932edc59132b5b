"""Writes of the compliance engine: persisted obligations, their status changes, overrides.

Obligation rows mirror the engine's verdicts so dashboards are one indexed query; a
StatusChange row is written once per change of status (the outbox the notify worker claims),
never on a re-evaluation that gives the same status.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from zhibu.compliance.engine import Result, evaluate, map_chunks
from zhibu.compliance.facts import LITERAL_IDS
from zhibu.compliance.models import Obligation, RuleOverride, StatusChange
from zhibu.compliance.verdicts import SEVERITY_RANK, Status
from zhibu.core.periods import Period, local_date, month
from zhibu.members.models import BranchTenure
from zhibu.orgs.models import Organization, OrgKind, subtree_q
from zhibu.orgs.parameters import PARAMETERS
from zhibu.orgs.permissions import Action, require

log = logging.getLogger(__name__)

# Fields that make up an obligation's content; a row is written only when one changes.
CONTENT = ("org_id", "family", "period_first", "period_last", "status", "pattern")
CONTENT += ("severity", "explanation", "numbers", "final")
# A brand-new obligation is announced only when it already needs attention.
ANNOUNCE_NEW = frozenset({Status.AT_RISK, Status.NOT_MET})
BATCH = 500


def _content(r: Result, today: date) -> tuple:
    """The result's CONTENT values, in CONTENT order (`final`: judged after the period)."""
    v = r.verdict
    return (
        r.org_id,
        r.rule.family,
        r.period.first,
        r.period.last,
        v.status,
        v.pattern or "",
        r.rule.severity,
        v.explanation,
        v.numbers,
        r.period.last < today,
    )


def _existing(org: Organization, keys: set[str], results: list[Result]) -> dict[tuple, tuple]:
    """Current rows of the results' subjects — the branches, and the members wherever their
    rows were filed: key → (pk, *CONTENT values), read as plain tuples (no model instances).

    Two index-friendly halves — (org, period_key) and (member, period_key) — in one UNION
    query, rather than one OR across a join that the planner can only answer by scanning.
    The subjects are given as literal ids up to LITERAL_IDS, else as the subtree."""
    org_ids = sorted({r.org_id for r in results if r.member_id is None})
    member_ids = sorted({r.member_id for r in results if r.member_id is not None})
    if len(org_ids) <= LITERAL_IDS and len(member_ids) <= LITERAL_IDS:
        of_orgs = Q(org_id__in=org_ids, member__isnull=True)
        of_members = Q(member_id__in=member_ids)
    else:
        of_orgs = subtree_q(org.path, "org__path")
        of_members = Q(
            member_id__in=BranchTenure.objects.filter(subtree_q(org.path, "branch__path")).values(
                "member_id"
            )
        )
    fields = ("pk", "member_id", "rule_id", "period_key", *CONTENT)
    period = Q(period_key__in=sorted(keys))
    by_org = Obligation.objects.filter(of_orgs, period).values_list(*fields)
    by_member = Obligation.objects.filter(of_members, period).values_list(*fields)
    out: dict[tuple, tuple] = {}
    for row in by_org.union(by_member):
        pk, member_id, rule_id, period_key = row[:4]
        if member_id is not None:
            key = ("member", member_id, rule_id, period_key)
        else:
            key = ("org", row[4], rule_id, period_key)
        out[key] = (pk, *row[4:])
    return out


@transaction.atomic
def persist(
    org: Organization, results: list[Result], now: datetime, *, quiet_before: date | None = None
) -> dict:
    """Upsert Obligation rows for `results` and write StatusChange rows for changes.

    Set-based: one query reads the current rows as tuples, unchanged results are skipped by
    comparing tuples, and only new and changed rows are written (bulk create / bulk update).
    A brand-new obligation whose period ended before `quiet_before` is history being filled
    in (a first `zhibu evaluate --since`): it is written without a status change, so nobody
    is told months later about a period long closed; changes of existing rows still are."""
    keys = {r.period.key for r in results}
    existing = _existing(org, keys, results) if keys else {}
    to_create: list[tuple[tuple, Obligation]] = []
    to_update: list[Obligation] = []
    changes: list[tuple[tuple, str, str]] = []
    status_at = 1 + CONTENT.index("status")
    today = local_date(now)
    for r in results:
        content = _content(r, today)
        key = r.key
        row = existing.get(key)
        if row is not None and row[1:] == content:
            continue
        ob = Obligation(
            member_id=r.member_id,
            rule_id=r.rule.id,
            period_key=r.period.key,
            evaluated_at=now,
            **dict(zip(CONTENT, content, strict=True)),
        )
        if row is None:
            to_create.append((key, ob))
            if r.status in ANNOUNCE_NEW and not (quiet_before and r.period.last < quiet_before):
                changes.append((key, "", r.status))
            continue
        ob.pk = row[0]
        if row[status_at] != r.status:
            changes.append((key, row[status_at], r.status))
        to_update.append(ob)

    created = [ob for _key, ob in to_create]
    Obligation.objects.bulk_create(created, batch_size=BATCH)
    pks = {key: row[0] for key, row in existing.items()}
    if any(ob.pk is None for ob in created):  # backends that do not return ids
        pks = {key: row[0] for key, row in _existing(org, keys, results).items()}
    else:
        pks.update({key: ob.pk for key, ob in to_create})
    if to_update:
        Obligation.objects.bulk_update(to_update, [*CONTENT, "evaluated_at"], batch_size=BATCH)
    if changes:
        StatusChange.objects.bulk_create(
            [
                StatusChange(obligation_id=pks[key], old_status=old, new_status=new, at=now)
                for key, old, new in changes
            ],
            batch_size=BATCH,
        )
    counts: dict[str, int] = dict.fromkeys(Status.values, 0)
    for r in results:
        counts[r.status] += 1
    return {
        "evaluated": len(results),
        "created": len(created),
        "updated": len(to_update),
        "changes": len(changes),
        "counts": counts,
    }


def obligations_refresh(
    *,
    org: Organization,
    period: Period,
    now: datetime | None = None,
    quiet_before: date | None = None,
) -> dict:
    """Evaluate `org`'s subtree for `period` and persist what changed (set-based; see
    persist for `quiet_before`)."""
    now = now or timezone.now()
    return persist(org, evaluate(org, period, now), now, quiet_before=quiet_before)


def obligations_refresh_tree(
    *,
    org: Organization,
    period: Period,
    now: datetime | None = None,
    workers: int = 1,
    quiet_before: date | None = None,
) -> dict:
    """obligations_refresh for a subtree of any size: chunk by chunk (engine.chunks), so
    memory stays bounded at province scale, in `workers` processes side by side.

    Each chunk is evaluated and persisted in its own transaction."""
    now = now or timezone.now()
    summaries = map_chunks(_refresh_chunk, org, period, now, quiet_before, workers=workers)
    totals: dict = {"chunks": len(summaries), "evaluated": 0, "created": 0, "updated": 0}
    totals.update(changes=0, counts=dict.fromkeys(Status.values, 0))
    for summary in summaries:
        for key in ("evaluated", "created", "updated", "changes"):
            totals[key] += summary[key]
        for status, n in summary["counts"].items():
            totals["counts"][status] += n
    return totals


def _refresh_chunk(pk: int, period: Period, now: datetime, quiet_before: date | None) -> dict:
    return obligations_refresh(
        org=Organization.objects.get(pk=pk), period=period, now=now, quiet_before=quiet_before
    )


def _branch_for(meeting) -> Organization | None:
    org = meeting.org
    if org.kind == OrgKind.PARTY_GROUP:
        return org.parent
    if org.kind == OrgKind.BRANCH:
        return org
    return None


def refresh_for_meeting(meeting, *, since: date | None = None) -> None:
    """Re-evaluate the obligations a meeting's record affects, right after it changes.

    Called explicitly by orglife services (record_confirm, amend, a step on a locked record)
    so pages are current without waiting for a worker. A meeting can change its own month and
    every later one (the year-to-date pace, silence streaks, make-ups due next month), and the
    quarter, half and year around them, never an earlier month: so its branch is refreshed
    from the meeting's month to the end of its year — from the month of `since` (to the end
    of its year) when an amendment moved the meeting away from that day.
    """
    branch = _branch_for(meeting)
    if branch is None:
        return
    day = local_date(meeting.actual_start or meeting.planned_start)
    first, last = (min(day, since), max(day, since)) if since else (day, day)
    span = Period("span", date(first.year, first.month, 1), date(last.year, 12, 31))
    obligations_refresh(org=branch, period=span)


def due_spans(today: date, since: date | None = None) -> list[Period]:
    """The spans evaluate_due refreshes on `today`: from the previous month (or the month of
    `since`, when earlier) to the end of the current month, one span per calendar year.

    Each span selects every rule's own periods overlapping it (engine.rule_periods), and a
    year's periods never cross into the next, so the spans together give each period once;
    split by year, a chunk holds at most one year of facts however far back `since` goes."""
    current = month(today.year, today.month)
    prev_day = current.first - timedelta(days=1)
    first = month(prev_day.year, prev_day.month).first
    if since is not None:
        first = min(first, date(since.year, since.month, 1))
    return [
        Period("span", max(first, date(y, 1, 1)), min(current.last, date(y, 12, 31)))
        for y in range(first.year, today.year + 1)
    ]


def evaluate_due(
    *, now: datetime | None = None, workers: int | None = None, since: date | None = None
) -> dict:
    """Refresh what is due for every root: the current month (with its quarter, half and
    year) and the previous one, so periods whose deadline just passed flip to not_met.
    Chunk by chunk, in `workers` processes (default ZHIBU_EVALUATE_WORKERS), see
    obligations_refresh_tree.

    With `since`, every period from that month on as well (`zhibu evaluate --since 2025-01`,
    the demo at build), so past months, the year view and the trend hold real rows. Periods
    before the previous month are filled in quietly (see persist); a late record for one of
    them refreshes it at once (refresh_for_meeting), not through this sweep."""
    now = now or timezone.now()
    workers = workers or settings.ZHIBU_EVALUATE_WORKERS
    today = local_date(now)
    spans = due_spans(today, since)
    quiet_before = due_spans(today)[0].first  # where the sweep's own window begins
    totals: dict = {"roots": 0, "evaluated": 0, "created": 0, "updated": 0, "changes": 0}
    for root in Organization.objects.filter(parent__isnull=True, is_active=True).order_by("path"):
        totals["roots"] += 1
        for span in spans:
            summary = obligations_refresh_tree(
                org=root, period=span, now=now, workers=workers, quiet_before=quiet_before
            )
            for k in ("evaluated", "created", "updated", "changes"):
                totals[k] += summary[k]
    return totals


def evaluate_as_of(
    *, as_of: datetime, since: date | None = None, workers: int | None = None
) -> dict:
    """What evaluate_due would find at `as_of` from the facts recorded by then
    (`zhibu evaluate --as-of`), counted and not persisted: stored obligations drive
    notifications, so they stay those of the present."""
    workers = workers or settings.ZHIBU_EVALUATE_WORKERS
    totals: dict = {"roots": 0, "evaluated": 0, "counts": dict.fromkeys(Status.values, 0)}
    spans = due_spans(local_date(as_of), since)
    for root in Organization.objects.filter(parent__isnull=True, is_active=True).order_by("path"):
        totals["roots"] += 1
        for span in spans:
            for counts in map_chunks(_count_chunk, root, span, as_of, workers=workers):
                for status, n in counts.items():
                    totals["counts"][status] += n
                    totals["evaluated"] += n
    return totals


def _count_chunk(pk: int, period: Period, as_of: datetime) -> dict[str, int]:
    counts = dict.fromkeys(Status.values, 0)
    for r in evaluate(Organization.objects.get(pk=pk), period, as_of=as_of):
        counts[r.status] += 1
    return counts


@transaction.atomic
def rule_override_set(
    *,
    actor,
    org: Organization,
    rule_id: str,
    params: dict | None = None,
    severity: str = "",
    enabled: bool = True,
    loosens: bool = False,
    reason: str = "",
) -> RuleOverride:
    """Set an organization's override of a rule for its subtree.

    Stricter is always allowed; loosening (a weaker parameter, a lower severity, disabling)
    needs `loosens=True` and a reason, and is then shown as loosened.
    """
    from zhibu.compliance.rules import all_rules, effective_rules, override_problems

    if actor is not None:
        require(actor, Action.CHANGE, org)
    rules = all_rules()
    if rule_id not in rules:
        raise ValidationError({"rule_id": f"没有编号为“{rule_id}”的规则，请检查规则编号"})
    params = params or {}
    registry = [PARAMETERS[k] for k in params if k in PARAMETERS]
    if registry:
        names = "、".join(f"“{p.label}”" for p in registry)
        raise ValidationError(
            {"params": f"{names}是组织生活参数，请在组织页面的“组织生活参数”中设置"}
        )
    if severity and severity not in SEVERITY_RANK:
        raise ValidationError(
            {"severity": f"严重程度“{severity}”无效，可选：{'、'.join(SEVERITY_RANK)}"}
        )
    unknown = sorted(set(params) - set(rules[rule_id].params) - {"pattern"})
    if unknown:
        raise ValidationError(
            {"params": f"规则“{rules[rule_id].name_zh}”没有参数：{'、'.join(unknown)}"}
        )
    # Compare with the rule as the ancestors above this organization already shaped it.
    inherited = rules[rule_id]
    if org.parent_id is not None:
        parent = Organization.objects.get(pk=org.parent_id)
        probe = Organization(
            pk=org.pk, path=parent.path, kind=OrgKind.BRANCH, category=org.category
        )
        shaped = {r.id: r for r in effective_rules([probe]).get(org.pk, [])}
        inherited = shaped.get(rule_id, inherited)
    problems = override_problems(inherited, params, severity, enabled)
    if problems and not loosens:
        names = {"severity": "严重程度", "enabled": "停用规则"}
        what = "、".join(names.get(p, f"参数 {p}") for p in problems)
        raise ValidationError(
            {
                "loosens": f"此设置放宽了“{inherited.name_zh}”的要求（{what}）。"
                "上级只能设置更严格的要求；确需放宽，请勾选“放宽要求”并填写理由"
            }
        )
    if problems and not reason.strip():
        raise ValidationError({"reason": "放宽要求必须填写理由"})
    if loosens and actor is not None:
        require(actor, Action.OVERSEE, org)
    override, _ = RuleOverride.objects.update_or_create(
        org=org,
        rule_id=rule_id,
        defaults={
            "params": params,
            "severity": severity,
            "enabled": enabled,
            "loosens": bool(problems) and loosens,
            "reason": reason.strip(),
            "created_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    override.full_clean()
    return override
