"""Table-driven tests of every rule kind at its boundaries. Pure: no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from zhibu.compliance.kinds import KINDS
from zhibu.compliance.kinds.base import Tenure
from zhibu.compliance.rules import all_rules
from zhibu.compliance.tests.builders import (
    BRANCH,
    GROUP,
    OTHER_BRANCH,
    at,
    attend,
    branch,
    makeup,
    meeting,
    person,
)
from zhibu.core.periods import half, month, quarter, year

UTC = ZoneInfo("UTC")
D = date
RULES = all_rules()


def run(rule_id: str, facts, period, now, **params):
    rule = RULES[rule_id]
    return KINDS[rule.kind]({**rule.params, **params}, facts, period, now)


MARCH, FEB, JAN = month(2026, 3), month(2026, 2), month(2026, 1)
APRIL_2 = at(D(2026, 4, 2))
MID_MARCH = at(D(2026, 3, 15))


def jan_feb(units_jan: int = 2, units_feb: int = 2) -> list:
    """Half-day sessions (180 min) in January and February."""
    out = [meeting(D(2026, 1, 5 + i)) for i in range(units_jan)]
    return out + [meeting(D(2026, 2, 5 + i)) for i in range(units_feb)]


# ---- organ party day, monthly pace (paced_total, mode pace) --------------------------------


def months(**units) -> list:
    """Half-day sessions (180 min) per month of 2026: months(jan=2, feb=0, mar=1)."""
    names = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    out = []
    for number, name in enumerate(names, start=1):
        out += [meeting(D(2026, number, 5 + i)) for i in range(units.get(name, 0))]
    return out


def planned(day: date, minutes: int = 180):
    return meeting(day, None, status="planned", planned_minutes=minutes)


# Each case: id, meetings, period, now, status, pattern, numbers subset, words in the explanation.
PACE_CASES = [
    (
        "exactly two half-days",
        months(jan=2, feb=2, mar=2),
        MARCH,
        APRIL_2,
        "met",
        "",
        {"units": 2, "needed_units": 0},
        ["2026年3月：开展党日 2 个半天", "符合进度"],
    ),
    (
        "one full day counts two units",
        [*jan_feb(), meeting(D(2026, 3, 3), 360)],
        MARCH,
        APRIL_2,
        "met",
        "",
        {"units": 2},
        [],
    ),
    (
        "full day 5h59 counts one",
        [*jan_feb(), meeting(D(2026, 3, 3), 359)],
        MARCH,
        APRIL_2,
        "not_met",
        "time_squeezed",
        {"units": 1, "ytd_units": 5, "pace_units": 6, "needed_units": 1, "pace_gap_units": 1},
        ["落后 1 个半天", "须在2026年12月31日前补足 1 个半天"],
    ),
    (
        "2h59 counts nothing",
        [*jan_feb(), meeting(D(2026, 3, 3), 179), meeting(D(2026, 3, 4), 179)],
        MARCH,
        APRIL_2,
        "not_met",
        "time_squeezed",
        {"units": 0, "pace_gap_units": 2},
        ["3月3日的主题党日实际 179 分钟，不足半天（3 小时），不计入"],
    ),
    (
        "3h counts one unit",
        [*jan_feb(), meeting(D(2026, 3, 3), 180), meeting(D(2026, 3, 4), 180)],
        MARCH,
        APRIL_2,
        "met",
        "",
        {"units": 2},
        [],
    ),
    (
        "a 50-minute half-day is perfunctory",
        [*jan_feb(), meeting(D(2026, 3, 3), 180), meeting(D(2026, 3, 12), 50)],
        MARCH,
        APRIL_2,
        "not_met",
        "perfunctory",
        {"units": 1, "needed_units": 1},
        ["3月12日的主题党日只开了 50 分钟，不到 60 分钟，属走过场"],
    ),
    (
        "business content counts nothing",
        [*jan_feb(), meeting(D(2026, 3, 3), 360, category="business")],
        MARCH,
        APRIL_2,
        "not_met",
        "content_missing",
        {"units": 0, "needed_units": 2},
        ["3月3日的主题党日用于非党的内容，不计入党日时间"],
    ),
    (
        "planned and cancelled never count",
        [
            *jan_feb(),
            meeting(D(2026, 3, 3), 360, status="planned"),
            meeting(D(2026, 3, 4), 360, status="cancelled"),
        ],
        MARCH,
        APRIL_2,
        "not_met",
        "time_squeezed",
        {"units": 0},
        [],
    ),
    (
        "concentrated: an empty February keeps pace",
        months(jan=4),
        FEB,
        at(D(2026, 3, 1)),
        "met",
        "",
        {"units": 0, "ytd_units": 4, "pace_units": 4},
        ["开展党日 0 个半天，要求 2 个半天；属相对集中使用，年度累计 4 个半天", "仍符合进度"],
    ),
    (
        "concentrated: two days in March",
        months(jan=4, mar=4),
        MARCH,
        APRIL_2,
        "met",
        "",
        {"units": 4, "ytd_units": 8},
        [],
    ),
    (
        "an empty February behind pace",
        months(jan=2),
        FEB,
        at(D(2026, 3, 1)),
        "not_met",
        "time_squeezed",
        {"ytd_units": 2, "pace_units": 4, "pace_gap_units": 2},
        [],
    ),
    (
        "the month reached 2 units but the year is behind",
        months(mar=2),
        MARCH,
        APRIL_2,
        "not_met",
        "time_squeezed",
        {"units": 2, "needed_units": 0, "pace_gap_units": 4},
        [
            "本月已开展党日 2 个半天，达到每月要求，但年度累计 2 个半天，按进度应达 6 个半天，"
            "仍落后 4 个半天"
        ],
    ),
    # Open months: open, unless short and within the 10-day window or already behind.
    (
        "open: one held, one scheduled",
        [*months(jan=2, feb=2, mar=1), planned(D(2026, 3, 20))],
        MARCH,
        MID_MARCH,
        "open",
        "",
        {"units": 1, "scheduled_units": 1, "remaining_days": 17},
        [],
    ),
    (
        "open: empty, 11 days left",
        months(jan=2, feb=2),
        MARCH,
        at(D(2026, 3, 21)),
        "open",
        "",
        {"remaining_days": 11, "needed_units": 2},
        [],
    ),
    (
        "at risk: empty, 10 days left",
        months(jan=2, feb=2),
        MARCH,
        at(D(2026, 3, 22)),
        "at_risk",
        "time_squeezed",
        {"remaining_days": 10, "needed_units": 2},
        [
            "2026年3月：已开展党日 0 个半天，要求 2 个半天；还需安排 2 个半天；"
            "尚余 10 天，已安排 0 个半天"
        ],
    ),
    (
        "at risk: the year was behind when the month began",
        months(jan=2),
        MARCH,
        at(D(2026, 3, 3)),
        "at_risk",
        "time_squeezed",
        {"needed_units": 2, "pace_gap_units": 4, "remaining_days": 29},
        ["还需安排 2 个半天，补足年度进度需 4 个半天；尚余 29 天，已安排 0 个半天"],
    ),
    (
        "open: behind, but what is scheduled catches up",
        [*months(jan=2), planned(D(2026, 3, 10), 360), planned(D(2026, 3, 17), 360)],
        MARCH,
        at(D(2026, 3, 3)),
        "open",
        "",
        {"scheduled_units": 4},
        [],
    ),
    (
        "met early: the month's units already held",
        months(jan=2, feb=2, mar=2),
        MARCH,
        MID_MARCH,
        "met",
        "",
        {"units": 2},
        [],
    ),
]


@pytest.mark.parametrize(
    "meetings,period,now,status,pattern,numbers,words",
    [c[1:] for c in PACE_CASES],
    ids=[c[0] for c in PACE_CASES],
)
def test_party_day_monthly_pace(meetings, period, now, status, pattern, numbers, words):
    v = run("organ_party_day_monthly", branch(meetings), period, now)
    assert (v.status, v.pattern) == (status, pattern), v.explanation
    assert numbers.items() <= v.numbers.items()
    for text in words:
        assert text in v.explanation


def test_pace_explanation_reads_with_the_numbers():
    meetings = [meeting(D(2026, m, 5), 360) for m in (1, 2, 3, 4)]  # 4 days
    meetings += [meeting(D(2026, 5, 5)), meeting(D(2026, 6, 5))]  # 1 day more, 0.5 in June
    v = run("organ_party_day_monthly", branch(meetings), month(2026, 6), at(D(2026, 7, 1)))
    assert v.status == "not_met"
    assert v.explanation == (
        "2026年6月：开展党日 1 个半天，要求 2 个半天；年度累计 10 个半天，"
        "按进度应达 12 个半天，落后 2 个半天；须在2026年12月31日前补足 2 个半天"
    )


def test_month_end_in_shanghai_while_utc_is_still_the_previous_day():
    # 2026-03-31 16:30 UTC is already 1 April 00:30 in Asia/Shanghai: March is over.
    now = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)
    late_march = meeting(D(2026, 3, 31), 180, start="20:00")  # 12:00 UTC, 31 March
    # 1 April 07:00 Shanghai is 31 March 23:00 UTC: it belongs to April, not March.
    early_april = meeting(D(2026, 4, 1), 180, start="07:00")
    assert early_april.start.astimezone(UTC).date() == D(2026, 3, 31)
    facts = branch([*jan_feb(2, 2), late_march, early_april])
    v = run("organ_party_day_monthly", facts, MARCH, now)
    assert v.status == "not_met"  # deadline passed, behind pace: not "at_risk, still open"
    assert v.numbers["units"] == 1
    april = run("organ_party_day_monthly", facts, month(2026, 4), now)
    assert april.numbers["units"] == 1


def test_party_day_before_the_branch_existed():
    founded = D(2026, 3, 15)
    facts = branch(
        [meeting(D(2026, 3, 20)), meeting(D(2026, 4, 3)), meeting(D(2026, 4, 10))],
        founded_on=founded,
    )
    march = run("organ_party_day_monthly", facts, MARCH, APRIL_2)
    assert march.status == "not_applicable"
    assert "2026-03-15" in march.explanation
    april = run("organ_party_day_monthly", facts, month(2026, 4), at(D(2026, 5, 1)))
    assert april.status == "met"
    assert april.numbers["pace_units"] == 2  # only April counts toward the pace
    feb = run("organ_party_day_monthly", facts, FEB, APRIL_2)
    assert feb.status == "not_applicable"


# ---- organ party day, yearly floor ---------------------------------------------------------


def sessions(n: int, minutes: int = 180, start: date | None = None) -> list:
    start = start or D(2026, 1, 5)
    return [meeting(start + timedelta(days=7 * i), minutes) for i in range(n)]


FLOOR_CASES = [
    ("24 units by year end", sessions(24), at(D(2027, 1, 1)), "met", None),
    ("23 units by year end", sessions(23), at(D(2027, 1, 1)), "not_met", None),
    ("12 full days", sessions(12, 360), at(D(2027, 1, 1)), "met", None),
    ("on pace in July: open", sessions(14), at(D(2026, 7, 10)), "open", None),
    ("behind pace in July: at risk", sessions(8), at(D(2026, 7, 10)), "at_risk", None),
    ("on pace, 46 days left: open", sessions(22), at(D(2026, 11, 16)), "open", None),
    ("on pace, 45 days left: at risk", sessions(22), at(D(2026, 11, 17)), "at_risk", None),
    (
        "scheduled sessions cover the floor: open",
        [*sessions(22), meeting(D(2026, 12, 10), None, status="planned", planned_minutes=360)],
        at(D(2026, 11, 20)),
        "open",
        None,
    ),
    ("cannot be reached on 31 December", sessions(10), at(D(2026, 12, 31)), "not_met", None),
    (
        "founded in July: half the floor",
        sessions(12, start=D(2026, 7, 6)),
        at(D(2027, 1, 1)),
        "met",
        D(2026, 7, 1),
    ),
]


@pytest.mark.parametrize(
    "meetings,now,status,founded", [c[1:] for c in FLOOR_CASES], ids=[c[0] for c in FLOOR_CASES]
)
def test_party_day_yearly_floor(meetings, now, status, founded):
    v = run("organ_party_day_yearly", branch(meetings, founded_on=founded), year(2026), now)
    assert v.status == status, v.explanation
    if founded:
        assert v.numbers["target_units"] == 12


# ---- time really used in full (min_duration) -----------------------------------------------

DURATION_CASES = [
    ("59 minutes is perfunctory", 59, None, "not_met", "perfunctory"),
    ("60 minutes is short, not perfunctory", 60, None, "not_met", "time_squeezed"),
    ("2h59 is short", 179, None, "not_met", "time_squeezed"),
    ("3h is a full half-day", 180, None, "met", ""),
    ("full day planned, 5h held", 300, 480, "not_met", "time_squeezed"),
    ("full day planned, 6h held", 360, 480, "met", ""),
]


@pytest.mark.parametrize(
    "minutes,planned,status,pattern",
    [c[1:] for c in DURATION_CASES],
    ids=[c[0] for c in DURATION_CASES],
)
def test_time_full(minutes, planned, status, pattern):
    facts = branch([meeting(D(2026, 3, 3), minutes, planned_minutes=planned)])
    v = run("organ_time_full", facts, MARCH, APRIL_2)
    assert (v.status, v.pattern) == (status, pattern), v.explanation


def test_time_full_stricter_half_day():
    facts = branch([meeting(D(2026, 3, 3), 200)])
    assert run("organ_time_full", facts, MARCH, APRIL_2).status == "met"
    assert run("organ_time_full", facts, MARCH, APRIL_2, half_day_minutes=240).status == "not_met"


# ---- min_count -----------------------------------------------------------------------------

Q1, Q3 = quarter(2026, 1), quarter(2026, 3)
COUNT_CASES = [
    ("held once", [meeting(D(2026, 2, 3), 90, type="general_meeting")], APRIL_2, {}, "met"),
    ("none, quarter over", [], APRIL_2, {}, "not_met"),
    (
        "none yet, one scheduled",
        [meeting(D(2026, 3, 25), None, type="general_meeting", status="planned")],
        MID_MARCH,
        {},
        "open",
    ),
    ("none yet, 21 days left", [], at(D(2026, 3, 11)), {}, "open"),
    ("none yet, 20 days left", [], at(D(2026, 3, 12)), {}, "at_risk"),
    (
        "planned in the past does not count",
        [meeting(D(2026, 3, 3), None, type="general_meeting", status="planned")],
        APRIL_2,
        {},
        "not_met",
    ),
    (
        "cancelled does not count",
        [meeting(D(2026, 3, 3), 90, type="general_meeting", status="cancelled")],
        APRIL_2,
        {},
        "not_met",
    ),
    (
        "other type does not count",
        [meeting(D(2026, 2, 3), 90, type="party_lecture")],
        APRIL_2,
        {},
        "not_met",
    ),
]


@pytest.mark.parametrize(
    "meetings,now,extra,status", [c[1:] for c in COUNT_CASES], ids=[c[0] for c in COUNT_CASES]
)
def test_general_meeting_quarterly(meetings, now, extra, status):
    v = run("general_meeting_quarterly", branch(meetings, **extra), Q1, now)
    assert v.status == status, v.explanation
    if status in ("open", "at_risk"):
        scheduled = len(meetings)
        assert v.numbers["scheduled"] == scheduled
        assert v.explanation.endswith(f"已安排 {scheduled} 次")
        assert "还需召开支部党员大会 1 次" in v.explanation


@pytest.mark.parametrize(
    "founded,status,required",
    [
        (D(2026, 8, 1), "not_met", 1),
        (D(2026, 9, 10), "not_applicable", None),
        (D(2026, 12, 1), "not_applicable", None),
        (D(2020, 1, 1), "not_met", 1),
    ],
    ids=["founded 1 Aug", "founded 10 Sep", "founded after the quarter", "long before"],
)
def test_quarter_before_the_branch_existed(founded, status, required):
    v = run("general_meeting_quarterly", branch(founded_on=founded), Q3, at(D(2026, 10, 2)))
    assert v.status == status, v.explanation
    if required:
        assert v.numbers["required"] == required


def test_committee_meeting_needs_a_committee():
    small = branch(full_member_count=6)
    v = run("committee_meeting_monthly", small, MARCH, APRIL_2)
    assert v.status == "not_applicable" and "不足 7 人" in v.explanation
    assert run("committee_meeting_monthly", branch(), MARCH, APRIL_2).status == "not_met"


def test_party_group_meetings_per_group():
    facts = branch(
        [meeting(D(2026, 3, 3), 60, type="party_group_meeting", org_id=GROUP)],
        party_group_ids=(GROUP, GROUP + 1),
    )
    v = run("party_group_meeting_monthly", facts, MARCH, APRIL_2)
    assert v.status == "not_met"
    assert v.numbers["short_group_ids"] == [GROUP + 1]
    assert run("party_group_meeting_monthly", branch(), MARCH, APRIL_2).status == "not_applicable"


def test_types_held_lists_what_is_missing():
    held = [
        meeting(D(2026, 3, 3), 120, type=t)
        for t in ("general_meeting", "party_lecture", "party_day", "org_life_meeting")
    ]
    v = run(
        "organ_content_complete", branch(held, full_member_count=5), year(2026), at(D(2027, 1, 2))
    )
    assert v.status == "not_met"
    assert v.numbers["missing_types"] == ["democratic_review"]  # no committee below 7
    assert "民主评议党员" in v.explanation


# ---- attendance and leave ------------------------------------------------------------------

M1 = meeting(D(2026, 3, 10), 180, start="14:00")
BEFORE, AFTER = at(D(2026, 3, 9)), at(D(2026, 3, 10), "14:30")
LEAVE_CASES = [
    ("present", attend(M1), "met"),
    ("late still attended", attend(M1, outcome="late"), "met"),
    ("absent without leave", attend(M1, outcome="absent"), "not_met"),
    (
        "leave approved before the start",
        attend(M1, outcome="on_leave", leave="approved", requested=BEFORE, decided=BEFORE),
        "met",
    ),
    (
        "leave approved after the start",
        attend(M1, outcome="on_leave", leave="approved", requested=BEFORE, decided=AFTER),
        "not_met",
    ),
    (
        "leave requested after the start",
        attend(M1, outcome="on_leave", leave="approved", requested=AFTER, decided=AFTER),
        "not_met",
    ),
    ("leave pending", attend(M1, outcome="on_leave", leave="pending", requested=BEFORE), "not_met"),
    ("marked on leave without a request", attend(M1, outcome="on_leave"), "not_met"),
]


@pytest.mark.parametrize(
    "row,status", [c[1:] for c in LEAVE_CASES], ids=[c[0] for c in LEAVE_CASES]
)
def test_leave_approval(row, status):
    v = run("organ_leave_approval", person(attendances=[row]), MARCH, APRIL_2)
    assert v.status == status, v.explanation
    if status == "not_met":
        assert v.pattern == "people_missing"


def test_exempt_member_is_not_missing():
    v = run(
        "organ_leave_approval",
        person(attendances=[attend(M1, outcome="absent")], exempt=True),
        MARCH,
        APRIL_2,
    )
    assert v.status == "not_applicable"
    # ... and does not count against the branch's register either.
    facts = branch(
        [M1],
        attendances=(attend(M1, 1, ""), attend(M1, 2, "present")),
        members=person(1, exempt=True).members,
    )
    assert run("organ_attendance_register", facts, MARCH, APRIL_2).status == "met"


def test_member_transferred_mid_quarter():
    """Absences in the old branch still count for the quarter; both branches' meetings due."""
    old = meeting(D(2026, 7, 10), 180, type="general_meeting", org_id=OTHER_BRANCH)
    new = meeting(D(2026, 9, 10), 180, type="general_meeting", org_id=BRANCH)
    tenures = (Tenure(OTHER_BRANCH, D(2010, 7, 1), D(2026, 8, 14)), Tenure(BRANCH, D(2026, 8, 15)))
    facts = person(attendances=[attend(old, outcome="absent"), attend(new)], tenures=tenures)
    v = KINDS["attendance"]({"max_unexcused": 0}, facts, Q3, at(D(2026, 10, 2)))
    assert v.status == "not_met"
    assert v.numbers == {"due": 2, "attended": 1, "excused": 0, "unexcused": 1}


