"""Every rule cites a document a user can read; the organization's own rules cite 本单位规定."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from zhibu.compliance.rules import Source, _sources_from, all_rules, load_profiles, source_text

ZB = "《中国共产党支部工作条例（试行）》"
JY = "《中国共产党党员教育管理工作条例》"
JG = "《中国共产党党和国家机关基层组织工作条例》"
DZ = "《中国共产党章程》"
OWN = "本单位规定《机关党支部组织生活规定》"
MARKERS = ("DOMAIN.md", "STYLE.md", "客户", "[P]", "[Q]", "[S]", "[U]", "§", "决定2")
# One cited document: 本单位规定 or a 《title》, then its articles (where confirmed).
ARTICLE = "第[一二三四五六七八九十]+条"
CITATION = re.compile(rf"(本单位规定)?《[^《》]+》({ARTICLE}(、{ARTICLE})*)?")

# The citation each rule shows by default, written out by hand.
EXPECTED = {
    "party_day_monthly": f"{JY}第十六条；{ZB}第十六条",
    "general_meeting_quarterly": f"{ZB}第十一条",
    "committee_meeting_monthly": f"{ZB}第十二条；{JG}第七条",
    "party_group_meeting_monthly": f"{ZB}第十三条",
    "party_lecture_quarterly": f"{ZB}第十六条",
    "org_life_meeting_annual": f"{JY}第十七条；{ZB}第十七条",
    "democratic_review_annual": f"{JY}第十八条；{ZB}第十八条",
    "heart_talk_annual": f"{ZB}第十九条",
    "member_attendance": f"{JY}第三十一条；{DZ}第九条",
    "leader_dual_org_life": f"{DZ}第八条；{JY}第十六条；{JG}第十九条",
    "olm_procedure": f"{ZB}第十七条",
    "review_procedure": f"{JY}第十八条；{ZB}第十八条",
    "organ_party_day_monthly": OWN,
    "organ_party_day_yearly": OWN,
    "organ_party_day_party_content": OWN,
    "organ_time_full": OWN,
    "organ_advance_notice": OWN,
    "organ_attendance_register": OWN,
    "organ_leave_approval": OWN,
    "organ_makeup": OWN,
    "organ_dual_org_life": f"{OWN}；{JG}第十九条、第二十六条",
    "organ_member_report_quarterly": OWN,
    "organ_work_report_half_yearly": OWN,
    "organ_lecture_discussion": OWN,
    "organ_procedure_complete": OWN,
    "organ_content_complete": OWN,
    "organ_party_lecture_quarterly": f"{OWN}；{ZB}第十六条",
    "term_due_election": f"《中国共产党基层组织选举工作条例》第三条；{JG}第八条",
}


def test_every_shipped_rule_is_in_the_table():
    assert set(all_rules()) == set(EXPECTED)


@pytest.mark.parametrize("rule_id", sorted(EXPECTED))
def test_displayed_source(rule_id):
    shown = all_rules()[rule_id].source
    assert shown == EXPECTED[rule_id]
    assert all(CITATION.fullmatch(part) for part in shown.split("；")), shown
    assert not [m for m in MARKERS if m in shown]
    assert not [rid for rid in EXPECTED if rid in shown]


@pytest.mark.parametrize("rule_id", sorted(EXPECTED))
def test_names_and_texts_carry_no_marker(rule_id):
    rule = all_rules()[rule_id]
    for text in (rule.name_zh, rule.text_zh, rule.name_en, rule.text_en):
        assert not [m for m in MARKERS if m in text], text
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text


def test_organ_profile_rules_cite_own_rules_first():
    organ = load_profiles()["organ_model"]
    assert all(r.source.startswith("本单位规定《") for r in organ.rules)
    central = load_profiles()["central"]
    assert not [r.id for r in central.rules if "本单位规定" in r.source]
    assert "客户" not in organ.name_zh and "模范机关" not in organ.name_zh


@override_settings(
    ZHIBU_ORGAN_RULES_TITLE="县直机关党支部组织生活规定",
    ZHIBU_ORGAN_RULES_NUMBER="县直工委发〔2025〕3号",
)
def test_configured_title_and_number_are_cited():
    rule = all_rules()["organ_party_day_monthly"]
    assert rule.source == "本单位规定《县直机关党支部组织生活规定》（县直工委发〔2025〕3号）"
    assert all_rules()["organ_dual_org_life"].source == (
        f"本单位规定《县直机关党支部组织生活规定》（县直工委发〔2025〕3号）；{JG}第十九条、第二十六条"
    )
    assert all_rules()["general_meeting_quarterly"].source == f"{ZB}第十一条"


def test_source_text_joins_documents_and_articles():
    sources = (Source("中国共产党章程", "第八条"), Source("本单位规定"))
    assert source_text(sources) == f"{DZ}第八条；{OWN}"
    assert source_text(()) == ""


SHAPE = "x.toml: rule 'r': each source is { doc = ..., article = ... }"


def _bare(text: str) -> str:
    return f"x.toml: rule 'r': source {text!r} must be a bare document title and article"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"doc": "支部条例", "article": "第十六条 [Q]"}, _bare("支部条例第十六条 [Q]")),
        (
            {"doc": "机关党支部组织生活规定（客户规则，DOMAIN.md §0）"},
            _bare("机关党支部组织生活规定（客户规则，DOMAIN.md §0）"),
        ),
        ({"doc": "《中国共产党章程》"}, _bare("《中国共产党章程》")),
        ({"article": "第八条"}, SHAPE),
        ({"doc": "中国共产党章程", "note": "x"}, SHAPE),
        ("中国共产党章程 第八条", SHAPE),
    ],
)
def test_a_source_with_a_marker_or_a_bad_shape_stops_loading(entry, message):
    with pytest.raises(ImproperlyConfigured) as exc:
        _sources_from([entry], "x.toml: rule 'r'")
    assert str(exc.value) == message


def test_a_bracketed_title_setting_fails_loudly():
    res = subprocess.run(
        [sys.executable, "-c", "import zhibu.settings"],
        env={"ZHIBU_ORGAN_RULES_TITLE": "《县直机关规定》", "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert res.returncode != 0
    assert "ZHIBU_ORGAN_RULES_TITLE='《县直机关规定》': give the bare title, without 《》." in (
        res.stderr
    )


TITLE = {
    "ZHIBU_ORGAN_RULES_TITLE": "县直机关党支部组织生活规定",
    "ZHIBU_ORGAN_RULES_NUMBER": "县直工委发〔2025〕3号",
}
CITED = "本单位规定《县直机关党支部组织生活规定》（县直工委发〔2025〕3号）"


@pytest.mark.django_db
@override_settings(**TITLE)
def test_pages_api_and_check_show_the_configured_source(client, world, now):
    """The branch page, the rule page, the live API and `zhibu check` all cite it the same way."""
    client.force_login(world.secretary)
    branch = client.get(reverse("compliance:branch", args=[world.branch.pk])).content.decode()
    assert CITED in branch
    assert "organ_party_day_monthly" not in re.sub(r"<[^>]+>", "", branch)
    client.force_login(world.admin)
    url = reverse("compliance:rule", args=[world.committee.pk, "organ_party_day_monthly"])
    assert CITED in client.get(url).content.decode()
    api = client.get(f"/api/compliance/evaluate/?org={world.branch.pk}&period=2026-10")
    assert CITED in {r["source"] for r in api.json()["results"]}
    out = StringIO()
    with pytest.raises(SystemExit):  # exits 1: the empty branch missed September's party days
        call_command("compliance_check", "--period", "2026-09", "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())["results"]
    assert CITED in {r["source"] for r in rows}
