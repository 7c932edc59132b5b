"""The grants page: who administers which subtree, granted by whom and when; grant and revoke
through the services; permission matrix and query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhibu.orgs.models import Grant
from zhibu.orgs.tests.factories import GrantFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("orgs:grants")


def test_matrix(client, world):
    assert client.get(URL).status_code == 302
    grant = Grant.objects.get(user=world.admin)
    revoke = reverse("orgs:grant_revoke", args=[grant.pk])
    for user in (world.outsider, world.member_user, world.secretary):
        client.force_login(user)
        assert client.get(URL).status_code == 404
        assert client.post(revoke).status_code == 404
    outside_admin = UserFactory()
    GrantFactory(user=outside_admin, org=world.outside.parent, role="org_admin")
    client.force_login(outside_admin)
    assert client.get(URL).status_code == 200
    assert client.post(revoke).status_code == 404  # another committee's grant
    assert Grant.objects.filter(pk=grant.pk).exists()


def test_admin_grants_and_sees_who_granted_it(client, world):
    target = UserFactory(username="viewer1", phone="13600000001")
    client.force_login(world.admin)
    data = {"login": "13600000001", "org": world.branch.pk, "role": "org_viewer"}
    response = client.post(URL, data)
    assert response.status_code == 302
    grant = Grant.objects.get(user=target)
    assert (grant.org, grant.role, grant.granted_by) == (world.branch, "org_viewer", world.admin)
    assert grant.personal_data is False  # unchecked box
    page = client.get(URL)
    assert grant in page.context["grants"]
    assert str(world.admin) in page.content.decode()
    response = client.post(URL, data)  # the same again
    assert response.status_code == 200
    assert "已有“组织查看员”授权" in response.content.decode()
    assert Grant.objects.filter(user=target).count() == 1
    response = client.post(URL, {**data, "login": "nobody-here"})
    assert response.context["form"].errors["login"] == [
        "找不到用户名或手机号为“nobody-here”的账号，请先为其创建账号"
    ]
    response = client.post(URL, {**data, "org": world.outside.pk})  # outside scope: not offered
    assert "org" in response.context["form"].errors
    client.post(reverse("orgs:grant_revoke", args=[grant.pk]))
    assert not Grant.objects.filter(user=target).exists()


def test_query_count_does_not_grow(client, world):
    client.force_login(world.admin)

    def measure() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx)

    small = measure()
    for _ in range(15):
        GrantFactory(
            user=UserFactory(), org=world.sibling, role="org_viewer", granted_by=world.admin
        )
    assert measure() == small


def test_api_shows_who_granted(world):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.admin)
    UserFactory(username="viewer2")
    response = client.post(
        "/api/grants/",
        {"user": "viewer2", "org": world.branch.pk, "role": "org_viewer"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["granted_by"] == "admin1"


def test_own_grant_cannot_be_revoked(client, world):
    grant = Grant.objects.get(user=world.admin)
    client.force_login(world.admin)
    response = client.post(reverse("orgs:grant_revoke", args=[grant.pk]), follow=True)
    assert "不能撤销自己的授权，请由上级组织的管理员撤销" in response.content.decode()
    assert Grant.objects.filter(pk=grant.pk).exists()