REGISTER_CASES = [
    ("all registered", "confirmed", ["present", "absent"], "met"),
    ("blank on a confirmed record", "confirmed", ["present", ""], "not_met"),
    ("blank while still being written", "held", ["present", ""], "at_risk"),
    ("no register at all", "confirmed", [], "not_met"),
]


@pytest.mark.parametrize(
    "status_,outcomes,status", [c[1:] for c in REGISTER_CASES], ids=[c[0] for c in REGISTER_CASES]
)
def test_attendance_register(status_, outcomes, status):
    m = meeting(D(2026, 3, 10), status=status_)
    rows = tuple(attend(m, i + 1, o) for i, o in enumerate(outcomes))
    v = run("organ_attendance_register", branch([m], attendances=rows), MARCH, APRIL_2)
    assert v.status == status, v.explanation


# ---- make-up -------------------------------------------------------------------------------

M2 = meeting(D(2026, 2, 20))
MAKEUP_CASES = [
    (
        "done on the deadline",
        [makeup(M2, D(2026, 3, 22), at(D(2026, 3, 22), "20:00"))],
        APRIL_2,
        "met",
    ),
    ("done a day late", [makeup(M2, D(2026, 3, 22), at(D(2026, 3, 23)))], APRIL_2, "not_met"),
    ("open, deadline ahead", [makeup(M2, D(2026, 3, 22))], MID_MARCH, "at_risk"),
    ("open, deadline passed", [makeup(M2, D(2026, 3, 22))], APRIL_2, "not_met"),
]


