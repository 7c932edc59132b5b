from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse

from zhibu.compliance import selectors
from zhibu.compliance.tests.conftest import (
    NOW,
    SHANGHAI,
    fake_result,
    fake_rule,
    make_obligation,
)
from zhibu.compliance.verdicts import Verdict
from zhibu.orglife.models import Attendance, Makeup, Meeting
from zhibu.orgs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def make_makeup(member, *, due: date, topic: str = "学习党章") -> Makeup:
    start = datetime(2026, 9, 20, 9, 0, tzinfo=SHANGHAI)
    meeting = Meeting.objects.create(
        org=member.branch,
        meeting_type="party_day",
        topic=topic,
        planned_start=start,
        planned_end=start + timedelta(hours=3),
        status="confirmed",
    )
    attendance = Attendance.objects.create(meeting=meeting, member=member, outcome="absent")
    return Makeup.objects.create(attendance=attendance, member=member, due_date=due)


def get(client, user, url):
    if user is not None:
        client.force_login(user)
    return client.get(url)


def test_dashboard_permission_matrix(client, world, now):
    make_obligation(world.branch, status="not_met", pattern="time_squeezed")
    url = reverse("compliance:dashboard", args=[world.committee.pk])
    assert get(client, None, url).status_code == 302  # to login
    for who in ("outsider", "member_user", "secretary", "sibling_secretary"):
        client.logout()
        assert get(client, getattr(world, who), url).status_code == 404, who
    client.logout()
    res = get(client, world.admin, url)
    assert res.status_code == 200
    body = res.content.decode()
    assert "第一党支部" in body and "第二党支部" in body
    assert "外县党支部" not in body
    assert "时间经常被挤占" in body
    assert (
        get(
            client, world.admin, reverse("compliance:dashboard", args=[world.outside.pk])
        ).status_code
        == 404
    )
    client.logout()
    assert get(client, world.superuser, url).status_code == 200


def test_dashboard_shows_evaluation_time_and_table(client, world, now):
    make_obligation(world.branch, status="met")
    make_obligation(world.sibling, status="at_risk", pattern="perfunctory")
    res = get(client, world.admin, reverse("compliance:dashboard", args=[world.committee.pk]))
    body = res.content.decode()
    assert "数据评估于 2026-10-25 10:00" in body
    assert 'class="cell light-yellow"' in body
    assert "vendor/echarts/echarts.min.js" in body
    assert "cdn" not in body.lower()
    assert res.context["table"][0][1][0] == ("达标", "green")


def test_dashboard_bad_period_is_explained_not_500(client, world, now):
    url = reverse("compliance:dashboard", args=[world.committee.pk]) + "?period=2026Q9"
    res = get(client, world.admin, url)
    assert res.status_code == 200
    assert "无法识别的期间" in res.content.decode()
    assert res.context["period"].key == "2026-10"


def test_dashboard_htmx_returns_the_board_only(client, world, now):
    url = reverse("compliance:dashboard", args=[world.committee.pk]) + "?period=2026Q4&by=child"
    client.force_login(world.admin)
    res = client.get(url, HTTP_HX_REQUEST="true")
    assert res.status_code == 200
    body = res.content.decode()
    assert "<html" not in body and 'id="trend-chart"' in body


def test_dashboard_view_query_count_independent_of_branches(
    client, world, now, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.admin)
    url = reverse("compliance:dashboard", args=[world.committee.pk])

    def add(n):
        for i in range(n):
            b = OrganizationFactory(name=f"支部{i}-{n}", parent=world.committee)
            make_obligation(b, status="not_met", pattern="people_missing")
            make_obligation(b, "committee_meeting_monthly", family="meetings")

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(40)
    with django_assert_max_num_queries(len(few)):
        res = client.get(url)
    assert len(res.context["board"].rows) == 44
    assert len(few) <= 12


