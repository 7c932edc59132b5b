from datetime import date, timedelta

import pytest

from zhibu.compliance import selectors
from zhibu.compliance.tests.conftest import NOW, make_obligation
from zhibu.compliance.verdicts import Verdict
from zhibu.core import periods
from zhibu.orgs.models import OrgKind
from zhibu.orgs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
OCT = periods.parse("2026-10")


def test_dashboard_counts_subtree_only_with_worst_status_per_cell(world, now):
    make_obligation(world.branch, status="met")
    make_obligation(
        world.branch,
        "general_meeting_quarterly",
        family="meetings",
        status="not_met",
        pattern="time_squeezed",
        period_key="2026-10",
    )
    make_obligation(
        world.branch,
        "party_lecture_quarterly",
        family="meetings",
        status="met",
        period_key="2026-10",
    )
    make_obligation(world.sibling, status="at_risk", pattern="perfunctory")
    make_obligation(world.outside, status="not_met", pattern="people_missing")
    later = NOW + timedelta(hours=1)
    make_obligation(
        world.sibling, "committee_meeting_monthly", family="meetings", evaluated_at=later
    )

    board = selectors.compliance_dashboard(user=world.admin, org=world.committee, period=OCT)

    assert [r.name for r in board.rows] == ["第一党支部", "第二党支部"]
    first, second = board.rows
    assert first.cells["party_day"].status == "met"
    assert first.cells["meetings"].status == "not_met"
    assert first.cells["meetings"].counts == {"not_met": 1, "met": 1}
    assert first.overall.status == "not_met"
    assert second.cells["party_day"].status == "at_risk"
    assert second.cells["attendance"].status == ""
    assert board.pattern_counts == {"time_squeezed": 1, "perfunctory": 1}
    assert board.evaluated_at == later
    assert board.branch_count == 2
    assert board.status_summary == {
        "green": 0,
        "open": 0,
        "yellow": 1,
        "red": 1,
        "grey": 0,
        "hints": 0,
    }
    by_rule = {r.rule_id: r.cell.counts for r in board.rules}
    assert by_rule["organ_party_day_monthly"] == {"met": 1, "at_risk": 1}


def test_dashboard_lists_branches_without_data_grey(world, now):
    board = selectors.compliance_dashboard(user=world.admin, org=world.committee, period=OCT)
    assert [r.name for r in board.rows] == ["第一党支部", "第二党支部"]
    assert all(r.overall.status == "" for r in board.rows)
    assert board.evaluated_at is None
    assert board.status_summary["grey"] == 2


def test_member_obligations_count_in_their_branch_cell(world, now):
    make_obligation(
        world.branch,
        "organ_member_report_quarterly",
        family="reports",
        member=world.member,
        period_key="2026-10",
        status="not_met",
        pattern="people_missing",
    )
    make_obligation(
        world.branch,
        "organ_member_report_quarterly",
        family="reports",
        member=world.other_member,
        period_key="2026-10",
        status="met",
    )
    board = selectors.compliance_dashboard(user=world.admin, org=world.committee, period=OCT)
    cell = board.rows[0].cells["reports"]
    assert cell.counts == {"not_met": 1, "met": 1}
    assert (cell.met, cell.applicable) == (1, 2)


def test_period_selection(world, now):
    make_obligation(world.branch, period_key="2026-07")
    make_obligation(world.branch, period_key="2026-10", status="not_met")
    make_obligation(
        world.branch, "general_meeting_quarterly", family="meetings", period_key="2026Q3"
    )
    make_obligation(world.branch, "organ_party_day_yearly", period_key="2026", status="at_risk")

    def counts(text):
        p = periods.parse(text, today=NOW.date())
        board = selectors.compliance_dashboard(user=world.admin, org=world.committee, period=p)
        return board.totals.counts

    assert counts("2026-10") == {"not_met": 1, "at_risk": 1}  # the month and its year
    # July, the quarter, the year: in the view of the ended quarter, the year still running
    # is open (its at_risk says nothing about the quarter).
    assert counts("2026Q3") == {"met": 2, "open": 1}
    assert counts("2026") == {"met": 2, "not_met": 1, "at_risk": 1}
    assert counts("ytd") == {"met": 2, "not_met": 1, "at_risk": 1}
    assert counts("2026-06") == {"open": 1}
    assert counts("2025") == {}