@pytest.mark.parametrize(
    "makeups,now,status", [c[1:] for c in MAKEUP_CASES], ids=[c[0] for c in MAKEUP_CASES]
)
def test_makeup_done(makeups, now, status):
    facts = person(attendances=[attend(M2, outcome="absent")], makeups=makeups)
    assert run("organ_makeup", facts, MARCH, now).status == status


def test_absence_without_makeup_row_gets_the_default_deadline():
    facts = person(attendances=[attend(M2, outcome="on_leave")])
    v = run("organ_makeup", facts, MARCH, APRIL_2)  # due 2026-03-22 (30 days)
    assert v.status == "not_met" and v.numbers["overdue"] == 1
    assert run("organ_makeup", person(), MARCH, APRIL_2).status == "not_applicable"


# ---- dual organizational life --------------------------------------------------------------

GM = meeting(D(2026, 8, 10), 120, type="general_meeting")
DUAL_CASES = [
    (
        "not a leading cadre",
        False,
        [attend(GM, outcome="absent")],
        at(D(2026, 10, 2)),
        "not_applicable",
    ),
    ("attended", True, [attend(GM)], at(D(2026, 10, 2)), "met"),
    ("absent without leave", True, [attend(GM, outcome="absent")], at(D(2026, 10, 2)), "not_met"),
    (
        "excused in advance",
        True,
        [
            attend(
                GM,
                outcome="on_leave",
                leave="approved",
                requested=at(D(2026, 8, 1)),
                decided=at(D(2026, 8, 2)),
            )
        ],
        at(D(2026, 10, 2)),
        "met",
    ),
    ("nothing yet, quarter open", True, [], at(D(2026, 8, 1)), "open"),
    ("nothing yet, 21 days left", True, [], at(D(2026, 9, 10)), "open"),
    ("nothing yet, 20 days left", True, [], at(D(2026, 9, 11)), "at_risk"),
    ("nothing all quarter", True, [], at(D(2026, 10, 2)), "not_met"),
]


