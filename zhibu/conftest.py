"""Fixtures shared by every app's tests.

`world` is the permission-matrix fixture: a 工委 with two branches, people in every role.
"""

import os
import shutil
from dataclasses import dataclass
from datetime import date

import pytest

from zhibu.accounts.models import User
from zhibu.members.models import Member
from zhibu.members.services import position_assign
from zhibu.members.tests.factories import MemberFactory
from zhibu.orgs.models import Organization, OrgKind
from zhibu.orgs.tests.factories import GrantFactory, OrganizationFactory, UserFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_configure(config):
    from django.conf import settings

    # Argon2 is deliberately slow; tests that check hashing ask for it explicitly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests move the clock by hours and days with a client logged in; the idle timeout has its
    # own test (core/tests/test_settings.py).
    settings.SESSION_COOKIE_AGE = 60 * 60 * 24 * 365


@dataclass
class World:
    committee: Organization  # 县直机关工委
    branch: Organization  # 第一党支部
    group: Organization  # its 党小组
    sibling: Organization  # 第二党支部
    outside: Organization  # another 工委, outside everyone's scope but the superuser
    admin: User  # org_admin of the 工委
    secretary: User  # secretary of branch
    member_user: User  # plain member of branch
    sibling_secretary: User
    outsider: User  # account without any member or grant
    superuser: User
    secretary_member: Member
    member: Member
    other_member: Member  # plain member of branch, no account
    sibling_member: Member
    outside_member: Member


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle and lockout counters live in the cache: each test starts without any."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def world(db) -> World:
    committee = OrganizationFactory(name="县直机关工委", kind=OrgKind.ORGANS_WORK_COMMITTEE)
    branch = OrganizationFactory(name="第一党支部", parent=committee)
    group = OrganizationFactory(name="第一党小组", kind=OrgKind.PARTY_GROUP, parent=branch)
    sibling = OrganizationFactory(name="第二党支部", parent=committee)
    other_committee = OrganizationFactory(name="外县工委", kind=OrgKind.ORGANS_WORK_COMMITTEE)
    outside = OrganizationFactory(name="外县党支部", parent=other_committee)

    admin = UserFactory(username="admin1")
    GrantFactory(user=admin, org=committee, role="org_admin")
    secretary = UserFactory(username="sec1", phone="13800000001")
    member_user = UserFactory(username="mem1", phone="13800000002")
    sibling_secretary = UserFactory(username="sec2")
    outsider = UserFactory(username="nobody")
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)

    secretary_member = MemberFactory(name="张书记", branch=branch, user=secretary)
    member = MemberFactory(name="李党员", branch=branch, party_group=group, user=member_user)
    other_member = MemberFactory(name="王党员", branch=branch)
    sibling_sec_member = MemberFactory(name="赵书记", branch=sibling, user=sibling_secretary)
    sibling_member = MemberFactory(name="钱党员", branch=sibling)
    outside_member = MemberFactory(name="孙党员", branch=outside)
    position_assign(member=secretary_member, org=branch, role="secretary", start=date(2020, 1, 1))
    position_assign(
        member=sibling_sec_member, org=sibling, role="secretary", start=date(2020, 1, 1)
    )
    return World(
        committee=committee,
        branch=branch,
        group=group,
        sibling=sibling,
        outside=outside,
        admin=admin,
        secretary=secretary,
        member_user=member_user,
        sibling_secretary=sibling_secretary,
        outsider=outsider,
        superuser=superuser,
        secretary_member=secretary_member,
        member=member,
        other_member=other_member,
        sibling_member=sibling_member,
        outside_member=outside_member,
    )


def _browser_required() -> bool:
    return os.environ.get("ZHIBU_REQUIRE_BROWSER", "") not in ("", "0")


@pytest.fixture(scope="session")
def chromium():
    """A headless Debian chromium driven by Playwright.

    Skips with a reason when chromium is not installed, unless ZHIBU_REQUIRE_BROWSER is set
    (CI sets it), in which case a missing browser fails the test.
    """
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        if _browser_required():
            pytest.fail(f"ZHIBU_REQUIRE_BROWSER is set but no chromium at {CHROMIUM}")
        pytest.skip(f"no chromium at {CHROMIUM}: apt-get install chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright runs an event loop in this thread; Django's ORM calls in the test body are
    # still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def page_for(chromium, live_server):
    """page_for(user, phone=False) -> a logged-in Playwright page at the live server."""
    contexts = []

    def make(user: User | None = None, *, phone: bool = False, password: str = "pass-1234"):
        context = chromium.new_context(locale="zh-CN", **(PHONE if phone else {}))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if user is not None:
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", user.phone or user.username)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
        return page

    yield make
    for context in contexts:
        context.close()
