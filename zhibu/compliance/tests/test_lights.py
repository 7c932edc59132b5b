"""The light table (status × severity → light) and the displayed status, with their SQL twins."""

from datetime import date

import pytest

from zhibu.compliance import lights
from zhibu.compliance.lights import Light
from zhibu.compliance.models import (
    Obligation,
    display_status,
    display_status_sql,
    exception_rank_sql,
    light_q,
    light_sql,
    stale_q,
)
from zhibu.compliance.tests.conftest import make_obligation
from zhibu.compliance.verdicts import Severity, Status

# status, then the light for blocking, critical, high, medium, low — written by hand.
TABLE = [
    ("not_met", "red", "red", "red", "yellow", "hint"),
    ("at_risk", "yellow", "yellow", "yellow", "hint", "hint"),
    ("open", "open", "open", "open", "open", "open"),
    ("met", "green", "green", "green", "green", "green"),
    ("not_applicable", "grey", "grey", "grey", "grey", "grey"),
]
SEVERITIES = ("blocking", "critical", "high", "medium", "low")


@pytest.mark.parametrize(
    ("status", "severity", "expected"),
    [(row[0], sev, row[i + 1]) for row in TABLE for i, sev in enumerate(SEVERITIES)],
)
def test_light_table(status, severity, expected):
    assert lights.light(status, severity) == expected


def test_the_table_covers_every_status_and_severity():
    assert {row[0] for row in TABLE} == set(Status.values)
    assert set(SEVERITIES) == set(Severity.values)


def test_unknown_severity_fails_loudly():
    with pytest.raises(KeyError):
        lights.light("not_met", "")


@pytest.mark.parametrize(
    ("counts", "cell"),
    [
        ({}, ""),
        ({"grey": 2}, "grey"),
        ({"hint": 1}, "green"),  # a low-severity miss never colours the branch
        ({"green": 3, "hint": 1}, "green"),
        ({"green": 3, "open": 1}, "open"),
        ({"open": 1, "yellow": 1}, "yellow"),
        ({"yellow": 1, "red": 1, "hint": 2}, "red"),
        ({"red": 0, "green": 1}, "green"),
    ],
)
def test_a_cell_takes_the_worst_light(counts, cell):
    assert lights.worst(counts) == cell


def test_exceptions_come_first_then_open_then_hints():
    rows = [
        ("met", "high"),
        ("at_risk", "low"),
        ("open", "high"),
        ("not_met", "low"),
        ("at_risk", "high"),
        ("not_met", "medium"),
        ("not_met", "critical"),
        ("not_applicable", "high"),
    ]
    rows.sort(key=lambda r: lights.exception_rank(*r))
    assert rows == [
        ("not_met", "critical"),  # red
        ("not_met", "medium"),  # yellow, not_met before at_risk
        ("at_risk", "high"),
        ("open", "high"),
        ("not_met", "low"),  # hints
        ("at_risk", "low"),
        ("met", "high"),
        ("not_applicable", "high"),
    ]


END = date(2026, 9, 30)


@pytest.mark.parametrize(
    ("stored", "today", "shown"),
    [
        ("at_risk", date(2026, 9, 30), "at_risk"),  # the last day still belongs to the period
        ("at_risk", date(2026, 10, 1), "not_met"),  # the next day it has ended
        ("open", date(2026, 9, 30), "open"),
        ("open", date(2026, 10, 1), "not_met"),
        ("met", date(2026, 10, 1), "met"),
        ("not_met", date(2026, 9, 30), "not_met"),
        ("not_applicable", date(2026, 10, 1), "not_applicable"),
    ],
)
def test_display_status_at_the_period_boundary(stored, today, shown):
    assert display_status(stored, END, today) == shown


@pytest.mark.django_db
@pytest.mark.parametrize("by_key", [False, True])
def test_sql_twins_agree_with_python(world, by_key):
    """Every status × severity, in an ended and an open period: the columns equal the functions."""
    today = date(2026, 10, 25)
    for key in ("2026-09", "2026-10"):
        for status in Status.values:
            for severity in Severity.values:
                make_obligation(
                    world.branch,
                    f"r_{status}_{severity}",
                    period_key=key,
                    status=status,
                    severity=severity,
                )
    ended = stale_q(today, ["2026-09", "2026-10", "2026Q4"] if by_key else None)
    rows = Obligation.objects.annotate(
        shown=display_status_sql(ended), lamp=light_sql(ended), rank=exception_rank_sql(ended)
    )
    assert rows.count() == 2 * 5 * 5
    for o in rows:
        assert o.shown == o.display_status(today), o
        assert o.lamp == o.light(today), o
        assert o.rank == lights.exception_rank(o.shown, o.severity), o
    for lamp in Light.values:
        expected = {o.pk for o in rows if o.light(today) == lamp}
        assert set(
            Obligation.objects.filter(light_q(lamp, ended)).values_list("pk", flat=True)
        ) == (expected), lamp
