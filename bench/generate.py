"""A minimal bulk generator for the compliance benchmark (used when zhibu.demo has no scale
builder): an organization tree, members with tenures, and a year of organizational life
(meetings, attendance, make-ups, procedure steps) with realistic gaps, written with the demo
writer (COPY on PostgreSQL). Deterministic for a seed.

Scales (branches ≈ members / 25):
  tiny      2 counties ×  25 branches        (smoke test, SQLite is fine)
  county    1 county   × 300 branches
  city     10 counties × 800 branches  ≈   8,000 branches, 200,000 members
  province 15 cities of the city scale ≈ 120,000 branches, 3,000,000 members
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from zhibu.demo.writer import Ids, Sink
from zhibu.members.models import BranchTenure, CommitteePosition, Member
from zhibu.orglife.models import (
    Attendance,
    DiscussionEntry,
    Makeup,
    Meeting,
    ProcedureStep,
)
from zhibu.orgs import parameters
from zhibu.orgs.models import Organization, path_segment

SCALES = {
    "tiny": (1, 2, 25),
    "county": (1, 1, 300),
    "city": (1, 10, 800),
    "province": (15, 10, 800),
}
# Of every 100 branches: how many are in 机关 (organ) vs enterprises/villages/communities.
CATEGORY_MIX = ("organ",) * 40 + ("enterprise",) * 25 + ("village",) * 20 + ("community",) * 15


@dataclass
class Generated:
    root_id: int
    county_ids: list[int]
    branch_ids: list[int]
    counts: dict[str, int]


def _aware(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


class _Gen:
    def __init__(self, sink: Sink, ids: Ids, rng: random.Random, now: datetime) -> None:
        self.sink, self.ids, self.rng, self.now = sink, ids, rng, now
        self.today = timezone.localdate(now)
        self.member_seq = 0

    def org(self, name: str, kind: str, category: str, parent: tuple[int, str] | None) -> tuple:
        pk = self.ids.next(Organization)
        path = (parent[1] if parent else "") + path_segment(pk)
        self.sink.add(
            Organization,
            id=pk,
            name=name,
            kind=kind,
            category=category,
            parent_id=parent[0] if parent else None,
            path=path,
            depth=len(path) // 10 - 1,
            founded_on=date(2015, 1, 1),
            fixed_party_day=self.rng.randint(5, 25),
            settings={},
            is_active=True,
        )
        return pk, path

    def member(self, branch_id: int, group_id: int | None, *, cadre: bool) -> int:
        pk = self.ids.next(Member)
        self.member_seq += 1
        self.sink.add(
            Member,
            id=pk,
            name=f"党员{self.member_seq}",
            gender=self.rng.choice(("male", "female")),
            ethnicity="汉族",
            id_number=None,
            phone="",
            join_date=date(2000 + self.rng.randint(0, 20), 7, 1),
            status="full_member",
            is_leading_cadre=cadre,
            is_exempt=self.rng.random() < 0.02,
            branch_id=branch_id,
            party_group_id=group_id,
            user_id=None,
            is_active=True,
        )
        self.sink.add(
            BranchTenure,
            id=self.ids.next(BranchTenure),
            member_id=pk,
            branch_id=branch_id,
            party_group_id=group_id,
            start=date(2020, 1, 1),
            end=None,
            note="",
        )
        return pk

    def meeting(
        self,
        org_id: int,
        mtype: str,
        day: date,
        hours: float,
        attendees: list[int],
        *,
        category: str = "political_study",
        steps: tuple[str, ...] = (),
        discussion: int = 0,
    ) -> None:
        rng = self.rng
        start = _aware(day, 9)
        end = start + timedelta(hours=hours)
        held = end < self.now
        pk = self.ids.next(Meeting)
        actual_end = end
        if held and rng.random() < 0.06:  # "scheduled for half a day, over in under an hour"
            actual_end = start + timedelta(minutes=rng.randint(30, 55))
        self.sink.add(
            Meeting,
            id=pk,
            org_id=org_id,
            meeting_type=mtype,
            topic=f"{mtype} {day:%Y-%m-%d}",
            content_category=category,
            place="党员活动室",
            agenda="议程" if rng.random() < 0.9 else "",
            materials="材料" if rng.random() < 0.9 else "",
            lecturer="书记" if mtype == "party_lecture" else "",
            planned_start=start,
            planned_end=end,
            actual_start=start if held else None,
            actual_end=actual_end if held else None,
            status=("confirmed" if rng.random() < 0.9 else "held") if held else "planned",
            notice_sent_at=start - timedelta(days=rng.choice((1, 3, 5, 7))),
            minutes="<p>会议记录</p>" if held else "",
            is_late_entry=False,
            late_entry_reason="",
            signin_code="",
            created_by_id=None,
            confirmed_by_id=None,
            confirmed_at=end if held else None,
        )
        if not held:
            return
        for code in steps:
            if rng.random() < 0.95:
                self.sink.add(
                    ProcedureStep,
                    id=self.ids.next(ProcedureStep),
                    meeting_id=pk,
                    code=code,
                    done_on=day,
                    note="",
                )
        for _i in range(discussion):
            self.sink.add(
                DiscussionEntry,
                id=self.ids.next(DiscussionEntry),
                meeting_id=pk,
                speaker_id=None,
                text="交流发言",
            )
        for member_id in attendees:
            r = rng.random()
            outcome = "present" if r < 0.9 else "on_leave" if r < 0.95 else "absent"
            att = self.ids.next(Attendance)
            self.sink.add(
                Attendance,
                id=att,
                meeting_id=pk,
                member_id=member_id,
                outcome=outcome,
                signed_in_at=start if outcome == "present" else None,
                sign_in_method="roster" if outcome == "present" else "",
                is_leading_cadre=False,
            )
            if outcome != "present":
                due = day + timedelta(days=int(parameters.default("makeup_days")))
                done = rng.random() < 0.75 and due < self.today + timedelta(days=30)
                self.sink.add(
                    Makeup,
                    id=self.ids.next(Makeup),
                    attendance_id=att,
                    member_id=member_id,
                    due_date=due,
                    method="study" if done else "",
                    reflection="心得" if done else "",
                    later_meeting_id=None,
                    submitted_at=_aware(day + timedelta(days=10), 20) if done else None,
                    confirmed_by_id=None,
                    confirmed_at=_aware(day + timedelta(days=12), 10) if done else None,
                )

    def branch_year(self, branch_id: int, members: list[int], groups: dict[int, list[int]]):
        """A year of organizational life up to `now`, with some months skipped."""
        rng, year = self.rng, self.today.year
        committee = members[:5] if len(members) >= 7 else members[:1]
        lax = rng.random() < 0.15  # a weak branch skips more
        skip = 0.25 if lax else 0.05
        for month in range(1, 13):
            first = date(year, month, 1)
            if first > self.today + timedelta(days=31):
                break
            if rng.random() > skip:
                day = first + timedelta(days=rng.randint(4, 20))
                category = "business" if rng.random() < 0.03 else "political_study"
                self.meeting(
                    branch_id,
                    "party_day",
                    day,
                    3.5,
                    members,
                    category=category,
                    steps=("theme", "follow_up"),
                )
                if rng.random() < 0.7:
                    self.meeting(
                        branch_id,
                        "party_day",
                        day + timedelta(days=7),
                        3.5,
                        members,
                        steps=("theme", "follow_up"),
                    )
            if len(members) >= 7 and rng.random() > skip:
                self.meeting(
                    branch_id, "committee_meeting", first + timedelta(days=2), 1.5, committee
                )
            for group_id, group_members in groups.items():
                if rng.random() > skip:
                    self.meeting(
                        group_id,
                        "party_group_meeting",
                        first + timedelta(days=12),
                        1.5,
                        group_members,
                    )
            if month % 3 == 0:
                if rng.random() > skip:
                    self.meeting(
                        branch_id, "general_meeting", first + timedelta(days=14), 2, members
                    )
                if rng.random() > skip:
                    self.meeting(
                        branch_id,
                        "party_lecture",
                        first + timedelta(days=16),
                        2,
                        members,
                        steps=("lecture", "discussion"),
                        discussion=rng.randint(0, 3),
                    )
            if month == 12 and rng.random() > skip:
                self.meeting(
                    branch_id,
                    "org_life_meeting",
                    first + timedelta(days=10),
                    3,
                    members,
                    steps=(
                        "theme",
                        "pre_study",
                        "heart_talk",
                        "solicit",
                        "self_check",
                        "criticism",
                        "rectify",
                        "report",
                    ),
                )


def generate(scale: str, *, seed: int = 2026, now: datetime | None = None) -> Generated:
    """Write the scale into the current database in one transaction."""
    cities, counties, per_county = SCALES[scale]
    now = now or timezone.now()
    rng = random.Random(seed)
    sink, ids = Sink(batch=20000), Ids()
    gen = _Gen(sink, ids, rng, now)
    branch_ids: list[int] = []
    county_ids: list[int] = []
    with transaction.atomic():
        root = gen.org("省委" if cities > 1 else "市委", "base_party_committee", "other", None)
        for c in range(cities):
            city = (
                root
                if cities == 1
                else gen.org(f"第{c + 1}市委", "base_party_committee", "other", root)
            )
            for k in range(counties):
                county = gen.org(f"第{c + 1}-{k + 1}县委", "base_party_committee", "other", city)
                county_ids.append(county[0])
                parents = {
                    "organ": gen.org("县直机关工委", "organs_work_committee", "organ", county),
                    "enterprise": gen.org("国企党委", "base_party_committee", "enterprise", county),
                    "village": gen.org("乡镇党委", "base_party_committee", "village", county),
                    "community": gen.org("街道党工委", "base_party_committee", "community", county),
                }
                for b in range(per_county):
                    category = CATEGORY_MIX[b % len(CATEGORY_MIX)]
                    branch = gen.org(
                        f"第{c + 1}-{k + 1}-{b + 1}党支部", "branch", category, parents[category]
                    )
                    branch_ids.append(branch[0])
                    size = max(3, int(rng.gauss(25, 9)))
                    n_groups = 0 if size < 15 else 2 if size < 35 else 3
                    groups = [
                        gen.org(f"第{g + 1}党小组", "party_group", category, branch)[0]
                        for g in range(n_groups)
                    ]
                    members: list[int] = []
                    by_group: dict[int, list[int]] = {g: [] for g in groups}
                    for i in range(size):
                        group = groups[i % n_groups] if n_groups else None
                        pk = gen.member(branch[0], group, cadre=category == "organ" and i < 2)
                        members.append(pk)
                        if group:
                            by_group[group].append(pk)
                    sink.add(
                        CommitteePosition,
                        id=ids.next(CommitteePosition),
                        member_id=members[0],
                        org_id=branch[0],
                        role="secretary",
                        start=date(2021, 1, 1),
                        end=None,
                    )
                    gen.branch_year(branch[0], members, by_group)
        counts = sink.close()
    return Generated(root[0], county_ids, branch_ids, counts)
