"""Writes of the compliance engine: persisted obligations, their status changes, overrides.

Obligation rows mirror the engine's verdicts so dashboards are one indexed query; a
StatusChange row is written once per change of status (the outbox the notify worker claims),
never on a re-evaluation that gives the same status.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from zhibu.compliance.engine import Result, evaluate
from zhibu.compliance.models import Obligation, RuleOverride, StatusChange
from zhibu.compliance.verdicts import SEVERITY_RANK, Status
from zhibu.core.periods import Period, local_date, month, year
from zhibu.members.models import BranchTenure
from zhibu.orgs.models import Organization, OrgKind, subtree_q
from zhibu.orgs.permissions import Action, require

log = logging.getLogger(__name__)

# Fields that make up an obligation's content; a row is written only when one changes.
CONTENT = ("org_id", "family", "period_first", "period_last", "status", "pattern")
CONTENT += ("severity", "explanation", "numbers")
# A brand-new obligation is announced only when it already needs attention.
ANNOUNCE_NEW = frozenset({Status.AT_RISK, Status.NOT_MET})
BATCH = 500


def _values(r: Result) -> dict:
    return {
        "org_id": r.org_id,
        "family": r.rule.family,
        "period_first": r.period.first,
        "period_last": r.period.last,
        "status": r.status,
        "pattern": r.verdict.pattern or "",
        "severity": r.rule.severity,
        "explanation": r.verdict.explanation,
        "numbers": r.verdict.numbers,
    }


def _key(ob: Obligation) -> tuple:
    if ob.member_id is not None:
        return ("member", ob.member_id, ob.rule_id, ob.period_key)
    return ("org", ob.org_id, ob.rule_id, ob.period_key)


def _existing(org: Organization, keys: set[str]) -> dict[tuple, Obligation]:
    """Current rows for the subtree's organizations and members (wherever they were filed)."""
    members = BranchTenure.objects.filter(subtree_q(org.path, "branch__path")).values("member_id")
    qs = Obligation.objects.filter(
        subtree_q(org.path, "org__path") | Q(member_id__in=members), period_key__in=sorted(keys)
    )
    return {_key(ob): ob for ob in qs}


@transaction.atomic
def persist(org: Organization, results: list[Result], now: datetime) -> dict:
    """Upsert Obligation rows for `results` and write StatusChange rows for changes."""
    keys = {r.period.key for r in results}
    existing = _existing(org, keys) if keys else {}
    to_create: list[Obligation] = []
    to_update: list[Obligation] = []
    changes: list[tuple[tuple, str, str]] = []
    for r in results:
        values = _values(r)
        ob = existing.get(r.key)
        if ob is None:
            to_create.append(
                Obligation(
                    member_id=r.member_id,
                    rule_id=r.rule.id,
                    period_key=r.period.key,
                    evaluated_at=now,
                    **values,
                )
            )
            if r.status in ANNOUNCE_NEW:
                changes.append((r.key, "", r.status))
            continue
        if all(getattr(ob, f) == v for f, v in values.items()):
            continue
        if ob.status != r.status:
            changes.append((r.key, ob.status, r.status))
        for f, v in values.items():
            setattr(ob, f, v)
        ob.evaluated_at = now
        to_update.append(ob)

    Obligation.objects.bulk_create(to_create, batch_size=BATCH)
    if any(ob.pk is None for ob in to_create):  # backends that do not return ids
        existing = _existing(org, keys)
    else:
        existing.update({_key(ob): ob for ob in to_create})
    if to_update:
        Obligation.objects.bulk_update(to_update, [*CONTENT, "evaluated_at"], batch_size=BATCH)
    StatusChange.objects.bulk_create(
        [
            StatusChange(obligation_id=existing[key].pk, old_status=old, new_status=new, at=now)
            for key, old, new in changes
        ],
        batch_size=BATCH,
    )
    counts: dict[str, int] = dict.fromkeys(Status.values, 0)
    for r in results:
        counts[r.status] += 1
    return {
        "evaluated": len(results),
        "created": len(to_create),
        "updated": len(to_update),
        "changes": len(changes),
        "counts": counts,
    }


def obligations_refresh(*, org: Organization, period: Period, now: datetime | None = None) -> dict:
    """Evaluate `org`'s subtree for `period` and persist what changed (set-based)."""
    now = now or timezone.now()
    return persist(org, evaluate(org, period, now), now)


def _branch_for(meeting) -> Organization | None:
    org = meeting.org
    if org.kind == OrgKind.PARTY_GROUP:
        return org.parent
    if org.kind == OrgKind.BRANCH:
        return org
    return None


def refresh_for_meeting(meeting) -> None:
    """Re-evaluate the obligations a meeting's record affects, right after it changes.

    Called explicitly by orglife services (record_confirm, amend) so pages are current
    without waiting for a worker. The whole year of the meeting is refreshed for its
    branch, because a change in one month moves the year-to-date pace of the later ones.
    """
    branch = _branch_for(meeting)
    if branch is None:
        return
    start = meeting.actual_start or meeting.planned_start
    obligations_refresh(org=branch, period=year(local_date(start).year))


def evaluate_due(*, now: datetime | None = None) -> dict:
    """Refresh what is due for every root: the current month (with its quarter, half and
    year) and the previous one, so periods whose deadline just passed flip to not_met."""
    now = now or timezone.now()
    today = local_date(now)
    current = month(today.year, today.month)
    prev_day = current.first - timedelta(days=1)
    # One evaluation over both months: each rule's own periods overlapping them, once.
    span = Period("span", month(prev_day.year, prev_day.month).first, current.last)
    totals: dict = {"roots": 0, "evaluated": 0, "created": 0, "updated": 0, "changes": 0}
    for root in Organization.objects.filter(parent__isnull=True, is_active=True).order_by("path"):
        totals["roots"] += 1
        summary = obligations_refresh(org=root, period=span, now=now)
        for k in ("evaluated", "created", "updated", "changes"):
            totals[k] += summary[k]
    return totals


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
