"""The organization, grant and /api/me/ endpoints against the permission matrix."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from zhibu.orgs.models import Grant, Organization, OrgKind
from zhibu.orgs.tests.factories import GrantFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

ORGS = "/api/organizations/"
GRANTS = "/api/grants/"
ME = "/api/me/"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


SUBTREE = sorted(["县直机关工委", "第一党支部", "第一党小组", "第二党支部"])


# --- organizations: reads ---------------------------------------------------------------------


@pytest.mark.parametrize("url", [ORGS, GRANTS, ME])
def test_anonymous_gets_401(world, url):
    response = client_for().get(url)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_anonymous_cannot_create(world):
    response = client_for().post(ORGS, {"name": "x", "kind": "branch"}, format="json")
    assert response.status_code == 401


def test_outsider_sees_nothing(world):
    client = client_for(world.outsider)
    assert names(client.get(ORGS)) == []
    assert client.get(f"{ORGS}{world.branch.pk}/").status_code == 404
    assert client.get(f"{ORGS}{world.branch.pk}/children/").status_code == 404
    data = {"name": "新支部", "kind": "branch", "parent": world.committee.pk}
    assert client.post(ORGS, data, format="json").status_code == 404


def test_member_sees_own_branch_and_its_groups(world):
    client = client_for(world.member_user)
    assert names(client.get(ORGS)) == ["第一党小组", "第一党支部"]
    assert client.get(f"{ORGS}{world.sibling.pk}/").status_code == 404
    assert client.get(f"{ORGS}{world.committee.pk}/").status_code == 404
    body = client.get(f"{ORGS}{world.branch.pk}/").json()
    assert body["kind_display"] == "党支部"
    assert body["parent"] == world.committee.pk


def test_member_cannot_create_or_move(world):
    client = client_for(world.member_user)
    data = {"name": "第二党小组", "kind": "party_group", "parent": world.branch.pk}
    assert client.post(ORGS, data, format="json").status_code == 404
    move = {"parent": world.branch.pk}
    assert client.post(f"{ORGS}{world.group.pk}/move/", move, format="json").status_code == 404
    assert not Organization.objects.filter(name="第二党小组").exists()


def test_secretary_and_sibling_secretary_see_own_branch(world):
    assert names(client_for(world.secretary).get(ORGS)) == ["第一党小组", "第一党支部"]
    sibling = client_for(world.sibling_secretary)
    assert names(sibling.get(ORGS)) == ["第二党支部"]
    assert sibling.get(f"{ORGS}{world.branch.pk}/").status_code == 404


def test_admin_sees_whole_subtree_and_filters(world):
    client = client_for(world.admin)
    assert names(client.get(ORGS)) == SUBTREE
    assert client.get(f"{ORGS}{world.outside.pk}/").status_code == 404
    assert names(client.get(ORGS, {"kind": "branch"})) == ["第一党支部", "第二党支部"]
    assert names(client.get(ORGS, {"q": "第一"})) == ["第一党小组", "第一党支部"]
    assert names(client.get(ORGS, {"parent": world.committee.pk})) == ["第一党支部", "第二党支部"]
    assert names(client.get(ORGS, {"parent": world.outside.pk})) == []
    assert client.get(ORGS, {"kind": "nonsense"}).status_code == 400


def test_superuser_sees_everything(world):
    client = client_for(world.superuser)
    assert len(names(client.get(ORGS))) == 6
    assert client.get(f"{ORGS}{world.outside.pk}/").status_code == 200


def test_children_with_counts(world):
    client = client_for(world.admin)
    response = client.get(f"{ORGS}{world.committee.pk}/children/")
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["results"]}
    assert set(rows) == {"第一党支部", "第二党支部"}
    assert rows["第一党支部"]["member_count"] == 3
    assert rows["第一党支部"]["child_count"] == 1
    assert rows["第二党支部"]["member_count"] == 2
    response = client.get(f"{ORGS}{world.committee.pk}/children/", {"q": "第二"})
    assert [row["name"] for row in response.json()["results"]] == ["第二党支部"]
    # A secretary sees the children of their branch, not those of the 工委 above it.
    secretary = client_for(world.secretary)
    assert secretary.get(f"{ORGS}{world.committee.pk}/children/").status_code == 404
    children = secretary.get(f"{ORGS}{world.branch.pk}/children/").json()["results"]
    assert [row["name"] for row in children] == ["第一党小组"]


# --- organizations: writes --------------------------------------------------------------------


def test_secretary_creates_party_group_in_own_branch_only(world):
    client = client_for(world.secretary)
    data = {"name": "第二党小组", "kind": "party_group", "parent": world.branch.pk}
    response = client.post(ORGS, data, format="json")
    assert response.status_code == 201, response.content
    org = Organization.objects.get(pk=response.json()["id"])
    assert org.path.startswith(world.branch.path) and org.category == "organ"
    data["parent"] = world.sibling.pk
    assert client.post(ORGS, data, format="json").status_code == 404


def test_admin_creates_in_subtree_but_not_outside(world):
    client = client_for(world.admin)
    data = {"name": "第三党支部", "kind": "branch", "parent": world.committee.pk}
    response = client.post(ORGS, data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["depth"] == 1
    data = {"name": "外县第二支部", "kind": "branch", "parent": world.outside.pk}
    response = client.post(ORGS, data, format="json")
    assert response.status_code == 404
    assert not Organization.objects.filter(name="外县第二支部").exists()
    missing = {"name": "x", "kind": "branch", "parent": 999999}
    assert client.post(ORGS, missing, format="json").json() == response.json() | {
        "detail": response.json()["detail"].replace(str(world.outside.pk), "999999")
    }


def test_org_rules_are_400_with_chinese_messages(world):
    client = client_for(world.admin)
    response = client.post(ORGS, {"name": "顶级", "kind": "base_party_committee"}, format="json")
    assert response.status_code == 400
    assert "系统管理员" in response.json()["non_field_errors"][0]
    data = {"name": "小组下的组", "kind": "branch", "parent": world.group.pk}
    response = client.post(ORGS, data, format="json")
    assert response.status_code == 400
    assert "党小组下不能再设组织" in response.json()["parent"][0]
    response = client.post(ORGS, {"name": "", "kind": "branch"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()
    data = {"name": "x", "kind": "branch", "parent": world.committee.pk, "fixed_party_day": 31}
    assert "fixed_party_day" in client.post(ORGS, data, format="json").json()


def test_superuser_creates_top_level(world):
    client = client_for(world.superuser)
    response = client.post(ORGS, {"name": "市直机关工委", "kind": "organs_work_committee"})
    assert response.status_code == 201
    assert response.json()["parent"] is None


def test_move_within_subtree(world):
    client = client_for(world.admin)
    # A party group whose members stay in their branch cannot follow to another branch.
    url = f"{ORGS}{world.group.pk}/move/"
    response = client.post(url, {"parent": world.sibling.pk}, format="json")
    assert response.status_code == 400
    assert "还有 1 名组员" in response.json()["parent"][0]
    empty = OrganizationFactory(name="第二党小组", kind=OrgKind.PARTY_GROUP, parent=world.branch)
    url = f"{ORGS}{empty.pk}/move/"
    response = client.post(url, {"parent": world.sibling.pk}, format="json")
    assert response.status_code == 200, response.content
    empty.refresh_from_db()
    assert empty.parent_id == world.sibling.pk
    assert empty.path.startswith(world.sibling.path)

    response = client.post(url, {"parent": world.outside.pk}, format="json")
    assert response.status_code == 404
    url = f"{ORGS}{world.committee.pk}/move/"
    response = client.post(url, {"parent": world.branch.pk}, format="json")
    assert response.status_code == 400
    assert "下级组织" in response.json()["parent"][0]


def test_secretary_cannot_move_own_group_to_sibling(world):
    client = client_for(world.secretary)
    url = f"{ORGS}{world.group.pk}/move/"
    assert client.post(url, {"parent": world.sibling.pk}, format="json").status_code == 404
    world.group.refresh_from_db()
    assert world.group.parent_id == world.branch.pk


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_org_list_and_children_queries_do_not_grow(world):
    client = client_for(world.admin)
    children = f"{ORGS}{world.committee.pk}/children/"
    for _ in range(3):
        OrganizationFactory(parent=world.committee)
    small = count_queries(client, ORGS), count_queries(client, children)
    for _ in range(35):
        OrganizationFactory(parent=world.committee)
    assert (count_queries(client, ORGS), count_queries(client, children)) == small


# --- grants -----------------------------------------------------------------------------------


def test_admin_lists_and_creates_grants(world):
    client = client_for(world.admin)
    response = client.get(GRANTS)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["user"], r["org_name"], r["role"]) for r in rows] == [
        ("admin1", "县直机关工委", "org_admin")
    ]
    data = {"user": "nobody", "org": world.branch.pk, "role": "org_viewer"}
    response = client.post(GRANTS, data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["role_display"] == "组织查看员"
    # The outsider now sees the branch through the grant.
    assert names(client_for(world.outsider).get(ORGS)) == ["第一党小组", "第一党支部"]

    response = client.post(GRANTS, data, format="json")
    assert response.status_code == 400
    assert "已有" in response.json()["role"][0]
    response = client.post(GRANTS, {**data, "user": "ghost"}, format="json")
    assert response.status_code == 400
    assert "ghost" in response.json()["user"][0]
    response = client.post(GRANTS, {**data, "org": world.outside.pk}, format="json")
    assert response.status_code == 404
    assert Grant.objects.filter(user=world.outsider).count() == 1


def test_grants_need_manage_grants(world):
    for user in (world.secretary, world.member_user, world.outsider):
        client = client_for(user)
        assert client.get(GRANTS).json()["results"] == []
        data = {"user": "nobody", "org": world.branch.pk, "role": "org_admin"}
        assert client.post(GRANTS, data, format="json").status_code == 404
        admin_grant = Grant.objects.get(user=world.admin)
        assert client.delete(f"{GRANTS}{admin_grant.pk}/").status_code == 404
    assert Grant.objects.count() == 1


def test_user_sees_own_grants_but_cannot_delete_without_manage_rights(world):
    viewer = UserFactory(username="viewer")
    grant = GrantFactory(user=viewer, org=world.sibling, role="org_viewer")
    client = client_for(viewer)
    rows = client.get(GRANTS).json()["results"]
    assert [r["id"] for r in rows] == [grant.pk]
    assert client.get(f"{GRANTS}{grant.pk}/").status_code == 200
    assert client.delete(f"{GRANTS}{grant.pk}/").status_code == 404
    assert Grant.objects.filter(pk=grant.pk).exists()
    # Its admin may withdraw it.
    assert client_for(world.admin).delete(f"{GRANTS}{grant.pk}/").status_code == 204
    assert not Grant.objects.filter(pk=grant.pk).exists()


def test_browsable_api_does_not_list_accounts(world):
    client = client_for(world.member_user)
    response = client.get(GRANTS, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = response.content.decode()
    assert "admin1" not in html and "nobody" not in html and "sec2" not in html


def test_admin_does_not_see_grants_outside(world):
    GrantFactory(user=UserFactory(), org=world.outside, role="org_admin")
    client = client_for(world.admin)
    assert len(client.get(GRANTS).json()["results"]) == 1
    assert len(client_for(world.superuser).get(GRANTS).json()["results"]) == 2


def test_grant_list_queries_do_not_grow(world):
    client = client_for(world.admin)
    GrantFactory.create_batch(5, org=world.branch, role="org_viewer")
    small = count_queries(client, GRANTS)
    GrantFactory.create_batch(35, org=world.sibling, role="org_viewer")
    assert count_queries(client, GRANTS) == small


# --- /api/me/ and tokens ----------------------------------------------------------------------


def test_me_for_secretary(world):
    body = client_for(world.secretary).get(ME).json()
    assert body["username"] == "sec1"
    assert body["member"]["name"] == "张书记"
    assert body["member"]["id_number"] == world.secretary_member.id_number
    scope = sorted((e["org_name"], e["role"], e["role_display"]) for e in body["scope"])
    assert scope == [("第一党支部", "member", "党员"), ("第一党支部", "secretary", "书记")]
    assert "change" in next(e for e in body["scope"] if e["role"] == "secretary")["actions"]


def test_me_for_admin_outsider_superuser(world):
    body = client_for(world.admin).get(ME).json()
    assert body["member"] is None
    assert [(e["org_id"], e["org_name"], e["role"]) for e in body["scope"]] == [
        (world.committee.pk, "县直机关工委", "org_admin")
    ]
    body = client_for(world.outsider).get(ME).json()
    assert body["member"] is None and body["scope"] == []
    assert client_for(world.superuser).get(ME).json()["is_superuser"] is True


def test_token_authentication_and_bad_token(world):
    token = Token.objects.create(user=world.admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(ME).json()["username"] == "admin1"
    assert names(client.get(ORGS)) == SUBTREE
    # Token requests need no CSRF token for writes.
    data = {"name": "第四党支部", "kind": "branch", "parent": world.committee.pk}
    assert client.post(ORGS, data, format="json").status_code == 201
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get(ME).status_code == 401


def test_session_writes_need_csrf(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.admin)
    data = {"name": "第五党支部", "kind": "branch", "parent": world.committee.pk}
    assert client.post(ORGS, data, format="json").status_code == 403
    assert not Organization.objects.filter(name="第五党支部").exists()


def test_create_token_command(world):
    out = StringIO()
    call_command("create_token", "admin1", stdout=out)
    key = out.getvalue().strip()
    assert Token.objects.get(user=world.admin).key == key
    out = StringIO()
    call_command("create_token", "13800000001", stdout=out)  # by phone
    assert Token.objects.get(user=world.secretary).key == out.getvalue().strip()
    out = StringIO()
    call_command("create_token", "admin1", stdout=out)
    assert out.getvalue().strip() == key
    out = StringIO()
    call_command("create_token", "admin1", "--reset", stdout=out)
    assert out.getvalue().strip() != key
    with pytest.raises(CommandError, match="没有"):
        call_command("create_token", "ghost")
    world.outsider.is_active = False
    world.outsider.save()
    with pytest.raises(CommandError, match="停用"):
        call_command("create_token", "nobody")


def test_drf_create_token_works_with_our_user(world):
    out = StringIO()
    call_command("drf_create_token", "sec1", stdout=out)
    assert Token.objects.get(user=world.secretary).key in out.getvalue()


def test_kind_filter_uses_shared_filterset(world):
    from zhibu.orgs.api.views import OrganizationViewSet
    from zhibu.orgs.filtersets import OrganizationFilterSet

    assert OrganizationViewSet.filterset_class is OrganizationFilterSet
    assert OrgKind.PARTY_GROUP in dict(OrganizationFilterSet.base_filters["kind"].extra["choices"])
