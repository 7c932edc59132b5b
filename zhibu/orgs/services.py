"""Writes to the organization tree.

Every change (create, rename, move, category or party day, dissolve) is written together with
an `OrgEvent` row in the same transaction, so the history of an organization is never missing
a step. Organizations are never deleted: a dissolved one keeps its path, so its meetings and
records stay readable in its parent's scope.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from zhibu.audit import services as audit
from zhibu.audit.models import AuditAction
from zhibu.orgs.models import (
    Grant,
    GrantRole,
    Organization,
    OrgCategory,
    OrgEvent,
    OrgEventKind,
    OrgKind,
    ParameterChange,
    path_segment,
    subtree_q,
)
from zhibu.orgs.parameters import LOOSENED_KEY, PARAMETERS, clean, looser
from zhibu.orgs.permissions import Action, can, require
from zhibu.orgs.selectors import parameter_value

# Messages people read when a change is refused: each says what to fix.
TOP_LEVEL_ONLY_SUPERUSER = _("只有系统管理员可以创建或调整顶级组织")
NOTHING_UNDER_GROUP = _("党小组下不能再设组织")
GROUP_UNDER_BRANCH = _("党小组只能设在党支部之下")
BRANCH_NOT_UNDER_BRANCH = _("党支部不能设在党支部之下，请选择党委、党工委或党总支作为上级组织")
MOVE_UNDER_ITSELF = _("不能把组织移动到它自己或它的下级组织之下，请选择其他上级组织")
NAME_TAKEN = _("“{parent}”下已有名为“{name}”的组织，请换一个名称")
GROUP_HAS_MEMBERS = _(
    "党小组“{name}”还有 {n} 名组员，组员仍在原支部，不能把党小组移到其他支部；"
    "请在新支部另设党小组，或先把组员移出"
)
NAME_REQUIRED = _("请填写组织名称")
DISSOLVED_ALREADY = _("“{name}”已于 {day} 撤销")
UNDER_DISSOLVED = _("“{name}”已撤销，不能在其下设立或移入组织")
NOT_EMPTY_MEMBERS = _(
    "“{name}”还有 {n} 名在册党员，请选择“党员转入的支部”一并转接，或先办理组织关系转接后再撤销"
)
NOT_EMPTY_GROUP_MEMBERS = _("党小组“{name}”还有 {n} 名组员，请先把他们编入其他党小组或移出后再撤销")
NOT_EMPTY_CHILDREN = _("“{name}”下还有 {n} 个下级组织（{names}），请先撤销或移走这些组织")
DISSOLVE_BEFORE_FOUNDED = _("撤销日期不能早于成立日期 {day}")
DISSOLVE_IN_FUTURE = _("撤销日期不能晚于今天")


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else (value or "")


def _shown(field: str, value) -> object:
    """A field value as history shows it (labels, names and ISO dates, never internal codes)."""
    if value is None or value == "":
        return ""
    if field == "kind":
        return _label(OrgKind, value)
    if field == "category":
        return _label(OrgCategory, value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Organization):
        return value.name
    return value


def org_event(
    *, org: Organization, kind: str, actor=None, changes: dict | None = None, note: str = ""
) -> OrgEvent:
    """Append one history row; called by the services inside their transaction."""
    return OrgEvent.objects.create(
        org=org,
        kind=kind,
        changes=changes or {},
        note=note[:300],
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def _check_name(name: str, parent: Organization | None, exclude_pk: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": NAME_REQUIRED})
    if parent is None:  # top-level organizations of different places may share a name
        return name
    siblings = Organization.objects.filter(name=name, is_active=True, parent=parent)
    if exclude_pk is not None:
        siblings = siblings.exclude(pk=exclude_pk)
    if siblings.exists():
        raise ValidationError({"name": NAME_TAKEN.format(parent=parent.name, name=name)})
    return name


def check_placement(kind: str, parent: Organization | None) -> None:
    """Where an organization of `kind` may sit in the tree."""
    if parent is not None and not parent.is_active:
        raise ValidationError({"parent": UNDER_DISSOLVED.format(name=parent.name)})
    if parent is not None and parent.kind == OrgKind.PARTY_GROUP:
        raise ValidationError({"parent": NOTHING_UNDER_GROUP})
    if kind == OrgKind.PARTY_GROUP and (parent is None or parent.kind != OrgKind.BRANCH):
        raise ValidationError({"parent": GROUP_UNDER_BRANCH})
    if kind == OrgKind.BRANCH and parent is not None and parent.kind == OrgKind.BRANCH:
        raise ValidationError({"parent": BRANCH_NOT_UNDER_BRANCH})


@transaction.atomic
def org_create(
    *,
    actor=None,
    name: str,
    kind: str,
    parent: Organization | None = None,
    category: str | None = None,
    event_kind: str = OrgEventKind.CREATED,
    **fields,
) -> Organization:
    """Create an organization; it inherits its parent's category unless one is given."""
    if actor is not None:
        if parent is None:
            if not actor.is_superuser:
                raise ValidationError(TOP_LEVEL_ONLY_SUPERUSER)
        else:
            require(actor, Action.CHANGE, parent)
    check_placement(kind, parent)
    name = _check_name(name, parent)
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
    org_event(
        org=org,
        kind=event_kind,
        actor=actor,
        changes={
            f: ["", _shown(f, getattr(org, f))]
            for f in ("name", "kind", "category", "parent", "founded_on", "fixed_party_day")
            if getattr(org, f) not in (None, "")
        },
    )
    audit.record(actor, AuditAction.ORG_CREATE, org)
    return org