@pytest.mark.parametrize(
    "cadre,rows,now,status", [c[1:] for c in DUAL_CASES], ids=[c[0] for c in DUAL_CASES]
)
def test_dual_life(cadre, rows, now, status):
    v = run("organ_dual_org_life", person(attendances=rows, cadre=cadre), Q3, now)
    assert v.status == status, v.explanation


# ---- silence, reports, content, procedure, notice ------------------------------------------


def test_member_silence_six_months():
    old = meeting(D(2025, 9, 1))
    missed = meeting(D(2026, 1, 10))
    facts = person(
        attendances=[attend(old), attend(missed, outcome="absent")], window_first=D(2025, 6, 1)
    )
    v = run("member_attendance", facts, MARCH, at(D(2026, 3, 20)))
    assert v.status == "not_met" and v.numbers["days_since"] == 200
    # An approved leave is a valid reason: the clock restarts.
    excused = attend(
        missed,
        outcome="on_leave",
        leave="approved",
        requested=at(D(2026, 1, 1)),
        decided=at(D(2026, 1, 2)),
    )
    facts = person(attendances=[attend(old), excused], window_first=D(2025, 6, 1))
    assert run("member_attendance", facts, MARCH, at(D(2026, 3, 20))).status == "met"
    # Nothing due and nothing missed: the branch was silent, not the member.
    facts = person(attendances=[attend(old)], window_first=D(2025, 6, 1))
    assert run("member_attendance", facts, MARCH, at(D(2026, 3, 20))).status == "at_risk"


