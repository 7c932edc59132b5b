"""Compliance test helpers: obligation rows made directly, a pinned clock, a stand-in engine."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from zhibu.compliance.models import Obligation
from zhibu.compliance.verdicts import Verdict
from zhibu.core import periods

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 10, 25, 10, 0, tzinfo=SHANGHAI)


def make_obligation(
    org,
    rule_id: str = "organ_party_day_monthly",
    *,
    family: str = "party_day",
    status: str = "met",
    period_key: str = "2026-10",
    member=None,
    pattern: str = "",
    severity: str = "high",
    explanation: str = "",
    evaluated_at: datetime | None = None,
    numbers: dict | None = None,
    final: bool = False,
) -> Obligation:
    period = periods.parse(period_key)
    return Obligation.objects.create(
        org=org,
        member=member,
        rule_id=rule_id,
        family=family,
        period_key=period.key,
        period_first=period.first,
        period_last=period.last,
        status=status,
        pattern=pattern,
        severity=severity,
        explanation=explanation or f"{rule_id} {status}",
        numbers=numbers or {},
        evaluated_at=evaluated_at or NOW,
        final=final,
    )


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def fake_rule(rule_id: str, **kw):
    base = {
        "id": rule_id,
        "kind": "min_count",
        "family": "party_day",
        "subject": "branch",
        "period": "month",
        "params": {},
        "severity": "high",
        "name_zh": rule_id,
        "text_zh": f"{rule_id} 原文",
        "source": "支部条例 第十六条",
    }
    return SimpleNamespace(**(base | kw))


def fake_result(rule, org, verdict: Verdict, *, member=None, period=None):
    return SimpleNamespace(
        rule=rule,
        org_id=org.pk,
        member_id=member.pk if member else None,
        period=period or periods.containing(rule.period, NOW.date()),
        verdict=verdict,
    )


@pytest.fixture
def fake_engine(monkeypatch):
    """Replace engine.evaluate with a function returning canned results; records its calls."""
    calls: list[tuple] = []
    box = {"results": lambda org, period: []}

    def evaluate(org, period, now=None):
        calls.append((org.pk, period.key, now))
        return box["results"](org, period)

    monkeypatch.setattr("zhibu.compliance.selectors.live_evaluate", evaluate)
    return SimpleNamespace(calls=calls, box=box)
