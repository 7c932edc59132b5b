"""The Django admin reads Chinese under zh-hans: app names, model names, field labels, lists."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from zhibu.notify.models import Delivery, Notice, WebhookEndpoint
from zhibu.orgs.services import org_update
from zhibu.orgs.tests.factories import GrantFactory, UserFactory

pytestmark = pytest.mark.django_db


class _Text(HTMLParser):
    """Visible text of a page (no scripts, styles or attribute values)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def english_words(text: str) -> set[str]:
    return set(re.findall(r"\b[A-Za-z][a-z]{2,}(?: [a-z]{2,})*\b", text))


def _rows(world) -> None:
    """One row of every model the admin lists, so change forms can be opened too."""
    now = timezone.now()
    AccessAttempt.objects.create(
        username="13900000000", ip_address="10.0.0.1", user_agent="手机", attempt_time=now,
        get_data="", post_data="", http_accept="*/*", path_info="/",
        failures_since_start=3,
    )  # fmt: skip
    AccessLog.objects.create(
        username="13900000000", ip_address="10.0.0.1", user_agent="手机", attempt_time=now,
        http_accept="*/*", path_info="/",
    )  # fmt: skip
    AccessFailureLog.objects.create(
        username="13900000000", ip_address="10.0.0.1", user_agent="手机", attempt_time=now,
        http_accept="*/*", path_info="/", locked_out=True,
    )  # fmt: skip
    WebhookEndpoint.objects.create(
        org=world.branch, channel="wecom", name="群", url="https://x.cn/h"
    )
    notice = Notice.objects.create(
        key="k", org=world.branch, reason="meeting_notice", title="通知", body="x", created_at=now
    )
    Delivery.objects.create(notice=notice, channel="email", target="a@x.cn", next_attempt_at=now)
    GrantFactory(user=UserFactory(), org=world.branch, role="org_viewer")
    org_update(actor=world.superuser, org=world.branch, name="机关第一党支部")


# Words that are data, not labels: the product name, usernames of the test world.
# "Webhook" is the robots' platforms' own word (Webhook 地址); axes stores "<unknown>" for
# a missing user agent.
NOT_LABELS = {"zhibu", "root", "nobody", "Webhook", "https", "unknown"}


def test_admin_pages_are_in_chinese(client, world):
    _rows(world)
    client.force_login(world.superuser)
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        row = model.objects.order_by("pk").first()
        assert row is not None, opts.label
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
    found = {}
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        words = english_words(visible_text(response.content.decode())) - NOT_LABELS
        if words:
            found[url] = sorted(words)
    assert found == {}, "\n".join(f"{u}: {w}" for u, w in found.items())
