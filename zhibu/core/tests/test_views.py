"""Home page and menu: what each kind of account sees."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_login_page_is_chinese_and_logs_in_by_phone(client, world):
    page = client.get(reverse("accounts:login"))
    assert "手机号或用户名" in page.content.decode()
    response = client.post(
        reverse("accounts:login"), {"username": "13800000001", "password": "pass-1234"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_wrong_password_shows_error(client, world):
    response = client.post(
        reverse("accounts:login"), {"username": "13800000001", "password": "nope"}
    )
    assert response.status_code == 200
    assert 'data-testid="login-error"' in response.content.decode()


def test_logout_is_a_post_and_returns_to_login(client, world):
    client.force_login(world.member_user)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 302


def test_secretary_sees_branch_and_role(client, world):
    client.force_login(world.secretary)
    html = client.get(reverse("core:home")).content.decode()
    assert "第一党支部" in html
    assert "书记" in html
    assert reverse("members:detail", args=[world.secretary_member.pk]) in html
    # CHANGE somewhere: the roster import entry is in the menu
    assert reverse("members:roster-import") in html
    assert "第二党支部" not in html


def test_plain_member_has_no_import_link(client, world):
    client.force_login(world.member_user)
    html = client.get(reverse("core:home")).content.decode()
    assert "第一党支部" in html
    assert reverse("members:roster-import") not in html
    assert reverse("orgs:tree") in html and reverse("members:list") in html


def test_admin_sees_committee_as_root(client, world):
    client.force_login(world.admin)
    html = client.get(reverse("core:home")).content.decode()
    assert "县直机关工委" in html
    assert "组织管理员" in html
    assert "外县" not in html


def test_outsider_sees_nothing(client, world):
    client.force_login(world.outsider)
    html = client.get(reverse("core:home")).content.decode()
    assert "没有可查看的组织" in html
    assert "第一党支部" not in html
    assert reverse("members:roster-import") not in html


def test_superuser_sees_every_root(client, world):
    client.force_login(world.superuser)
    html = client.get(reverse("core:home")).content.decode()
    assert "县直机关工委" in html and "外县工委" in html


def test_error_pages_are_chinese_with_debug_off(client, world, settings, rf):
    """With DEBUG off people see our own pages, in Chinese, with a way back home."""
    from django.views.defaults import server_error

    settings.DEBUG = False
    client.force_login(world.member_user)
    missing = client.get("/orglife/meetings/999999/")
    assert missing.status_code == 404
    body = missing.content.decode()
    assert "页面不存在" in body and 'href="/"' in body and "Not Found" not in body
    failed = server_error(rf.get("/"))
    assert failed.status_code == 500
    assert "系统出错了" in failed.content.decode() and "Server Error" not in failed.content.decode()


def test_dates_carry_the_year_only_when_it_is_not_the_current_one():
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from zhibu.core.templatetags.zhibu import day, day_time

    sh = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime(2026, 12, 4, 10, tzinfo=sh), tick=False):
        assert day(date(2026, 2, 15)) == "2月15日"
        assert day(date(2025, 2, 15)) == "2025年2月15日"
        # 2026-12-31 16:30 UTC is already 2027 in Shanghai
        assert day_time(datetime(2026, 12, 31, 16, 30, tzinfo=ZoneInfo("UTC"))) == (
            "2027年1月1日 00:30"
        )
        assert day(None) == "" and day_time(None) == ""


def test_partials_vary_on_hx_request_and_a_history_restore_gets_the_full_page(client, world):
    """Back after an htmx search: the cache keys on HX-Request, and htmx's history restore
    (HX-Request and HX-History-Restore-Request both set) is answered with the whole page."""
    client.force_login(world.secretary)
    url = reverse("members:list")
    page = client.get(url, {"q": "李"})
    partial = client.get(url, {"q": "李"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="member-results")
    restore = client.get(
        url,
        {"q": "李"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="member-results",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in page.content.decode() and "<html" not in partial.content.decode()
    assert "<html" in restore.content.decode() and "李党员" in restore.content.decode()
    for response in (page, partial, restore):
        assert "HX-Request" in response["Vary"]


def _todo(html: str) -> str:
    import re

    part = html[html.index('data-testid="todo"') : html.index('<nav class="quick-links"')]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part))


def test_home_is_a_to_do_list_per_role_within_a_query_budget(
    client, world, django_assert_max_num_queries
):
    """The secretary: the coming meeting and what it lacks, leave to approve, reports to read;
    the member: the meeting they are due at with how to take part; the 工委's administrator:
    the counts. Each with a link to where it is done; the same budget with more data."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import time_machine

    from zhibu.orglife import services as orglife
    from zhibu.reports import services as reports

    sh = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime(2026, 3, 10, 8, tzinfo=sh), tick=False):
        start = datetime(2026, 3, 12, 9, tzinfo=sh)
        meeting = orglife.meeting_schedule(
            actor=world.secretary,
            org=world.branch,
            meeting_type="party_day",
            topic="重温入党誓词",
            planned_start=start,
            planned_end=start + timedelta(hours=3, minutes=30),
        )
        orglife.meeting_notify(actor=world.secretary, meeting=meeting)
        orglife.leave_request(actor=world.member_user, meeting=meeting, reason="出差")
        reports.report_save(
            actor=world.member_user, title="思想汇报", body="学习党章。", submit=True
        )
        client.force_login(world.secretary)
        with django_assert_max_num_queries(20):
            html = client.get(reverse("core:home")).content.decode()
        todo = _todo(html)
        assert "1 条请假待审批" in todo and "1 份思想汇报待审阅" in todo
        assert "3月12日 09:00 第一党支部 主题党日：重温入党誓词" in todo and "未填议程" in todo
        assert f'href="/orglife/meetings/{meeting.pk}/"' in html
        assert 'href="/orglife/leave/"' in html and 'href="/reports/"' in html
        for i in range(5):  # more meetings: the same number of queries
            orglife.meeting_schedule(
                actor=world.secretary,
                org=world.branch,
                meeting_type="committee_meeting",
                topic=f"支委会{i}",
                planned_start=start + timedelta(days=1 + i),
                planned_end=start + timedelta(days=1 + i, hours=1),
            )
        with django_assert_max_num_queries(20):
            client.get(reverse("core:home"))

        client.force_login(world.member_user)
        with django_assert_max_num_queries(16):
            todo = _todo(client.get(reverse("core:home")).content.decode())
        assert "主题党日：重温入党誓词" in todo and "请假：待审批" in todo

        client.force_login(world.admin)
        with django_assert_max_num_queries(20):
            html = client.get(reverse("core:home")).content.decode()
        assert "1 条请假待审批" in _todo(html) and "重温入党誓词" not in _todo(html)
        assert 'data-testid="link-reviews"' in html


@pytest.mark.django_db
def test_an_empty_system_tells_the_superuser_where_to_start(client):
    from zhibu.accounts.models import User

    admin = User.objects.create_superuser("root", password="x" * 12)
    client.force_login(admin)
    html = client.get(reverse("core:home")).content.decode()
    assert "没有可查看的组织" in html
    assert f'href="{reverse("orgs:import")}"' in html and "第一步：导入组织架构" in html