def test_a_row_judged_after_its_period_ended_stands_as_judged(world, now):
    """Stored at_risk reads not_met once its period ended, unless it was judged after the end
    (final): an unconfirmed record of a closed month may still be completed."""
    make_obligation(world.branch, period_key="2026-09", status="at_risk", final=False)
    make_obligation(
        world.branch, "organ_procedure_complete", period_key="2026-09", status="at_risk", final=True
    )
    board = selectors.compliance_dashboard(
        user=world.admin, org=world.committee, period=periods.parse("2026-09")
    )
    assert board.totals.counts == {"not_met": 1, "at_risk": 1}


def test_group_by_child_rolls_up_subtrees(world, now):
    general = OrganizationFactory(
        name="机关总支", kind=OrgKind.GENERAL_BRANCH, parent=world.committee
    )
    deep = OrganizationFactory(name="总支下第一支部", parent=general)
    deep2 = OrganizationFactory(name="总支下第二支部", parent=general)
    make_obligation(deep, status="met")
    make_obligation(deep2, status="not_met", pattern="content_missing")
    make_obligation(world.branch, status="met")
    make_obligation(world.committee, "organ_work_report_half_yearly", family="reports")

    board = selectors.compliance_dashboard(
        user=world.admin, org=world.committee, period=OCT, by="child"
    )
    rows = {r.name: r for r in board.rows}
    assert set(rows) == {"县直机关工委", "第一党支部", "第二党支部", "机关总支"}
    assert rows["机关总支"].cells["party_day"].counts == {"met": 1, "not_met": 1}
    assert rows["县直机关工委"].cells["reports"].counts == {"met": 1}
    assert rows["第二党支部"].overall.status == ""


def test_group_by_child_is_two_queries_with_rules_and_latest_evaluation(
    world, now, django_assert_num_queries
):
    later = NOW + timedelta(hours=2)
    make_obligation(world.branch, status="not_met", pattern="perfunctory")
    make_obligation(world.sibling, status="met", evaluated_at=later)
    make_obligation(world.outside, status="at_risk", evaluated_at=later + timedelta(hours=1))
    admin = type(world.admin).objects.get(pk=world.admin.pk)
    selectors.compliance_dashboard(user=admin, org=world.committee, period=OCT)  # warm scope
    with django_assert_num_queries(2):
        board = selectors.compliance_dashboard(
            user=admin, org=world.committee, period=OCT, by="child"
        )
    assert board.evaluated_at == later
    assert board.totals.counts == {"not_met": 1, "met": 1}
    assert board.pattern_counts == {"perfunctory": 1}
    by_rule = {r.rule_id: (r.family, r.cell.counts) for r in board.rules}
    assert by_rule == {"organ_party_day_monthly": ("party_day", {"not_met": 1, "met": 1})}


def test_oversee_scope_is_applied_inside_the_selector(world, now):
    make_obligation(world.branch, status="not_met")
    # A secretary has no OVERSEE: even if a view forgot the check, the selector returns nothing.
    board = selectors.compliance_dashboard(user=world.secretary, org=world.committee, period=OCT)
    assert board.totals.total == 0


def test_dashboard_query_count_does_not_grow_with_branches(world, now, django_assert_num_queries):
    def build(n):
        for i in range(n):
            b = OrganizationFactory(name=f"新支部{n}-{i}", parent=world.committee)
            make_obligation(b, status="met" if i % 2 else "not_met", pattern="time_squeezed")
            make_obligation(b, "committee_meeting_monthly", family="meetings")

    build(3)
    admin = type(world.admin).objects.get(pk=world.admin.pk)
    selectors.compliance_dashboard(user=admin, org=world.committee, period=OCT)  # warm scope
    with django_assert_num_queries(2):
        small = selectors.compliance_dashboard(user=admin, org=world.committee, period=OCT)
    build(30)
    with django_assert_num_queries(2):
        big = selectors.compliance_dashboard(user=admin, org=world.committee, period=OCT)
    assert len(big.rows) == len(small.rows) + 30
    with django_assert_num_queries(1):
        selectors.compliance_trend(user=admin, org=world.committee, period=OCT)


