"""Guard: no parameter of organizational life is defined outside the registry.

Scans the project's Python (zhibu/ and bench/, outside orgs/parameters.py, tests and
migrations) for the names and literals the parameters used to have before the registry —
module constants, settings, a kind's own default for a registry key, a make-up or re-check
date from a literal number of days, the 1/3 cap — and fails naming the file and line.
The patterns are precise on purpose: each is checked below against code it must and must
not flag, so unrelated durations (a demo's meeting lengths, a token's rotation) pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zhibu.orgs.parameters import PARAMETERS

ROOT = Path(__file__).resolve().parents[3]
HOME = Path("zhibu/orgs/parameters.py")

KEYS = "|".join(sorted({*PARAMETERS, "half_day_hours"}))
PATTERNS: dict[str, re.Pattern] = {
    "a constant the registry replaced": re.compile(
        r"\b(?:ZHIBU_|DEFAULT_)?(MAKEUP_DAYS|LATE_AFTER_MINUTES|LATE_ENTRY_DAYS"
        r"|SIGNIN_MARGIN_MINUTES|SILENCE_DAYS|HALF_DAY|PROBATION_NOTICE_DAYS|EXCELLENT_CAP|RECHECK_MONTHS|NOTICE_DAYS)\b"
    ),
    "the excellent-share cap as a literal": re.compile(r"[\"']1/3[\"']"),
    "a registry key read with a default of its own": re.compile(
        rf"\.get\(\s*[\"']({KEYS})[\"']\s*,"
    ),
    "a registry key given a literal number": re.compile(rf"[\"']?\b({KEYS})\b[\"']?\s*[=:]\s*\d"),
    "a make-up or re-check date from a literal": re.compile(
        r"\b(due|recheck)\w*\s*=.*timedelta\((days|weeks)=\d+"
    ),
    "a half-day as a literal": re.compile(r"timedelta\(hours=3(, minutes=30)?\)"),
    "the removed per-organization lookup": re.compile(r"\borg_setting\("),
}


def offences(text: str) -> list[tuple[int, str, str]]:
    """(line, what, code) for every line of `text` that defines a parameter outside the
    registry; comments are prose and pass."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        code = line.strip()
        if code.startswith("#"):
            continue
        for what, pattern in PATTERNS.items():
            if pattern.search(code):
                found.append((number, what, code))
    return found


def scanned() -> list[Path]:
    files = [*ROOT.joinpath("zhibu").rglob("*.py"), *ROOT.joinpath("bench").rglob("*.py")]
    out = []
    for path in files:
        rel = path.relative_to(ROOT)
        if rel == HOME or {"tests", "migrations"} & set(rel.parts):
            continue
        out.append(path)
    return sorted(out)


def test_no_parameter_is_defined_outside_the_registry():
    files = scanned()
    assert len(files) > 50  # the scan really reads the project
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {what}: {code}"
        for path in files
        for line, what, code in offences(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "define these in zhibu/orgs/parameters.py:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "code",
    [
        "MAKEUP_DAYS = 30",
        "due = spec.day + timedelta(days=MAKEUP_DAYS)",
        'ZHIBU_LATE_ENTRY_DAYS = env_int("ZHIBU_LATE_ENTRY_DAYS", 7)',
        "LATE_AFTER_MINUTES = 15",
        "SILENCE_DAYS = 30",
        "HALF_DAY = timedelta(hours=3, minutes=30)",
        'DEFAULT_EXCELLENT_CAP = "1/3"',
        "DEFAULT_RECHECK_MONTHS = 6",
        "timedelta(days=settings.ZHIBU_SIGNIN_MARGIN_MINUTES)",
        'days = params.get("makeup_days", 30)',
        'return round(float(params.get("half_day_hours", 3)) * 60)',
        'days = params.get("notice_days", 3)',
        "due = day + timedelta(days=30)",
        "due_date=day + timedelta(days=30),",
        "recheck_on=deadline + timedelta(days=180) if done else None,",
        'months = int(org_setting(item.org, "recheck_months", 6))',
        'settings = {"makeup_days": 14}',
    ],
)
def test_the_guard_flags_what_it_is_meant_to(code):
    assert offences(code), code


@pytest.mark.parametrize(
    "code",
    [
        'days = int(value(params, "makeup_days"))',
        "due = meeting_day(meeting) + timedelta(days=makeup_days(meeting.org))",
        'due = spec.day + timedelta(days=int(parameters.default("makeup_days")))',
        "planned_minutes=180,",
        "deadline = day + timedelta(days=90)",
        "join = today - timedelta(days=rng.randint(20, 340))",
        'ZHIBU_SIGNIN_TOKEN_SECONDS = env_int("ZHIBU_SIGNIN_TOKEN_SECONDS", 180)',
        '# e.g. {"makeup_days": 10}',
        'share = Fraction(str(parameter_value(review.org, "excellent_cap")))',
    ],
)
def test_the_guard_passes_unrelated_code(code):
    assert not offences(code), code
