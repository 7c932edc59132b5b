"""THE permission layer: what an account may see and change.

Every page, API endpoint, export and form dropdown asks this module. Rights come from three
places, all turned into *scope entries* (an organization path and the actions allowed below it):

- `is_superuser` — the system administrator, everything everywhere;
- `orgs.Grant` rows — an organization administrator or viewer over a subtree;
- the account's member record — the current committee positions of that member
  (书记/副书记/委员/党小组长) over their organization, and plain membership of their branch.

A member also always sees their own records (models say which field points at the owner with
`scope_owner`). Objects outside one's scope are answered with 404, never 403, so nothing leaks.

Scoped models declare `scope_path` (the lookup to their organization's path, e.g.
"branch__path") and implement `get_scope_path()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zhibu.orgs.models import Grant, subtree_q

if TYPE_CHECKING:
    from zhibu.accounts.models import User


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"  # roster and organization data
    VIEW_PERSONAL = "view_personal"  # unmasked 身份证号 and phone
    MANAGE_ORGLIFE = "manage_orglife"  # plan, record and confirm meetings
    APPROVE_LEAVE = "approve_leave"
    OVERSEE = "oversee"  # compare branches on dashboards
    MANAGE_GRANTS = "manage_grants"
    # Read members' thought reports. Private: the branch secretary, the member's mentor and
    # grants that explicitly include it (Grant.reports); administrators see counts only.
    READ_REPORTS = "read_reports"


A = Action
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    "org_admin": frozenset(A) - {A.READ_REPORTS},
    "org_viewer": frozenset({A.VIEW, A.VIEW_PERSONAL, A.OVERSEE}),
    "secretary": frozenset(
        {A.VIEW, A.CHANGE, A.VIEW_PERSONAL, A.MANAGE_ORGLIFE, A.APPROVE_LEAVE, A.READ_REPORTS}
    ),
    "deputy_secretary": frozenset(
        {A.VIEW, A.CHANGE, A.VIEW_PERSONAL, A.MANAGE_ORGLIFE, A.APPROVE_LEAVE, A.READ_REPORTS}
    ),
    "org_member": frozenset({A.VIEW, A.CHANGE, A.VIEW_PERSONAL, A.MANAGE_ORGLIFE}),
    "propaganda_member": frozenset({A.VIEW, A.MANAGE_ORGLIFE}),
    "discipline_member": frozenset({A.VIEW, A.MANAGE_ORGLIFE}),
    "committee_member": frozenset({A.VIEW, A.MANAGE_ORGLIFE}),
    "party_group_leader": frozenset({A.VIEW, A.APPROVE_LEAVE}),
    "member": frozenset({A.VIEW}),
}
# What a member may always do with their own records.
OWNER_ACTIONS = frozenset({A.VIEW, A.VIEW_PERSONAL})
# Not even the system administrator has these without an explicit grant.
PRIVATE_ACTIONS = frozenset({A.READ_REPORTS})

_NOTHING = Q(pk__in=[])
# Matches every row, and stays "everything" when OR-ed with other conditions
# (an empty Q() would silently vanish from an OR).
_EVERYTHING = ~Q(pk__in=[])


@dataclass(frozen=True)
class ScopeEntry:
    path: str
    role: str
    org_id: int
    actions: frozenset[Action]


@dataclass
class Scope:
    entries: list[ScopeEntry]
    member_id: int | None
    branch_id: int | None


def user_scope(user: User) -> Scope:
    """The account's scope entries, computed once per request (three small queries)."""
    cached = getattr(user, "_zhibu_scope", None)
    if cached is not None:
        return cached
    from zhibu.members.models import CommitteePosition, Member

    entries: list[ScopeEntry] = []
    member_id = branch_id = None
    if user.is_authenticated:
        for grant in Grant.objects.filter(user=user).select_related("org"):
            actions = ROLE_ACTIONS[grant.role]
            if not grant.personal_data:
                actions = actions - {A.VIEW_PERSONAL}
            if grant.reports:
                actions = actions | {A.READ_REPORTS}
            entries.append(ScopeEntry(grant.org.path, grant.role, grant.org_id, actions))
        member = (
            Member.objects.filter(user=user, is_active=True)
            .select_related("branch")
            .only("pk", "branch__path", "branch_id")
            .first()
        )
        if member is not None:
            member_id, branch_id = member.pk, member.branch_id
            entries.append(
                ScopeEntry(member.branch.path, "member", branch_id, ROLE_ACTIONS["member"])
            )
            today = timezone.localdate()
            positions = (
                CommitteePosition.objects.filter(member_id=member.pk, start__lte=today)
                .filter(Q(end__isnull=True) | Q(end__gte=today))
                .select_related("org")
            )
            for pos in positions:
                entries.append(
                    ScopeEntry(pos.org.path, pos.role, pos.org_id, ROLE_ACTIONS[pos.role])
                )
    scope = Scope(entries, member_id, branch_id)
    user._zhibu_scope = scope
    return scope


