"""API parity for the tree changes: rename, dissolve, history; same services as the pages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from zhibu.members.models import Member
from zhibu.orgs.models import Organization, OrgEvent

pytestmark = pytest.mark.django_db

ORGS = "/api/organizations/"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def client_for(world, who):
    client = APIClient()
    if who != "anonymous":
        client.force_login(getattr(world, who))
    return client


# who -> (rename the branch, dissolve the branch with a transfer, read its history)
MATRIX = {
    "anonymous": (403, 403, 403),
    "outsider": (404, 404, 404),
    "member_user": (404, 404, 200),
    "secretary": (200, 404, 200),
    "sibling_secretary": (404, 404, 404),
    "admin": (200, 200, 200),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_permission_matrix(world, who):
    rename, dissolve, history = MATRIX[who]
    client = client_for(world, who)
    url = f"{ORGS}{world.branch.pk}/"
    response = client.patch(url, {"name": "新名称"}, format="json")
    assert response.status_code in (rename, 401), response.content
    data = {"transfer_to": world.sibling.pk}
    response = client.post(f"{url}dissolve/", data, format="json")
    assert response.status_code in (dissolve, 401), response.content
    assert client.get(f"{url}history/").status_code in (history, 401)
    world.branch.refresh_from_db()
    assert world.branch.is_active == (dissolve != 200)


def test_rename_through_the_api_is_kept_in_history(world):
    client = client_for(world, "secretary")
    url = f"{ORGS}{world.branch.pk}/"
    response = client.patch(url, {"name": "机关第一党支部", "fixed_party_day": 8}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "机关第一党支部"
    assert response.json()["fixed_party_day"] == 8
    history = client.get(f"{url}history/").json()
    assert [e["kind_display"] for e in history[:2]] == ["修改信息", "更名"]
    assert history[1]["changes"] == {"name": ["第一党支部", "机关第一党支部"]}
    assert history[1]["actor"] == str(world.secretary)


def test_bad_input_is_400_with_the_page_messages(world):
    client = client_for(world, "admin")
    url = f"{ORGS}{world.branch.pk}/"
    response = client.patch(url, {"name": "第二党支部"}, format="json")
    assert response.status_code == 400
    assert response.json()["name"] == ["“县直机关工委”下已有名为“第二党支部”的组织，请换一个名称"]
    response = client.post(f"{url}dissolve/", {}, format="json")
    assert response.status_code == 400
    assert "还有 3 名在册党员" in response.json()["transfer_to"][0]
    response = client.post(
        f"{ORGS}{world.committee.pk}/move/", {"parent": world.group.pk}, format="json"
    )
    assert response.status_code == 400
    assert "下级组织" in response.json()["parent"][0]
    assert Organization.objects.get(pk=world.branch.pk).is_active
    assert Member.objects.filter(branch=world.branch, is_active=True).count() == 3


def test_dissolve_with_transfer(world):
    client = client_for(world, "admin")
    data = {"transfer_to": world.sibling.pk, "note": "机构改革"}
    response = client.post(f"{ORGS}{world.branch.pk}/dissolve/", data, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["dissolved_on"] == "2026-03-10"
    assert Member.objects.filter(branch=world.sibling, is_active=True).count() == 5
    assert OrgEvent.objects.filter(org=world.branch, kind="dissolved").exists()
    # a destination outside the account's scope does not exist for it
    other = client.post(
        f"{ORGS}{world.sibling.pk}/dissolve/", {"transfer_to": world.outside.pk}, format="json"
    )
    assert other.status_code == 404
