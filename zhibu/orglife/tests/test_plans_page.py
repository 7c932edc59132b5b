"""The plans page: annual and monthly plans with scheduled vs held meetings per month."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhibu.orglife import services
from zhibu.orglife.models import Plan

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def page(org, **params) -> str:
    url = reverse("orglife:plans", args=[org.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def schedule(world, start: datetime, **extra):
    return services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="party_day",
        topic="学习党章",
        planned_start=start,
        planned_end=start + timedelta(hours=3),
        late_entry_reason="补录" if start < NOW else "",
        **extra,
    )


# who -> (GET, may write)
MATRIX = {
    "outsider": (404, False),
    "member_user": (200, False),
    "secretary": (200, True),
    "sibling_secretary": (404, False),
    "admin": (200, True),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_permission_matrix(client, world, who):
    status, writes = MATRIX[who]
    client.force_login(getattr(world, who))
    response = client.get(page(world.branch))
    assert response.status_code == status
    if status == 200:
        assert (response.context["form"] is not None) == writes
    response = client.post(page(world.branch), {"year": "2026", "month": "4", "content": "党课"})
    assert response.status_code == (302 if writes else 404)
    assert Plan.objects.exists() == writes


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(page(world.branch))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_plans_and_planned_vs_held(client, world):
    services.plan_save(actor=world.secretary, org=world.branch, year=2026, content="全年计划")
    services.plan_save(actor=world.secretary, org=world.branch, year=2026, month=3, content="三月")
    held = schedule(world, datetime(2026, 3, 2, 14, 0, tzinfo=SH))
    services.meeting_record(
        actor=world.secretary,
        meeting=held,
        actual_start=held.planned_start,
        actual_end=held.planned_end,
        minutes="学习了党章",
    )
    schedule(world, datetime(2026, 3, 20, 14, 0, tzinfo=SH))
    cancelled = schedule(world, datetime(2026, 3, 25, 14, 0, tzinfo=SH))
    services.meeting_cancel(actor=world.secretary, meeting=cancelled, reason="改期")
    schedule(world, datetime(2026, 4, 15, 14, 0, tzinfo=SH))
    client.force_login(world.member_user)
    response = client.get(page(world.branch))
    data = response.context["data"]
    assert data["annual"].content == "全年计划"
    march, april = data["months"][2], data["months"][3]
    assert march["plan"].content == "三月" and april["plan"] is None
    assert (march["scheduled"], march["held"]) == (2, 1)
    assert (april["scheduled"], april["held"]) == (1, 0)
    assert data["scheduled"] == 3 and data["held"] == 1
    html = response.content.decode()
    assert "全年计划" in html and "全年已安排 3 次，已召开 1 次" in html
    # another year is empty
    other = client.get(page(world.branch, year=2025)).context["data"]
    assert other["annual"] is None and other["scheduled"] == 0


def test_secretary_writes_and_replaces_a_monthly_plan(client, world):
    client.force_login(world.secretary)
    form = client.get(page(world.branch, month=5)).context["form"]
    assert form.initial == {"month": 5, "content": ""}
    client.post(page(world.branch), {"year": "2026", "month": "5", "content": "五月主题党日"})
    client.post(page(world.branch), {"year": "2026", "month": "5", "content": "五月党课"})
    assert list(Plan.objects.values_list("month", "content")) == [(5, "五月党课")]
    response = client.post(page(world.branch), {"year": "2026", "month": "", "content": " "})
    assert response.status_code == 200 and "content" in response.context["form"].errors
    assert not Plan.objects.filter(month__isnull=True).exists()


def test_year_out_of_range_is_404(client, world):
    client.force_login(world.secretary)
    assert client.get(page(world.branch, year=1800)).status_code == 404


def test_query_count_does_not_grow_with_meetings_and_plans(client, world):
    client.force_login(world.secretary)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page(world.branch)).status_code == 200
        return len(ctx.captured_queries)

    schedule(world, datetime(2026, 3, 20, 14, 0, tzinfo=SH))
    few = count()
    for month in range(4, 13):
        services.plan_save(actor=world.secretary, org=world.branch, year=2026, month=month,
                           content=f"{month}月")  # fmt: skip
        schedule(world, datetime(2026, month, 12, 14, 0, tzinfo=SH))
    assert count() == few
