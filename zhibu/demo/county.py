"""The county demo: a 县直机关工委 with ~30 branches, ~600 members and the demo accounts.

Everything is drawn from one `random.Random(seed)` in a fixed order and is relative to `today`,
so the same seed and day give the same data (ids aside). Rows go through `writer.Sink`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from zhibu.accounts.models import User
from zhibu.core.pinyin import name_initials, name_reading
from zhibu.demo import pools
from zhibu.demo.people import IdNumbers, Phones, education, person_name, random_day
from zhibu.demo.writer import Ids, Sink
from zhibu.members.models import BranchTenure, CommitteePosition, Election, Member
from zhibu.orgs import parameters
from zhibu.orgs.models import Grant, Organization, OrgKind, path_segment

DEMO_PASSWORD = "zhibu2026"
CHINESE_ORDINALS = "一二三四五六七八九十"

# Branch indexes (in build order) that carry the year's deliberate imperfections, so the demo
# tells the same story every time. See orglife_year for what each flag does.
FLAGS: dict[int, set[str]] = {
    0: {"amendment"},
    1: {"short_half_day", "business_day"},
    3: {"cadres_absent"},
    7: {"lecture_no_discussion"},
    9: {"concentrated"},
    10: {"secretary_change"},
    12: {"skip_months"},
    13: {"late_entry"},
    14: {"amendment"},
    16: {"makeup_slack"},
    18: {"skip_months"},
    20: {"late_entry"},
    22: {"skip_months"},
    23: {"silent"},
}
# Branches whose members include county-level leaders (more 处级以上 leading cadres).
LEADER_HEAVY = {0, 1, 2, 3, 4, 5}


@dataclass(eq=False)
class DemoMember:
    id: int
    name: str
    gender: str
    birth_date: date
    join_date: date
    status: str
    is_leading_cadre: bool
    is_exempt: bool = False
    phone: str = ""
    id_number: str = ""
    education: str = ""
    ethnicity: str = "汉族"
    full_member_date: date | None = None
    branch_id: int = 0  # current branch
    group_id: int | None = None  # current party group
    user_id: int | None = None


@dataclass(eq=False)
class Stay:
    """A member's tenure in a branch (and group), both ends inclusive."""

    member: DemoMember
    branch_id: int
    group_id: int | None
    start: date
    end: date | None = None
    note: str = ""

    def covers(self, day: date) -> bool:
        return (
            self.start <= day
            and (self.end is None or day <= self.end)
            and (self.member.join_date <= day)
        )


@dataclass(eq=False)
class Post:
    member: DemoMember
    org_id: int
    role: str
    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(eq=False)
class DemoBranch:
    index: int
    id: int
    name: str
    category: str
    path: str
    fixed_party_day: int
    size: int
    groups: list[tuple[int, str]] = field(default_factory=list)
    stays: list[Stay] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    term_start: date | None = None  # the committee's election

    def due(self, day: date, group_id: int | None = None) -> list[DemoMember]:
        """Members due at a meeting of this branch (or one of its groups) on `day`."""
        return [
            s.member
            for s in self.stays
            if s.covers(day) and (group_id is None or s.group_id == group_id)
        ]

    def committee(self, day: date) -> list[DemoMember]:
        return [
            p.member
            for p in self.posts
            if p.org_id == self.id and p.covers(day) and p.role != "party_group_leader"
        ]

    def secretary(self, day: date) -> DemoMember | None:
        for p in self.posts:
            if p.role == "secretary" and p.covers(day):
                return p.member
        return None

    @property
    def has_committee(self) -> bool:
        return any(p.role != "secretary" and p.org_id == self.id for p in self.posts)


@dataclass
class Account:
    username: str
    role: str
    phone: str
    where: str
    user_id: int = 0
    member: DemoMember | None = None
    listed: bool = True  # printed in the demo's account table


@dataclass
class County:
    root_id: int
    root_name: str
    branches: list[DemoBranch]
    members: list[DemoMember]
    accounts: list[Account]
    today: date


