from datetime import date

import pytest
from django.http import Http404

from zhibu.members.models import Member
from zhibu.orgs.models import Organization, OrgKind
from zhibu.orgs.permissions import Action, can, get_or_404, visible_to
from zhibu.orgs.services import org_move
from zhibu.orgs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(qs.values_list("name", flat=True))


def test_admin_sees_whole_subtree_and_nothing_outside(world):
    orgs = visible_to(world.admin, Action.VIEW, Organization.objects.all())
    assert names(orgs) == sorted(["县直机关工委", "第一党支部", "第一党小组", "第二党支部"])
    members = visible_to(world.admin, Action.VIEW, Member.objects.all())
    assert "孙党员" not in names(members)
    assert "钱党员" in names(members)


def test_secretary_sees_own_branch_only(world):
    members = visible_to(world.secretary, Action.VIEW, Member.objects.all())
    assert names(members) == sorted(["张书记", "李党员", "王党员"])
    with pytest.raises(Http404):
        get_or_404(world.secretary, Action.VIEW, Member.objects.all(), pk=world.sibling_member.pk)
    assert can(world.secretary, Action.VIEW_PERSONAL, world.other_member)
    assert not can(world.sibling_secretary, Action.VIEW, world.other_member)


def test_plain_member_sees_branch_but_personal_data_only_of_self(world):
    assert can(world.member_user, Action.VIEW, world.other_member)
    assert not can(world.member_user, Action.VIEW_PERSONAL, world.other_member)
    assert can(world.member_user, Action.VIEW_PERSONAL, world.member)
    personal = visible_to(world.member_user, Action.VIEW_PERSONAL, Member.objects.all())
    assert names(personal) == ["李党员"]
    assert not can(world.member_user, Action.CHANGE, world.member)


def test_outsider_and_anonymous_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_to(world.outsider, Action.VIEW, Member.objects.all()).exists()
    assert not visible_to(AnonymousUser(), Action.VIEW, Organization.objects.all()).exists()


def test_ended_position_gives_no_rights(world):
    from zhibu.members.models import CommitteePosition

    CommitteePosition.objects.filter(member=world.secretary_member).update(end=date(2021, 1, 1))
    secretary = type(world.secretary).objects.get(pk=world.secretary.pk)
    assert not can(secretary, Action.CHANGE, world.other_member)
    assert can(secretary, Action.VIEW, world.other_member)  # still a plain member


def test_move_subtree_rewrites_descendant_paths(world):
    new_parent = OrganizationFactory(
        name="新总支", kind=OrgKind.GENERAL_BRANCH, parent=world.committee
    )
    org_move(org=world.branch, new_parent=new_parent)
    group = Organization.objects.get(pk=world.group.pk)
    branch = Organization.objects.get(pk=world.branch.pk)
    assert branch.path.startswith(new_parent.path)
    assert group.path.startswith(branch.path)
    assert group.depth == 3
    assert group.ancestor_ids == [world.committee.pk, new_parent.pk, branch.pk, group.pk]
