"""The parameter registry: its entries, resolution down the tree, the service that sets a
value (validation, the loosening policy, history), the API and the organization page section."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from zhibu.orgs import parameters
from zhibu.orgs.models import Organization, OrgKind, ParameterChange
from zhibu.orgs.parameters import PARAMETERS, clean, resolve
from zhibu.orgs.selectors import parameter_rows, parameter_value, parameters_for
from zhibu.orgs.services import parameter_set
from zhibu.orgs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

INTERNAL = ("DOMAIN", ".md", "[", "]", "§", "客户")


# ---- the registry --------------------------------------------------------------------------


def test_every_parameter_is_complete_and_cites_a_readable_document():
    assert {
        "makeup_days",
        "late_entry_days",
        "late_after_minutes",
        "signin_margin_minutes",
        "half_day_minutes",
        "flag_minutes",
        "notice_days",
        "excellent_cap",
        "recheck_months",
        "probation_notice_days",
        "warn_days_month",
        "warn_days_quarter",
        "warn_days_half",
        "warn_days_year",
    } <= set(PARAMETERS)
    for key, p in PARAMETERS.items():
        assert p.key == key and str(p.label) and str(p.help)
        assert p.source.startswith(("《", "本单位规定《")), p.source
        assert not any(marker in p.source for marker in INTERNAL), p.source
        assert clean(key, p.default) == p.default  # the default passes its own validator
        assert p.stricter in (-1, 0, 1)


def test_validator_messages_name_the_parameter_and_its_range():
    with pytest.raises(ValidationError) as err:
        clean("makeup_days", 0)
    assert err.value.message_dict == {"value": ["“补课期限”应在 1 天至 90 天之间"]}
    with pytest.raises(ValidationError) as err:
        clean("makeup_days", "十天")
    assert err.value.message_dict == {"value": ["“补课期限”应为整数（天）"]}
    assert clean("makeup_days", "１０") == 10  # full-width digits from a phone keyboard
    assert clean("excellent_cap", "0.25") == "1/4"
    assert clean("excellent_cap", "1／3") == "1/3"
    with pytest.raises(ValidationError) as err:
        clean("excellent_cap", "三分之一")
    assert err.value.message_dict == {"value": ["“优秀比例上限”应为比例，如 1/3 或 0.3"]}
    with pytest.raises(ValidationError) as err:
        clean("excellent_cap", "3/2")
    assert err.value.message_dict == {"value": ["“优秀比例上限”应在 1/100至 1之间"]}


def test_resolution_nearest_wins_unless_an_unflagged_loosening():
    # Root 20 (stricter than 30), middle 25 (looser, not flagged): ignored; leaf 15 applies.
    levels = [(1, {"makeup_days": 20}), (2, {"makeup_days": 25}), (3, {})]
    got = resolve(levels)["makeup_days"]
    assert (got.value, got.org_id, got.ignored_org_id) == (20, 1, 2)
    got = resolve([*levels, (4, {"makeup_days": 15})])["makeup_days"]
    assert (got.value, got.org_id) == (15, 4)
    # A reasoned loosening (listed in parameters_loosened) counts.
    flagged = [
        (1, {"makeup_days": 20}),
        (2, {"makeup_days": 25, "parameters_loosened": ["makeup_days"]}),
    ]
    got = resolve(flagged)["makeup_days"]
    assert (got.value, got.org_id, got.loosened) == (25, 2, True)
    # Untouched parameters stay the default, from no organization.
    assert (resolve(levels)["notice_days"].value, resolve(levels)["notice_days"].org_id) == (
        3,
        None,
    )


def test_parameters_for_many_organizations_is_one_query(world):
    branches = [OrganizationFactory(name=f"支部{i}", parent=world.committee) for i in range(30)]
    Organization.objects.filter(pk=world.committee.pk).update(settings={"makeup_days": 10})
    branches = list(Organization.objects.filter(pk__in=[b.pk for b in branches]))
    with CaptureQueriesContext(connection) as ctx:
        resolved = parameters_for(branches)
    assert len(ctx.captured_queries) == 1
    assert {r["makeup_days"].value for r in resolved.values()} == {10}
    assert {r["makeup_days"].org_id for r in resolved.values()} == {world.committee.pk}


# ---- the service ---------------------------------------------------------------------------


def test_stricter_value_is_set_by_the_branch_and_recorded(world):
    change = parameter_set(actor=world.secretary, org=world.branch, key="makeup_days", value=10)
    assert parameter_value(world.branch, "makeup_days") == 10
    assert parameter_value(world.sibling, "makeup_days") == 30
    assert (change.value, change.previous, change.inherited, change.loosens) == (
        10,
        None,
        30,
        False,
    )
    assert change.created_by == world.secretary
    # Setting the same value again changes nothing and records nothing.
    assert (
        parameter_set(actor=world.secretary, org=world.branch, key="makeup_days", value="10")
        is None
    )
    assert ParameterChange.objects.count() == 1


def test_loosening_without_a_reason_is_refused(world):
    with pytest.raises(ValidationError) as err:
        parameter_set(actor=world.admin, org=world.committee, key="makeup_days", value=45)
    assert err.value.message_dict == {
        "reason": ["“补课期限”设为 45 天，比上级要求的 30 天宽松。放宽要求必须填写理由"]
    }
    assert not ParameterChange.objects.exists()
    assert parameter_value(world.branch, "makeup_days") == 30


def test_loosening_needs_the_upper_committee(world):
    parameter_set(actor=world.admin, org=world.committee, key="makeup_days", value=20)
    # The branch's secretary may not loosen what the committee set, even with a reason.
    with pytest.raises(ValidationError) as err:
        parameter_set(
            actor=world.secretary, org=world.branch, key="makeup_days", value=25, reason="人手少"
        )
    assert err.value.message_dict == {
        "value": ["“补课期限”设为 25 天比上级要求的 20 天宽松，放宽要求须由上级组织设置"]
    }
    # The committee's administrator may, with a reason; it then counts under the 20.
    change = parameter_set(
        actor=world.admin, org=world.branch, key="makeup_days", value=25, reason="驻村工作队轮换"
    )
    assert change.loosens and change.reason == "驻村工作队轮换"
    assert parameter_value(world.branch, "makeup_days") == 25
    assert parameter_value(world.sibling, "makeup_days") == 20


def test_out_of_scope_and_unknown_and_clearing(world):
    with pytest.raises(Http404):
        parameter_set(actor=world.secretary, org=world.committee, key="makeup_days", value=10)
    with pytest.raises(Http404):
        parameter_set(actor=world.member_user, org=world.branch, key="makeup_days", value=10)
    with pytest.raises(ValidationError) as err:
        parameter_set(actor=world.admin, org=world.branch, key="no_such", value=1)
    assert err.value.message_dict == {"key": ["没有名为“no_such”的组织生活参数"]}
    parameter_set(actor=world.secretary, org=world.branch, key="notice_days", value=5)
    change = parameter_set(actor=world.secretary, org=world.branch, key="notice_days", value="")
    assert change.value is None and change.previous == 5
    assert parameter_value(world.branch, "notice_days") == 3
    assert "notice_days" not in Organization.objects.get(pk=world.branch.pk).settings


# ---- API -----------------------------------------------------------------------------------


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def url(org) -> str:
    return f"/api/organizations/{org.pk}/parameters/"


def test_api_get_in_scope_404_outside(world):
    parameter_set(actor=world.admin, org=world.committee, key="makeup_days", value=10)
    response = api(world.member_user).get(url(world.branch))
    assert response.status_code == 200
    rows = {r["key"]: r for r in response.json()}
    row = rows["makeup_days"]
    assert (row["label"], row["value"], row["display"], row["inherited"]) == (
        "补课期限",
        10,
        "10 天",
        10,
    )
    assert row["set_by"] == {"id": world.committee.pk, "name": "县直机关工委"}
    assert rows["notice_days"]["set_by"] is None
    assert rows["notice_days"]["source"].startswith("本单位规定《")
    assert rows["excellent_cap"]["source"] == "《共产党员网“支部生活·民主评议”专题》"
    assert api(world.outsider).get(url(world.branch)).status_code == 404
    assert api(world.secretary).get(url(world.outside)).status_code == 404
    assert api().get(url(world.branch)).status_code in (401, 403)


def test_api_put_through_the_service_with_permissions(world):
    body = {"key": "makeup_days", "value": 10}
    assert api(world.member_user).put(url(world.branch), body, format="json").status_code == 403
    assert (
        api(world.sibling_secretary).put(url(world.branch), body, format="json").status_code == 404
    )
    response = api(world.secretary).put(url(world.branch), body, format="json")
    assert response.status_code == 200, response.content
    assert {r["key"]: r for r in response.json()}["makeup_days"]["own"] == 10
    loose = {"key": "makeup_days", "value": 60}
    response = api(world.admin).put(url(world.committee), loose, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "reason": ["“补课期限”设为 60 天，比上级要求的 30 天宽松。放宽要求必须填写理由"]
    }
    response = api(world.admin).put(
        url(world.committee), {**loose, "reason": "山区交通不便"}, format="json"
    )
    row = {r["key"]: r for r in response.json()}["makeup_days"]
    assert (row["value"], row["reason"], row["loosened"]) == (60, "山区交通不便", True)
    bad = api(world.secretary).put(
        url(world.branch), {"key": "makeup_days", "value": 0}, format="json"
    )
    assert bad.status_code == 400 and bad.json() == {"value": ["“补课期限”应在 1 天至 90 天之间"]}


# ---- the organization page -----------------------------------------------------------------


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S))


def test_page_section_shows_labels_values_and_origin(client, world):
    parameter_set(
        actor=world.admin,
        org=world.committee,
        key="signin_margin_minutes",
        value=60,
        reason="会场偏远",
    )
    parameter_set(actor=world.secretary, org=world.branch, key="makeup_days", value=10)
    client.force_login(world.member_user)
    html = client.get(reverse("orgs:detail", args=[world.branch.pk])).content.decode()
    assert "组织生活参数" in html
    text = visible_text(html)
    for p in PARAMETERS.values():
        assert str(p.label) in text
    for key in PARAMETERS:
        assert key not in text  # no internal key reaches the reader
    assert "10 天" in text and "本组织设置" in text
    assert "60 分钟" in text and "沿用县直机关工委的设置" in text and "会场偏远" in text
    assert "默认值，依据本单位规定《" in text
    assert reverse("orgs:parameter_set", args=[world.branch.pk]) not in html  # reads only


def test_page_form_sets_through_the_service(client, world):
    client.force_login(world.secretary)
    target = reverse("orgs:parameter_set", args=[world.branch.pk])
    response = client.post(target, {"key": "makeup_days", "value": "10"})
    assert response.status_code == 302
    assert response["Location"].endswith("?p=makeup_days#parameter-makeup_days")
    assert parameter_value(world.branch, "makeup_days") == 10
    html = client.get(response["Location"]).content.decode()
    assert "修改" in html and "“补课期限”已保存" in html
    # Loosening is refused with the service's message, shown next to the parameter.
    response = client.post(target, {"key": "late_entry_days", "value": "30", "reason": "年底补录"})
    html = client.get(response["Location"]).content.decode()
    row = html[html.index('id="parameter-late_entry_days"') :]
    row = row[: row.index("</li>")]
    assert "“补记期限”设为 30 天比上级要求的 7 天宽松，放宽要求须由上级组织设置" in row
    assert "<details open>" in row
    assert parameter_value(world.branch, "late_entry_days") == 7
    # Back to the inherited value.
    client.post(target, {"key": "makeup_days", "clear": "1"})
    assert parameter_value(world.branch, "makeup_days") == 30


def test_page_form_needs_change_rights(client, world):
    target = reverse("orgs:parameter_set", args=[world.branch.pk])
    client.force_login(world.member_user)
    assert client.post(target, {"key": "makeup_days", "value": "10"}).status_code == 404
    client.force_login(world.sibling_secretary)
    assert client.post(target, {"key": "makeup_days", "value": "10"}).status_code == 404
    assert parameter_value(world.branch, "makeup_days") == 30


def test_party_group_page_has_no_section(client, world):
    client.force_login(world.secretary)
    html = client.get(reverse("orgs:detail", args=[world.group.pk])).content.decode()
    assert world.group.kind == OrgKind.PARTY_GROUP and "组织生活参数" not in html


def test_rows_show_an_ignored_looser_setting(world):
    parameter_set(actor=world.admin, org=world.committee, key="makeup_days", value=10)
    Organization.objects.filter(pk=world.branch.pk).update(settings={"makeup_days": 20})
    branch = Organization.objects.get(pk=world.branch.pk)
    row = {r["key"]: r for r in parameter_rows(branch)}["makeup_days"]
    assert (row["value"], row["own"], row["own_ignored"]) == (10, 20, True)
    assert parameters.default("makeup_days") == 30
