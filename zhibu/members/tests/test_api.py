"""The roster API against the permission matrix: who sees which member, masked or not, and
who may write (everyone else gets 404, never 403)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from zhibu.core.text import mask_id_number, mask_phone
from zhibu.members.models import BranchTenure, CommitteePosition, Member
from zhibu.members.tests.factories import MemberFactory, make_id_number
from zhibu.orgs.tests.factories import GrantFactory, UserFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/api/members/"
POSITIONS = "/api/positions/"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


def new_member(world, **overrides) -> dict:
    data = {
        "name": "周新人",
        "gender": "female",
        "join_date": "2021-07-01",
        "full_member_date": "2022-07-01",
        "branch": world.branch.pk,
        "id_number": make_id_number(902, date(1990, 5, 6)),
        "phone": "13700000009",
    }
    data.update(overrides)
    return data


# --- anonymous and outsider -------------------------------------------------------------------


@pytest.mark.parametrize("url", [MEMBERS, POSITIONS, "/api/me/"])
def test_anonymous_is_refused_with_401(world, url):
    response = client_for().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_anonymous_cannot_write(world):
    assert client_for().post(MEMBERS, new_member(world), format="json").status_code == 401
    assert not Member.objects.filter(name="周新人").exists()


def test_outsider_sees_empty_lists_and_404(world):
    client = client_for(world.outsider)
    assert names(client.get(MEMBERS)) == []
    assert client.get(POSITIONS).json()["results"] == []
    assert client.get(f"{MEMBERS}{world.member.pk}/").status_code == 404
    response = client.patch(f"{MEMBERS}{world.member.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 404
    response = client.post(MEMBERS, new_member(world), format="json")
    assert response.status_code == 404


# --- plain member -----------------------------------------------------------------------------


def test_member_sees_own_branch_with_others_masked_and_self_unmasked(world):
    client = client_for(world.member_user)
    response = client.get(MEMBERS)
    assert names(response) == sorted(["张书记", "李党员", "王党员"])
    rows = {row["name"]: row for row in response.json()["results"]}
    other = world.other_member
    assert rows["王党员"]["id_number"] == mask_id_number(other.id_number)
    assert rows["王党员"]["phone"] == mask_phone(other.phone)
    assert other.id_number not in response.content.decode()
    assert rows["李党员"]["id_number"] == world.member.id_number
    assert rows["李党员"]["phone"] == world.member.phone

    detail = client.get(f"{MEMBERS}{other.pk}/").json()
    assert detail["id_number"] == mask_id_number(other.id_number)
    assert client.get(f"{MEMBERS}{world.sibling_member.pk}/").status_code == 404
    response = client.get(f"{MEMBERS}{world.outside_member.pk}/")
    assert response.status_code == 404
    assert response.json() == client.get(f"{MEMBERS}999999/").json()
    assert response.json()["detail"] == "未找到，或不在您的权限范围内"


def test_member_cannot_write_and_is_answered_404(world):
    client = client_for(world.member_user)
    before = Member.objects.count()
    assert client.post(MEMBERS, new_member(world), format="json").status_code == 404
    url = f"{MEMBERS}{world.other_member.pk}/"
    assert client.patch(url, {"name": "改名"}, format="json").status_code == 404
    own = f"{MEMBERS}{world.member.pk}/"
    assert client.patch(own, {"name": "改名"}, format="json").status_code == 404
    transfer = {"branch": world.branch.pk, "on": "2024-01-01"}
    assert client.post(f"{url}transfer/", transfer, format="json").status_code == 404
    assert Member.objects.count() == before
    assert not Member.objects.filter(name="改名").exists()


def test_phone_search_does_not_reveal_masked_phones(world):
    client = client_for(world.member_user)
    assert names(client.get(MEMBERS, {"q": world.other_member.phone})) == []
    assert names(client.get(MEMBERS, {"q": world.member.phone})) == ["李党员"]
    assert names(client.get(MEMBERS, {"q": "王"})) == ["王党员"]


# --- secretaries ------------------------------------------------------------------------------


def test_secretary_sees_own_branch_unmasked_and_404_for_sibling(world):
    client = client_for(world.secretary)
    response = client.get(MEMBERS)
    assert names(response) == sorted(["张书记", "李党员", "王党员"])
    rows = {row["name"]: row for row in response.json()["results"]}
    assert rows["王党员"]["id_number"] == world.other_member.id_number
    assert rows["王党员"]["phone"] == world.other_member.phone
    assert client.get(f"{MEMBERS}{world.sibling_member.pk}/").status_code == 404


def test_sibling_secretary_sees_only_sibling_branch(world):
    client = client_for(world.sibling_secretary)
    assert names(client.get(MEMBERS)) == sorted(["赵书记", "钱党员"])
    assert client.get(f"{MEMBERS}{world.other_member.pk}/").status_code == 404
    response = client.patch(f"{MEMBERS}{world.other_member.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 404


def test_secretary_creates_member_in_own_branch_with_tenure(world):
    client = client_for(world.secretary)
    response = client.post(
        MEMBERS, new_member(world, party_group=world.group.pk, since="2022-03-01"), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["branch_name"] == "第一党支部"
    assert body["party_group_name"] == "第一党小组"
    assert body["id_number"] == make_id_number(902, date(1990, 5, 6))  # secretary: unmasked
    member = Member.objects.get(pk=body["id"])
    tenure = BranchTenure.objects.get(member=member)
    assert (tenure.branch_id, tenure.start) == (world.branch.pk, date(2022, 3, 1))


def test_secretary_cannot_create_into_sibling_branch(world):
    client = client_for(world.secretary)
    response = client.post(MEMBERS, new_member(world, branch=world.sibling.pk), format="json")
    assert response.status_code == 404
    assert not Member.objects.filter(name="周新人").exists()


def test_bad_input_gives_chinese_field_errors_and_writes_nothing(world):
    client = client_for(world.secretary)
    bad_id = make_id_number(902, date(1990, 5, 6))[:17] + "0"
    if bad_id == make_id_number(902, date(1990, 5, 6)):
        bad_id = bad_id[:17] + "1"
    response = client.post(MEMBERS, new_member(world, id_number=bad_id), format="json")
    assert response.status_code == 400
    assert "校验位" in response.json()["id_number"][0]

    response = client.post(MEMBERS, new_member(world, branch=world.group.pk), format="json")
    assert response.status_code == 400
    assert "不是党支部" in response.json()["branch"][0]

    response = client.post(
        MEMBERS, new_member(world, id_number=world.other_member.id_number), format="json"
    )
    assert response.status_code == 400
    assert "已登记" in response.json()["id_number"][0]
    assert not Member.objects.filter(name="周新人").exists()


def test_full_width_id_number_is_normalized(world):
    client = client_for(world.secretary)
    id_number = make_id_number(902, date(1988, 1, 2))
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in id_number)
    response = client.post(MEMBERS, new_member(world, id_number=full_width), format="json")
    assert response.status_code == 201, response.content
    assert Member.objects.get(pk=response.json()["id"]).id_number == id_number


def test_secretary_updates_member_and_branch_change_is_refused(world):
    client = client_for(world.secretary)
    url = f"{MEMBERS}{world.other_member.pk}/"
    response = client.patch(url, {"phone": "13711112222", "education": "bachelor"}, format="json")
    assert response.status_code == 200, response.content
    world.other_member.refresh_from_db()
    assert world.other_member.phone == "13711112222"

    response = client.patch(url, {"branch": world.branch.pk, "name": "王同志"}, format="json")
    assert response.status_code == 200
    response = client.patch(url, {"party_group": world.sibling.pk}, format="json")
    assert response.status_code == 404  # an organization outside the secretary's scope


def test_admin_branch_change_through_update_points_to_transfer(world):
    client = client_for(world.admin)
    url = f"{MEMBERS}{world.other_member.pk}/"
    response = client.patch(url, {"branch": world.sibling.pk}, format="json")
    assert response.status_code == 400
    assert "组织关系转接" in response.json()["branch"][0]
    world.other_member.refresh_from_db()
    assert world.other_member.branch_id == world.branch.pk


def test_put_with_masked_values_keeps_personal_data(world):
    """A viewer without personal-data rights can send back what it read without erasing it."""
    user = UserFactory(username="no-personal")
    GrantFactory(user=user, org=world.committee, role="org_admin", personal_data=False)
    client = client_for(user)
    url = f"{MEMBERS}{world.other_member.pk}/"
    body = client.get(url).json()
    assert "*" in body["id_number"]
    body["name"] = "王大同"
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.content
    world.other_member.refresh_from_db()
    assert world.other_member.name == "王大同"
    assert "*" not in world.other_member.id_number
    assert "*" not in world.other_member.phone


# --- subtree admin and superuser --------------------------------------------------------------


def test_admin_sees_whole_subtree_and_nothing_outside(world):
    client = client_for(world.admin)
    assert names(client.get(MEMBERS)) == sorted(["张书记", "李党员", "王党员", "赵书记", "钱党员"])
    assert client.get(f"{MEMBERS}{world.outside_member.pk}/").status_code == 404
    assert names(client.get(MEMBERS, {"org": world.sibling.pk})) == sorted(["赵书记", "钱党员"])
    assert names(client.get(MEMBERS, {"org": world.outside.pk})) == []
    assert names(client.get(MEMBERS, {"branch": world.branch.pk, "q": "李"})) == ["李党员"]


def test_admin_creates_in_sub_branch_but_not_outside(world):
    client = client_for(world.admin)
    response = client.post(MEMBERS, new_member(world, branch=world.sibling.pk), format="json")
    assert response.status_code == 201, response.content
    response = client.post(
        MEMBERS,
        new_member(world, branch=world.outside.pk, id_number=make_id_number(903)),
        format="json",
    )
    assert response.status_code == 404
    assert "不存在或不在您的权限范围内" in response.json()["detail"]
    assert Member.objects.filter(name="周新人").count() == 1


def test_admin_transfers_member_keeping_history(world):
    client = client_for(world.admin)
    url = f"{MEMBERS}{world.other_member.pk}/transfer/"
    response = client.post(url, {"branch": world.sibling.pk, "on": "2024-05-01"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["branch"] == world.sibling.pk
    tenures = list(BranchTenure.objects.filter(member=world.other_member).order_by("start"))
    assert [(t.branch_id, t.end) for t in tenures] == [
        (world.branch.pk, date(2024, 4, 30)),
        (world.sibling.pk, None),
    ]
    response = client.post(url, {"branch": world.branch.pk, "on": "2024-05-01"}, format="json")
    assert response.status_code == 400
    assert "on" in response.json()
    response = client.post(url, {"branch": world.outside.pk, "on": "2025-01-01"}, format="json")
    assert response.status_code == 404


def test_secretary_cannot_transfer_into_sibling_branch(world):
    client = client_for(world.secretary)
    url = f"{MEMBERS}{world.other_member.pk}/transfer/"
    response = client.post(url, {"branch": world.sibling.pk, "on": "2024-05-01"}, format="json")
    assert response.status_code == 404
    world.other_member.refresh_from_db()
    assert world.other_member.branch_id == world.branch.pk


def test_superuser_sees_everyone(world):
    client = client_for(world.superuser)
    assert len(names(client.get(MEMBERS))) == 6
    body = client.get(f"{MEMBERS}{world.outside_member.pk}/").json()
    assert body["id_number"] == world.outside_member.id_number


def test_token_authentication(world):
    token = Token.objects.create(user=world.secretary)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert names(client.get(MEMBERS)) == sorted(["张书记", "李党员", "王党员"])
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(MEMBERS).status_code == 401


# --- query counts -----------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["admin", "member_user", "secretary"])
def test_member_list_queries_do_not_grow_with_rows(world, who):
    user = getattr(world, who)
    client = client_for(user)
    MemberFactory.create_batch(2, branch=world.branch, party_group=world.group)
    # Measured once the day's unmasked views are in the audit log (a fixed 3 more queries
    # on the first read of the day, tested in audit/tests).
    client.get(MEMBERS)
    small = count_queries(client, MEMBERS)
    assert len(client.get(MEMBERS).json()["results"]) >= 5
    MemberFactory.create_batch(35, branch=world.branch, party_group=world.group)
    assert len(client.get(MEMBERS).json()["results"]) >= 40
    assert count_queries(client, MEMBERS) == small


def test_position_list_queries_do_not_grow_with_rows(world):
    client = client_for(world.admin)
    for member in MemberFactory.create_batch(5, branch=world.branch):
        CommitteePosition.objects.create(
            member=member, org=world.branch, role="committee_member", start=date(2021, 1, 1)
        )
    small = count_queries(client, POSITIONS)
    for member in MemberFactory.create_batch(35, branch=world.branch):
        CommitteePosition.objects.create(
            member=member, org=world.branch, role="committee_member", start=date(2021, 1, 1)
        )
    assert count_queries(client, POSITIONS) == small


# --- committee positions ----------------------------------------------------------------------


def position_names(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.content
    return sorted((row["member_name"], row["role"]) for row in response.json()["results"])


def test_positions_listed_by_org_within_scope(world):
    secretary = [("张书记", "secretary")]
    assert position_names(client_for(world.member_user).get(POSITIONS)) == secretary
    assert position_names(client_for(world.secretary).get(POSITIONS)) == secretary
    admin = client_for(world.admin)
    assert len(position_names(admin.get(POSITIONS))) == 2
    assert position_names(admin.get(POSITIONS, {"org": world.sibling.pk})) == [
        ("赵书记", "secretary")
    ]
    sibling = client_for(world.sibling_secretary)
    assert position_names(sibling.get(POSITIONS)) == [("赵书记", "secretary")]
    mine = CommitteePosition.objects.get(member=world.secretary_member)
    assert sibling.get(f"{POSITIONS}{mine.pk}/").status_code == 404


@pytest.mark.parametrize("now", [date(2025, 3, 1)])
def test_secretary_assigns_and_ends_a_position(world, now):
    import time_machine

    with time_machine.travel(now, tick=False):
        client = client_for(world.secretary)
        response = client.post(
            POSITIONS,
            {
                "member": world.other_member.pk,
                "org": world.branch.pk,
                "role": "org_member",
                "start": "2025-01-01",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["is_current"] is True
        assert body["role_display"] == "组织委员"
        url = f"{POSITIONS}{body['id']}/end/"
        response = client.post(url, {"end": "2024-12-31"}, format="json")
        assert response.status_code == 400
        assert "不能早于" in response.json()["end"][0]
        response = client.post(url, {"end": "2025-02-28"}, format="json")
        assert response.status_code == 200
        assert response.json()["is_current"] is False
        assert response.json()["end"] == "2025-02-28"
        current = client.get(POSITIONS, {"current": "true"})
        assert position_names(current) == [("张书记", "secretary")]


def test_position_writes_refused_out_of_scope(world):
    data = {
        "member": world.other_member.pk,
        "org": world.branch.pk,
        "role": "org_member",
        "start": "2025-01-01",
    }
    assert client_for(world.member_user).post(POSITIONS, data, format="json").status_code == 404
    sibling = client_for(world.sibling_secretary)
    assert sibling.post(POSITIONS, data, format="json").status_code == 404
    mine = CommitteePosition.objects.get(member=world.secretary_member)
    url = f"{POSITIONS}{mine.pk}/end/"
    assert client_for(world.member_user).post(url, {"end": "2025-01-01"}).status_code == 404
    assert sibling.post(url, {"end": "2025-01-01"}).status_code == 404
    mine.refresh_from_db()
    assert mine.end is None
    assert CommitteePosition.objects.count() == 2


def test_position_rules_are_400_with_field_keys(world):
    client = client_for(world.admin)
    data = {
        "member": world.sibling_member.pk,
        "org": world.branch.pk,
        "role": "org_member",
        "start": "2025-01-01",
    }
    response = client.post(POSITIONS, data, format="json")
    assert response.status_code == 400
    assert "不能在此任职" in response.json()["member"][0]
    data.update(member=world.other_member.pk, role="party_group_leader")
    response = client.post(POSITIONS, data, format="json")
    assert response.status_code == 400
    assert "党小组长" in response.json()["role"][0]


def test_admin_ends_a_membership_keeping_history(world):
    client = client_for(world.admin)
    url = f"{MEMBERS}{world.other_member.pk}/end/"
    response = client.post(url, {"on": "2024-05-01", "reason": "death"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    tenure = BranchTenure.objects.get(member=world.other_member)
    assert (tenure.end, tenure.note) == (date(2024, 4, 30), "去世")
    response = client.post(url, {"on": "2024-06-01", "reason": "death"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"member": ["王党员已不在册"]}


def test_end_of_membership_needs_a_known_reason_and_change_rights(world):
    url = f"{MEMBERS}{world.other_member.pk}/end/"
    response = client_for(world.admin).post(
        url, {"on": "2024-05-01", "reason": "resigned"}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()
    for user in (world.member_user, world.sibling_secretary):
        response = client_for(user).post(url, {"on": "2024-05-01", "reason": "death"})
        assert response.status_code == 404
    world.other_member.refresh_from_db()
    assert world.other_member.is_active is True


# --- no ID-number oracle -----------------------------------------------------------------------


def test_no_id_number_oracle_for_those_who_may_not_add_or_edit(world):
    """Whether a number is registered (here: in another county) is not told to a plain member:
    the permission is checked before the uniqueness of the ID number."""
    taken = world.outside_member.id_number
    client = client_for(world.member_user)
    for data in (new_member(world, id_number=taken), new_member(world, id_number=taken, branch="")):
        response = client.post(MEMBERS, data, format="json")
        assert response.status_code == 404, response.content
        assert "身份证号" not in response.content.decode()
    own = f"{MEMBERS}{world.member.pk}/"
    for method in (client.patch, client.put):
        response = method(own, {**new_member(world), "id_number": taken}, format="json")
        assert response.status_code == 404, response.content
        assert "身份证号" not in response.content.decode()
    world.member.refresh_from_db()
    assert world.member.id_number != taken


def test_secretary_into_a_branch_out_of_reach_learns_nothing_either(world):
    client = client_for(world.secretary)
    data = new_member(world, id_number=world.outside_member.id_number, branch=world.sibling.pk)
    response = client.post(MEMBERS, data, format="json")
    assert response.status_code == 404 and "身份证号" not in response.content.decode()
    huge = new_member(world, branch="9" * 30)
    assert client.post(MEMBERS, huge, format="json").status_code in (400, 404)


def test_secretary_still_hears_about_a_duplicate_in_own_branch(world):
    client = client_for(world.secretary)
    data = new_member(world, id_number=world.other_member.id_number)
    response = client.post(MEMBERS, data, format="json")
    assert response.status_code == 400
    assert "已登记在花名册中" in response.json()["id_number"][0]


def test_transfer_before_a_committee_post_began_is_a_400_not_a_500(world):
    """A transfer dated on or before the start of a post in the old branch broke the CHECK
    constraint (the post would end before it began)."""
    client = client_for(world.admin)
    position = CommitteePosition.objects.get(member=world.secretary_member, role="secretary")
    on = position.start.isoformat()
    url = f"{MEMBERS}{world.secretary_member.pk}/transfer/"
    response = client.post(url, {"branch": world.sibling.pk, "on": on}, format="json")
    assert response.status_code == 400, response.content
    assert "职务的开始日期" in response.json()["on"][0]
    world.secretary_member.refresh_from_db()
    assert world.secretary_member.branch_id == world.branch.pk


HUGE = "9" * 25


@pytest.mark.parametrize(
    "url",
    [
        f"{MEMBERS}?branch={HUGE}",
        f"{MEMBERS}?party_group={HUGE}",
        f"{MEMBERS}?org={HUGE}",
        f"{POSITIONS}?org={HUGE}",
        f"{POSITIONS}?member={HUGE}",
        f"{POSITIONS}?member=-{HUGE}",
        f"{POSITIONS}?member=1.5",
        "/api/meetings/?year=99999999999",
        f"/api/meetings/?org={HUGE}",
        f"/api/attendance/?member={HUGE}",
        f"/api/grants/?user={HUGE}",
        f"/members/?branch={HUGE}",
        f"/orgs/?parent={HUGE}",
    ],
)
def test_huge_or_odd_integers_in_filters_never_give_a_server_error(world, url):
    client = client_for(world.admin)
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)