def test_trend_counts_branches_per_month(world, now):
    for key, st1, st2 in (("2026-08", "met", "met"), ("2026-09", "met", "not_met")):
        make_obligation(world.branch, period_key=key, status=st1)
        make_obligation(world.sibling, period_key=key, status=st2)
    make_obligation(
        world.sibling,
        "committee_meeting_monthly",
        family="meetings",
        period_key="2026-10",
        status="at_risk",
    )
    make_obligation(world.sibling, period_key="2026-10", status="met")
    trend = selectors.compliance_trend(
        user=world.admin, org=world.committee, period=periods.year(2026)
    )
    # from the first month ever evaluated (none before August), no future months
    assert [p.key for p in trend] == ["2026-08", "2026-09", "2026-10"]
    by = {p.key: (p.orgs, p.green, p.open, p.yellow, p.red) for p in trend}
    assert by["2026-08"] == (2, 2, 0, 0, 0)
    assert by["2026-09"] == (2, 1, 0, 0, 1)
    assert by["2026-10"] == (1, 0, 0, 1, 0)
    assert next(p for p in trend if p.key == "2026-09").green_share == 50.0


def test_obligation_list_permission_matrix(world, now):
    from django.contrib.auth.models import AnonymousUser

    own = make_obligation(
        world.branch,
        "organ_member_report_quarterly",
        family="reports",
        member=world.member,
        period_key="2026Q4",
    )
    other = make_obligation(
        world.branch,
        "organ_member_report_quarterly",
        family="reports",
        member=world.other_member,
        period_key="2026Q4",
    )
    branch_row = make_obligation(world.branch)
    sibling_row = make_obligation(world.sibling)
    outside_row = make_obligation(world.outside)

    def ids(user):
        return set(selectors.obligation_list(user=user).values_list("pk", flat=True))

    assert ids(AnonymousUser()) == set()
    assert ids(world.outsider) == set()
    assert ids(world.member_user) == {own.pk}
    assert ids(world.secretary) == {own.pk, other.pk, branch_row.pk}
    assert ids(world.sibling_secretary) == {sibling_row.pk}
    assert ids(world.admin) == {own.pk, other.pk, branch_row.pk, sibling_row.pk}
    assert outside_row.pk in ids(world.superuser)


def test_open_makeups_overdue_first(world, now):
    from zhibu.compliance.tests.test_views import make_makeup

    done = make_makeup(world.member, due=date(2026, 10, 1))
    done.confirmed_at = NOW
    done.save()
    late = make_makeup(world.member, due=date(2026, 10, 20))
    soon = make_makeup(world.member, due=date(2026, 11, 2))
    make_makeup(world.other_member, due=date(2026, 10, 20))
    items = selectors.open_makeups(member=world.member, today=NOW.date())
    assert [i.makeup.pk for i in items] == [late.pk, soon.pk]
    assert [i.overdue for i in items] == [True, False]
    assert items[1].days_left == 8


def test_next_step_in_plain_words():
    rule = type("R", (), {"period": "month", "name_zh": "半天党日"})()
    p = periods.parse("2026-10")
    v = Verdict("at_risk", "本月已开展 1 个半天", {"required": 2, "counted": 1})
    assert selectors.next_step(rule, v, p, date(2026, 10, 26)) == (
        "本月还需完成 1 次“半天党日”，剩余 6 天"
    )
    assert selectors.next_step(rule, Verdict("met", "ok"), p, date(2026, 10, 26)) == ""
    v2 = Verdict("not_met", "本月未开展", {})
    assert selectors.next_step(rule, v2, p, date(2026, 10, 26)) == "本月剩余 6 天：本月未开展"
    over = selectors.next_step(rule, v2, periods.parse("2026-09"), date(2026, 10, 26))
    assert "已结束" in over


def test_next_step_speaks_each_kinds_numbers():
    oct_ = periods.parse("2026-10")
    q4 = periods.parse("2026Q4")
    day = date(2026, 10, 26)
    party_day = type("R", (), {"params": {"types": ["party_day"]}, "name_zh": "党日"})()
    paced = Verdict("at_risk", "…", {"units": 1, "target_units": 2, "scheduled_units": 0})
    assert (
        selectors.next_step(party_day, paced, oct_, day)
        == "本月还需安排 1 个半天主题党日，剩余 6 天"
    )
    planned = Verdict("at_risk", "…", {"units": 0, "target_units": 2, "scheduled_units": 2})
    assert selectors.next_step(party_day, planned, oct_, day).startswith(
        "按计划足额开展已安排的 2 个半天主题党日即可达标"
    )
    assembly = type("R", (), {"params": {"types": ["general_meeting"]}, "name_zh": "大会"})()
    count = Verdict("at_risk", "…", {"held": 0, "required": 1, "scheduled": 0})
    assert selectors.next_step(assembly, count, q4, day) == (
        "本季度还需安排 1 次支部党员大会，剩余 67 天"
    )
    held_types = Verdict("at_risk", "…", {"missing_types": ["org_life_meeting"]})
    assert selectors.next_step(assembly, held_types, periods.year(2026), day) == (
        "本年还需开展：组织生活会，剩余 67 天"
    )
    report = Verdict("at_risk", "…", {"reports": 0, "required": 1})
    assert selectors.next_step(assembly, report, q4, day) == "本季度还需提交 1 次汇报，剩余 67 天"


