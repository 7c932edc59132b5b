"""Writes to the roster.

Each takes the acting account as `actor` (None for system jobs) and checks scope. A change of
who belongs where from a day on (a transfer, the end of a membership) also updates the due
lists of the meetings from that day, through one explicit call to orglife.services — the one
call from the roster up the dependency line, so "who was due" never drifts from the tenures.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from zhibu.audit import services as audit
from zhibu.audit.models import AuditAction
from zhibu.members.models import (
    BranchTenure,
    CommitteePosition,
    CommitteeRole,
    Election,
    Member,
    MembershipEnd,
    MemberStatus,
)
from zhibu.members.validators import birth_date_from_id, id_number_error, member_problems
from zhibu.orglife import services as orglife_services
from zhibu.orgs import parameters
from zhibu.orgs import services as org_services
from zhibu.orgs.models import Organization, OrgEventKind, OrgKind
from zhibu.orgs.permissions import Action, require


def _check_placement(branch: Organization, party_group: Organization | None) -> None:
    if branch.kind != OrgKind.BRANCH:
        raise ValidationError({"branch": f"“{branch.name}”不是党支部，党员只能编入党支部"})
    if party_group is not None and party_group.parent_id != branch.pk:
        raise ValidationError({"party_group": f"党小组“{party_group.name}”不属于“{branch.name}”"})


@transaction.atomic
def member_create(
    *, actor=None, branch: Organization, since: date | None = None, **fields
) -> Member:
    if actor is not None:
        require(actor, Action.CHANGE, branch)
    party_group = fields.get("party_group")
    _check_placement(branch, party_group)
    member = Member(branch=branch, **fields)
    if member.birth_date is None and member.id_number and not id_number_error(member.id_number):
        member.birth_date = birth_date_from_id(member.id_number)
    _check_record(member)
    member.full_clean()
    member.save()
    BranchTenure.objects.create(
        member=member,
        branch=branch,
        party_group=party_group,
        start=since or member.join_date,
    )
    audit.record(actor, AuditAction.MEMBER_CREATE, member)
    return member


def _check_record(member: Member, *, changed: set[str] | None = None) -> None:
    """The roster record's cross-field rules, shared with the roster import (validators)."""
    problems = member_problems(member, today=timezone.localdate(), changed=changed)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def member_update(*, actor=None, member: Member, **fields) -> Member:
    """Change roster fields; moving to another branch goes through member_transfer."""
    if actor is not None:
        require(actor, Action.CHANGE, member)
    if "branch" in fields and fields["branch"].pk != member.branch_id:
        raise ValidationError({"branch": "调动支部请使用“组织关系转接”"})
    fields.pop("branch", None)
    was_active = member.is_active
    changed = {name for name, value in fields.items() if getattr(member, name) != value}
    for name, value in fields.items():
        setattr(member, name, value)
    if "party_group" in fields:
        _check_placement(member.branch, member.party_group)
    _check_record(member, changed=changed)
    member.full_clean()
    member.save()
    if "party_group" in fields:
        BranchTenure.objects.filter(member=member, end__isnull=True).update(
            party_group=member.party_group
        )
    if member.is_active != was_active:  # off the roster (or back on) from today
        today = timezone.localdate()
        orglife_services.due_lists_follow(
            actor=actor,
            member_ids=[member.pk],
            since=today,
            reason=(ON_ROSTER if member.is_active else OFF_ROSTER).format(day=today),
        )
    audit.record(actor, AuditAction.MEMBER_EDIT, member, fields=sorted(changed))
    return member


