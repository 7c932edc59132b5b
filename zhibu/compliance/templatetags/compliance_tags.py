"""Template helpers for the compliance menu and tables."""

from __future__ import annotations

from django import template

from zhibu.compliance import selectors
from zhibu.compliance.forms import period_label
from zhibu.compliance.verdicts import Status
from zhibu.core import periods
from zhibu.orgs.permissions import Action, has_any, user_scope

register = template.Library()
GRANT_ROLES = ("org_admin", "org_viewer")


@register.simple_tag
def compliance_menu(user) -> dict:
    """Which compliance entries this account gets: oversight, its branch, its own obligations."""
    if not getattr(user, "is_authenticated", False):
        return {}
    scope = user_scope(user)
    branch_id = next(
        (
            e.org_id
            for e in scope.entries
            if Action.MANAGE_ORGLIFE in e.actions and e.role not in GRANT_ROLES
        ),
        None,
    )
    return {
        "oversee": has_any(user, Action.OVERSEE),
        "branch_id": branch_id,
        "member": scope.member_id is not None,
    }


@register.filter
def get_item(mapping, key):
    """`{{ row.cells|get_item:family }}` — dictionary lookup by a variable key."""
    return mapping.get(key) if mapping else None


@register.filter
def rule_name(rule_id: str) -> str:
    """`{{ o.rule_id|rule_name }}` — the rule's Chinese name: a page never shows a rule id."""
    return selectors.rule_name(rule_id)


@register.filter
def period_key_label(key: str) -> str:
    """`{{ o.period_key|period_key_label }}` — 2026Q4 as 2026年第4季度."""
    return period_label(periods.parse(key))


@register.filter
def status_label(value: str) -> str:
    """A status value (e.g. an annotated displayed status) as its Chinese label."""
    return str(Status(value).label)


@register.filter
def next_step(obligation, today):
    """`{{ o|next_step:today }}` — what to do next for a stored obligation, judged today."""
    return selectors.obligation_next_step(obligation, today)
