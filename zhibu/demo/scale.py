"""City- and province-scale data for benchmarks, generated in streaming batches.

Shape: a root organization → (for more than `committees_per_region` committees) regions →
organs work committees of ~300 branches → branches (every 25th pair under a 党总支) → two party
groups in branches of 24+ members. Each branch has a secretary (and a committee of three when it
has 7+ members); each member one tenure. A year of meetings up to `today` per branch: party days
(two half-days a month in organ branches), monthly committee and party-group meetings, quarterly
general meetings and lectures. Attendance is written for every meeting of every
`attendance_every`-th branch (1 = all; the province preset uses 50 to keep the volume
manageable), with leave requests and make-ups for absences.

Ids and paths are computed here, rows are streamed through writer.Sink (COPY on PostgreSQL), and
only one committee's worth of branches is ever held in memory.
"""

from __future__ import annotations

import random
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from zhibu.accounts.models import User
from zhibu.core.pinyin import name_initials, name_reading
from zhibu.demo import pools
from zhibu.demo.people import person_name
from zhibu.demo.writer import Ids, Sink
from zhibu.members.models import BranchTenure, CommitteePosition, Member
from zhibu.members.validators import id_check_digit
from zhibu.orglife.models import Attendance, LeaveRequest, Makeup, Meeting
from zhibu.orgs import parameters
from zhibu.orgs.models import Organization, path_segment

PRESETS = {
    # name: (branches, members per branch, attendance_every)
    "tiny": (50, 20, 1),
    "county": (300, 20, 1),
    "city": (10_000, 20, 1),
    "province": (300_000, 20, 50),
}
# Area codes for scale data (湖北): distinct from the county demo's, so both can coexist.
_AREAS = ("420102", "420103", "420104", "420106", "420111", "420115", "420281", "420502")
_DAYS = 13_000  # birth dates span 1966-01-01 + 0..12999 days
_ID_SPACE = 1000 * _DAYS * len(_AREAS)
_ID_STRIDE = 7_919  # prime, coprime with _ID_SPACE: i -> i*stride mod space is a bijection
_BIRTH0 = date(1966, 1, 1)


@dataclass
class ScaleResult:
    root_id: int
    counts: dict[str, int]
    timings: list[tuple[str, float]] = field(default_factory=list)


def scale_id_number(i: int) -> tuple[str, date, str]:
    """The i-th member's unique valid 身份证号, birth date and gender (a pure function of i)."""
    j = (i * _ID_STRIDE + 12_345) % _ID_SPACE
    seq, rest = j % 1000, j // 1000
    birth = _BIRTH0 + timedelta(days=rest % _DAYS)
    area = _AREAS[rest // _DAYS]
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17), birth, "male" if seq % 2 else "female"