def test_reports_without_a_data_source_are_not_applicable():
    v = run("organ_member_report_quarterly", person(), Q1, APRIL_2)
    assert v.status == "not_applicable"
    assert "尚未接入" in v.explanation
    from zhibu.compliance.kinds.base import ReportFact

    facts = person(reports=(ReportFact(1, D(2026, 2, 1), "thought_report"),))
    assert run("organ_member_report_quarterly", facts, Q1, APRIL_2).status == "met"
    assert run("organ_member_report_quarterly", person(reports=()), Q1, APRIL_2).status == "not_met"


def test_party_content():
    facts = branch([meeting(D(2026, 3, 3)), meeting(D(2026, 3, 10), category="entertainment")])
    v = run("organ_party_day_party_content", facts, MARCH, APRIL_2)
    assert v.status == "not_met" and v.numbers["non_party"] == 1


def test_lecture_needs_discussion():
    bare = meeting(D(2026, 3, 3), 90, type="party_lecture", steps=frozenset({"lecture"}))
    discussed = meeting(D(2026, 3, 3), 90, type="party_lecture", discussion_count=3)
    assert run("organ_lecture_discussion", branch([bare]), MARCH, APRIL_2).status == "not_met"
    assert run("organ_lecture_discussion", branch([discussed]), MARCH, APRIL_2).status == "met"


