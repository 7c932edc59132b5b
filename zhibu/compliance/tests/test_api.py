import pytest

from zhibu.compliance.tests.conftest import NOW, fake_result, fake_rule, make_obligation
from zhibu.compliance.verdicts import Verdict
from zhibu.orgs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
LIST = "/api/compliance/obligations/"
EVALUATE = "/api/compliance/evaluate/"


@pytest.fixture
def rows(world):
    return {
        "own": make_obligation(
            world.branch,
            "organ_member_report_quarterly",
            family="reports",
            member=world.member,
            period_key="2026Q4",
            status="not_met",
            pattern="people_missing",
        ),
        "other": make_obligation(
            world.branch,
            "organ_member_report_quarterly",
            family="reports",
            member=world.other_member,
            period_key="2026Q4",
        ),
        "branch": make_obligation(world.branch, status="at_risk", pattern="time_squeezed"),
        "sibling": make_obligation(world.sibling, status="not_met", pattern="perfunctory"),
        "outside": make_obligation(world.outside),
    }


def ids(client, user, url=LIST):
    client.force_login(user)
    res = client.get(url)
    assert res.status_code == 200, res.content
    return {r["id"] for r in res.json()["results"]}


def test_list_permission_matrix(client, world, rows, now):
    assert client.get(LIST).status_code in (401, 403)
    assert ids(client, world.outsider) == set()
    assert ids(client, world.member_user) == {rows["own"].pk}
    assert ids(client, world.secretary) == {rows["own"].pk, rows["other"].pk, rows["branch"].pk}
    assert ids(client, world.sibling_secretary) == {rows["sibling"].pk}
    everything = {rows[k].pk for k in ("own", "other", "branch", "sibling")}
    assert ids(client, world.admin) == everything
    client.force_login(world.sibling_secretary)
    assert client.get(f"{LIST}{rows['branch'].pk}/").status_code == 404


def test_list_filters(client, world, rows, now):
    def q(params):
        return ids(client, world.admin, f"{LIST}?{params}")

    assert q(f"org={world.branch.pk}") == {rows["own"].pk, rows["other"].pk, rows["branch"].pk}
    assert q(f"org={world.outside.pk}") == set()
    assert q("status=not_met") == {rows["own"].pk, rows["sibling"].pk}
    assert q("family=reports") == {rows["own"].pk, rows["other"].pk}
    assert q("pattern=time_squeezed") == {rows["branch"].pk}
    everything = {rows[k].pk for k in ("own", "other", "branch", "sibling")}
    assert q("period=2026Q4") == everything  # the quarter and its months
    assert q("period=2026Q3") == set()
    assert q("period=2026-10") == everything  # October and the quarter containing it
    assert q("period=2026-09") == set()
    assert q("period=2026") == {rows[k].pk for k in ("own", "other", "branch", "sibling")}
    assert q("subject=member") == {rows["own"].pk, rows["other"].pk}
    assert q("rule=organ_party_day_monthly&status=at_risk") == {rows["branch"].pk}


def test_list_bad_filter_is_a_clear_400(client, world, rows, now):
    client.force_login(world.admin)
    res = client.get(f"{LIST}?period=2026Q9")
    assert res.status_code == 400
    assert "无法识别的期间" in res.json()["period"][0]
    res = client.get(f"{LIST}?status=green")
    assert res.status_code == 400 and "status" in res.json()


def test_list_payload(client, world, rows, now):
    client.force_login(world.member_user)
    (item,) = client.get(LIST).json()["results"]
    assert item["member_name"] == "李党员"
    assert item["org_name"] == "第一党支部"
    assert item["period_key"] == "2026Q4" and item["period_last"] == "2026-12-31"
    assert item["status"] == "not_met" and item["pattern"] == "people_missing"


def test_list_query_count_independent_of_rows(client, world, now, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.admin)
    make_obligation(world.branch)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for i in range(20):
        b = OrganizationFactory(name=f"支部{i}", parent=world.committee)
        make_obligation(b, member=None)
    with django_assert_max_num_queries(len(few)):
        assert client.get(LIST).json()["count"] == 21


