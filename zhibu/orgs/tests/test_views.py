"""Organization tree and organization page against the permission matrix, and query counts."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhibu.members.services import position_assign
from zhibu.members.tests.factories import MemberFactory
from zhibu.orgs.models import OrgKind
from zhibu.orgs.tests.factories import GrantFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def tree(client, **params):
    return client.get(reverse("orgs:tree"), params)


def detail(client, org):
    return client.get(reverse("orgs:detail", args=[org.pk]))


def children(client, org):
    return client.get(reverse("orgs:children", args=[org.pk]), **HTMX)


# ---- anonymous and outsider ----


@pytest.mark.parametrize("name", ["orgs:tree", "orgs:detail", "orgs:children"])
def test_anonymous_redirected_to_login(client, world, name):
    args = [] if name == "orgs:tree" else [world.branch.pk]
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_outsider_sees_empty_tree_and_404s(client, world):
    client.force_login(world.outsider)
    html = tree(client).content.decode()
    assert "没有可查看的组织" in html
    assert "第一党支部" not in html
    for org in (world.committee, world.branch, world.group, world.outside):
        assert detail(client, org).status_code == 404
        assert children(client, org).status_code == 404


# ---- plain member ----


def test_member_tree_starts_at_own_branch(client, world):
    client.force_login(world.member_user)
    html = tree(client).content.decode()
    assert "第一党支部" in html
    assert "第一党小组" in html  # single root opens one level
    assert "县直机关工委" not in html
    assert "第二党支部" not in html


def test_member_opens_own_branch_but_not_others(client, world):
    client.force_login(world.member_user)
    response = detail(client, world.branch)
    assert response.status_code == 200
    html = response.content.decode()
    assert "张书记" in html and "王党员" in html and "李党员" in html
    # the committee is not a visible ancestor: no breadcrumb link to it
    assert reverse("orgs:detail", args=[world.committee.pk]) not in html
    # others' phone numbers masked, own shown in full
    assert world.other_member.phone not in html
    assert world.other_member.id_number not in html
    assert world.member.phone in html
    for org in (world.committee, world.sibling, world.outside):
        assert detail(client, org).status_code == 404


# ---- secretary of the branch / of the sibling ----


def test_secretary_sees_committee_groups_and_full_personal_data(client, world):
    client.force_login(world.secretary)
    response = detail(client, world.branch)
    html = response.content.decode()
    ctx = response.context
    assert [p.member.name for p in ctx["committee"]] == ["张书记"]
    assert [g["org"].name for g in ctx["groups"]] == ["第一党小组"]
    assert [m.name for m in ctx["groups"][0]["members"]] == ["李党员"]
    assert sorted(m.name for m in ctx["ungrouped"]) == ["张书记", "王党员"]
    assert world.other_member.id_number in html
    assert world.other_member.phone in html
    assert "支部委员会" in html and "书记" in html


def test_sibling_secretary_gets_404_on_branch(client, world):
    client.force_login(world.sibling_secretary)
    assert detail(client, world.branch).status_code == 404
    assert detail(client, world.group).status_code == 404
    assert children(client, world.branch).status_code == 404
    assert detail(client, world.sibling).status_code == 200


def test_party_group_page_lists_its_members_and_leader(client, world):
    position_assign(
        member=world.member, org=world.group, role="party_group_leader", start=date(2022, 1, 1)
    )
    client.force_login(world.secretary)
    response = detail(client, world.group)
    assert response.status_code == 200
    assert [m.name for m, _pf in response.context["rows"]] == ["李党员"]
    assert [p.member.name for p in response.context["committee"]] == ["李党员"]
    assert "党小组长" in response.content.decode()


# ---- subtree admin ----


def test_admin_sees_whole_subtree_and_nothing_outside(client, world):
    client.force_login(world.admin)
    html = tree(client).content.decode()
    assert "县直机关工委" in html
    assert "第一党支部" in html and "第二党支部" in html
    assert "外县" not in html
    for org in (world.committee, world.branch, world.group, world.sibling):
        assert detail(client, org).status_code == 200
    assert detail(client, world.outside).status_code == 404
    assert children(client, world.outside).status_code == 404


def test_committee_page_breadcrumb_and_children(client, world):
    client.force_login(world.admin)
    response = detail(client, world.branch)
    html = response.content.decode()
    assert reverse("orgs:detail", args=[world.committee.pk]) in html  # breadcrumb
    response = detail(client, world.committee)
    assert [c.name for c in response.context["children"]] == ["第一党支部", "第二党支部"]
    assert not response.context["has_roster"]


def test_children_partial_shows_counts_and_lazy_nodes(client, world):
    client.force_login(world.admin)
    response = children(client, world.committee)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a partial, not a page
    nodes = {n.name: n for n in response.context["nodes"]}
    assert nodes["第一党支部"].member_count == 3
    assert nodes["第一党支部"].child_count == 1
    assert nodes["第二党支部"].member_count == 2
    # the first branch has a child, so it opens lazily
    assert reverse("orgs:children", args=[world.branch.pk]) in html
    group_nodes = children(client, world.branch).context["nodes"]
    assert [(n.name, n.member_count) for n in group_nodes] == [("第一党小组", 1)]


def test_search_finds_only_visible_orgs(client, world):
    client.force_login(world.admin)
    response = tree(client, q="党支部")
    names = [o.name for o in response.context["search_results"]]
    assert names == ["第一党支部", "第二党支部"]
    partial = client.get(reverse("orgs:tree"), {"q": "外县"}, HTTP_HX_TARGET="org-results", **HTMX)
    assert "<html" not in partial.content.decode()
    assert partial.context["search_results"] == []


# ---- query counts ----


def _branch_with(n: int):
    committee = OrganizationFactory(name="工委", kind=OrgKind.ORGANS_WORK_COMMITTEE)
    branch = OrganizationFactory(name="支部", parent=committee)
    groups = [
        OrganizationFactory(name=f"小组{i}", kind=OrgKind.PARTY_GROUP, parent=branch)
        for i in range(3)
    ]
    members = [
        MemberFactory(branch=branch, party_group=groups[i % 3] if i % 4 else None) for i in range(n)
    ]
    position_assign(member=members[0], org=branch, role="secretary", start=date(2020, 1, 1))
    position_assign(
        member=members[1], org=groups[1], role="party_group_leader", start=date(2020, 1, 1)
    )
    admin = UserFactory()
    GrantFactory(user=admin, org=committee, role="org_admin")
    return committee, branch, admin


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["detail", "children", "tree"])
def test_query_count_does_not_grow_with_members(client, django_assert_num_queries, page):
    _c5, small, admin5 = _branch_with(5)
    c40, big, admin40 = _branch_with(40)
    urls = {
        "detail": lambda b: reverse("orgs:detail", args=[b.pk]),
        "children": lambda b: reverse("orgs:children", args=[b.pk]),
        "tree": lambda b: reverse("orgs:tree"),
    }
    client.force_login(admin5)
    expected = _count(client, urls[page](small))
    # + 4 on the detail page: the audit log's one write of the day's unmasked views.
    assert expected <= 14 + 4
    client.force_login(admin40)
    with django_assert_num_queries(expected):
        response = client.get(urls[page](big))
    if page == "detail":
        assert len(response.context["rows"]) == 40
