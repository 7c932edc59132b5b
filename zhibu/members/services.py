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
from django.utils import timezone
from django.utils.translation import gettext_lazy

from zhibu.members.models import BranchTenure, CommitteePosition, Member, MembershipEnd
from zhibu.orglife import services as orglife_services
from zhibu.orgs.models import Organization, OrgKind
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
    member.full_clean()
    member.save()
    BranchTenure.objects.create(
        member=member,
        branch=branch,
        party_group=party_group,
        start=since or member.join_date,
    )
    return member


@transaction.atomic
def member_update(*, actor=None, member: Member, **fields) -> Member:
    """Change roster fields; moving to another branch goes through member_transfer."""
    if actor is not None:
        require(actor, Action.CHANGE, member)
    if "branch" in fields and fields["branch"].pk != member.branch_id:
        raise ValidationError({"branch": "调动支部请使用“组织关系转接”"})
    fields.pop("branch", None)
    was_active = member.is_active
    for name, value in fields.items():
        setattr(member, name, value)
    if "party_group" in fields:
        _check_placement(member.branch, member.party_group)
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
    member.save(update_fields=["is_active", "updated_at"])
    CommitteePosition.objects.filter(member=member, end__isnull=True, start__lt=on).update(
        end=on - timedelta(days=1)
    )
    orglife_services.due_lists_follow(
        actor=actor,
        member_ids=[member.pk],
        since=on,
        reason=ENDED.format(reason=label, day=on),
    )
    return member


@transaction.atomic
def position_assign(
    *, actor=None, member: Member, org: Organization, role: str, start: date
) -> CommitteePosition:
    if actor is not None:
        require(actor, Action.CHANGE, org)
    # The org is the member's branch, an organization above it, or a party group inside it.
    in_line = member.branch.path.startswith(org.path) or org.path.startswith(member.branch.path)
    if not in_line:
        raise ValidationError({"member": f"{member.name}不在“{org.name}”，不能在此任职"})
    if role == "party_group_leader" and org.kind != OrgKind.PARTY_GROUP:
        raise ValidationError({"role": "党小组长只能在党小组任职"})
    position = CommitteePosition(member=member, org=org, role=role, start=start)
    position.full_clean()
    position.save()
    return position


@transaction.atomic
def position_end(*, actor=None, position: CommitteePosition, end: date) -> CommitteePosition:
    if actor is not None:
        require(actor, Action.CHANGE, position.org)
    position.end = end
    position.full_clean()
    position.save(update_fields=["end", "updated_at"])
    return position
