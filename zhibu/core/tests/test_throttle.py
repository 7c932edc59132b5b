"""The API is rate limited per account and per anonymous address (DRF throttles)."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from zhibu.orgs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_defaults_are_configured(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates == {"anon": "60/min", "user": "600/min"}


def test_an_account_is_throttled_then_answered_429(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "5/min", "anon": "3/min"})
    client = APIClient()
    client.force_login(UserFactory(username="busy"))
    codes = [client.get("/api/me/").status_code for _ in range(8)]
    assert codes == [200] * 5 + [429] * 3
    other = APIClient()
    other.force_login(UserFactory(username="calm"))
    assert other.get("/api/me/").status_code == 200  # per account, not for everyone