@transaction.atomic
def orgs_create_bulk(
    *, actor=None, specs: list[dict], event_kind: str = OrgEventKind.IMPORTED
) -> list[Organization]:
    """Create many organizations whose parents already exist, in a fixed number of queries:
    the same checks as org_create (scope, placement, a free name under the parent, the
    model's own validation), then one insert, one path update and one history insert.

    Each spec has `name`, `kind`, `parent` (an Organization or None) and optionally
    `category`, `founded_on`, `fixed_party_day`. Callers creating a tree call it once per
    level, parents first (the structure import)."""
    orgs: list[Organization] = []
    seen: set[tuple[int | None, str]] = set()
    for spec in specs:
        parent = spec["parent"]
        if actor is not None:
            if parent is None:
                if not actor.is_superuser:
                    raise ValidationError(TOP_LEVEL_ONLY_SUPERUSER)
            else:
                require(actor, Action.CHANGE, parent)
        check_placement(spec["kind"], parent)
        name = (spec["name"] or "").strip()
        key = (parent.pk if parent else None, name)
        if parent is not None and key in seen:
            raise ValidationError({"name": NAME_TAKEN.format(parent=parent.name, name=name)})
        seen.add(key)
        org = Organization(
            name=name,
            kind=spec["kind"],
            parent=parent,
            category=spec.get("category") or (parent.category if parent else "organ"),
            founded_on=spec.get("founded_on"),
            fixed_party_day=spec.get("fixed_party_day"),
            path="",
        )
        org.full_clean(exclude=["path", "parent"])
        orgs.append(org)
    if not orgs:
        return []
    parent_ids = {o.parent_id for o in orgs if o.parent_id}
    taken = Organization.objects.filter(
        parent_id__in=parent_ids, name__in={o.name for o in orgs}, is_active=True
    ).values_list("parent_id", "name")
    clash = set(taken) & {(o.parent_id, o.name) for o in orgs}
    if clash:
        parent_id, name = sorted(clash)[0]
        parent = next(o.parent for o in orgs if o.parent_id == parent_id)
        raise ValidationError({"name": NAME_TAKEN.format(parent=parent.name, name=name)})
    Organization.objects.bulk_create(orgs)
    if any(o.pk is None for o in orgs):  # backends without RETURNING (MySQL)
        tops = [o.name for o in orgs if o.parent_id is None]
        found = Organization.objects.filter(
            Q(parent_id__in=parent_ids) | Q(parent__isnull=True, name__in=tops),
            name__in={o.name for o in orgs},
            is_active=True,
            path="",
        ).values_list("parent_id", "name", "pk")
        pks = {(parent_id, name): pk for parent_id, name, pk in found}
        for o in orgs:
            o.pk = pks[(o.parent_id, o.name)]
    for o in orgs:
        o.path = (o.parent.path if o.parent else "") + path_segment(o.pk)
        o.depth = o.parent.depth + 1 if o.parent else 0
    Organization.objects.bulk_update(orgs, ["path", "depth"])
    who = actor if actor is not None and actor.is_authenticated else None
    OrgEvent.objects.bulk_create(
        OrgEvent(
            org=o,
            kind=event_kind,
            actor=who,
            changes={
                f: ["", _shown(f, getattr(o, f))]
                for f in ("name", "kind", "category", "parent", "founded_on", "fixed_party_day")
                if getattr(o, f) not in (None, "")
            },
        )
        for o in orgs
    )
    audit.record_many(actor, AuditAction.ORG_CREATE, orgs)
    return orgs


