"""SSRF: a secretary cannot make the worker POST to internal addresses, and stored delivery
errors never carry what an arbitrary host answered."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from zhibu.notify.models import Delivery, WebhookEndpoint
from zhibu.notify.outbound import OutboundRefused, check_destination
from zhibu.notify.services import deliver_due, webhook_save
from zhibu.notify.tests.conftest import Hooks
from zhibu.notify.tests.test_delivery import org_notice

pytestmark = pytest.mark.django_db

INTERNAL = [
    "http://127.0.0.1:6379/",
    "http://localhost:5432/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/admin",
    "http://192.168.1.1/",
    "http://[::1]:8000/",
    "https://evil.example.com/hook",
    "gopher://qyapi.weixin.qq.com/",
    "https://user:pw@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
]


def _endpoint(world, url: str) -> WebhookEndpoint:
    return WebhookEndpoint(org=world.branch, channel="wecom", name="机器人", url=url)


@pytest.mark.parametrize("url", INTERNAL)
def test_a_secretary_cannot_save_an_internal_or_foreign_address(world, url):
    with pytest.raises(ValidationError) as exc:
        webhook_save(actor=world.secretary, endpoint=_endpoint(world, url))
    assert "url" in exc.value.message_dict
    assert not WebhookEndpoint.objects.exists()


def test_the_vendors_documented_hosts_are_accepted(world):
    for url in (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        "https://oapi.dingtalk.com/robot/send?access_token=abc",
        "https://open.feishu.cn/open-apis/bot/v2/hook/abc",
    ):
        webhook_save(actor=world.secretary, endpoint=_endpoint(world, url))
    assert WebhookEndpoint.objects.count() == 3


def test_the_page_says_why_the_address_is_refused(world, client):
    client.force_login(world.secretary)
    data = {"org": world.branch.pk, "channel": "wecom", "name": "x", "url": INTERNAL[0]}
    html = client.post("/inbox/webhooks/", data).content.decode()
    assert "不支持向 127.0.0.1 推送" in html and not WebhookEndpoint.objects.exists()


def test_a_wildcard_never_opens_internal_addresses(settings, monkeypatch):
    settings.ZHIBU_WEBHOOK_HOSTS = ["*.corp.example", "relay.corp.example"]

    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(OutboundRefused, match="内部网络地址"):
        check_destination("https://hooks.corp.example/x")
    check_destination("https://relay.corp.example/x")  # listed exactly: an operator's relay


def test_an_old_endpoint_to_an_internal_address_is_never_contacted(world):
    """Stored before the allowlist (or by hand): the worker refuses at send time."""
    hooks = Hooks()  # nothing listens there, and nothing must be tried
    WebhookEndpoint.objects.create(
        org=world.branch, channel="wecom", name="旧", url=f"{hooks.url}/x"
    )
    org_notice(world.branch, None)
    deliver_due()
    error = Delivery.objects.get().last_error
    assert error.startswith("地址不允许") and "Connection refused" not in error


def test_redirects_are_not_followed(world, hooks):
    target = Hooks()
    hooks.mode, hooks.redirect_to = "redirect", f"{target.url}/internal"
    WebhookEndpoint.objects.create(
        org=world.branch, channel="wecom", name="跳转", url=f"{hooks.url}/x"
    )
    org_notice(world.branch, None)
    deliver_due()
    assert Delivery.objects.get().last_error == "HTTP 302"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"redis_version:7.0.15\r\nrole:master SECRET-BANNER", "响应不是 JSON"),
        (b'{"errcode": 93000, "errmsg": "SECRET-BANNER"}', "机器人返回错误码 93000"),
        (b'["SECRET-BANNER"]', "响应不是 JSON 对象"),
    ],
)
def test_stored_errors_never_carry_the_raw_answer(world, hooks, body, expected, client):
    hooks.mode, hooks.body = "body", body
    WebhookEndpoint.objects.create(
        org=world.branch, channel="wecom", name="答复", url=f"{hooks.url}/x"
    )
    org_notice(world.branch, None)
    deliver_due()
    error = Delivery.objects.get().last_error
    assert expected in error and "SECRET" not in error and "redis" not in error