def test_procedure_complete_for_org_life_meeting():
    steps = frozenset(
        {"theme", "pre_study", "heart_talk", "solicit", "self_check", "criticism", "rectify"}
    )
    m = meeting(
        D(2026, 3, 3), 120, type="org_life_meeting", steps=steps, topic="t", has_minutes=True
    )
    v = run("organ_procedure_complete", branch([m]), MARCH, APRIL_2)
    assert v.status == "not_met"
    assert v.explanation == ("2026年3月：1 次会议中 1 次程序不完整（3月3日组织生活会缺向上级报告）")
    unconfirmed = meeting(
        D(2026, 3, 3), 120, type="org_life_meeting", steps=steps, topic="t", status="held"
    )
    v = run("organ_procedure_complete", branch([unconfirmed]), MARCH, APRIL_2)
    assert v.status == "at_risk"
    assert v.explanation.endswith("；记录尚未确认，请在确认前补记所缺环节")
    full = meeting(
        D(2026, 3, 3),
        120,
        type="org_life_meeting",
        steps=steps | {"report"},
        topic="t",
        has_minutes=True,
    )
    assert run("organ_procedure_complete", branch([full]), MARCH, APRIL_2).status == "met"


@pytest.mark.parametrize(
    "notice_before,agenda,status",
    [
        (timedelta(days=3), True, "met"),
        (timedelta(days=2, hours=23), True, "not_met"),
        (timedelta(days=5), False, "not_met"),
        (None, True, "not_met"),
    ],
    ids=["3 days", "2 days 23 h", "no agenda", "never notified"],
)
def test_advance_notice(notice_before, agenda, status):
    start = at(D(2026, 3, 10))
    m = meeting(
        D(2026, 3, 10),
        notice_sent_at=start - notice_before if notice_before else None,
        has_agenda=agenda,
    )
    assert run("organ_advance_notice", branch([m]), MARCH, APRIL_2).status == status