@transaction.atomic
def member_transfer(
    *,
    actor=None,
    member: Member,
    branch: Organization,
    on: date,
    party_group: Organization | None = None,
    note: str = "",
) -> Member:
    """Move a member to another branch from day `on`, keeping the old tenure as history."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if actor is not None:
        require(actor, Action.CHANGE, member)
        require(actor, Action.CHANGE, branch)
    _check_placement(branch, party_group)
    current = BranchTenure.objects.filter(member=member, end__isnull=True).first()
    if current is not None and on <= current.start:
        raise ValidationError({"on": f"转接日期应晚于当前支部的起始日期 {current.start}"})
    # Posts in the old branch end the day before the transfer: none may start after that.
    later_post = (
        CommitteePosition.objects.filter(member=member, end__isnull=True, start__gte=on)
        .exclude(org__path__startswith=branch.path)
        .order_by("start")
        .first()
    )
    if later_post is not None:
        raise ValidationError(
            {
                "on": (
                    f"转接日期应晚于其在{later_post.org.name}所任“{later_post.get_role_display()}”"
                    f"职务的开始日期 {later_post.start}"
                )
            }
        )
    if current is not None:
        current.end = on - timedelta(days=1)
        current.save(update_fields=["end"])
    BranchTenure.objects.create(
        member=member, branch=branch, party_group=party_group, start=on, note=note
    )
    member.branch = branch
    member.party_group = party_group
    member.save(update_fields=["branch", "party_group", "updated_at"])
    # Posts in the old branch end with the transfer.
    CommitteePosition.objects.filter(member=member, end__isnull=True).exclude(
        org__path__startswith=branch.path
    ).update(end=on - timedelta(days=1))
    orglife_services.due_lists_follow(
        actor=actor,
        member_ids=[member.pk],
        since=on,
        reason=TRANSFERRED.format(day=on, branch=branch.name),
    )
    audit.record(actor, AuditAction.MEMBER_TRANSFER, member, to=branch.name, on=on, note=note)
    return member


END_REASON_REQUIRED = gettext_lazy("请选择减少原因：去世、停止党籍、出党或组织关系转出本系统")
NOT_ON_ROSTER = gettext_lazy("{name}已不在册")
END_AFTER_START = gettext_lazy("减少日期应晚于当前支部的起始日期 {start}")
# Reasons written on the amendments that withdraw absences a change dated back made untrue.
TRANSFERRED = gettext_lazy("组织关系转接：自 {day} 起转入“{branch}”，不是本次会议的应到人员")
ENDED = gettext_lazy("{reason}：自 {day} 起不在册，不是本次会议的应到人员")
OFF_ROSTER = gettext_lazy("自 {day} 起不在册，不是本次会议的应到人员")
ON_ROSTER = gettext_lazy("自 {day} 起恢复在册")


@transaction.atomic
def member_end(*, actor=None, member: Member, on: date, reason: str, note: str = "") -> Member:
    """Take a member off the roster from day `on` (the day of death, of the decision, of the
    transfer out of the system), keeping the history: the tenure closes the day before, posts
    end, and the member leaves the due lists of meetings held from that day."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if actor is not None:
        require(actor, Action.CHANGE, member)
    if reason not in MembershipEnd.values:
        raise ValidationError({"reason": END_REASON_REQUIRED})
    if not member.is_active:
        raise ValidationError({"member": NOT_ON_ROSTER.format(name=member.name)})
    label = str(MembershipEnd(reason).label)
    current = BranchTenure.objects.filter(member=member, end__isnull=True).first()
    if current is not None:
        if on <= current.start:
            raise ValidationError({"on": END_AFTER_START.format(start=current.start)})
        current.end = on - timedelta(days=1)
        current.note = f"{label}：{note.strip()}" if note.strip() else label
        current.full_clean()
        current.save(update_fields=["end", "note"])
    member.is_active = False
    member.end_reason = reason
    member.ended_on = on
    member.save(update_fields=["is_active", "end_reason", "ended_on", "updated_at"])
    CommitteePosition.objects.filter(member=member, end__isnull=True, start__lt=on).update(
        end=on - timedelta(days=1)
    )
    if member.user_id is not None:  # whoever leaves the roster can no longer log in
        type(member.user).objects.filter(pk=member.user_id).update(is_active=False)
    orglife_services.due_lists_follow(
        actor=actor,
        member_ids=[member.pk],
        since=on,
        reason=ENDED.format(reason=label, day=on),
    )
    audit.record(actor, AuditAction.MEMBER_END, member, reason=label, on=on, note=note)
    return member


NOT_PROBATIONARY = gettext_lazy("{name}已是正式党员，无需转正")
CONVERSION_BEFORE_JOIN = gettext_lazy("转正日期不能早于入党日期 {day}")
CONVERSION_IN_FUTURE = gettext_lazy("转正日期不能晚于今天")