UPDATABLE = ("name", "category", "founded_on", "fixed_party_day")


@transaction.atomic
def org_update(*, actor=None, org: Organization, note: str = "", **fields) -> Organization:
    """Rename an organization or change its category, founding date or fixed party day.

    The kind and the place in the tree are not edited here: a move is `org_move`.
    """
    unknown = set(fields) - set(UPDATABLE)
    if unknown:
        raise TypeError(f"org_update cannot change {sorted(unknown)}")
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if actor is not None:
        require(actor, Action.CHANGE, org)
    if not org.is_active:
        raise ValidationError(DISSOLVED_ALREADY.format(name=org.name, day=org.dissolved_on or ""))
    if "name" in fields:
        fields["name"] = _check_name(fields["name"], org.parent, exclude_pk=org.pk)
    before = {f: getattr(org, f) for f in fields}
    for name, value in fields.items():
        setattr(org, name, value)
    org.full_clean(exclude=["path"])
    changed = {f: [_shown(f, before[f]), _shown(f, fields[f])] for f in fields}
    changed = {f: v for f, v in changed.items() if before[f] != fields[f]}
    if not changed:
        return org
    org.save(update_fields=[*[f for f in fields if f in changed], "updated_at"])
    renamed = {"name": changed.pop("name")} if "name" in changed else None
    if renamed:
        org_event(org=org, kind=OrgEventKind.RENAMED, actor=actor, changes=renamed, note=note)
    if changed:
        org_event(org=org, kind=OrgEventKind.CHANGED, actor=actor, changes=changed, note=note)
    return org