def test_rule_drilldown(client, world, now):
    make_obligation(
        world.branch,
        "organ_member_report_quarterly",
        family="reports",
        member=world.member,
        period_key="2026-10",
        status="not_met",
    )
    make_obligation(
        world.sibling,
        "organ_member_report_quarterly",
        family="reports",
        member=world.sibling_member,
        period_key="2026-10",
        status="met",
    )
    make_obligation(
        world.outside,
        "organ_member_report_quarterly",
        family="reports",
        member=world.outside_member,
        period_key="2026-10",
    )
    url = reverse("compliance:rule", args=[world.committee.pk, "organ_member_report_quarterly"])
    res = get(client, world.admin, url + "?all=1")
    assert res.status_code == 200
    body = res.content.decode()
    assert "李党员" in body and "钱党员" in body and "孙党员" not in body
    client.logout()
    assert get(client, world.secretary, url).status_code == 404


def _live(world, fake_engine):
    monthly = fake_rule("organ_party_day_monthly", name_zh="党日·专时专用")
    report = fake_rule(
        "organ_member_report_quarterly",
        family="reports",
        subject="member",
        period="quarter",
        name_zh="党员汇报",
    )

    def results(org, period):
        return [
            fake_result(
                monthly,
                org,
                Verdict(
                    "at_risk",
                    "本月已安排 1 个半天（需 2 个）",
                    {"required": 2, "counted": 1, "unit_zh": "半天党日"},
                    "time_squeezed",
                ),
            ),
            fake_result(
                report,
                org,
                Verdict("not_met", "本季度尚未汇报", {"required": 1, "count": 0}),
                member=world.member,
            ),
            fake_result(report, org, Verdict("met", "已汇报 1 次"), member=world.other_member),
        ]

    fake_engine.box["results"] = results


def test_branch_page_is_live_with_next_steps(client, world, now, fake_engine):
    _live(world, fake_engine)
    url = reverse("compliance:branch", args=[world.branch.pk])
    res = get(client, world.secretary, url)
    assert res.status_code == 200
    body = res.content.decode()
    assert "本月还需完成 1 次“半天党日”，剩余 7 天" in body
    assert "支部条例 第十六条" in body  # the rule's source
    assert "实时计算于 2026-10-25 10:00" in body
    assert fake_engine.calls == [(world.branch.pk, "2026-10", NOW)]
    # members listed by rule and name, no ranking; links to each member's page
    assert reverse("compliance:member", args=[world.member.pk]) in body
    # the secretary gets no link to cross-branch views
    assert reverse("compliance:rule", args=[world.branch.pk, "organ_party_day_monthly"]) not in body


def test_branch_page_permission_matrix(client, world, now, fake_engine):
    url = reverse("compliance:branch", args=[world.branch.pk])
    assert get(client, None, url).status_code == 302
    for who in ("outsider", "member_user", "sibling_secretary"):
        client.logout()
        assert get(client, getattr(world, who), url).status_code == 404, who
    client.logout()
    assert get(client, world.admin, url).status_code == 200
    client.logout()
    # a secretary may not evaluate the committee (that compares branches)
    committee = reverse("compliance:branch", args=[world.committee.pk])
    assert get(client, world.secretary, committee).status_code == 404
    client.logout()
    assert get(client, world.secretary, url + "?period=2026Q4").status_code == 200
    assert fake_engine.calls[-1][1] == "2026Q4"


def test_member_page_shows_own_makeups_and_rules(client, world, now, fake_engine):
    _live(world, fake_engine)
    make_makeup(world.member, due=date(2026, 10, 20), topic="过期的补课")
    make_makeup(world.member, due=date(2026, 11, 5), topic="将到期的补课")
    make_makeup(world.other_member, due=date(2026, 11, 5), topic="别人的补课")
    res = get(client, world.member_user, reverse("compliance:mine"))
    assert res.status_code == 200
    body = res.content.decode()
    assert "过期的补课" in body and "已超过补课期限 2026-10-20" in body
    assert "将到期的补课" in body and "剩余 11 天" in body
    assert "别人的补课" not in body
    assert "本季度尚未汇报" in body and "已汇报 1 次" not in body
    assert "党日·专时专用" not in body  # branch rules are not the member's
    assert fake_engine.calls[-1][1] == "2026Q4"


