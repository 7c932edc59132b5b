"""Writes to the organization tree."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy

from zhibu.orgs.models import (
    Grant,
    GrantRole,
    Organization,
    OrgKind,
    ParameterChange,
    path_segment,
    subtree_q,
)
from zhibu.orgs.parameters import LOOSENED_KEY, PARAMETERS, clean, looser
from zhibu.orgs.permissions import Action, can, require
from zhibu.orgs.selectors import parameter_value


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


# --- parameters of organizational life (orgs.parameters) ------------------------------------


@transaction.atomic
def parameter_set(
    *, actor, org: Organization, key: str, value: Any, reason: str = ""
) -> ParameterChange | None:
    """Set (or, with an empty value, remove) `org`'s value of a parameter for its subtree.

    1. The actor needs CHANGE over `org` (its managers, or the upper committee's).
    2. The value is checked against the registry (type and range).
    3. A value looser than the parent's effective one needs a reason and OVERSEE over `org`
       (the upper committee decides a loosening; the same policy as rule overrides); it is
       then marked loosened, so it counts even under a stricter ancestor.
    4. The settings change and one ParameterChange row (who, when, why) are written together.
    Returns the change, or None when nothing changed.
    """
    p = PARAMETERS.get(key)
    if p is None:
        raise ValidationError({"key": f"没有名为“{key}”的组织生活参数"})
    org = Organization.objects.select_for_update().get(pk=org.pk)
    require(actor, Action.CHANGE, org)
    reason = (reason or "").strip()
    removing = value is None or (isinstance(value, str) and not value.strip())
    cleaned = None if removing else clean(key, value)
    inherited = (
        parameter_value(Organization.objects.get(pk=org.parent_id), key)
        if org.parent_id
        else p.default
    )
    loosens = cleaned is not None and looser(key, cleaned, inherited)
    if loosens and not reason:
        raise ValidationError(
            {
                "reason": f"“{p.label}”设为 {p.display(cleaned)}，比上级要求的 "
                f"{p.display(inherited)}宽松。放宽要求必须填写理由"
            }
        )
    if loosens and actor is not None and not can(actor, Action.OVERSEE, org):
        raise ValidationError(
            {
                "value": f"“{p.label}”设为 {p.display(cleaned)}比上级要求的 "
                f"{p.display(inherited)}宽松，放宽要求须由上级组织设置"
            }
        )
    values = dict(org.settings or {})
    previous = values.get(key)
    loosened = [k for k in values.get(LOOSENED_KEY) or () if k != key]
    if cleaned is None:
        values.pop(key, None)
    else:
        values[key] = cleaned
        if loosens:
            loosened.append(key)
    if loosened:
        values[LOOSENED_KEY] = sorted(loosened)
    else:
        values.pop(LOOSENED_KEY, None)
    if values == (org.settings or {}):
        return None
    org.settings = values
    org.save(update_fields=["settings", "updated_at"])
    change = ParameterChange(
        org=org,
        key=key,
        value=cleaned,
        previous=previous,
        inherited=inherited,
        loosens=loosens,
        reason=reason,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    change.full_clean()
    change.save()
    return change


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
