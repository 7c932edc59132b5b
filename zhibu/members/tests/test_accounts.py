"""Login accounts from the roster: bulk creation, slips, the forced first change, resets in
scope (404 outside), deactivation on leaving; the status page; permission matrix and queries."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from zhibu.accounts.models import User
from zhibu.members.account_services import (
    PASSWORD_ALPHABET,
    account_password_reset,
    accounts_create,
)
from zhibu.members.models import Member
from zhibu.members.tests.factories import MemberFactory
from zhibu.orgs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = reverse("members:accounts")
SLIPS = reverse("members:account-slips")


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(datetime(2026, 5, 1, 10, 0).astimezone(), tick=False):
        yield


def test_secretary_creates_the_branch_accounts_and_slips(world):
    batch = accounts_create(actor=world.secretary, org=world.branch)
    # 张书记 and 李党员 already have accounts; 王党员 gets one.
    assert [(s.name, s.branch, s.username) for s in batch.slips] == [
        ("王党员", "第一党支部", world.other_member.phone)
    ]
    slip = batch.slips[0]
    assert len(slip.password) == 8 and set(slip.password) <= set(PASSWORD_ALPHABET)
    world.other_member.refresh_from_db()
    user = world.other_member.user
    assert user.username == user.phone == world.other_member.phone
    assert user.must_change_password and user.check_password(slip.password)
    assert accounts_create(actor=world.secretary, org=world.branch).slips == []  # idempotent


def test_admin_creates_a_subtree_and_members_without_phone_are_listed(world):
    MemberFactory(name="无电话", branch=world.sibling, phone="")
    batch = accounts_create(actor=world.admin, org=world.committee)
    assert sorted(s.name for s in batch.slips) == ["王党员", "钱党员"]
    assert batch.skipped == [("无电话", "没有手机号")]


def test_phone_already_used_refuses_the_whole_batch(world):
    UserFactory(username="someone", phone=world.sibling_member.phone)
    users = User.objects.count()
    with pytest.raises(ValidationError) as caught:
        accounts_create(actor=world.admin, org=world.committee)
    assert caught.value.message_dict["org"] == [
        f"钱党员的手机号 {world.sibling_member.phone} 已被其他账号使用，"
        "请先核对该党员的手机号（可能录错或与他人重复），未创建任何账号"
    ]
    assert User.objects.count() == users
    assert not Member.objects.filter(pk=world.other_member.pk, user__isnull=False).exists()


def test_two_members_with_one_phone_refuse_the_batch(world):
    MemberFactory(name="同号", branch=world.branch, phone=world.other_member.phone)
    with pytest.raises(ValidationError) as caught:
        accounts_create(actor=world.secretary, org=world.branch)
    assert "同号和王党员的手机号都是" in caught.value.messages[0]  # in name order


def test_out_of_scope_is_404(world):
    from django.http import Http404

    with pytest.raises(Http404):
        accounts_create(actor=world.sibling_secretary, org=world.branch)
    with pytest.raises(Http404):
        account_password_reset(actor=world.sibling_secretary, member=world.member)
    with pytest.raises(Http404):
        account_password_reset(actor=world.member_user, member=world.secretary_member)


def test_reset_gives_a_new_one_time_password(world):
    slip = account_password_reset(actor=world.secretary, member=world.member)
    world.member_user.refresh_from_db()
    assert world.member_user.must_change_password
    assert world.member_user.check_password(slip.password)
    with pytest.raises(ValidationError) as caught:
        account_password_reset(actor=world.secretary, member=world.other_member)
    assert caught.value.messages == ["王党员还没有登录账号，请先为其创建账号"]


def test_accounts_page_matrix(client, world):
    assert client.get(ACCOUNTS).status_code == 302
    for user in (world.outsider, world.member_user):
        client.force_login(user)
        assert client.get(ACCOUNTS).status_code == 404
        assert client.get(SLIPS).status_code == 404
        url = reverse("members:account-reset", args=[world.member.pk])
        assert client.post(url).status_code == 404
    client.force_login(world.sibling_secretary)
    assert client.get(ACCOUNTS, {"org": world.branch.pk}).status_code == 404
    assert client.post(reverse("members:account-reset", args=[world.member.pk])).status_code == 404
    client.force_login(world.secretary)
    page = client.get(ACCOUNTS, {"org": world.branch.pk})
    assert page.status_code == 200
    assert [m.name for m in page.context["rows"]] == ["张书记", "李党员", "王党员"]
    assert page.context["missing"] == 1


def test_accounts_page_query_count_does_not_grow(client, world):
    client.force_login(world.admin)

    def measure() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(ACCOUNTS, {"org": world.committee.pk}).status_code == 200
        return len(ctx)

    small = measure()
    for _ in range(20):
        MemberFactory(branch=world.sibling, user=UserFactory())
    assert measure() == small


def test_bulk_creation_query_count_does_not_grow(world):
    accounts_create(actor=world.admin, org=world.sibling)  # 钱党员 first

    def measure(n: int) -> int:
        for _ in range(n):
            MemberFactory(branch=world.sibling)
        actor = User.objects.get(pk=world.admin.pk)
        with CaptureQueriesContext(connection) as ctx:
            assert len(accounts_create(actor=actor, org=world.sibling).slips) == n
        return len(ctx)

    assert measure(3) == measure(30)


def test_create_through_the_page_then_slips_and_excel(client, world):
    client.force_login(world.secretary)
    response = client.post(ACCOUNTS, {"org": world.branch.pk})
    assert response.status_code == 302 and response["Location"] == SLIPS
    page = client.get(SLIPS)
    slips = page.context["slips"]
    assert [s["name"] for s in slips] == ["王党员"]
    assert slips[0]["password"] in page.content.decode()
    xlsx = client.get(reverse("members:account-slips-xlsx"))
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in ws[2]][:4] == [
        "王党员",
        "第一党支部",
        slips[0]["username"],
        slips[0]["password"],
    ]
    client.post(SLIPS)  # handed out: the passwords are gone
    assert client.get(SLIPS).context["slips"] == []
    assert client.get(reverse("members:account-slips-xlsx")).status_code == 404


def test_page_shows_a_conflict_and_writes_nothing(client, world):
    UserFactory(username="x", phone=world.other_member.phone)
    client.force_login(world.secretary)
    response = client.post(ACCOUNTS, {"org": world.branch.pk}, follow=True)
    text = response.content.decode()
    assert "已被其他账号使用" in text
    world.other_member.refresh_from_db()
    assert world.other_member.user is None


def test_first_login_forces_a_password_change(client, world):
    batch = accounts_create(actor=world.secretary, org=world.branch)
    slip = batch.slips[0]
    response = client.post(
        reverse("accounts:login"), {"username": slip.username, "password": slip.password}
    )
    assert response.status_code == 302
    change = reverse("accounts:password_change")
    for url in (reverse("core:home"), reverse("members:list")):
        assert client.get(url)["Location"] == change
    assert client.get("/api/me/").status_code in (401, 403)
    partial = client.get(reverse("members:list"), HTTP_HX_REQUEST="true")
    assert partial.status_code == 204  # an htmx partial is not redirected into itself
    assert "您正在使用初始密码" in client.get(change).content.decode()
    response = client.post(
        change,
        {
            "old_password": slip.password,
            "new_password1": "Hongqi-2026-piao",
            "new_password2": "Hongqi-2026-piao",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username=slip.username)
    assert not user.must_change_password and user.check_password("Hongqi-2026-piao")
    assert client.get(reverse("core:home")).status_code == 200  # still logged in


def test_user_changes_own_password_wrong_old_is_refused(client, world):
    client.force_login(world.member_user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "wrong",
            "new_password1": "Abc-12345-xyz",
            "new_password2": "Abc-12345-xyz",
        },
    )
    assert response.status_code == 200 and "old_password" in response.context["form"].errors


def test_member_leaving_deactivates_the_account(client, world):
    client.force_login(world.secretary)
    url = reverse("members:status", args=[world.member.pk])
    response = client.post(
        url, {"action": "end", "end-reason": "death", "end-on": "2026-04-20", "end-note": ""}
    )
    assert response.status_code == 302
    world.member.refresh_from_db()
    assert (world.member.is_active, world.member.end_reason) == (False, "death")
    assert world.member.ended_on == date(2026, 4, 20)
    world.member_user.refresh_from_db()
    assert not world.member_user.is_active
    page = client.get(url)
    assert "去世" in page.content.decode()


def test_status_page_matrix_and_conversion(client, world):
    url = reverse("members:status", args=[world.member.pk])
    assert client.get(url).status_code == 302
    for user in (world.outsider, world.member_user, world.sibling_secretary):
        client.force_login(user)
        assert client.get(url).status_code == 404
    probationary = MemberFactory(
        name="预备甲", branch=world.branch, status="probationary_member", join_date=date(2025, 6, 1)
    )
    client.force_login(world.secretary)
    status = reverse("members:status", args=[probationary.pk])
    response = client.post(status, {"action": "convert", "convert-on": "2025-05-01"})
    assert response.status_code == 200
    assert response.context["convert_form"].errors["on"] == ["转正日期不能早于入党日期 2025-06-01"]
    response = client.post(status, {"action": "convert", "convert-on": "2026-06-01"})
    assert response.context["convert_form"].errors["on"] == ["转正日期不能晚于今天"]
    assert client.post(status, {"action": "convert", "convert-on": "2026-04-30"}).status_code == 302
    probationary.refresh_from_db()
    assert (probationary.status, probationary.full_member_date) == (
        "full_member",
        date(2026, 4, 30),
    )
    response = client.post(status, {"action": "end", "end-reason": "", "end-on": "2026-04-30"})
    assert "reason" in response.context["end_form"].errors


def test_api_parity(world):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.sibling_secretary)
    assert client.post(f"/api/members/{world.member.pk}/password-reset/").status_code == 404
    response = client.post("/api/members/accounts/", {"org": world.branch.pk}, format="json")
    assert response.status_code == 404  # outside the account's scope
    client.force_authenticate(world.secretary)
    response = client.post("/api/members/accounts/", {"org": world.branch.pk}, format="json")
    assert response.status_code == 201, response.content
    assert [s["name"] for s in response.json()["slips"]] == ["王党员"]
    response = client.post(f"/api/members/{world.member.pk}/password-reset/")
    assert response.status_code == 200
    world.member_user.refresh_from_db()
    assert world.member_user.check_password(response.json()["password"])
    probationary = MemberFactory(
        branch=world.branch, status="probationary_member", join_date=date(2025, 6, 1)
    )
    response = client.post(
        f"/api/members/{probationary.pk}/convert/", {"on": "2026-04-30"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "full_member"
    response = client.post(
        f"/api/members/{world.other_member.pk}/end/",
        {"on": "2026-04-30", "reason": "transferred_out"},
        format="json",
    )
    assert response.json()["end_reason"] == "transferred_out"
    world.other_member.refresh_from_db()
    assert not world.other_member.user.is_active