def test_every_kind_has_a_rule_and_every_rule_a_known_kind():
    used = {r.kind for r in RULES.values()}
    assert used == set(KINDS)


def _subjects() -> list:
    """Fresh facts of a few subjects (fresh: each call derives its memo anew)."""
    from zhibu.compliance.kinds.base import ReportFact

    jan, feb, mar = meeting(D(2026, 1, 6)), meeting(D(2026, 2, 3)), meeting(D(2026, 3, 3))
    excused = attend(
        feb,
        outcome="on_leave",
        leave="approved",
        requested=at(D(2026, 1, 30)),
        decided=at(D(2026, 2, 1)),
    )
    rows = [attend(jan), excused, attend(mar, outcome="absent")]
    return [
        branch([jan, feb, mar], attendances=tuple(rows), window_first=D(2025, 12, 1)),
        person(
            attendances=rows,
            makeups=[makeup(feb, D(2026, 3, 5), at(D(2026, 3, 1)))],
            reports=(ReportFact(1, D(2026, 2, 1), "thought_report"),),
            window_first=D(2025, 12, 1),
        ),
        person(attendances=rows, exempt=True, reports=()),
        person(reports=()),  # no records and no window: periods start their own clocks
        person(cadre=True, tenures=[Tenure(BRANCH, D(2026, 2, 10))], window_first=D(2025, 12, 1)),
    ]


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("now", [MID_MARCH, APRIL_2])
def test_periods_form_gives_each_periods_verdict(kind, now):
    """What a kind derives once for a subject's periods never leaks from one to the next."""
    from zhibu.compliance.kinds import KIND_PERIODS

    rule = next(r for r in RULES.values() if r.kind == kind)
    periods = [JAN, FEB, MARCH, month(2026, 4), Q1, year(2026)]
    for i, facts in enumerate(_subjects()):
        together = KIND_PERIODS[kind](rule.params, facts, periods, now)
        alone = [KINDS[kind](rule.params, _subjects()[i], p, now) for p in periods]
        assert together == alone


# ---- the branch's half-yearly work report, presented at the general meeting ----------------

