"""Reads of the roster; every one starts from the permission layer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhibu.audit import services as audit
from zhibu.core.text import mask_birth_date, mask_id_number, mask_phone
from zhibu.members.models import BranchTenure, CommitteePosition, CommitteeRole, Member
from zhibu.orgs.models import Organization, OrgKind
from zhibu.orgs.permissions import Action, can, visible_to


def member_list(*, user, action: Action = Action.VIEW) -> QuerySet[Member]:
    return visible_to(user, action, Member.objects.select_related("branch", "party_group"))


def tenures_on(branch_ids: Iterable[int], day: date) -> QuerySet[BranchTenure]:
    """Who belonged to these branches on `day` — one query, for attendance obligations."""
    return BranchTenure.objects.filter(branch_id__in=list(branch_ids), start__lte=day).filter(
        Q(end__isnull=True) | Q(end__gte=day)
    )


CONTACT_FIELDS = ("email", "wecom_id", "dingtalk_id")
CONTACT_MASK = "***"


def personal_fields(user, member: Member) -> dict:
    """ID number, phone, birth date and messaging ids as this viewer may see them: in full or
    masked.

    Masked, the birth date is its year only (`birth_date` None, `birth_year` kept), since its
    month and day are digits of the ID number.
    """
    if can(user, Action.VIEW_PERSONAL, member):
        audit.personal_viewed(user, member)
        return {
            "id_number": member.id_number or "",
            "phone": member.phone or "",
            **{f: getattr(member, f) for f in CONTACT_FIELDS},
            "birth_date": member.birth_date,
            "birth_year": mask_birth_date(member.birth_date),
            "masked": False,
        }
    return {
        "id_number": mask_id_number(member.id_number),
        "phone": mask_phone(member.phone),
        "birth_date": None,
        "birth_year": mask_birth_date(member.birth_date),
        "masked": True,
        **{f: CONTACT_MASK if getattr(member, f) else "" for f in CONTACT_FIELDS},
    }


def member_create_branches(*, user) -> QuerySet[Organization]:
    """Branches where this user may put a new member (CHANGE scope)."""
    return visible_to(
        user, Action.CHANGE, Organization.objects.filter(kind=OrgKind.BRANCH, is_active=True)
    ).order_by("path")


_ROLE_ORDER = {role: i for i, role in enumerate(CommitteeRole.values)}


def _current(queryset: QuerySet[CommitteePosition], day: date) -> QuerySet[CommitteePosition]:
    return queryset.filter(start__lte=day).filter(Q(end__isnull=True) | Q(end__gte=day))


def org_positions(*, user, orgs: Iterable[Organization], day: date | None = None) -> list:
    """Current committee posts (and party-group leaders) of these organizations, in rank order.

    One query for any number of organizations.
    """
    day = day or timezone.localdate()
    rows = _current(
        visible_to(user, Action.VIEW, CommitteePosition.objects.all()).filter(
            org_id__in=[o.pk for o in orgs]
        ),
        day,
    ).select_related("member")
    return sorted(rows, key=lambda p: (_ROLE_ORDER.get(p.role, 99), p.start, p.pk))


def branch_roster(*, user, org: Organization) -> list[Member]:
    """Active members of a branch (or of a party group) as the user may see them."""
    field = "party_group" if org.kind == OrgKind.PARTY_GROUP else "branch"
    return list(
        member_list(user=user).filter(**{field: org}, is_active=True).order_by("name", "pk")
    )


def with_personal(user, members: Iterable[Member]) -> list[tuple[Member, dict]]:
    """Pair each member with their ID number and phone as this viewer may see them (no query)."""
    return [(m, personal_fields(user, m)) for m in members]


def member_tenures(*, user, member: Member) -> QuerySet[BranchTenure]:
    """The member's branch history, latest first, limited to what the viewer may see."""
    return (
        visible_to(user, Action.VIEW, BranchTenure.objects.filter(member=member))
        .select_related("branch", "party_group")
        .order_by("-start", "-pk")
    )