@transaction.atomic
def org_move(
    *, actor=None, org: Organization, new_parent: Organization, note: str = ""
) -> Organization:
    """Move a subtree under `new_parent`, rewriting every descendant's path in one statement."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    new_parent = Organization.objects.get(pk=new_parent.pk)
    if actor is not None:
        require(actor, Action.CHANGE, org)
        require(actor, Action.CHANGE, new_parent)
    if new_parent.path.startswith(org.path):
        raise ValidationError({"parent": MOVE_UNDER_ITSELF})
    if not org.is_active:
        raise ValidationError(DISSOLVED_ALREADY.format(name=org.name, day=org.dissolved_on or ""))
    check_placement(org.kind, new_parent)
    if new_parent.pk == org.parent_id:
        return org
    _check_name(org.name, new_parent, exclude_pk=org.pk)
    if org.kind == OrgKind.PARTY_GROUP:
        count = org.group_members.filter(is_active=True).count()
        if count:
            raise ValidationError({"parent": GROUP_HAS_MEMBERS.format(name=org.name, n=count)})
    old_parent_name = org.parent.name if org.parent_id else ""
    old_path = org.path
    new_path = new_parent.path + path_segment(org.pk)
    delta = new_parent.depth + 1 - org.depth
    Organization.objects.filter(subtree_q(old_path)).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + delta,
    )
    Organization.objects.filter(pk=org.pk).update(parent=new_parent)
    org.refresh_from_db()
    org_event(
        org=org,
        kind=OrgEventKind.MOVED,
        actor=actor,
        changes={"parent": [old_parent_name, new_parent.name]},
        note=note,
    )
    audit.record(actor, AuditAction.ORG_MOVE, org, old_path=old_path, parent=new_parent.name)
    return org


@transaction.atomic
def org_dissolve(
    *, actor=None, org: Organization, on: date | None = None, note: str = ""
) -> Organization:
    """Dissolve an empty organization from day `on` (default today); its party groups go too.

    Never deletes: meetings, records and history stay, readable in the parent's scope. An
    organization with members on its roll or other sub-organizations is refused; a branch's
    members are moved first with `members.services.branch_dissolve`.
    """
    org = Organization.objects.select_for_update().get(pk=org.pk)
    on = on or timezone.localdate()
    if actor is not None:
        if org.parent_id is None:
            if not actor.is_superuser:
                raise ValidationError(TOP_LEVEL_ONLY_SUPERUSER)
        else:
            require(actor, Action.CHANGE, org.parent)
    if not org.is_active:
        raise ValidationError(DISSOLVED_ALREADY.format(name=org.name, day=org.dissolved_on or ""))
    if on > timezone.localdate():
        raise ValidationError({"on": DISSOLVE_IN_FUTURE})
    if org.founded_on and on < org.founded_on:
        raise ValidationError({"on": DISSOLVE_BEFORE_FOUNDED.format(day=org.founded_on)})
    # A dissolved organization's own sub-organizations were dissolved before it, so the
    # active direct children are all that can stand in the way.
    children = list(Organization.objects.filter(parent=org, is_active=True).order_by("path"))
    others = [c for c in children if c.kind != OrgKind.PARTY_GROUP]
    if others:
        names = "、".join(c.name for c in others[:5]) + ("等" if len(others) > 5 else "")
        raise ValidationError(NOT_EMPTY_CHILDREN.format(name=org.name, n=len(others), names=names))
    from_field = "party_group" if org.kind == OrgKind.PARTY_GROUP else "branch"
    on_roll = org.group_members if from_field == "party_group" else org.members
    count = on_roll.filter(is_active=True).count()
    if count:
        message = NOT_EMPTY_GROUP_MEMBERS if from_field == "party_group" else NOT_EMPTY_MEMBERS
        raise ValidationError({"transfer_to": message.format(name=org.name, n=count)})
    groups = [c.pk for c in children if c.kind == OrgKind.PARTY_GROUP]
    ended = Organization.objects.filter(Q(pk=org.pk) | Q(pk__in=groups))
    ended.update(is_active=False, dissolved_on=on, updated_at=timezone.now())
    # Posts in the dissolved organization end the day before: no rights over it any more.
    # (members.CommitteePosition, reached through the reverse relation: the roster app sits
    # above the tree and is not imported here.)
    positions = Organization._meta.get_field("positions").related_model
    positions.objects.filter(
        Q(org_id=org.pk) | Q(org_id__in=groups), end__isnull=True, start__lt=on
    ).update(end=on - timedelta(days=1))
    org.refresh_from_db()
    for pk in [org.pk, *groups]:
        org_event(
            org=org if pk == org.pk else Organization(pk=pk),
            kind=OrgEventKind.DISSOLVED,
            actor=actor,
            changes={"dissolved_on": ["", on.isoformat()]},
            note=note,
        )
    audit.record(actor, AuditAction.ORG_DISSOLVE, org, on=on, note=note)
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
    audit.record(actor, AuditAction.GRANT_CREATE, grant, user=user.get_username(), role=role)
    return grant


OWN_GRANT = gettext_lazy("不能撤销自己的授权，请由上级组织的管理员撤销")


@transaction.atomic
def grant_delete(*, actor=None, grant: Grant) -> None:
    """Withdraw a grant; the actor needs MANAGE_GRANTS over the grant's organization."""
    if actor is not None:
        require(actor, Action.MANAGE_GRANTS, grant.org)
        if grant.user_id == actor.pk:  # nobody locks themselves out by a slip of the finger
            raise ValidationError({"grant": OWN_GRANT})
    audit.record(actor, AuditAction.GRANT_REVOKE, grant, user=grant.user.get_username())
    grant.delete()
