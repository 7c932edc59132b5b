"""Reads of the roster; every one starts from the permission layer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q, QuerySet

from zhibu.core.text import mask_id_number, mask_phone
from zhibu.members.models import BranchTenure, Member
from zhibu.orgs.permissions import Action, can, visible_to


def member_list(*, user, action: Action = Action.VIEW) -> QuerySet[Member]:
    return visible_to(user, action, Member.objects.select_related("branch", "party_group"))


def tenures_on(branch_ids: Iterable[int], day: date) -> QuerySet[BranchTenure]:
    """Who belonged to these branches on `day` — one query, for attendance obligations."""
    return BranchTenure.objects.filter(branch_id__in=list(branch_ids), start__lte=day).filter(
        Q(end__isnull=True) | Q(end__gte=day)
    )


def personal_fields(user, member: Member) -> dict[str, str]:
    """ID number and phone as this viewer may see them: in full or masked."""
    if can(user, Action.VIEW_PERSONAL, member):
        return {"id_number": member.id_number or "", "phone": member.phone or ""}
    return {"id_number": mask_id_number(member.id_number), "phone": mask_phone(member.phone)}
