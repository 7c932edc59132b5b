"""The Django admin for support work: registered, searchable, translated, superuser only,
and no API tokens in it."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhibu.notify.models import Delivery, Notice, WebhookEndpoint
from zhibu.orgs.models import OrgEvent
from zhibu.orgs.tests.factories import GrantFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = [
    "accounts.user",
    "orgs.organization",
    "orgs.grant",
    "orgs.orgevent",
    "notify.webhookendpoint",
    "notify.delivery",
]


def changelist(label: str) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_changelist")


def test_registered_models_and_no_tokens():
    labels = {m._meta.label_lower for m in admin.site._registry}
    assert set(MODELS) <= labels
    assert "authtoken.tokenproxy" not in labels and "authtoken.token" not in labels


@pytest.mark.parametrize("label", MODELS)
def test_superuser_searches_every_list(client, world, label):
    client.force_login(world.superuser)
    response = client.get(changelist(label), {"q": "第一"})
    assert response.status_code == 200
    assert response.context["cl"].search_fields  # searchable


@pytest.mark.parametrize("who", ["admin", "secretary", "outsider"])
def test_others_are_sent_to_the_admin_login(client, world, who):
    client.force_login(getattr(world, who))
    response = client.get(changelist("orgs.organization"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_is_translated(client, world):
    client.force_login(world.superuser)
    html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for name in ("zhibu 系统管理", "账号", "党组织", "授权", "组织变更记录", "群机器人", "投递"):
        assert name in html
    client.post(reverse("set_language"), {"language": "en"})
    html = client.get(reverse("admin:index")).content.decode()
    assert "Party organization" in html and "Grant" in html and "党组织" not in html


def test_searching_grants_by_phone(client, world):
    client.force_login(world.superuser)
    GrantFactory(user=world.secretary, org=world.sibling, role="org_viewer")
    response = client.get(changelist("orgs.grant"), {"q": world.secretary.phone})
    assert [g.user_id for g in response.context["cl"].result_list] == [world.secretary.pk]


def test_editing_an_organization_goes_through_the_service(client, world):
    client.force_login(world.superuser)
    url = reverse("admin:orgs_organization_change", args=[world.branch.pk])
    data = {"name": "机关第一党支部", "category": "organ", "founded_on": "", "fixed_party_day": "9"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.branch.refresh_from_db()
    assert world.branch.name == "机关第一党支部"
    event = OrgEvent.objects.get(org=world.branch, kind="renamed")
    assert event.actor == world.superuser and event.note == "系统管理后台"


def _deliveries(org, n):
    now = timezone.now()
    for i in range(n):
        notice = Notice.objects.create(
            key=f"k{org.pk}-{i}", org=org, reason="meeting_notice", title=f"通知{i}",
            body="x", created_at=now,
        )  # fmt: skip
        Delivery.objects.create(notice=notice, channel="email", target=f"a{i}@x.cn",
                                next_attempt_at=now)  # fmt: skip


@pytest.mark.parametrize("label", ["orgs.organization", "orgs.grant", "notify.delivery"])
def test_list_query_count_does_not_grow(client, world, label):
    client.force_login(world.superuser)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(changelist(label)).status_code == 200
        return len(ctx.captured_queries)

    _deliveries(world.branch, 2)
    few = count()
    for i in range(15):
        org = OrganizationFactory(name=f"支部{i}", parent=world.committee)
        GrantFactory(user=UserFactory(), org=org, role="org_viewer")
        WebhookEndpoint.objects.create(org=org, channel="wecom", name="群", url="https://x.cn/h")
    _deliveries(world.sibling, 15)
    assert count() == few