def _org(
    sink: Sink,
    ids: Ids,
    *,
    name: str,
    kind: str,
    category: str,
    parent_path: str = "",
    parent_id: int | None = None,
    founded_on: date | None = None,
    fixed_party_day: int | None = None,
) -> tuple[int, str]:
    pk = ids.next(Organization)
    path = parent_path + path_segment(pk)
    sink.add(
        Organization,
        id=pk,
        name=name,
        kind=kind,
        category=category,
        parent_id=parent_id,
        path=path,
        depth=len(path) // len(path_segment(0)) - 1,
        founded_on=founded_on,
        fixed_party_day=fixed_party_day,
        settings={},
    )
    return pk, path


def _make_member(
    rng: random.Random,
    ids: Ids,
    idn: IdNumbers,
    phones: Phones,
    *,
    today: date,
    category: str,
    cadre_rate: float,
    probationary: bool,
) -> DemoMember:
    male_rate = 0.5 if category == "school" else 0.62
    gender = "male" if rng.random() < male_rate else "female"
    if probationary:
        birth = random_day(rng, date(1992, 1, 1), date(2001, 12, 31))
        join = today - timedelta(days=rng.randint(20, 340))
        status, full_date, cadre = "probationary_member", None, False
    else:
        cadre = rng.random() < cadre_rate
        birth = random_day(rng, date(1966, 1, 1), date(1982, 12, 31) if cadre else date(2000, 6, 1))
        join = birth + timedelta(days=365 * rng.randint(21, 34) + rng.randrange(365))
        latest = today - timedelta(days=420)
        if join > latest:
            join = latest - timedelta(days=rng.randrange(200))
        status, full_date = "full_member", join + timedelta(days=365)
    ethnicity = rng.choices(("汉族", "回族", "满族", "蒙古族"), weights=(95, 3, 1, 1))[0]
    return DemoMember(
        id=ids.next(Member),
        name=person_name(rng, gender),
        gender=gender,
        birth_date=birth,
        join_date=join,
        status=status,
        is_leading_cadre=cadre,
        phone=phones.make(),
        id_number=idn.make(birth, gender),
        education=education(rng, category),
        ethnicity=ethnicity,
        full_member_date=full_date,
    )


