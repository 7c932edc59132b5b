"""Password guessing is stopped (the probe: 30 wrong passwords, then the right one logged in)."""

import pytest
from axes.models import AccessAttempt

from zhibu.orgs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(response) -> bool:
    return response.status_code == 302


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client):
    UserFactory(username="zhangsan", phone="13800001111")
    codes = [attempt(client, "zhangsan", f"guess-{i}").status_code for i in range(30)]
    assert codes[:4] == [200] * 4  # the login page again, "wrong password"
    assert set(codes[4:]) == {429}  # the 5th failure locks
    response = attempt(client, "zhangsan", "pass-1234")
    assert response.status_code == 429 and not logged_in(response)
    body = response.content.decode()
    assert "登录已暂停" in body and "30 分钟后再试" in body and "解除锁定" in body
    # Another address does not help: the account itself is locked.
    assert attempt(client, "zhangsan", "pass-1234", ip="10.9.9.9").status_code == 429


def test_username_and_phone_are_one_account(client):
    UserFactory(username="lisi", phone="13800002222")
    for i in range(3):
        attempt(client, "lisi", f"x{i}")
    for i in range(2):
        attempt(client, "１３８００００２２２２", f"y{i}")  # full-width, as phones are typed
    assert attempt(client, "lisi", "pass-1234").status_code == 429


def test_one_address_guessing_many_accounts_is_stopped_but_an_office_is_not(client, settings):
    UserFactory(username="wangwu")
    limit = settings.ZHIBU_LOGIN_ADDRESS_LIMIT
    for i in range(limit - 1):  # an office: many people, one typo each
        attempt(client, f"user{i}", "typo", ip="10.1.1.1")
    assert logged_in(attempt(client, "wangwu", "pass-1234", ip="10.1.1.1"))
    client.logout()
    attempt(client, "someone-else", "typo", ip="10.1.1.1")  # the address limit is reached
    assert attempt(client, "wangwu", "pass-1234", ip="10.1.1.1").status_code == 429
    assert logged_in(attempt(client, "wangwu", "pass-1234", ip="10.2.2.2"))


def test_success_resets_and_an_administrator_unlocks(client):
    user = UserFactory(username="zhaoliu")
    for i in range(4):
        attempt(client, "zhaoliu", f"x{i}")
    assert logged_in(attempt(client, "zhaoliu", "pass-1234"))  # 4 < 5: still fine, and reset
    client.logout()
    for i in range(5):
        attempt(client, "zhaoliu", f"x{i}")
    assert attempt(client, "zhaoliu", "pass-1234").status_code == 429
    admin = UserFactory(username="root-unlock", is_superuser=True, is_staff=True)
    client.force_login(admin)
    rows = AccessAttempt.objects.filter(username=user.username)
    assert rows.exists()
    changelist = client.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200 and "zhaoliu" in changelist.content.decode()
    for pk in list(rows.values_list("pk", flat=True)):  # 删除 = 解除锁定
        response = client.post(f"/admin/axes/accessattempt/{pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
    assert not rows.exists()
    client.logout()
    assert logged_in(attempt(client, "zhaoliu", "pass-1234"))