def test_member_page_permission_matrix(client, world, now, fake_engine):
    url = reverse("compliance:member", args=[world.member.pk])
    assert get(client, None, url).status_code == 302
    for who in ("outsider", "sibling_secretary"):
        client.logout()
        assert get(client, getattr(world, who), url).status_code == 404, who
    client.logout()
    other = reverse("compliance:member", args=[world.other_member.pk])
    assert get(client, world.member_user, other).status_code == 404  # not a peer's page
    client.logout()
    assert get(client, world.member_user, url).status_code == 200
    client.logout()
    assert get(client, world.secretary, url).status_code == 200
    client.logout()
    assert get(client, world.admin, url).status_code == 200
    client.logout()
    assert get(client, world.outsider, reverse("compliance:mine")).status_code == 404


def test_index_sends_each_role_to_its_page(client, world, now):
    index = reverse("compliance:index")
    assert get(client, world.admin, index).url == reverse(
        "compliance:dashboard", args=[world.committee.pk]
    )
    client.logout()
    assert get(client, world.secretary, index).url == reverse(
        "compliance:branch", args=[world.branch.pk]
    )
    client.logout()
    assert get(client, world.member_user, index).url == reverse("compliance:mine")
    client.logout()
    assert get(client, world.outsider, index).status_code == 404


def test_menu_entries_follow_permissions(client, world, now, fake_engine):
    from zhibu.compliance.templatetags.compliance_tags import compliance_menu

    assert compliance_menu(world.admin) == {"oversee": True, "branch_id": None, "member": False}
    assert compliance_menu(world.secretary) == {
        "oversee": False,
        "branch_id": world.branch.pk,
        "member": True,
    }
    assert compliance_menu(world.member_user) == {
        "oversee": False,
        "branch_id": None,
        "member": True,
    }
    res = get(client, world.member_user, reverse("compliance:mine"))
    body = res.content.decode()
    assert 'data-testid="menu-compliance-mine"' in body
    assert 'data-testid="menu-compliance-oversee"' not in body


def test_pages_with_the_real_engine(client, world, now):
    """No stand-in: the live branch page, the member page and a refreshed dashboard agree."""
    from zhibu.compliance import services
    from zhibu.core import periods

    start = datetime(2026, 10, 10, 9, 0, tzinfo=SHANGHAI)
    meeting = Meeting.objects.create(
        org=world.branch,
        meeting_type="party_day",
        topic="学习党章",
        planned_start=start,
        planned_end=start + timedelta(hours=3, minutes=30),
        actual_start=start,
        actual_end=start + timedelta(minutes=40),
        status="confirmed",
    )
    Attendance.objects.create(meeting=meeting, member=world.member, outcome="present")
    url = reverse("compliance:branch", args=[world.branch.pk]) + "?all=1"
    res = get(client, world.secretary, url)
    assert res.status_code == 200
    org_items = res.context["org_items"]
    assert org_items, "the engine returned no rules for an organ branch"
    assert all(i.period.kind in ("month", "quarter", "half", "year") for i in org_items)
    assert any(i.next_step for i in org_items)
    assert "剩余" in res.content.decode()

    services.obligations_refresh(org=world.committee, period=periods.parse("2026-10"), now=NOW)
    client.logout()
    page = get(client, world.admin, reverse("compliance:dashboard", args=[world.committee.pk]))
    board = page.context["board"]
    assert board.evaluated_at == NOW
    first = next(r for r in board.rows if r.org_id == world.branch.pk)
    live_party_day = [i.status for i in org_items if i.family == "party_day"]
    assert first.cells["party_day"].total == len(live_party_day)
    client.logout()
    assert get(client, world.member_user, reverse("compliance:mine")).status_code == 200


