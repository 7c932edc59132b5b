"""Single sign-on: LDAP against a real OpenLDAP server (Debian's slapd, started here on a
loopback port with a throwaway config), OpenID Connect through the backend's claims. A login
links to the roster by phone or employee number; never a second account; two members refused."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest
from django.urls import reverse

from zhibu.accounts.models import User
from zhibu.members.account_services import SSORefused, sso_link
from zhibu.members.models import Member
from zhibu.members.tests.factories import MemberFactory
from zhibu.orgs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SLAPD = "/usr/sbin/slapd"
SUFFIX = "dc=zhibu,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PW = "root-secret"
PEOPLE = f"ou=people,{SUFFIX}"
LDAP_BACKENDS = [
    "zhibu.members.sso.LinkingLDAPBackend",
    "zhibu.accounts.backends.PhoneOrUsernameBackend",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """A throwaway OpenLDAP server on 127.0.0.1 with three people; yields its URI."""
    if not os.path.exists(SLAPD):
        if os.environ.get("ZHIBU_REQUIRE_LDAP", "") not in ("", "0"):
            pytest.fail(f"ZHIBU_REQUIRE_LDAP is set but there is no {SLAPD}")
        pytest.skip("no slapd: apt-get install slapd ldap-utils to run the LDAP tests")
    ldap = pytest.importorskip("ldap")
    base = tmp_path_factory.mktemp("slapd")
    (base / "db").mkdir()
    conf = base / "slapd.conf"
    conf.write_text(
        "\n".join(
            [
                "include /etc/ldap/schema/core.schema",
                "include /etc/ldap/schema/cosine.schema",
                "include /etc/ldap/schema/inetorgperson.schema",
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                f"pidfile {base / 'slapd.pid'}",
                "database mdb",
                "maxsize 10485760",
                f'suffix "{SUFFIX}"',
                f'rootdn "{ROOT_DN}"',
                f"rootpw {ROOT_PW}",
                f"directory {base / 'db'}",
                "",
            ]
        )
    )
    port = _free_port()
    uri = f"ldap://127.0.0.1:{port}"
    process = subprocess.Popen(
        [SLAPD, "-f", str(conf), "-h", f"{uri}/", "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        conn = None
        for _ in range(100):
            try:
                conn = ldap.initialize(uri)
                conn.simple_bind_s(ROOT_DN, ROOT_PW)
                break
            except ldap.SERVER_DOWN:
                if process.poll() is not None:
                    raise RuntimeError(process.stderr.read().decode()) from None
                time.sleep(0.1)
        assert conn is not None
        conn.add_s(
            SUFFIX,
            [
                ("objectClass", [b"dcObject", b"organization"]),
                ("o", [b"zhibu"]),
                ("dc", [b"zhibu"]),
            ],
        )
        conn.add_s(PEOPLE, [("objectClass", [b"organizationalUnit"]), ("ou", [b"people"])])
        people = {
            "li": ("李党员", "13800000002", None),  # world.member: has an account
            "wang": ("王党员", None, "E-1003"),  # world.other_member: by employee number
            "twin": ("重号", "13911112222", None),  # the phone of two members
            "stranger": ("陌生人", "13100000000", None),
        }
        for uid, (cn, mobile, employee) in people.items():
            attrs = [
                ("objectClass", [b"inetOrgPerson"]),
                ("uid", [uid.encode()]),
                ("cn", [cn.encode()]),
                ("sn", [cn[:1].encode()]),
                ("userPassword", [f"{uid}-ldap-pw".encode()]),
            ]
            if mobile:
                attrs.append(("mobile", [mobile.encode()]))
            if employee:
                attrs.append(("employeeNumber", [employee.encode()]))
            conn.add_s(f"uid={uid},{PEOPLE}", attrs)
        conn.unbind_s()
        yield uri
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def ldap_settings(settings, slapd):
    import ldap
    from django_auth_ldap.config import LDAPSearch

    settings.AUTHENTICATION_BACKENDS = LDAP_BACKENDS
    settings.AUTH_LDAP_SERVER_URI = slapd
    settings.AUTH_LDAP_BIND_DN = ROOT_DN
    settings.AUTH_LDAP_BIND_PASSWORD = ROOT_PW
    settings.AUTH_LDAP_USER_SEARCH = LDAPSearch(PEOPLE, ldap.SCOPE_SUBTREE, "(uid=%(user)s)")
    settings.AUTH_LDAP_ALWAYS_UPDATE_USER = False
    return settings


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_ldap_login_links_to_the_existing_account(client, world, ldap_settings):
    users = User.objects.count()
    response = login(client, "li", "li-ldap-pw")
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == world.member_user.pk
    assert client.session["_auth_user_backend"] == "zhibu.members.sso.LinkingLDAPBackend"
    assert User.objects.count() == users
    assert login(client, "li", "wrong").status_code == 200


def test_ldap_login_by_employee_number_creates_the_one_account(client, world, ldap_settings):
    Member.objects.filter(pk=world.other_member.pk).update(employee_number="E-1003")
    assert login(client, "wang", "wang-ldap-pw").status_code == 302
    world.other_member.refresh_from_db()
    user = world.other_member.user
    assert user is not None and user.username == world.other_member.phone
    assert not user.has_usable_password()
    client.logout()
    assert login(client, "wang", "wang-ldap-pw").status_code == 302  # the same account again
    assert User.objects.filter(member__pk=world.other_member.pk).count() == 1
    assert int(client.session["_auth_user_id"]) == user.pk


def test_ldap_user_matching_two_members_is_refused(client, world, ldap_settings):
    MemberFactory(name="甲", branch=world.branch, phone="13911112222")
    MemberFactory(name="乙", branch=world.sibling, phone="13911112222")
    users = User.objects.count()
    response = login(client, "twin", "twin-ldap-pw")
    assert response.status_code == 200
    error = response.context["form"].non_field_errors()[0]
    assert "同时对应" in error and "甲" in error and "乙" in error
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == users


def test_ldap_stranger_is_refused_and_local_login_still_works(client, world, ldap_settings):
    response = login(client, "stranger", "stranger-ldap-pw")
    assert response.status_code == 200
    assert "找不到对应的党员或账号" in response.context["form"].non_field_errors()[0]
    assert login(client, world.secretary.phone, "pass-1234").status_code == 302  # local


def test_forced_change_does_not_apply_to_sso_sessions(client, world, ldap_settings):
    User.objects.filter(pk=world.member_user.pk).update(must_change_password=True)
    assert login(client, "li", "li-ldap-pw").status_code == 302
    assert client.get(reverse("core:home")).status_code == 200


def test_sso_link_rules(world):
    with pytest.raises(SSORefused, match="没有提供手机号或工号"):
        sso_link()
    admin = UserFactory(username="adm", phone="13300000000")
    assert sso_link(phone="13300000000") == admin  # an account without a roster record
    assert sso_link(phone=world.member.phone) == world.member_user


class _OIDC:
    def __init__(self, request=None):
        from zhibu.members.sso import LinkingOIDCBackend

        self.backend = LinkingOIDCBackend.__new__(LinkingOIDCBackend)
        self.backend.request = request


def test_oidc_claims_link_to_the_roster(world, rf):
    from django.core.exceptions import PermissionDenied

    backend = _OIDC(rf.get("/")).backend
    found = backend.filter_users_by_claims({"phone_number": world.member.phone})
    assert list(found) == [world.member_user]
    MemberFactory(name="甲", branch=world.branch, phone="13911112222")
    MemberFactory(name="乙", branch=world.sibling, phone="13911112222")
    request = rf.get("/")
    backend.request = request
    with pytest.raises(PermissionDenied):
        backend.filter_users_by_claims({"phone_number": "13911112222"})
    assert "同时对应" in request.zhibu_sso_error


def test_sso_environment_is_checked(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import zhibu.settings as module

    monkeypatch.setenv("ZHIBU_LDAP_URI", "ldap://127.0.0.1:1")
    monkeypatch.delenv("ZHIBU_LDAP_USER_BASE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="ZHIBU_LDAP_USER_BASE"):
        importlib.reload(module)
    monkeypatch.setenv("ZHIBU_LDAP_USER_BASE", PEOPLE)
    importlib.reload(module)
    # django-axes stays first (a locked-out login is refused before any directory lookup)
    assert module.AUTHENTICATION_BACKENDS[:2] == [
        "axes.backends.AxesStandaloneBackend",
        "zhibu.members.sso.LinkingLDAPBackend",
    ]
    monkeypatch.delenv("ZHIBU_LDAP_URI")
    monkeypatch.setenv("ZHIBU_OIDC_CLIENT_ID", "zhibu")
    with pytest.raises(ImproperlyConfigured, match="ZHIBU_OIDC_CLIENT_SECRET"):
        importlib.reload(module)
    monkeypatch.delenv("ZHIBU_OIDC_CLIENT_ID")
    importlib.reload(module)
    assert module.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",
        "zhibu.accounts.backends.PhoneOrUsernameBackend",
    ]