def member_positions(*, user, member: Member) -> QuerySet[CommitteePosition]:
    """All posts the member held or holds, latest first, limited to what the viewer may see."""
    return (
        visible_to(user, Action.VIEW, CommitteePosition.objects.filter(member=member))
        .select_related("org")
        .order_by("-start", "-pk")
    )


def member_edit_party_groups(*, user, member: Member) -> QuerySet[Organization]:
    """Party groups the member may be placed in by this user: their branch's, and changeable."""
    return visible_to(
        user,
        Action.CHANGE,
        Organization.objects.filter(parent_id=member.branch_id, kind=OrgKind.PARTY_GROUP),
    ).order_by("path")


def member_filter_branches(*, user, limit: int = 300) -> list[Organization]:
    """Branches for the list filter dropdown; empty when there are too many to list."""
    rows = list(
        visible_to(user, Action.VIEW, Organization.objects.filter(kind=OrgKind.BRANCH))
        .order_by("path")
        .only("pk", "name", "path")[: limit + 1]
    )
    return [] if len(rows) > limit else rows


def account_orgs(*, user, limit: int = 300) -> list[Organization]:
    """Organizations whose roster this user may give accounts to (a branch or a whole subtree)."""
    return list(
        visible_to(
            user,
            Action.CHANGE,
            Organization.objects.filter(is_active=True).exclude(kind=OrgKind.PARTY_GROUP),
        )
        .order_by("path")
        .only("pk", "name", "path", "depth", "kind")[:limit]
    )


def account_roster(*, user, org: Organization) -> QuerySet[Member]:
    """Active members of `org`'s subtree the user may change, with their accounts (one query)."""
    from zhibu.orgs.models import subtree_q

    return (
        visible_to(user, Action.CHANGE, Member.objects.filter(subtree_q(org.path, "branch__path")))
        .filter(is_active=True)
        .select_related("branch", "user")
        .order_by("branch__path", "name", "pk")
    )


def committee_history(*, user, org: Organization) -> list[CommitteePosition]:
    """Every post held in `org`, current ones first, then by start, latest first (one query)."""
    rows = list(
        visible_to(user, Action.VIEW, CommitteePosition.objects.filter(org=org)).select_related(
            "member"
        )
    )
    today = timezone.localdate()
    current = [p for p in rows if p.start <= today and (p.end is None or p.end >= today)]
    past = [p for p in rows if p not in current]
    current.sort(key=lambda p: (_ROLE_ORDER.get(p.role, 99), p.start, p.pk))
    past.sort(key=lambda p: (p.end or p.start, p.start, p.pk), reverse=True)
    return current + past


def org_elections(*, user, org: Organization) -> list:
    """The organization's elections, latest first (one query)."""
    from zhibu.members.models import Election

    return list(
        visible_to(user, Action.VIEW, Election.objects.filter(org=org)).order_by("-held_on", "-pk")
    )


def position_candidates(*, user, org: Organization) -> QuerySet[Member]:
    """Members on the roll who may take a post in `org`: those of its subtree (a party group:
    of its branch), as far as the user may change them."""
    qs = Member.objects.filter(is_active=True)
    if org.kind == OrgKind.PARTY_GROUP:
        qs = qs.filter(branch_id=org.parent_id)
    else:
        from zhibu.orgs.models import subtree_q

        qs = qs.filter(subtree_q(org.path, "branch__path"))
    return visible_to(user, Action.CHANGE, qs).order_by("name", "pk").only("pk", "name")


def term_status(election, today: date | None = None, warn_days: int | None = None) -> dict:
    """Where the current term stands: running, ending (inside the warning window) or overdue."""
    from zhibu.orgs import parameters

    today = today or timezone.localdate()
    warn = parameters.default("warn_days_year") if warn_days is None else warn_days
    if election is None:
        return {"state": "none", "ends_on": None, "days_left": None, "days_over": None}
    ends = election.term_ends_on
    days_left = (ends - today).days
    state = "overdue" if days_left < 0 else "ending" if days_left <= warn else "running"
    return {"state": state, "ends_on": ends, "days_left": days_left, "days_over": -days_left}
