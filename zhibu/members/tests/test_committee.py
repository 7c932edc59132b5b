"""The committee page: posts with dates, term elections, history; permission matrix,
bad inputs and query counts."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhibu.members import services
from zhibu.members.models import CommitteePosition, Election
from zhibu.members.tests.factories import MemberFactory
from zhibu.orgs import parameters
from zhibu.orgs.permissions import Action, can, forget_scope

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def page(org) -> str:
    return reverse("members:committee", args=[org.pk])


WHO = ["outsider", "member_user", "secretary", "sibling_secretary", "admin"]
# who -> (GET the branch's page, may change it)
MATRIX = {
    "outsider": (404, False),
    "member_user": (200, False),
    "secretary": (200, True),
    "sibling_secretary": (404, False),
    "admin": (200, True),
}


@pytest.mark.parametrize("who", WHO)
def test_permission_matrix(client, world, who):
    status, changes = MATRIX[who]
    client.force_login(getattr(world, who))
    response = client.get(page(world.branch))
    assert response.status_code == status
    if status == 200:
        assert (response.context["assign_form"] is not None) == changes
    data = {"member": world.other_member.pk, "role": "org_member", "start": "2026-03-01"}
    response = client.post(reverse("members:position-assign", args=[world.branch.pk]), data)
    assert response.status_code == (302 if changes else 404)
    response = client.post(
        reverse("members:election", args=[world.branch.pk]),
        {"held_on": "2026-01-05", "term_years": "3"},
    )
    assert response.status_code == (302 if changes else 404)
    assert Election.objects.exists() == changes


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(page(world.branch))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_assign_and_end_a_post_give_and_take_rights(client, world):
    client.force_login(world.admin)
    world.member_user.refresh_from_db()
    data = {"member": world.member.pk, "role": "org_member", "start": "2026-03-01"}
    response = client.post(reverse("members:position-assign", args=[world.branch.pk]), data)
    assert response.status_code == 302
    post = CommitteePosition.objects.get(member=world.member, role="org_member")
    forget_scope(world.member_user)
    assert can(world.member_user, Action.CHANGE, world.branch)
    url = reverse("members:position-end", args=[world.branch.pk, post.pk])
    assert client.post(url, {"end": "2026-03-09"}).status_code == 302
    post.refresh_from_db()
    assert post.end == date(2026, 3, 9)
    forget_scope(world.member_user)
    assert not can(world.member_user, Action.CHANGE, world.branch)
    # history keeps the ended post, after the current ones
    rows = client.get(page(world.branch)).context["positions"]
    assert [(p.member.name, p.role) for p in rows] == [
        ("张书记", "secretary"),
        ("李党员", "org_member"),
    ]


def test_a_second_secretary_is_refused_until_the_first_leaves(client, world):
    client.force_login(world.admin)
    data = {"member": world.other_member.pk, "role": "secretary", "start": "2026-03-01"}
    url = reverse("members:position-assign", args=[world.branch.pk])
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.context["assign_form"].errors["role"] == [
        "“第一党支部”的书记现由张书记担任（2020-01-01 起），请先为其填写离任日期，再任命新的书记"
    ]
    assert not CommitteePosition.objects.filter(member=world.other_member).exists()
    post = CommitteePosition.objects.get(member=world.secretary_member)
    services.position_end(actor=world.admin, position=post, end=date(2026, 2, 28))
    assert client.post(url, data).status_code == 302


def test_end_before_start_and_twice(world):
    post = CommitteePosition.objects.get(member=world.secretary_member)
    with pytest.raises(ValidationError) as refused:
        services.position_end(actor=world.admin, position=post, end=date(2019, 12, 31))
    assert refused.value.message_dict["end"] == ["离任日期不能早于任职日期 2020-01-01"]
    services.position_end(actor=world.admin, position=post, end=date(2026, 1, 1))
    with pytest.raises(ValidationError) as refused:
        services.position_end(actor=world.admin, position=post, end=date(2026, 2, 1))
    assert refused.value.message_dict["end"] == ["该职务已于 2026-01-01 离任"]


def test_a_member_of_another_branch_cannot_be_appointed(world):
    with pytest.raises(ValidationError) as refused:
        services.position_assign(
            actor=world.admin,
            member=world.sibling_member,
            org=world.branch,
            role="org_member",
            start=date(2026, 3, 1),
        )
    assert refused.value.message_dict["member"] == ["钱党员不在“第一党支部”，不能在此任职"]


def test_election_term_uses_the_parameter_and_the_page_warns(client, world):
    assert parameters.default("term_years") == 3
    election = services.election_record(
        actor=world.admin, org=world.branch, held_on=date(2023, 4, 1)
    )
    assert election.term_years == 3
    assert election.term_ends_on == date(2026, 3, 31)
    client.force_login(world.secretary)
    response = client.get(page(world.branch))
    assert response.context["term"]["state"] == "ending"
    assert response.context["term"]["days_left"] == 21
    assert "距任期届满还有 21 天" in response.content.decode()
    with time_machine.travel(datetime(2026, 4, 3, 9, tzinfo=ZoneInfo("Asia/Shanghai"))):
        client.force_login(world.secretary)  # a new session: the old one has expired
        html = client.get(page(world.branch)).content.decode()
    assert "任期已届满 3 天" in html


def test_election_bad_input(world):
    with pytest.raises(ValidationError) as refused:
        services.election_record(actor=world.admin, org=world.branch, held_on=date(2026, 3, 11))
    assert refused.value.message_dict["held_on"] == ["日期不能晚于今天"]
    with pytest.raises(ValidationError) as refused:
        services.election_record(
            actor=world.admin, org=world.branch, held_on=date(2026, 1, 1), term_years=8
        )
    assert refused.value.message_dict["term_years"] == ["任期应为 3 到 5 年"]
    with pytest.raises(ValidationError):
        services.election_record(actor=world.admin, org=world.group, held_on=date(2026, 1, 1))
    assert not Election.objects.exists()


def test_committee_page_query_count_does_not_grow(client, world):
    client.force_login(world.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page(world.branch)).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    roles = ["deputy_secretary", "org_member", "propaganda_member", "discipline_member"]
    for i, role in enumerate(roles * 3):
        m = MemberFactory(branch=world.branch)
        services.position_assign(member=m, org=world.branch, role=role, start=date(2021, 1, 1 + i))
    for year in (2014, 2017, 2020, 2023):
        services.election_record(org=world.branch, held_on=date(year, 5, 1))
    assert count() == few