@pytest.mark.parametrize(
    ("severity", "light", "text", "summary"),
    [
        ("low", "green", "达标 1/2 · 提示 1", {"green": 2, "yellow": 0, "red": 0, "hints": 1}),
        ("medium", "yellow", "需关注 1/2", {"green": 1, "yellow": 1, "red": 0, "hints": 0}),
        ("high", "red", "未达标 1/2", {"green": 1, "yellow": 0, "red": 1, "hints": 0}),
        ("critical", "red", "未达标 1/2", {"green": 1, "yellow": 0, "red": 1, "hints": 0}),
    ],
)
def test_severity_decides_the_branch_light(world, now, severity, light, text, summary):
    from zhibu.compliance.exports import cell_text

    make_obligation(world.branch, period_key="2026-09", status="met")
    make_obligation(
        world.branch,
        "party_lecture_quarterly",
        family="meetings",
        period_key="2026-09",
        status="not_met",
        pattern="content_missing",
        severity=severity,
    )
    make_obligation(world.sibling, period_key="2026-09", status="met")  # green either way
    board = selectors.compliance_dashboard(
        user=world.admin, org=world.committee, period=periods.parse("2026Q3")
    )
    first = next(r for r in board.rows if r.org_id == world.branch.pk)
    assert first.overall.status == "not_met"  # the worst status is still counted as such
    assert first.cells["meetings"].light == first.overall.light == light
    assert cell_text(first.overall) == text
    got = board.status_summary
    assert {k: got[k] for k in summary} == summary
    assert board.totals.light == light


def test_a_stored_at_risk_of_last_month_displays_not_met(world, now):
    """The worker has not run since September: its at_risk and open rows read as not_met."""
    make_obligation(world.branch, period_key="2026-09", status="at_risk", pattern="time_squeezed")
    make_obligation(
        world.sibling,
        "committee_meeting_monthly",
        family="meetings",
        period_key="2026-09",
        status="open",
        severity="medium",
    )
    make_obligation(world.branch, period_key="2026-10", status="open")
    make_obligation(world.sibling, period_key="2026-10", status="at_risk", severity="high")

    sept = selectors.compliance_dashboard(
        user=world.admin, org=world.committee, period=periods.parse("2026-09")
    )
    assert [r.overall.counts for r in sept.rows] == [{"not_met": 1}, {"not_met": 1}]
    assert [r.overall.light for r in sept.rows] == ["red", "yellow"]  # high, medium
    assert sept.pattern_counts == {"time_squeezed": 1}

    octo = selectors.compliance_dashboard(user=world.admin, org=world.committee, period=OCT)
    assert [r.overall.counts for r in octo.rows] == [{"open": 1}, {"at_risk": 1}]
    assert [r.overall.light for r in octo.rows] == ["open", "yellow"]
    assert octo.status_summary["open"] == 1
    by_rule = {r.rule_id: r.cell.counts for r in octo.rules}
    assert by_rule == {"organ_party_day_monthly": {"open": 1, "at_risk": 1}}

    # one day after October ends, the same stored rows read not_met
    later = selectors.compliance_dashboard(
        user=world.admin, org=world.committee, period=OCT, today=date(2026, 11, 1)
    )
    assert [r.overall.counts for r in later.rows] == [{"not_met": 1}, {"not_met": 1}]
    on_the_last_day = selectors.compliance_dashboard(
        user=world.admin, org=world.committee, period=OCT, today=date(2026, 10, 31)
    )
    assert [r.overall.counts for r in on_the_last_day.rows] == [{"open": 1}, {"at_risk": 1}]