def build_scale(
    *,
    branches: int,
    members_per_branch: int = 20,
    seed: int = 2026,
    today: date | None = None,
    now: datetime | None = None,
    meetings: bool = True,
    attendance_every: int = 1,
    branches_per_committee: int = 300,
    committees_per_region: int = 30,
    batch: int = 20_000,
    admin_password: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScaleResult:
    """Generate `branches` branches with about `members_per_branch` members each."""
    from zhibu.demo.services import demo_clock

    now, today = demo_clock(now=now, today=today)
    rng = random.Random(seed)
    ids = Ids()
    sink = Sink(batch=batch)
    tz = timezone.get_default_timezone()
    first_month = date(today.year - 1, today.month, 1)
    timings: list[tuple[str, float]] = []
    t0 = _time.perf_counter()
    say = progress or (lambda _msg: None)

    def org(
        name: str,
        kind: str,
        parent: tuple[int, str] | None,
        category: str = "organ",
        fixed: int | None = None,
    ) -> tuple[int, str]:
        pk = ids.next(Organization)
        path = (parent[1] if parent else "") + path_segment(pk)
        sink.add(
            Organization,
            id=pk,
            name=name,
            kind=kind,
            category=category,
            parent_id=parent[0] if parent else None,
            path=path,
            depth=len(path) // len(path_segment(0)) - 1,
            fixed_party_day=fixed,
            settings={},
        )
        return pk, path

    # One transaction per committee (~300 branches): bounded WAL/undo, steady progress.
    with transaction.atomic():
        if admin_password is not None and not User.objects.filter(username="admin").exists():
            sink.add(
                User,
                id=ids.next(User),
                username="admin",
                password=make_password(admin_password),
                first_name="系统管理员",
                last_name="",
                email="",
                is_superuser=True,
                is_staff=True,
                is_active=True,
                date_joined=now,
                phone=None,
            )
        root = org(f"演示省（{branches}个支部）", "base_party_committee", None)
        committees = max(1, -(-branches // branches_per_committee))
        regions: list[tuple[int, str]] = []
        if committees > committees_per_region:
            for r in range(-(-committees // committees_per_region)):
                regions.append(org(f"演示市{r + 1}", "base_party_committee", root))
        sink.flush()
    member_index = 0
    made = 0
    for c in range(committees):
        with transaction.atomic():
            parent = regions[c // committees_per_region] if regions else root
            committee = org(f"演示县{c + 1}直机关工委", "organs_work_committee", parent)
            n_here = min(branches_per_committee, branches - made)
            general: tuple[int, str] | None = None
            for b in range(n_here):
                made += 1
                category = "organ" if rng.random() < 0.85 else "enterprise"
                parent_org = committee
                if b % 25 == 0 and b + 1 < n_here:
                    general = org(f"演示单位{made}党总支", "general_branch", committee, category)
                if b % 25 in (0, 1) and general is not None:
                    parent_org = general
                fixed = rng.choice((8, 10, 12, 15, 18, 20))
                branch = org(f"演示单位{made}党支部", "branch", parent_org, category, fixed)
                size = max(3, min(50, round(rng.gauss(members_per_branch, members_per_branch / 3))))
                groups = []
                if size >= 24:
                    groups = [
                        org(f"演示单位{made}第{n}党小组", "party_group", branch, category)[0]
                        for n in ("一", "二")
                    ]
                roster = []
                for k in range(size):
                    idn, birth, gender = scale_id_number(member_index)
                    member_index += 1
                    join = min(
                        birth + timedelta(days=365 * 24 + rng.randrange(3650)),
                        today - timedelta(days=400),
                    )
                    pk = ids.next(Member)
                    group = groups[k % len(groups)] if groups else None
                    name = person_name(rng, gender)
                    sink.add(
                        Member,
                        id=pk,
                        name=name,
                        name_pinyin=name_reading(name),
                        name_initials=name_initials(name),
                        gender=gender,
                        ethnicity="汉族",
                        birth_date=birth,
                        id_number=idn,
                        phone=f"1{(member_index * 7_919) % 10**10:010d}",
                        education="bachelor",
                        join_date=join,
                        status="full_member",
                        full_member_date=join + timedelta(days=365),
                        is_leading_cadre=rng.random() < 0.08,
                        is_exempt=False,
                        branch_id=branch[0],
                        party_group_id=group,
                        user_id=None,
                        is_active=True,
                    )
                    sink.add(
                        BranchTenure,
                        id=ids.next(BranchTenure),
                        member_id=pk,
                        branch_id=branch[0],
                        party_group_id=group,
                        start=join,
                        end=None,
                        note="",
                    )
                    roster.append((pk, group))
                roles = ["secretary"] + (["org_member", "discipline_member"] if size >= 7 else [])
                for (pk, _g), role in zip(roster, roles, strict=False):
                    sink.add(
                        CommitteePosition,
                        id=ids.next(CommitteePosition),
                        member_id=pk,
                        org_id=branch[0],
                        role=role,
                        start=date(2024, 3, 1),
                        end=None,
                    )
                if meetings:
                    _year(
                        sink,
                        ids,
                        rng,
                        tz,
                        now,
                        first_month,
                        today,
                        branch[0],
                        fixed,
                        category,
                        roster,
                        groups,
                        [p for p, _ in roster[: len(roles)]],
                        with_attendance=attendance_every > 0 and made % attendance_every == 0,
                    )
            sink.flush()
        if (c + 1) % max(1, committees // 20) == 0 or c + 1 == committees:
            say(
                f"  {made}/{branches} 个支部，{member_index} 名党员，"
                f"{_time.perf_counter() - t0:.1f} 秒"
            )
    counts = sink.close()
    timings.append(("生成并写入", _time.perf_counter() - t0))
    return ScaleResult(root_id=root[0], counts=counts, timings=timings)


def _year(
    sink: Sink,
    ids: Ids,
    rng: random.Random,
    tz,
    now: datetime,
    first: date,
    today: date,
    branch_id: int,
    fixed: int,
    category: str,
    roster: list[tuple[int, int | None]],
    groups: list[int],
    committee: list[int],
    *,
    with_attendance: bool,
) -> None:
    """A year of meetings for one branch (and attendance when asked)."""
    y, m = first.year, first.month
    while (y, m) <= (today.year, today.month):
        plan: list[tuple[str, int, int, int, list[int]]] = []  # type, org, day, minutes, due
        everyone = [p for p, _ in roster]
        for d in (fixed, fixed + 10) if category == "organ" else (fixed,):
            plan.append(("party_day", branch_id, d, 210 if category == "organ" else 150, everyone))
        if len(committee) > 1:
            plan.append(("committee_meeting", branch_id, fixed - 4, 60, committee))
        for g in groups:
            plan.append(
                ("party_group_meeting", g, fixed + 3, 60, [p for p, gg in roster if gg == g])
            )
        if m % 3 == 0:
            plan.append(("general_meeting", branch_id, fixed + 6, 90, everyone))
        if m % 3 == 2:
            plan.append(("party_lecture", branch_id, fixed + 5, 120, everyone))
        for mtype, org_id, d, minutes, due in plan:
            day = date(y, m, min(28, d))
            start = datetime.combine(day, time(14, 30), tzinfo=tz)
            held = start < now
            minutes_real = minutes - rng.choice((0, 0, 5, 10, 15)) if held else None
            pk = ids.next(Meeting)
            sink.add(
                Meeting,
                id=pk,
                org_id=org_id,
                meeting_type=mtype,
                topic=_topic(mtype, m),
                content_category="political_study",
                place="",
                agenda="",
                materials="",
                lecturer="",
                planned_start=start,
                planned_end=start + timedelta(minutes=minutes),
                actual_start=start if held else None,
                actual_end=start + timedelta(minutes=minutes_real) if held else None,
                status="confirmed" if held else "planned",
                notice_sent_at=start - timedelta(days=5),
                minutes="",
                is_late_entry=False,
                late_entry_reason="",
                signin_code="",
                created_by_id=None,
                confirmed_by_id=None,
                confirmed_at=start + timedelta(days=2) if held else None,
            )
            if not with_attendance:
                continue
            for member_id in due:
                outcome = ""
                if held:
                    r = rng.random()
                    outcome = (
                        "present"
                        if r < 0.88
                        else "late"
                        if r < 0.91
                        else "on_leave"
                        if r < 0.97
                        else "absent"
                    )
                att = ids.next(Attendance)
                sink.add(
                    Attendance,
                    id=att,
                    meeting_id=pk,
                    member_id=member_id,
                    outcome=outcome,
                    signed_in_at=None,
                    sign_in_method="",
                    is_leading_cadre=False,
                )
                if outcome == "on_leave":
                    sink.add(
                        LeaveRequest,
                        id=ids.next(LeaveRequest),
                        meeting_id=pk,
                        member_id=member_id,
                        reason="因公出差",
                        requested_at=start - timedelta(days=2),
                        status="approved",
                        decided_at=start - timedelta(days=1),
                        decided_by_id=None,
                    )
                if outcome in ("on_leave", "absent") and mtype != "committee_meeting":
                    done = start + timedelta(days=rng.randint(3, 40))
                    sink.add(
                        Makeup,
                        id=ids.next(Makeup),
                        attendance_id=att,
                        member_id=member_id,
                        due_date=day + timedelta(days=int(parameters.default("makeup_days"))),
                        method="study",
                        reflection="",
                        later_meeting_id=None,
                        submitted_at=done if done < now else None,
                        confirmed_at=done if done < now else None,
                        confirmed_by_id=None,
                    )
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _topic(mtype: str, month: int) -> str:
    if mtype == "party_day":
        return pools.PARTY_DAY_TOPICS[month % len(pools.PARTY_DAY_TOPICS)]
    if mtype == "committee_meeting":
        return pools.COMMITTEE_TOPICS[month % len(pools.COMMITTEE_TOPICS)]
    if mtype == "general_meeting":
        return pools.GENERAL_TOPICS[month % len(pools.GENERAL_TOPICS)]
    if mtype == "party_lecture":
        return pools.LECTURE_TOPICS[month % len(pools.LECTURE_TOPICS)][0]
    return pools.GROUP_TOPICS[month % len(pools.GROUP_TOPICS)]