@transaction.atomic
def member_convert(*, actor=None, member: Member, on: date) -> Member:
    """转正: a probationary member becomes a full member from day `on` (the assembly's vote
    approved by the upper committee)."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if actor is not None:
        require(actor, Action.CHANGE, member)
    if not member.is_active:
        raise ValidationError({"member": NOT_ON_ROSTER.format(name=member.name)})
    if member.status != MemberStatus.PROBATIONARY:
        raise ValidationError({"member": NOT_PROBATIONARY.format(name=member.name)})
    if on < member.join_date:
        raise ValidationError({"on": CONVERSION_BEFORE_JOIN.format(day=member.join_date)})
    if on > timezone.localdate():
        raise ValidationError({"on": CONVERSION_IN_FUTURE})
    member.status = MemberStatus.FULL
    member.full_member_date = on
    member.save(update_fields=["status", "full_member_date", "updated_at"])
    return member


POSITION_NOT_IN_LINE = gettext_lazy("{name}不在“{org}”，不能在此任职")
GROUP_LEADER_IN_GROUP = gettext_lazy("党小组长只能在党小组任职")
COMMITTEE_NOT_IN_GROUP = gettext_lazy("党小组只设党小组长，请选择“党小组长”")
POSITION_HELD = gettext_lazy("{name}已在“{org}”担任{role}（{start} 起），不能重复任职")
SINGLE_HOLDER = gettext_lazy(
    "“{org}”的{role}现由{name}担任（{start} 起），请先为其填写离任日期，再任命新的{role}"
)
MEMBER_OFF_ROLL = gettext_lazy("{name}已不在册，不能任职")
ORG_DISSOLVED = gettext_lazy("“{org}”已撤销")
POSITION_ENDED = gettext_lazy("该职务已于 {end} 离任")
END_BEFORE_START = gettext_lazy("离任日期不能早于任职日期 {start}")
NOT_IN_FUTURE = gettext_lazy("日期不能晚于今天")
# Posts that one person holds at a time in an organization.
SINGLE_HOLDER_ROLES = ("secretary",)


@transaction.atomic
def position_assign(
    *, actor=None, member: Member, org: Organization, role: str, start: date
) -> CommitteePosition:
    """Appoint a member to a committee post (or as party-group leader) from `start`."""
    if actor is not None:
        require(actor, Action.CHANGE, org)
    # The org is the member's branch, an organization above it, or a party group inside it.
    in_line = member.branch.path.startswith(org.path) or org.path.startswith(member.branch.path)
    if not in_line:
        raise ValidationError(
            {"member": POSITION_NOT_IN_LINE.format(name=member.name, org=org.name)}
        )
    if not member.is_active:
        raise ValidationError({"member": MEMBER_OFF_ROLL.format(name=member.name)})
    if not org.is_active:
        raise ValidationError(ORG_DISSOLVED.format(org=org.name))
    if role == "party_group_leader" and org.kind != OrgKind.PARTY_GROUP:
        raise ValidationError({"role": GROUP_LEADER_IN_GROUP})
    if org.kind == OrgKind.PARTY_GROUP and role != "party_group_leader":
        raise ValidationError({"role": COMMITTEE_NOT_IN_GROUP})
    overlapping = CommitteePosition.objects.filter(org=org, role=role).filter(
        Q(end__isnull=True) | Q(end__gte=start)
    )
    label = CommitteeRole(role).label if role in CommitteeRole.values else role
    same = overlapping.filter(member=member).first()
    if same is not None:
        raise ValidationError(
            {
                "role": POSITION_HELD.format(
                    name=member.name, org=org.name, role=label, start=same.start
                )
            }
        )
    if role in SINGLE_HOLDER_ROLES:
        other = overlapping.select_related("member").first()
        if other is not None:
            raise ValidationError(
                {
                    "role": SINGLE_HOLDER.format(
                        org=org.name, role=label, name=other.member.name, start=other.start
                    )
                }
            )
    position = CommitteePosition(member=member, org=org, role=role, start=start)
    position.full_clean()
    position.save()
    return position


@transaction.atomic
def position_end(*, actor=None, position: CommitteePosition, end: date) -> CommitteePosition:
    """End a post on day `end` (the last day in office); the rights it gave end with it."""
    position = CommitteePosition.objects.select_for_update().get(pk=position.pk)
    if actor is not None:
        require(actor, Action.CHANGE, position.org)
    if position.end is not None:
        raise ValidationError({"end": POSITION_ENDED.format(end=position.end)})
    if end < position.start:
        raise ValidationError({"end": END_BEFORE_START.format(start=position.start)})
    position.end = end
    position.full_clean()
    position.save(update_fields=["end", "updated_at"])
    return position


ELECTION_ORG_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.BASE_PARTY_COMMITTEE)
ELECTION_WRONG_KIND = gettext_lazy("党小组不进行换届选举，请在所属党支部登记")
ELECTION_SAME_DAY = gettext_lazy("“{org}”在 {day} 已登记过一次选举")
TERM_RANGE = gettext_lazy("任期应为 {low} 到 {high} 年")


@transaction.atomic
def election_record(
    *,
    actor=None,
    org: Organization,
    held_on: date,
    term_years: int | None = None,
    note: str = "",
) -> Election:
    """Record a term election of a branch (or committee); the term runs `term_years` from it.

    The length defaults to the `term_years` parameter; a different one (an approved extension
    or a village branch's five years) is allowed within the parameter's range.
    """
    if actor is not None:
        require(actor, Action.CHANGE, org)
    if org.kind not in ELECTION_ORG_KINDS and org.kind != OrgKind.ORGANS_WORK_COMMITTEE:
        raise ValidationError(ELECTION_WRONG_KIND)
    if not org.is_active:
        raise ValidationError(ORG_DISSOLVED.format(org=org.name))
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": NOT_IN_FUTURE})
    spec = parameters.PARAMETERS["term_years"]
    years = parameters.default("term_years") if term_years is None else term_years
    if not spec.minimum <= years <= spec.maximum:
        raise ValidationError(
            {"term_years": TERM_RANGE.format(low=spec.minimum, high=spec.maximum)}
        )
    if Election.objects.filter(org=org, held_on=held_on).exists():
        raise ValidationError({"held_on": ELECTION_SAME_DAY.format(org=org.name, day=held_on)})
    election = Election(
        org=org,
        held_on=held_on,
        term_years=int(years),
        note=note.strip(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    election.full_clean(validate_constraints=False)
    election.save()
    return election


TRANSFER_TARGET_SELF = gettext_lazy("转入支部不能是被撤销的组织本身或其下级组织")
TRANSFER_TOO_EARLY = gettext_lazy(
    "{names}编入本支部的日期不早于 {day}，转接日期应晚于其编入日期，请改晚撤销日期"
)
TRANSFER_NOTE = gettext_lazy("“{org}”撤销，党员整体转入")


@transaction.atomic
def members_transfer_all(
    *, actor=None, branch: Organization, to: Organization, on: date, note: str = ""
) -> int:
    """Move every member on a branch's roll to `to` from day `on`, in a fixed number of
    queries (the bulk form of member_transfer: tenures close the day before, posts in the old
    branch end, due lists follow). Returns how many members moved."""
    if actor is not None:
        require(actor, Action.CHANGE, branch)
        require(actor, Action.CHANGE, to)
    if to.path.startswith(branch.path):
        raise ValidationError({"transfer_to": TRANSFER_TARGET_SELF})
    try:
        _check_placement(to, None)
    except ValidationError as error:
        raise ValidationError({"transfer_to": error.message_dict["branch"]}) from None
    if not to.is_active:
        raise ValidationError({"transfer_to": ORG_DISSOLVED.format(org=to.name)})
    members = list(Member.objects.select_for_update().filter(branch=branch, is_active=True))
    if not members:
        return 0
    ids = [m.pk for m in members]
    open_tenures = BranchTenure.objects.filter(member_id__in=ids, end__isnull=True)
    late = list(open_tenures.filter(start__gte=on).values_list("member__name", flat=True))
    if late:
        raise ValidationError({"on": TRANSFER_TOO_EARLY.format(names="、".join(late), day=on)})
    text = note or str(TRANSFER_NOTE.format(org=branch.name))
    open_tenures.update(end=on - timedelta(days=1))
    BranchTenure.objects.bulk_create(
        BranchTenure(member_id=pk, branch=to, start=on, note=text[:200]) for pk in ids
    )
    Member.objects.filter(pk__in=ids).update(branch=to, party_group=None, updated_at=timezone.now())
    CommitteePosition.objects.filter(member_id__in=ids, end__isnull=True, start__lt=on).exclude(
        org__path__startswith=to.path
    ).update(end=on - timedelta(days=1))
    orglife_services.due_lists_follow(
        actor=actor,
        member_ids=ids,
        since=on,
        reason=TRANSFERRED.format(day=on, branch=to.name),
    )
    changes = {"members": [len(ids), ""], "transfer_to": ["", to.name]}
    org_services.org_event(
        org=branch, kind=OrgEventKind.MEMBERS_TRANSFERRED, actor=actor, changes=changes, note=text
    )
    org_services.org_event(
        org=to,
        kind=OrgEventKind.MEMBERS_TRANSFERRED,
        actor=actor,
        changes={"members": ["", len(ids)], "transfer_from": [branch.name, ""]},
        note=text,
    )
    audit.record_many(actor, AuditAction.MEMBER_TRANSFER, members, org_path=to.path, on=on)
    return len(ids)


@transaction.atomic
def branch_dissolve(
    *,
    actor=None,
    org: Organization,
    on: date | None = None,
    transfer_to: Organization | None = None,
    note: str = "",
) -> Organization:
    """Dissolve an organization, first moving its members to `transfer_to` if one is given.

    Without a destination a non-empty organization is refused by orgs.services.org_dissolve;
    nothing is deleted either way.
    """
    on = on or timezone.localdate()
    if transfer_to is not None and org.kind == OrgKind.BRANCH:
        if actor is not None:  # the right to dissolve is checked before anyone is moved
            if org.parent_id is None and not actor.is_superuser:
                raise ValidationError(org_services.TOP_LEVEL_ONLY_SUPERUSER)
            if org.parent_id is not None:
                require(actor, Action.CHANGE, org.parent)
        members_transfer_all(actor=actor, branch=org, to=transfer_to, on=on, note=note)
    return org_services.org_dissolve(actor=actor, org=org, on=on, note=note)