WORK_REPORT_CASES = [
    ("46 days left, nothing arranged", [], at(D(2026, 11, 15)), "open"),
    ("30 days left, nothing arranged", [], at(D(2026, 12, 2)), "at_risk"),
    (
        "30 days left, the general meeting scheduled",
        [meeting(D(2026, 12, 15), None, type="general_meeting", status="planned")],
        at(D(2026, 12, 2)),
        "open",
    ),
    ("the half-year over", [], at(D(2027, 1, 1)), "not_met"),
]


@pytest.mark.parametrize(
    "meetings,now,status", [c[1:] for c in WORK_REPORT_CASES], ids=[c[0] for c in WORK_REPORT_CASES]
)
def test_work_report_half_yearly(meetings, now, status):
    facts = branch(meetings, reports=())
    v = run("organ_work_report_half_yearly", facts, half(2026, 2), now)
    assert v.status == status, v.explanation


def test_advance_notice_names_the_late_sessions_and_what_to_do():
    start = at(D(2026, 3, 10))
    late = meeting(D(2026, 3, 10), notice_sent_at=start - timedelta(days=1), has_agenda=True)
    never = meeting(D(2026, 3, 17), has_agenda=False)
    fine = meeting(D(2026, 3, 24), notice_sent_at=at(D(2026, 3, 18)), has_agenda=True)
    v = run("organ_advance_notice", branch([late, never, fine]), MARCH, APRIL_2)
    assert v.status == "not_met"
    assert v.explanation == (
        "2026年3月：3 次会议中有 2 次未提前 3 天通知（3月10日主题党日提前 1 天通知；"
        "3月17日主题党日未发通知），有 1 次会前没有议程（3月17日主题党日）；"
        "今后请在会前 3 天发出通知，并在通知中附上议程"
    )


# ---- term-end election due (term_due) --------------------------------------------------------


def elected(day: date, years: int = 3):
    from zhibu.compliance.kinds.base import ElectionFact
    from zhibu.members.models import Election

    return ElectionFact(day, years, Election(held_on=day, term_years=years).term_ends_on)


Y2026 = year(2026)
# Each case: id, elections, period, now, status, words in the explanation.
TERM_CASES = [
    ("no election recorded", [], Y2026, at(D(2026, 6, 1)), "not_applicable", "尚未登记"),
    ("term runs past the year", [elected(D(2024, 5, 1))], Y2026, at(D(2026, 6, 1)), "met", ""),
    # elected 2023-12-31: the term's last day is 2026-12-30, inside 2026
    ("ends in the year, far off", [elected(D(2023, 12, 31))], Y2026, at(D(2026, 6, 1)), "open",
     "还有 212 天"),
    ("ends in 45 days: at risk", [elected(D(2023, 12, 31))], Y2026, at(D(2026, 11, 15)),
     "at_risk", "还有 45 天"),
    ("ends in 46 days: open", [elected(D(2023, 12, 31))], Y2026, at(D(2026, 11, 14)), "open", ""),
    ("ended, no new election", [elected(D(2023, 3, 1))], Y2026, at(D(2026, 3, 10)), "not_met",
     "至今 10 天"),
    ("re-elected on time", [elected(D(2023, 3, 1)), elected(D(2026, 2, 20))], Y2026,
     at(D(2026, 6, 1)), "met", "2026年选举"),
    ("election after the period does not count", [elected(D(2022, 3, 1)), elected(D(2026, 1, 5))],
     year(2025), at(D(2026, 6, 1)), "not_met", "2025年2月28日届满"),
    ("five-year term recorded", [elected(D(2022, 3, 1), 5)], Y2026, at(D(2026, 6, 1)), "met", ""),
]  # fmt: skip


@pytest.mark.parametrize(
    "elections,period,now,status,words",
    [c[1:] for c in TERM_CASES],
    ids=[c[0] for c in TERM_CASES],
)
def test_term_due(elections, period, now, status, words):
    v = run("term_due_election", branch(elections=tuple(elections)), period, now)
    assert v.status == status, v.explanation
    assert words in v.explanation
    if status in ("not_met", "at_risk"):
        assert v.pattern == "content_missing"


def test_term_due_warning_window_is_the_registry_parameter():
    facts = branch(elections=(elected(D(2023, 12, 31)),))
    now = at(D(2026, 10, 1))  # 90 days before the end
    assert run("term_due_election", facts, Y2026, now).status == "open"
    assert run("term_due_election", facts, Y2026, now, warn_days_year=90).status == "at_risk"