def test_trend_follows_the_light_rule(world, now):
    make_obligation(world.branch, period_key="2026-08", status="met")
    make_obligation(
        world.branch,
        "committee_meeting_monthly",
        family="meetings",
        period_key="2026-08",
        status="not_met",
        severity="low",  # a hint: the branch stays green
    )
    make_obligation(world.sibling, period_key="2026-08", status="not_met", severity="medium")
    make_obligation(world.branch, period_key="2026-09", status="at_risk")  # stale → red
    make_obligation(world.sibling, period_key="2026-09", status="open", severity="medium")
    make_obligation(world.branch, period_key="2026-10", status="open")
    make_obligation(world.sibling, period_key="2026-10", status="at_risk", severity="low")
    trend = selectors.compliance_trend(
        user=world.admin, org=world.committee, period=periods.year(2026)
    )
    by = {p.key: (p.orgs, p.green, p.open, p.yellow, p.red) for p in trend}
    assert by["2026-08"] == (2, 1, 0, 1, 0)
    assert by["2026-09"] == (2, 0, 0, 1, 1)  # the medium open of September reads not_met
    assert by["2026-10"] == (2, 1, 1, 0, 0)


def test_next_step_prefers_the_verdicts_own_and_reads_the_pace():
    oct_ = periods.parse("2026-10")
    day = date(2026, 10, 26)
    party_day = type("R", (), {"params": {"types": ["party_day"]}, "name_zh": "党日"})()
    own = Verdict(
        "at_risk", "…", {"units": 0, "target_units": 2, "next_step": "请先补录 10 月 9 日的党日"}
    )
    assert selectors.next_step(party_day, own, oct_, day) == "请先补录 10 月 9 日的党日"
    behind = Verdict(
        "at_risk",
        "…",
        {
            "units": 0,
            "target_units": 2,
            "needed_units": 2,
            "scheduled_units": 0,
            "pace_gap_units": 4,
        },
    )
    assert selectors.next_step(party_day, behind, oct_, day) == (
        "本月还需安排 2 个半天主题党日，补足年度进度需 4 个半天，剩余 6 天"
    )
    month_done = Verdict(
        "open", "…", {"units": 2, "target_units": 2, "needed_units": 0, "pace_gap_units": 2}
    )
    assert selectors.next_step(party_day, month_done, oct_, day) == (
        "补足年度进度还需 2 个半天主题党日，剩余 6 天"
    )
    closed = Verdict("not_met", "…", {"units": 2, "target_units": 2, "pace_gap_units": 2})
    assert selectors.next_step(party_day, closed, periods.parse("2026-09"), day) == (
        "年度进度落后 2 个半天主题党日：请在2026年12月31日前补足"
    )
    assembly = type("R", (), {"params": {"types": ["general_meeting"]}, "name_zh": "大会"})()
    needed = Verdict("at_risk", "…", {"held": 0, "required": 1, "scheduled": 1, "needed": 1})
    assert selectors.next_step(assembly, needed, periods.parse("2026Q4"), day) == (
        "已安排 1 次支部党员大会，按计划开展即可达标，剩余 67 天"
    )
    cadre = Verdict("at_risk", "…", {"due": 3, "attended": 1, "min_attended": 2, "needed": 1})
    assert selectors.next_step(assembly, cadre, periods.parse("2026Q4"), day) == (
        "本季度还需以普通党员身份参加支部组织生活 1 次，剩余 67 天"
    )


@pytest.mark.parametrize(
    ("numbers", "step"),
    [
        (
            {"items": 1, "done": 0, "overdue": 0, "pending": 1},
            "还有 1 项补课待完成，请在各自期限前完成并由支部确认",
        ),
        (
            {"items": 2, "done": 0, "overdue": 1, "pending": 1},
            "逾期未完成的 1 项补课仍须尽快完成，并由支部确认",
        ),
    ],
)
@pytest.mark.parametrize("key", ["2026-10", "2026-09"])  # the same whether the month is over
def test_next_step_for_makeups(numbers, step, key):
    rule = type("R", (), {"params": {}, "name_zh": "漏课补课"})()
    verdict = Verdict("not_met", "…", numbers)
    assert selectors.next_step(rule, verdict, periods.parse(key), date(2026, 10, 26)) == step


def test_obligation_next_step_reads_the_displayed_status(world, now):
    stale = make_obligation(world.branch, period_key="2026-09", status="at_risk")
    fresh = make_obligation(
        world.branch,
        period_key="2026-10",
        status="at_risk",
        numbers={"units": 1, "target_units": 2, "scheduled_units": 0},
    )
    met = make_obligation(world.sibling, status="met")
    today = NOW.date()
    assert selectors.obligation_next_step(stale, today) == (
        "2026年9月已结束未达标：请在下期补足，并在记录中说明原因"
    )
    assert selectors.obligation_next_step(fresh, today) == (
        "本月还需安排 1 个半天主题党日，剩余 7 天"
    )
    assert selectors.obligation_next_step(met, today) == ""
