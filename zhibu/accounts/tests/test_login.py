import pytest
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password

from zhibu.orgs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def authenticate(**credentials):
    """As the login page does it: with the request (the lockout needs its address)."""
    from django.test import RequestFactory

    return django_authenticate(RequestFactory().post("/accounts/login/"), **credentials)


def test_login_by_username_or_phone_including_full_width_digits():
    user = UserFactory(username="zhangsan", phone="13800001111")
    assert authenticate(username="zhangsan", password="pass-1234") == user
    assert authenticate(username="13800001111", password="pass-1234") == user
    assert authenticate(username=" １３８００００１１１１ ", password="pass-1234") == user
    assert authenticate(username="13800001111", password="wrong") is None
    assert authenticate(username="nobody", password="pass-1234") is None


def test_inactive_account_cannot_log_in():
    UserFactory(username="gone", is_active=False)
    assert authenticate(username="gone", password="pass-1234") is None


def test_argon2_hashes_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    encoded = make_password("s3cret-pass")
    assert encoded.startswith(Argon2PasswordHasher.algorithm + "$")
    assert check_password("s3cret-pass", encoded)


def test_login_page_in_chinese_and_wrong_password_message(client):
    UserFactory(username="li", phone="13900002222")
    page = client.get("/accounts/login/").content.decode()
    assert "手机号或用户名" in page
    response = client.post("/accounts/login/", {"username": "13900002222", "password": "x"})
    assert response.status_code == 200
    assert "accounts/login" in response.request["PATH_INFO"]
    ok = client.post("/accounts/login/", {"username": "13900002222", "password": "pass-1234"})
    assert ok.status_code == 302