def build_county(*, sink: Sink, seed: int, today: date, password: str = DEMO_PASSWORD) -> County:
    """Organizations, members, tenures, committees and accounts of the demo county."""
    rng = random.Random(seed)
    ids = Ids()
    idn, phones = IdNumbers(rng), Phones(rng)

    root_name = f"{pools.COUNTY}直机关工委"
    root_id, root_path = _org(
        sink,
        ids,
        name=root_name,
        kind=OrgKind.ORGANS_WORK_COMMITTEE,
        category="organ",
        founded_on=date(1984, 7, 1),
    )

    # The branch list: plain units, then the two 党总支 with two branches each.
    specs: list[tuple[str, str, int, str | None]] = [
        (f"{unit}党支部", cat, size, None) for unit, cat, size in pools.UNITS
    ]
    for unit, cat, sizes in pools.GENERAL_BRANCH_UNITS:
        for i, size in enumerate(sizes):
            specs.append(
                (f"{unit}机关第{CHINESE_ORDINALS[i]}党支部", cat, size, f"{unit}机关党总支")
            )

    general: dict[str, tuple[int, str]] = {}
    branches: list[DemoBranch] = []
    for index, (name, category, size_hint, general_name) in enumerate(specs):
        parent_id, parent_path = root_id, root_path
        if general_name:
            if general_name not in general:
                general[general_name] = _org(
                    sink,
                    ids,
                    name=general_name,
                    kind=OrgKind.GENERAL_BRANCH,
                    category=category,
                    parent_path=root_path,
                    parent_id=root_id,
                    founded_on=date(2012, 3, 1),
                )
            parent_id, parent_path = general[general_name]
        size = max(8, min(45, size_hint + rng.randint(-2, 2)))
        if size_hint <= 9:
            size = 8  # the smallest units stay at the size where a committee is borderline
        fixed_day = rng.choice((8, 10, 12, 15, 18, 20))
        pk, path = _org(
            sink,
            ids,
            name=name,
            kind=OrgKind.BRANCH,
            category=category,
            parent_path=parent_path,
            parent_id=parent_id,
            founded_on=date(rng.randint(1990, 2016), rng.randint(1, 12), 1),
            fixed_party_day=fixed_day,
        )
        branch = DemoBranch(
            index, pk, name, category, path, fixed_day, size, flags=set(FLAGS.get(index, ()))
        )
        if size >= 24:
            unit = name.removesuffix("党支部")
            for g in range(2 if size < 36 else 3):
                gid, _ = _org(
                    sink,
                    ids,
                    name=f"{unit}第{CHINESE_ORDINALS[g]}党小组",
                    kind=OrgKind.PARTY_GROUP,
                    category=category,
                    parent_path=path,
                    parent_id=pk,
                )
                branch.groups.append((gid, f"第{CHINESE_ORDINALS[g]}党小组"))
        branches.append(branch)

    members: list[DemoMember] = []
    for branch in branches:
        cadre_rate = 0.2 if branch.index in LEADER_HEAVY else 0.04
        roster: list[DemoMember] = []
        for i in range(branch.size):
            probationary = i >= 3 and rng.random() < 0.035
            if branch.size == 8 and i >= 6 and branch.index % 2 == 0:
                probationary = True  # a small branch with <7 full members: secretary only
            m = _make_member(
                rng,
                ids,
                idn,
                phones,
                today=today,
                category=branch.category,
                cadre_rate=cadre_rate,
                probationary=probationary,
            )
            roster.append(m)
        if branch.index in (0, 3):
            # The secretary's branch and the dual-life example need at least two leading cadres.
            for m in roster[:3]:
                if m.status == "full_member" and m.birth_date.year <= 1982:
                    m.is_leading_cadre = True
        groups = [g for g, _ in branch.groups]
        for i, m in enumerate(roster):
            m.branch_id = branch.id
            m.group_id = groups[i % len(groups)] if groups else None
            start = (
                m.join_date
                if m.status != "full_member"
                else max(
                    m.join_date, random_day(rng, date(2008, 1, 1), today - timedelta(days=420))
                )
            )
            branch.stays.append(Stay(m, branch.id, m.group_id, start))
        _committee(rng, branch, roster, today)
        members.extend(roster)

    # Exempt: the oldest member of three branches (教育管理条例 第二十三条).
    for branch in (branches[4], branches[16], branches[26]):
        oldest = min((s.member for s in branch.stays), key=lambda m: m.birth_date)
        oldest.is_exempt = True

    accounts = _accounts(branches)
    _transfers(rng, branches, accounts, today)
    _secretary_accounts(branches, accounts)

    # Write members, tenures and posts.
    for m in members:
        sink.add(
            Member,
            id=m.id,
            name=m.name,
            name_pinyin=name_reading(m.name),
            name_initials=name_initials(m.name),
            gender=m.gender,
            ethnicity=m.ethnicity,
            birth_date=m.birth_date,
            id_number=m.id_number,
            phone=m.phone,
            education=m.education,
            join_date=m.join_date,
            status=m.status,
            full_member_date=m.full_member_date,
            is_leading_cadre=m.is_leading_cadre,
            is_exempt=m.is_exempt,
            branch_id=m.branch_id,
            party_group_id=m.group_id,
            user_id=None,
            is_active=True,
        )
    for branch in branches:
        for s in branch.stays:
            sink.add(
                BranchTenure,
                id=ids.next(BranchTenure),
                member_id=s.member.id,
                branch_id=s.branch_id,
                party_group_id=s.group_id,
                start=s.start,
                end=s.end,
                note=s.note,
            )
        for p in branch.posts:
            sink.add(
                CommitteePosition,
                id=ids.next(CommitteePosition),
                member_id=p.member.id,
                org_id=p.org_id,
                role=p.role,
                start=p.start,
                end=p.end,
            )

    # Each committee's election (the term length of the registry). A committee whose term
    # has run out was re-elected the day after, except one (a deliberate imperfection: the
    # 换届到期 rule and the reminder have something to say).
    term_years = parameters.default("term_years")
    overdue_left = 1
    for branch in branches:
        held_on = branch.term_start
        while held_on is not None and held_on <= today:
            sink.add(
                Election,
                id=ids.next(Election),
                org_id=branch.id,
                held_on=held_on,
                term_years=term_years,
                note="",
                created_by_id=None,
            )
            ends = Election(held_on=held_on, term_years=term_years).term_ends_on
            if ends >= today:
                break
            if overdue_left:
                overdue_left -= 1
                branch.flags.add("term_overdue")
                break
            held_on = ends + timedelta(days=1)

    _write_accounts(sink, ids, accounts, branches, root_id, password, phones)
    return County(root_id, root_name, branches, members, accounts, today)