def test_dashboard_colours_by_severity_and_counts_hints(client, world, now):
    make_obligation(world.branch, status="not_met", severity="low", pattern="content_missing")
    make_obligation(world.sibling, status="not_met", severity="medium")
    make_obligation(world.sibling, "organ_party_day_yearly", period_key="2026", status="open")
    res = get(client, world.admin, reverse("compliance:dashboard", args=[world.committee.pk]))
    body = res.content.decode()
    rows = {row.name: cells for row, cells in res.context["table"]}
    assert rows["第一党支部"][0] == ("达标 · 提示 1", "green")
    assert rows["第二党支部"][0] == ("需关注 0/2", "yellow")
    assert '<td class="cell light-green">达标 · 提示 1</td>' in body
    assert "另有 1 项提示：次要规则未达标或有风险，不影响支部颜色。" in body
    assert '<div class="summary light-open" data-light="open"><strong>0</strong>' in body
    assert '<div class="summary light-yellow" data-light="yellow"><strong>1</strong>' in body
    assert '<span class="dot light-open"></span>进行中' in body  # open has its own colour


def _rule_rows(world):
    """One monthly rule across six branches of the committee, one status each."""
    rows = {}
    for name, key, status, severity in (
        ("甲支部", "2026-10", "met", "high"),
        ("乙支部", "2026-10", "open", "high"),
        ("丙支部", "2026-10", "not_met", "low"),
        ("丁支部", "2026-10", "at_risk", "high"),
        ("戊支部", "2026-09", "at_risk", "high"),  # stored before September ended
        ("己支部", "2026-10", "not_applicable", "high"),
    ):
        org = OrganizationFactory(name=name, parent=world.committee)
        rows[name] = make_obligation(
            org,
            status=status,
            severity=severity,
            period_key=key,
            explanation=f"{name}的说明",
            numbers={"units": 0, "target_units": 2, "pace_gap_units": 4, "scheduled_units": 0},
        )
    return rows


def _names(res):
    return [o.org.name for o in res.context["page"].object_list]


def test_rule_drilldown_lists_exceptions_first_and_hides_met_rows(client, world, now):
    _rule_rows(world)
    url = reverse("compliance:rule", args=[world.committee.pk, "organ_party_day_monthly"])
    res = get(client, world.admin, url + "?period=2026")
    assert _names(res) == ["戊支部", "丁支部", "乙支部", "丙支部"]  # red, yellow, open, hint
    assert [o.shown for o in res.context["page"].object_list] == [
        "not_met",
        "at_risk",
        "open",
        "not_met",
    ]
    body = res.content.decode()
    assert "甲支部" not in body and "己支部" not in body
    assert "已隐藏 2 项达标或不适用的记录。" in body
    assert 'href="?period=2026&amp;all=1" data-testid="show-all"' in body
    # the stale row says why it reads not_met, and what to do
    assert "期间已于 2026-09-30 结束，评估时为“有风险”，现按未达标显示（待下次评估更新）。" in body
    assert "👉 年度进度落后 4 个半天主题党日：请在2026年12月31日前补足" in body
    assert "👉 本月还需安排 2 个半天主题党日，补足年度进度需 4 个半天，剩余 7 天" in body
    assert "2026年9月" in body and "2026-09</td>" not in body  # period labels, not keys

    everything = get(client, world.admin, url + "?period=2026&all=1")
    assert _names(everything) == ["戊支部", "丁支部", "乙支部", "丙支部", "甲支部", "己支部"]
    assert "只看需处理的事项" in everything.content.decode()


