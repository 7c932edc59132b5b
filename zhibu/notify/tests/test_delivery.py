"""Delivery over real servers on loopback: SMTP, and WeCom/DingTalk/Feishu-style webhooks."""

import base64
import hashlib
import hmac
import urllib.parse
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from zhibu.notify.models import Delivery, DeliveryStatus, Notice, WebhookEndpoint
from zhibu.notify.services import Draft, deliver_due, notice_key, notices_publish

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()


def publish_to_user(user, n=1, reason="makeup_due"):
    drafts = [
        Draft(
            notice_key(f"u{user.pk}", reason, f"test:{i}"),
            user.member.branch_id,
            reason,
            f"测试提醒 {i}",
            "请按时完成补课。",
            "/orglife/my/",
            recipient_id=user.pk,
        )
        for i in range(n)
    ]
    return notices_publish(drafts)


def test_email_is_sent_once_over_smtp_with_a_stable_message_id(world, smtp):
    world.member_user.email = "li@example.org"
    world.member_user.save()
    publish_to_user(world.member_user, n=2)
    assert deliver_due() == 2
    assert deliver_due() == 0  # nothing twice
    assert len(smtp.messages) == 2
    message = smtp.messages[0]
    assert message["To"] == "li@example.org"
    assert "测试提醒" in str(message["Subject"]) or "=?utf-8?" in message["Subject"]
    ids = {d.pk: f"<zhibu-delivery-{d.pk}@zhibu>" for d in Delivery.objects.all()}
    assert set(smtp.message_ids) == set(ids.values())
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 2


def test_quiet_hours_hold_email_until_morning(world, smtp, settings):
    settings.ZHIBU_QUIET_START, settings.ZHIBU_QUIET_END = 22, 7
    world.member_user.email = "li@example.org"
    world.member_user.save()
    with time_machine.travel(datetime(2026, 10, 20, 23, 0, tzinfo=TZ), tick=False):
        publish_to_user(world.member_user)
        assert deliver_due() == 0
    with time_machine.travel(datetime(2026, 10, 21, 6, 59, tzinfo=TZ), tick=False):
        assert deliver_due() == 0
    with time_machine.travel(datetime(2026, 10, 21, 7, 0, tzinfo=TZ), tick=False):
        assert deliver_due() == 1
    assert len(smtp.messages) == 1


def org_notice(org, channel_endpoint):
    return notices_publish(
        [
            Draft(
                notice_key(f"o{org.pk}", "silent_branch", f"org:{org.pk}", "W1"),
                org.pk,
                "silent_branch",
                "第一党支部：超过 30 天未开展组织生活",
                "请尽快安排主题党日。",
                "/compliance/",
            )
        ]
    )


def test_dingtalk_post_is_signed(world, hooks, settings):
    secret = "SECtest123"
    WebhookEndpoint.objects.create(
        org=world.branch,
        channel="dingtalk",
        name="支部群",
        url=f"{hooks.url}/robot/send?access_token=abc",
        secret=secret,
    )
    org_notice(world.branch, None)
    assert deliver_due() == 1
    request = hooks.requests[0]
    query = urllib.parse.parse_qs(urllib.parse.urlparse(request["path"]).query)
    timestamp, sign = query["timestamp"][0], query["sign"][0]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert sign == expected
    assert query["access_token"] == ["abc"]
    assert request["body"]["msgtype"] == "markdown"
    assert "超过 30 天" in request["body"]["markdown"]["title"]


def test_wecom_and_feishu_formats(world, hooks, settings):
    WebhookEndpoint.objects.create(
        org=world.branch, channel="wecom", name="企微", url=f"{hooks.url}/wecom"
    )
    WebhookEndpoint.objects.create(
        org=world.branch, channel="feishu", name="飞书", url=f"{hooks.url}/feishu", secret="fs"
    )
    org_notice(world.branch, None)
    assert deliver_due() == 2
    bodies = {r["path"]: r["body"] for r in hooks.requests}
    assert bodies["/wecom"]["msgtype"] == "markdown"
    assert "超过 30 天" in bodies["/wecom"]["markdown"]["content"]
    feishu = bodies["/feishu"]
    assert feishu["msg_type"] == "text" and "sign" in feishu and "timestamp" in feishu
    expected = base64.b64encode(
        hmac.new(f"{feishu['timestamp']}\nfs".encode(), b"", hashlib.sha256).digest()
    ).decode()
    assert feishu["sign"] == expected


def test_down_webhook_backs_off_then_shows_as_failed(world, hooks, settings, client):
    settings.ZHIBU_DELIVERY_MAX_ATTEMPTS = 3
    hooks.mode = "error"
    WebhookEndpoint.objects.create(
        org=world.branch, channel="wecom", name="企微", url=f"{hooks.url}/x"
    )
    org_notice(world.branch, None)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert deliver_due() == 0
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at == start + timedelta(minutes=1)
    assert "HTTP 500" in delivery.last_error
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        deliver_due()
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == start + timedelta(minutes=1) + timedelta(minutes=2)
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3
    # the failure is visible to the subtree's administrator, who can retry it
    client.force_login(world.admin)
    page = client.get("/inbox/failed/")
    assert "HTTP 500" in page.content.decode()
    hooks.mode = "ok"
    client.post(f"/inbox/failed/{delivery.pk}/retry/")
    assert deliver_due() == 1
    # and not to a secretary of a sibling branch
    client.force_login(world.sibling_secretary)
    assert "HTTP 500" not in client.get("/inbox/failed/").content.decode()


def test_slow_webhook_times_out_in_the_worker(world, hooks, settings):
    settings.ZHIBU_WEBHOOK_TIMEOUT = 1
    hooks.mode = "slow"
    WebhookEndpoint.objects.create(
        org=world.branch, channel="wecom", name="企微", url=f"{hooks.url}/x"
    )
    org_notice(world.branch, None)
    deliver_due()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "无法连接" in delivery.last_error or "timed out" in delivery.last_error


def test_inbox_is_private_and_marks_read(world, client):
    publish_to_user(world.member_user, n=2)
    client.force_login(world.member_user)
    badge = client.get("/inbox/badge/").content.decode()
    assert 'data-testid="unread-count">2<' in badge
    assert client.get("/inbox/").content.decode().count('data-testid="notice"') == 2
    client.post("/inbox/read/")
    assert Notice.objects.filter(read_at__isnull=True).count() == 0
    client.force_login(world.secretary)
    assert 'data-testid="notice"' not in client.get("/inbox/").content.decode()


def test_anonymous_is_sent_to_login(client):
    for url in ("/inbox/", "/inbox/settings/", "/inbox/failed/", "/inbox/webhooks/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_preferences_page_saves_and_refuses_bad_hours(world, client):
    client.force_login(world.member_user)
    response = client.post("/inbox/settings/", {"quiet_start": "25", "quiet_end": "7"})
    assert "0–23" in response.content.decode()
    client.post(
        "/inbox/settings/", {"quiet_start": "21", "quiet_end": "8", "makeup_due:email": "on"}
    )
    pref = world.member_user.notify_preference
    assert (pref.quiet_start, pref.quiet_end) == (21, 8)
    assert pref.allows("makeup_due", "email") and not pref.allows("meeting_notice", "email")
    # outsiders have no webhook page
    assert client.get("/inbox/webhooks/").status_code == 404