def _committee(
    rng: random.Random, branch: DemoBranch, roster: list[DemoMember], today: date
) -> None:
    """≥7 full members: a committee of 3–5 with a discipline member; fewer: a secretary."""
    full = [m for m in roster if m.status == "full_member"]
    term_start = random_day(rng, date(2023, 6, 1), date(2025, 6, 30))
    branch.term_start = term_start
    # The secretary is the unit's principal head: the senior leading cadre, else the eldest.
    by_seniority = sorted(full, key=lambda m: (not m.is_leading_cadre, m.birth_date))
    secretary = by_seniority[0]
    branch.posts.append(Post(secretary, branch.id, "secretary", term_start))
    if len(full) >= 7:
        if len(roster) >= 30:
            roles = ["deputy_secretary", "org_member", "propaganda_member", "discipline_member"]
        elif len(roster) >= 15:
            roles = ["org_member", "propaganda_member", "discipline_member"]
        else:
            roles = ["org_member", "discipline_member"]
        # Keep a second leading cadre off the committee when there is one (the demo `lingdao`).
        cadres = [m for m in full if m.is_leading_cadre and m is not secretary]
        pool = [m for m in full if m is not secretary and m not in cadres[:1]]
        for role, m in zip(roles, rng.sample(pool, len(roles)), strict=True):
            branch.posts.append(Post(m, branch.id, role, term_start))
    on_committee = {p.member.id for p in branch.posts}
    for gid, _ in branch.groups:
        candidates = [m for m in full if m.group_id == gid and m.id not in on_committee]
        if candidates:
            leader = rng.choice(candidates)
            branch.posts.append(Post(leader, gid, "party_group_leader", term_start))


def _accounts(branches: list[DemoBranch]) -> list[Account]:
    """The six printed demo accounts, each tied to a member chosen for its role."""
    first, second = branches[0], branches[1]
    today_posts = {p.member.id for b in branches for p in b.posts}
    sec1 = next(p.member for p in first.posts if p.role == "secretary")
    sec2 = next(p.member for p in second.posts if p.role == "secretary")
    plain = next(
        s.member
        for s in first.stays
        if s.member.id not in today_posts
        and not s.member.is_leading_cadre
        and s.member.status == "full_member"
        and not s.member.is_exempt
    )
    cadre = next(
        s.member
        for s in first.stays
        if s.member.is_leading_cadre and s.member.id not in today_posts
    )
    accounts = [
        Account("admin", "系统管理员（超级用户）", "", "全系统"),
        Account("gongwei", "机关工委组织管理员", "", f"{pools.COUNTY}直机关工委"),
        Account("shuji", f"党支部书记（{sec1.name}）", sec1.phone, first.name),
        Account("dangyuan", f"普通党员（{plain.name}）", plain.phone, first.name),
        Account("shuji2", f"党支部书记（{sec2.name}）", sec2.phone, second.name),
        Account("lingdao", f"处级以上领导干部（{cadre.name}）", cadre.phone, first.name),
    ]
    for account, member in zip(accounts[2:], (sec1, plain, sec2, cadre), strict=True):
        account.member = member
    return accounts