def test_rule_drilldown_query_count_does_not_grow(
    client, world, now, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _rule_rows(world)
    client.force_login(world.admin)
    url = reverse("compliance:rule", args=[world.committee.pk, "organ_party_day_monthly"])
    with CaptureQueriesContext(connection) as few:
        client.get(url + "?period=2026")
    for i in range(20):
        make_obligation(
            OrganizationFactory(name=f"新支部{i}", parent=world.committee),
            status="not_met" if i % 2 else "met",
        )
    with django_assert_max_num_queries(len(few)):
        res = client.get(url + "?period=2026")
    assert len(res.context["page"].object_list) == 4 + 10


def _branch_items(world, fake_engine):
    monthly = fake_rule("organ_party_day_monthly", name_zh="党日·专时专用")
    lecture = fake_rule("party_lecture_quarterly", name_zh="党课", severity="low")
    report = fake_rule("organ_work_report_half_yearly", name_zh="工作报告")
    meeting = fake_rule("committee_meeting_monthly", name_zh="支委会", severity="medium")
    none = fake_rule("organ_lecture_discussion", name_zh="课后讨论")
    member = fake_rule("organ_member_report_quarterly", name_zh="党员汇报", subject="member")

    def results(org, period):
        return [
            fake_result(report, org, Verdict("met", "已报告")),
            fake_result(lecture, org, Verdict("not_met", "党课未讲", {"required": 1, "held": 0})),
            fake_result(none, org, Verdict("not_applicable", "本月无党课")),
            fake_result(meeting, org, Verdict("open", "支委会进行中", {"required": 1, "held": 0})),
            fake_result(
                monthly,
                org,
                Verdict("at_risk", "党日有风险", {"units": 0, "target_units": 2}, "time_squeezed"),
            ),
            fake_result(member, org, Verdict("met", "钱已汇报"), member=world.other_member),
            fake_result(
                member,
                org,
                Verdict("not_met", "李未汇报", {"reports": 0, "required": 1}),
                member=world.member,
            ),
        ]

    fake_engine.box["results"] = results


def test_branch_page_lists_exceptions_first_and_hides_met_rows(client, world, now, fake_engine):
    _branch_items(world, fake_engine)
    url = reverse("compliance:branch", args=[world.branch.pk])
    res = get(client, world.secretary, url)
    assert [i.name for i in res.context["org_items"]] == ["党日·专时专用", "支委会", "党课"]
    assert [i.member_name for i in res.context["member_items"]] == ["李党员"]
    body = res.content.decode()
    assert "已报告" not in body and "本月无党课" not in body and "钱已汇报" not in body
    assert "已隐藏 3 项达标或不适用的记录。" in body
    assert '<span class="badge light-yellow">有风险</span>' in body
    assert '<span class="badge light-open">进行中</span>' in body
    assert '<span class="badge light-hint">未达标 · 提示</span>' in body
    assert '李未汇报<p class="next-step">👉 本月还需提交 1 次汇报，剩余 7 天</p>' in body

    res = get(client, world.secretary, url + "?all=1")
    assert [i.name for i in res.context["org_items"]] == [
        "党日·专时专用",
        "支委会",
        "党课",
        "工作报告",
        "课后讨论",
    ]
    assert [i.member_name for i in res.context["member_items"]] == ["李党员", "王党员"]


def test_member_page_shows_displayed_status_and_rule_names(client, world, now, fake_engine):
    _branch_items(world, fake_engine)
    make_obligation(
        world.branch,
        "organ_member_report_quarterly",
        family="reports",
        member=world.member,
        period_key="2026Q3",
        status="at_risk",
        explanation="第三季度尚未汇报",
    )
    res = get(client, world.member_user, reverse("compliance:mine") + "?period=2026")
    body = res.content.decode()
    assert [o.shown for o in res.context["stored"]] == ["not_met"]
    name = selectors.rule_name("organ_member_report_quarterly")  # the profile's name, not the id
    assert (
        f'<li data-status="not_met">2026年第3季度 · {name} · '
        '<span class="status-not_met">未达标</span>：第三季度尚未汇报'
    ) in body
    assert "期间已于 2026-09-30 结束，评估时为“有风险”，现按未达标显示" in body
    assert "李未汇报" in body and "钱已汇报" not in body
