"""Writes to the organization tree."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy

from zhibu.orgs.models import Grant, GrantRole, Organization, OrgKind, path_segment, subtree_q
from zhibu.orgs.permissions import Action, require


@transaction.atomic
def org_create(
    *,
    actor=None,
    name: str,
    kind: str,
    parent: Organization | None = None,
    category: str | None = None,
    **fields,
) -> Organization:
    """Create an organization; it inherits its parent's category unless one is given."""
    if actor is not None:
        if parent is None:
            if not actor.is_superuser:
                raise ValidationError("只有系统管理员可以创建顶级组织")
        else:
            require(actor, Action.CHANGE, parent)
    if parent is not None and parent.kind == OrgKind.PARTY_GROUP:
        raise ValidationError("党小组下不能再设组织")
    if kind == OrgKind.PARTY_GROUP and (parent is None or parent.kind != OrgKind.BRANCH):
        raise ValidationError("党小组只能设在党支部之下")
    org = Organization(
        name=name,
        kind=kind,
        parent=parent,
        category=category or (parent.category if parent else "organ"),
        path="",
        **fields,
    )
    org.full_clean(exclude=["path"])
    org.save()
    org.path = (parent.path if parent else "") + path_segment(org.pk)
    org.depth = parent.depth + 1 if parent else 0
    Organization.objects.filter(pk=org.pk).update(path=org.path, depth=org.depth)
    return org


@transaction.atomic
def org_move(*, actor=None, org: Organization, new_parent: Organization) -> Organization:
    """Move a subtree under `new_parent`, rewriting every descendant's path in one statement."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    new_parent = Organization.objects.get(pk=new_parent.pk)
    if actor is not None:
        require(actor, Action.CHANGE, org)
        require(actor, Action.CHANGE, new_parent)
    if new_parent.path.startswith(org.path):
        raise ValidationError("不能把组织移动到它自己或它的下级组织之下")
    if new_parent.kind == OrgKind.PARTY_GROUP:
        raise ValidationError("党小组下不能再设组织")
    old_path = org.path
    new_path = new_parent.path + path_segment(org.pk)
    delta = new_parent.depth + 1 - org.depth
    Organization.objects.filter(subtree_q(old_path)).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + delta,
    )
    Organization.objects.filter(pk=org.pk).update(parent=new_parent)
    org.refresh_from_db()
    return org


@transaction.atomic
def grant_create(
    *, actor=None, user, org: Organization, role: str, personal_data: bool = True
) -> Grant:
    """Give `user` a role over `org`'s subtree; the actor needs MANAGE_GRANTS over `org`."""
    if actor is not None:
        require(actor, Action.MANAGE_GRANTS, org)
    if Grant.objects.filter(user=user, org=org, role=role).exists():
        label = GrantRole(role).label if role in GrantRole.values else role
        raise ValidationError({"role": f"{user}在“{org.name}”已有“{label}”授权"})
    grant = Grant(user=user, org=org, role=role, personal_data=personal_data, granted_by=actor)
    grant.full_clean(validate_constraints=False)
    grant.save()
    return grant


OWN_GRANT = gettext_lazy("不能撤销自己的授权，请由上级组织的管理员撤销")


@transaction.atomic
def grant_delete(*, actor=None, grant: Grant) -> None:
    """Withdraw a grant; the actor needs MANAGE_GRANTS over the grant's organization."""
    if actor is not None:
        require(actor, Action.MANAGE_GRANTS, grant.org)
        if grant.user_id == actor.pk:  # nobody locks themselves out by a slip of the finger
            raise ValidationError({"grant": OWN_GRANT})
    grant.delete()