def _secretary_accounts(branches: list[DemoBranch], accounts: list[Account]) -> None:
    """Every other secretary (current or former) gets an account too: they record meetings."""
    taken = {a.member for a in accounts}
    names = {a.username for a in accounts}
    for b in branches:
        for p in b.posts:
            if p.role == "secretary" and p.member not in taken:
                taken.add(p.member)
                username = f"sj{b.index + 1:02d}"
                if username in names:
                    username += "b"
                names.add(username)
                role = "党支部书记" if p.end is None else "原党支部书记"
                accounts.append(
                    Account(username, role, p.member.phone, b.name, member=p.member, listed=False)
                )


def _transfers(
    rng: random.Random, branches: list[DemoBranch], accounts: list[Account], today: date
) -> None:
    """Move a few plain members between branches during the year, and one secretary."""
    protected = {a.member for a in accounts}
    with_posts = {p.member for b in branches for p in b.posts}
    window = (today - timedelta(days=300), today - timedelta(days=30))
    movable = [b for b in branches if "silent" not in b.flags and b.index > 1]
    for _ in range(8):
        src, dst = rng.sample(movable, 2)
        candidates = [
            s
            for s in src.stays
            if s.end is None
            and s.member not in protected
            and s.member not in with_posts
            and s.member.status == "full_member"
            and not s.member.is_exempt
        ]
        if not candidates:
            continue
        _move(rng, rng.choice(candidates), dst, random_day(rng, *window))

    # Secretary change: the old secretary is transferred out, the organization member takes
    # over, and a plain member joins the committee in their place.
    branch = next(b for b in branches if "secretary_change" in b.flags)
    old = next(p for p in branch.posts if p.role == "secretary")
    day = today - timedelta(days=150)
    old.end = day - timedelta(days=1)
    successor = next((p for p in branch.posts if p.role == "org_member"), None)
    if successor is not None:
        successor.end = day - timedelta(days=1)
        branch.posts.append(Post(successor.member, branch.id, "secretary", day))
        newcomer = next(
            s.member
            for s in branch.stays
            if s.member not in with_posts and s.member.status == "full_member" and s.end is None
        )
        branch.posts.append(Post(newcomer, branch.id, "org_member", day))
    stay = next(s for s in branch.stays if s.member is old.member and s.end is None)
    _move(rng, stay, branches[branch.index + 1], day)


def _move(rng: random.Random, stay: Stay, dst: DemoBranch, day: date) -> None:
    m = stay.member
    stay.end = day - timedelta(days=1)
    # Tenures must not be empty: a stay that began after `day` cannot be cut.
    if stay.end < stay.start:
        stay.end = stay.start
        day = stay.start + timedelta(days=1)
    group = rng.choice(dst.groups)[0] if dst.groups else None
    dst.stays.append(Stay(m, dst.id, group, day, note="组织关系转接转入"))
    m.branch_id, m.group_id = dst.id, group


def _write_accounts(
    sink: Sink,
    ids: Ids,
    accounts: list[Account],
    branches: list[DemoBranch],
    root_id: int,
    password: str,
    phones: Phones,
) -> None:
    now = timezone.now()
    hashed = make_password(password)
    for account in accounts:
        member = account.member
        pk = ids.next(User)
        account.user_id = pk
        is_admin = account.username == "admin"
        sink.add(
            User,
            id=pk,
            username=account.username,
            password=hashed,
            first_name=member.name if member else ("系统管理员" if is_admin else "机关工委"),
            last_name="",
            email="",
            is_superuser=is_admin,
            is_staff=is_admin,
            is_active=True,
            date_joined=now,
            phone=account.phone or None,
        )
        if member is not None:
            member.user_id = pk
    sink.flush()
    # Members were written before their accounts existed; link them now (six rows).
    for account in accounts:
        member = account.member
        if member is not None:
            Member.objects.filter(pk=member.id).update(user_id=account.user_id)
    gongwei = next(a for a in accounts if a.username == "gongwei")
    sink.add(
        Grant,
        id=ids.next(Grant),
        user_id=gongwei.user_id,
        org_id=root_id,
        role="org_admin",
        personal_data=True,
    )
