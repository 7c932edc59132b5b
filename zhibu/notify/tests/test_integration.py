"""The page that triggers a notice never talks to a chat robot; the worker does, and retries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from zhibu.notify.models import Delivery, DeliveryStatus, WebhookEndpoint
from zhibu.notify.planners import run_planners
from zhibu.notify.services import deliver_due
from zhibu.orglife.services import meeting_schedule

pytestmark = pytest.mark.django_db


def test_down_webhook_never_delays_the_page_and_is_retried(world, hooks, settings, client):
    hooks.mode = "error"
    WebhookEndpoint.objects.create(
        org=world.branch, channel="dingtalk", name="支部群", url=f"{hooks.url}/robot", secret="s"
    )
    start = timezone.now() + timedelta(days=5)
    meeting = meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="party_day",
        topic="重温入党誓词",
        planned_start=start,
        planned_end=start + timedelta(hours=3),
        place="党员活动室",
    )
    client.force_login(world.secretary)
    response = client.post(reverse("orglife:meeting_notify", args=[meeting.pk]))
    assert response.status_code == 302
    assert hooks.requests == []  # the web request sent nothing anywhere
    run_planners()
    assert deliver_due() == 0
    assert len(hooks.requests) == 1  # the worker tried once, the robot answered 500
    delivery = Delivery.objects.get(channel="dingtalk")
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()
    # the members see the notice in their inbox, whatever the robot does
    client.force_login(world.member_user)
    assert "重温入党誓词" in client.get("/inbox/").content.decode()