def forget_scope(user: User) -> None:
    """Drop the cached scope after the account's grants or positions change."""
    user.__dict__.pop("_zhibu_scope", None)


def scope_paths(user: User, action: Action) -> list[str] | None:
    """Subtree roots where `action` is allowed; None means everywhere (superuser)."""
    if user.is_authenticated and user.is_superuser and action not in PRIVATE_ACTIONS:
        return None
    paths = sorted({e.path for e in user_scope(user).entries if action in e.actions})
    # Drop paths already covered by a shorter one: fewer OR terms in every query.
    kept: list[str] = []
    for path in paths:
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def scope_q(user: User, action: Action, model: type[Model]) -> Q:
    """A filter selecting the rows of `model` that `user` may `action`."""
    if not user.is_authenticated:
        return _NOTHING
    paths = scope_paths(user, action)
    if paths is None:
        return _EVERYTHING
    q = _NOTHING
    for path in paths:
        q |= subtree_q(path, model.scope_path)
    owner = getattr(model, "scope_owner", None)
    member_id = user_scope(user).member_id
    if owner and member_id is not None and action in OWNER_ACTIONS:
        q |= Q(**{owner: member_id})
    return q


def visible_to(user: User, action: Action, queryset: QuerySet) -> QuerySet:
    """Every read starts here."""
    return queryset.filter(scope_q(user, action, queryset.model))


def is_owner(user: User, obj: Model) -> bool:
    owner = getattr(type(obj), "scope_owner", None)
    member_id = user_scope(user).member_id if user.is_authenticated else None
    if not owner or member_id is None:
        return False
    owner_id = obj.pk if owner == "pk" else getattr(obj, f"{owner}_id")
    return owner_id == member_id


def can(user: User, action: Action, obj: Model) -> bool:
    """May `user` do `action` on this object? Same answer as `visible_to` would give."""
    if not user.is_authenticated:
        return False
    if user.is_superuser and action not in PRIVATE_ACTIONS:
        return True
    if action in OWNER_ACTIONS and is_owner(user, obj):
        return True
    path = obj.get_scope_path()
    return any(path.startswith(p) for p in scope_paths(user, action))


def has_any(user: User, action: Action) -> bool:
    """Whether `user` may do `action` anywhere at all (for menus and buttons)."""
    if not user.is_authenticated:
        return False
    paths = scope_paths(user, action)
    return paths is None or bool(paths)


def get_or_404(user: User, action: Action, queryset: QuerySet, **lookup: Any) -> Model:
    """The object if `user` may `action` it; 404 otherwise (also when it exists elsewhere)."""
    try:
        return visible_to(user, action, queryset).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def require(user: User | None, action: Action, obj: Model) -> None:
    """For services: re-check scope inside the write's transaction (None: a system job)."""
    if user is None:
        return
    if not can(user, action, obj):
        raise Http404