def test_evaluate_endpoint(client, world, now, fake_engine):
    rule = fake_rule("organ_party_day_monthly", name_zh="党日·专时专用")
    fake_engine.box["results"] = lambda org, period: [
        fake_result(
            rule,
            org,
            Verdict("not_met", "本月尚未开展", {"required": 2, "counted": 0}, "time_squeezed"),
        )
    ]
    url = f"{EVALUATE}?org={world.branch.pk}&period=2026-10"
    client.force_login(world.secretary)
    res = client.get(url)
    assert res.status_code == 200
    data = res.json()
    assert data["org"] == world.branch.pk and data["period"] == "2026-10"
    (item,) = data["results"]
    assert item["status"] == "not_met" and item["pattern"] == "time_squeezed"
    assert item["next_step"] == "本月还需完成 2 次“党日·专时专用”，剩余 7 天"
    assert item["source"] == "支部条例 第十六条"
    assert fake_engine.calls == [(world.branch.pk, "2026-10", NOW)]


def test_evaluate_permission_matrix(client, world, now, fake_engine):
    branch = f"{EVALUATE}?org={world.branch.pk}"
    committee = f"{EVALUATE}?org={world.committee.pk}"
    assert client.get(branch).status_code in (401, 403)
    for user in (world.outsider, world.member_user, world.sibling_secretary):
        client.force_login(user)
        assert client.get(branch).status_code == 404
    client.force_login(world.secretary)
    assert client.get(committee).status_code == 404  # comparing branches needs OVERSEE
    client.force_login(world.admin)
    assert client.get(committee).status_code == 200
    assert client.get(f"{EVALUATE}?org={world.outside.pk}").status_code == 404


def test_evaluate_bad_input(client, world, now, fake_engine):
    client.force_login(world.admin)
    res = client.get(f"{EVALUATE}?org=abc&period=2026Q7")
    assert res.status_code == 400
    body = res.json()
    assert "org" in body and "无法识别的期间" in body["period"][0]
    assert fake_engine.calls == []


def test_schema_builds(client, world):
    client.force_login(world.admin)
    res = client.get("/api/schema/")
    assert res.status_code == 200
    assert b"/api/compliance/evaluate/" in res.content


def test_list_shows_the_displayed_status_light_and_next_step(client, world, now):
    stale = make_obligation(
        world.branch, period_key="2026-09", status="at_risk", pattern="time_squeezed"
    )
    fresh = make_obligation(
        world.sibling,
        period_key="2026-10",
        status="open",
        numbers={"units": 1, "target_units": 2, "scheduled_units": 0},
    )
    hint = make_obligation(
        world.sibling,
        "party_lecture_quarterly",
        family="meetings",
        period_key="2026Q3",
        status="not_met",
        severity="low",
    )
    client.force_login(world.admin)
    items = {r["id"]: r for r in client.get(f"{LIST}?period=2026").json()["results"]}
    assert (items[stale.pk]["status"], items[stale.pk]["stored_status"]) == ("not_met", "at_risk")
    assert items[stale.pk]["light"] == "red"
    assert items[stale.pk]["next_step"] == "2026年9月已结束未达标：请在下期补足，并在记录中说明原因"
    assert (items[fresh.pk]["status"], items[fresh.pk]["light"]) == ("open", "open")
    assert items[fresh.pk]["next_step"] == "本月还需安排 1 个半天主题党日，剩余 7 天"
    assert items[hint.pk]["light"] == "hint"

    def q(params):
        return ids(client, world.admin, f"{LIST}?{params}")

    assert q("status=not_met") == {stale.pk, hint.pk}  # by the displayed status
    assert q("status=at_risk") == set()
    assert q("status=open") == {fresh.pk}
    assert q("light=red") == {stale.pk}
    assert q("light=hint") == {hint.pk}
    res = client.get(f"{LIST}?light=blue")
    assert res.status_code == 400 and "light" in res.json()


def test_evaluate_results_carry_their_light(client, world, now, fake_engine):
    low = fake_rule("party_lecture_quarterly", name_zh="党课", severity="low")
    fake_engine.box["results"] = lambda org, period: [
        fake_result(low, org, Verdict("not_met", "党课未讲", {"required": 1, "held": 0}))
    ]
    client.force_login(world.secretary)
    (item,) = client.get(f"{EVALUATE}?org={world.branch.pk}&period=2026-10").json()["results"]
    assert (item["status"], item["light"]) == ("not_met", "hint")
    assert item["next_step"] == "本月还需安排 1 次党课，剩余 7 天"
