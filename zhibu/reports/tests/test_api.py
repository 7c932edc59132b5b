import pytest
from rest_framework.test import APIClient

from zhibu.reports.models import ThoughtReport

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_member_writes_secretary_reviews_member_sees_comment(world):
    created = api(world.member_user).post(
        "/api/thought-reports/",
        {"title": "思想汇报", "body": "内容", "submit": True},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "submitted"
    assert api(world.sibling_secretary).get(f"/api/thought-reports/{pk}/").status_code == 404
    assert api(world.admin).get(f"/api/thought-reports/{pk}/").status_code == 404
    assert api().get(f"/api/thought-reports/{pk}/").status_code in (401, 403)
    bad = api(world.secretary).post(
        f"/api/thought-reports/{pk}/review/", {"comment": " "}, format="json"
    )
    assert bad.status_code == 400
    ok = api(world.secretary).post(
        f"/api/thought-reports/{pk}/review/", {"comment": "很好"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["comment"] == "很好"
    mine = api(world.member_user).get("/api/thought-reports/").json()
    assert mine["results"][0]["comment"] == "很好"
    edit = api(world.member_user).put(
        f"/api/thought-reports/{pk}/", {"title": "x", "body": "改"}, format="json"
    )
    assert edit.status_code == 400 and "补充说明" in str(edit.json())
    amend = api(world.member_user).post(
        f"/api/thought-reports/{pk}/amend/", {"body": "补充", "reason": "遗漏"}, format="json"
    )
    assert amend.status_code == 201
    assert ThoughtReport.objects.get().amendments.count() == 1


def test_vote_through_api_once(world):
    from zhibu.reports.services import review_open

    review = review_open(actor=world.secretary, org=world.branch, year=2026)
    url = f"/api/reviews/{review.pk}/vote/"
    body = {"subject": world.other_member.pk, "grade": "qualified"}
    assert api(world.member_user).post(url, body, format="json").status_code == 201
    again = api(world.member_user).post(url, body, format="json")
    assert again.status_code == 400 and "只能评一次" in str(again.json())
    assert api(world.sibling_secretary).post(url, body, format="json").status_code == 404
