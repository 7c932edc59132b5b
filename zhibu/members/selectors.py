"""Reads of the roster; every one starts from the permission layer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

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


def personal_fields(user, member: Member) -> dict:
    """ID number, phone and birth date as this viewer may see them: in full or masked.

    Masked, the birth date is its year only (`birth_date` None, `birth_year` kept), since its
    month and day are digits of the ID number.
    """
    if can(user, Action.VIEW_PERSONAL, member):
        return {
            "id_number": member.id_number or "",
            "phone": member.phone or "",
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
    }


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
