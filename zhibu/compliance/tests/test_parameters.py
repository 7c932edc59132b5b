"""A parameter set on a subtree reaches its records and its verdicts: the make-up deadline
set to 10 days on the 工委 makes a branch's new make-ups due in 10 days, and the make-up rule
judges against that date; a branch outside keeps the registry's 30 days.

Everything through the services, the clock pinned, the expectations written by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from zhibu.compliance.engine import evaluate
from zhibu.core.periods import month
from zhibu.orglife import services
from zhibu.orglife.models import Makeup
from zhibu.orgs.services import parameter_set

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(m: int, d: int, h: int = 0) -> datetime:
    return datetime(2026, m, d, h, tzinfo=SH)


def hold(actor, org, present) -> None:
    """A general meeting on 12 October 14:00–17:00, `present` signed in, confirmed at 18:00."""
    with time_machine.travel(at(10, 9, 10), tick=False):
        meeting = services.meeting_schedule(
            actor=actor,
            org=org,
            meeting_type="general_meeting",
            topic="学习党章",
            planned_start=at(10, 12, 14),
            planned_end=at(10, 12, 17),
            place="三楼会议室",
        )
    with time_machine.travel(at(10, 12, 14) + timedelta(minutes=1), tick=False):
        for member in present:
            services.sign_in(actor=actor, meeting=meeting, method="roster", member=member)
    with time_machine.travel(at(10, 12, 18), tick=False):
        services.meeting_record(
            actor=actor,
            meeting=meeting,
            actual_start=at(10, 12, 14),
            actual_end=at(10, 12, 17),
            minutes="<p>会议记录</p>",
        )
        services.record_confirm(actor=actor, meeting=meeting)


def makeup_verdict(root, member, now: datetime):
    results = evaluate(root, month(2026, 10), now)
    (found,) = [r for r in results if r.rule.id == "organ_makeup" and r.member_id == member.pk]
    return found


def test_makeup_deadline_set_on_a_subtree_flows_into_makeups_and_verdicts(world):
    with time_machine.travel(at(10, 1, 9), tick=False):
        parameter_set(actor=world.admin, org=world.committee, key="makeup_days", value=10)
    hold(world.secretary, world.branch, present=[world.secretary_member])
    hold(world.superuser, world.outside, present=[])

    # New make-ups: inside the 工委 due 12 + 10 = 22 October; outside 12 + 30 = 11 November.
    assert Makeup.objects.get(member=world.member).due_date == date(2026, 10, 22)
    assert Makeup.objects.get(member=world.other_member).due_date == date(2026, 10, 22)
    assert Makeup.objects.get(member=world.outside_member).due_date == date(2026, 11, 11)

    # 20 October: due in two days, inside the month's 10-day warning window.
    v = makeup_verdict(world.committee, world.member, at(10, 20, 10))
    assert v.rule.params["makeup_days"] == 10  # the subtree's value reached the rule
    assert v.status == "at_risk"
    assert v.verdict.explanation == (
        "2026年10月：到期补课 1 项：按期完成 0 项，待完成 1 项（最近期限 2026年10月22日）；"
        "还需在2026年10月22日前完成补课"
    )
    # 23 October: the 10-day deadline has passed.
    v = makeup_verdict(world.committee, world.member, at(10, 23, 10))
    assert v.status == "not_met"
    assert v.verdict.numbers["overdue"] == 1
    # Outside, the same day: nothing falls due in October under the default 30 days.
    outside = makeup_verdict(world.outside, world.outside_member, at(10, 23, 10))
    assert "makeup_days" not in outside.rule.params
    assert outside.status == "not_applicable"
    assert outside.verdict.explanation == "2026年10月：没有到期的补课任务"


def test_existing_makeups_keep_their_date_and_a_later_change_applies_to_new_ones(world):
    hold(world.secretary, world.branch, present=[world.secretary_member])
    assert Makeup.objects.get(member=world.member).due_date == date(2026, 11, 11)
    with time_machine.travel(at(10, 13, 9), tick=False):
        parameter_set(actor=world.secretary, org=world.branch, key="makeup_days", value=10)
    # Already created: the date promised to the member stands.
    assert Makeup.objects.get(member=world.member).due_date == date(2026, 11, 11)


def test_migration_moves_registry_keys_out_of_rule_overrides(world):
    import importlib

    from django.apps import apps

    from zhibu.compliance.models import RuleOverride
    from zhibu.orgs.models import Organization, ParameterChange
    from zhibu.orgs.selectors import parameter_value

    migration = importlib.import_module(
        "zhibu.compliance.migrations.0006_parameters_from_overrides"
    )
    RuleOverride.objects.create(
        org=world.committee, rule_id="organ_makeup", params={"makeup_days": 10}
    )
    RuleOverride.objects.create(
        org=world.branch,
        rule_id="organ_time_full",
        params={"half_day_hours": 3.5},
        severity="critical",
    )
    Organization.objects.filter(pk=world.sibling.pk).update(settings={"half_day_hours": 4})
    migration.forwards(apps, None)

    assert not RuleOverride.objects.filter(rule_id="organ_makeup").exists()
    kept = RuleOverride.objects.get(rule_id="organ_time_full")
    assert kept.params == {} and kept.severity == "critical"
    assert parameter_value(world.member.branch, "makeup_days") == 10
    assert parameter_value(world.branch, "half_day_minutes") == 210
    assert Organization.objects.get(pk=world.sibling.pk).settings == {"half_day_minutes": 240}
    assert set(ParameterChange.objects.values_list("org__name", "key", "value")) == {
        ("县直机关工委", "makeup_days", 10),
        ("第一党支部", "half_day_minutes", 210),
    }
