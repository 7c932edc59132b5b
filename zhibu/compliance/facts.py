"""Bulk loaders: the facts of a whole subtree for a window of days, in a fixed number of queries.

One query per fact type (meetings, procedure steps, discussion counts, tenures, attendances,
leave requests, make-ups, term elections; reports when a reports app exists), each a
path-range filter on the subtree, so the count does not grow with the number of branches or
members. The rows become the frozen values of kinds.base, grouped per branch and per member.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.apps import apps
from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Q, Value, When

from zhibu.compliance.kinds.base import (
    AttendanceFact,
    ElectionFact,
    Facts,
    MakeupFact,
    MeetingFact,
    MemberFact,
    ReportFact,
    Tenure,
    local_day,
)
from zhibu.core.periods import local_midnight
from zhibu.members.models import BranchTenure, Election
from zhibu.orglife.models import (
    Attendance,
    DiscussionEntry,
    LeaveRequest,
    LeaveStatus,
    Makeup,
    Meeting,
    MeetingStatus,
    ProcedureStep,
)
from zhibu.orgs.models import Organization, OrgKind, subtree_q

log = logging.getLogger(__name__)

# Up to this many organizations (or members), the loader filters by a literal list of ids:
# more than a chunk holds (400 branches of ~20 members), so chunks are always index lookups;
# and three such lists (the leave query's) stay under SQLite's 32,766 bound parameters.
LITERAL_IDS = 10000
# The attendance query binds only the subtree's meeting ids: up to this many (a chunk's
# ~16,000) go as a literal list, under SQLite's bound.
LITERAL_MEETINGS = 30000

MEETING_FIELDS = (
    "id",
    "org_id",
    "meeting_type",
    "status",
    "content_category",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "notice_sent_at",
    "topic",
)


def _filled(name: str) -> Case:
    return Case(
        When(**{name: ""}, then=Value(False)), default=Value(True), output_field=BooleanField()
    )


def _in_window(prefix: str, first: date, last: date) -> Q:
    """Meetings (via `prefix`) starting, as planned or really, within the window."""
    start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
    return Q(**{f"{prefix}planned_start__gte": start, f"{prefix}planned_start__lt": end}) | Q(
        **{f"{prefix}actual_start__gte": start, f"{prefix}actual_start__lt": end}
    )


def _meeting_fact(row: dict, prefix: str = "", steps=frozenset(), discussion: int = 0):
    g = row.get
    return MeetingFact(
        id=g(f"{prefix}id"),
        org_id=g(f"{prefix}org_id"),
        meeting_type=g(f"{prefix}meeting_type"),
        status=g(f"{prefix}status"),
        content_category=g(f"{prefix}content_category"),
        planned_start=g(f"{prefix}planned_start"),
        planned_end=g(f"{prefix}planned_end"),
        actual_start=g(f"{prefix}actual_start"),
        actual_end=g(f"{prefix}actual_end"),
        notice_sent_at=g(f"{prefix}notice_sent_at"),
        topic=g(f"{prefix}topic") or "",
        has_agenda=bool(g("has_agenda")),
        has_materials=bool(g("has_materials")),
        has_minutes=bool(g("has_minutes")),
        has_lecturer=bool(g("has_lecturer")),
        steps=steps,
        discussion_count=discussion,
    )


def reports_models():
    """(ThoughtReport, WorkReport) of the reports app, or None when it is not installed."""
    if not apps.is_installed("zhibu.reports"):
        return None
    try:
        return apps.get_model("reports", "ThoughtReport"), apps.get_model("reports", "WorkReport")
    except LookupError:
        return None


@dataclass
class FactStore:
    """Facts of one subtree and window, grouped for cheap per-branch / per-member views."""

    first: date
    last: date
    branches: dict[int, Organization]
    groups_by_branch: dict[int, tuple[int, ...]]
    meetings_by_branch: dict[int, list[MeetingFact]] = field(default_factory=dict)
    attendances_by_branch: dict[int, list[AttendanceFact]] = field(default_factory=dict)
    attendances_by_member: dict[int, list[AttendanceFact]] = field(default_factory=dict)
    makeups_by_member: dict[int, list[MakeupFact]] = field(default_factory=dict)
    members: dict[int, MemberFact] = field(default_factory=dict)
    members_by_branch: dict[int, list[int]] = field(default_factory=dict)
    reports: list[ReportFact] | None = None
    elections_by_branch: dict[int, list[ElectionFact]] = field(default_factory=dict)
    _branch_facts: dict[int, Facts] = field(default_factory=dict)
    _reports_by: tuple[dict, dict] | None = None

    def full_member_count(self, branch_id: int, day: date) -> int:
        return sum(
            1
            for mid in self.members_by_branch.get(branch_id, ())
            if self.members[mid].status == "full_member"
            and any(t.branch_id == branch_id and t.covers(day) for t in self.members[mid].tenures)
        )

    def branch_facts(self, branch_id: int, day: date) -> Facts:
        cached = self._branch_facts.get(branch_id)
        if cached is not None:
            return cached
        branch = self.branches[branch_id]
        reports = None
        if self.reports is not None:
            reports = tuple(self._reports_index()[1].get(branch_id, ()))
        facts = Facts(
            org_id=branch_id,
            org_name=branch.name,
            founded_on=branch.founded_on,
            meetings=tuple(self.meetings_by_branch.get(branch_id, ())),
            party_group_ids=self.groups_by_branch.get(branch_id, ()),
            members=tuple(self.members[m] for m in self.members_by_branch.get(branch_id, ())),
            attendances=tuple(self.attendances_by_branch.get(branch_id, ())),
            reports=reports,
            window_first=self.first,
            full_member_count=self.full_member_count(branch_id, day),
            elections=tuple(self.elections_by_branch.get(branch_id, ())),
        )
        self._branch_facts[branch_id] = facts
        return facts

    def member_facts(self, branch_id: int, member_id: int, day: date) -> Facts:
        base = self.branch_facts(branch_id, day)
        reports = None
        if self.reports is not None:
            reports = tuple(self._reports_index()[0].get(member_id, ()))
        return Facts(
            org_id=branch_id,
            org_name=base.org_name,
            founded_on=base.founded_on,
            meetings=base.meetings,
            party_group_ids=base.party_group_ids,
            members=base.members,
            attendances=tuple(self.attendances_by_member.get(member_id, ())),
            makeups=tuple(self.makeups_by_member.get(member_id, ())),
            reports=reports,
            member=self.members[member_id],
            window_first=self.first,
            full_member_count=base.full_member_count,
        )

    def recordless_signature(self, member_id: int) -> tuple | None:
        """For a member with no attendance and no make-ups in the window: everything of their
        own a member kind may read (flags, tenures, reports; not the id or the name), so
        members of one branch with equal signatures get equal verdicts (equal tenures also
        mean equal periods in the branch). None for a member with such records."""
        if member_id in self.attendances_by_member or member_id in self.makeups_by_member:
            return None
        m = self.members[member_id]
        reports = None
        if self.reports is not None:
            reports = tuple((r.day, r.kind) for r in self._reports_index()[0].get(member_id, ()))
        return m.status, m.is_exempt, m.is_leading_cadre, m.tenures, reports

    def _reports_index(self) -> tuple[dict, dict]:
        """Reports by member, and branch (work) reports by organization, in load order."""
        if self._reports_by is None:
            by_member: dict[int, list[ReportFact]] = {}
            by_org: dict[int, list[ReportFact]] = {}
            for r in self.reports or ():
                if r.member_id is None:
                    by_org.setdefault(r.org_id, []).append(r)
                else:
                    by_member.setdefault(r.member_id, []).append(r)
            self._reports_by = (by_member, by_org)
        return self._reports_by

    def branch_of(self, member_id: int, first: date, ref: date) -> int | None:
        """The member's branch for a period: the tenure covering `ref`, else the latest one
        overlapping [first, ref]; None when the member was not in the subtree then."""
        best = None
        for t in self.members[member_id].tenures:
            if t.start > ref or (t.end is not None and t.end < first):
                continue
            if t.covers(ref):
                return t.branch_id
            if best is None or t.start > best.start:
                best = t
        return best.branch_id if best else None


def _status_as_of(row: dict, as_of: datetime) -> str:
    """A meeting's status at `as_of`, from its record times: confirmed if it was confirmed by
    then; its present status if the row has not changed since (updated_at); else planned —
    no record says when a meeting became held, so a record confirmed later counts for nothing
    in the as-of view."""
    if row["confirmed_at"] is not None and row["confirmed_at"] <= as_of:
        return MeetingStatus.CONFIRMED
    if row["updated_at"] <= as_of:
        return row["status"]
    return MeetingStatus.PLANNED


def _meeting_as_of(row: dict, as_of: datetime) -> None:
    """Set a meeting row back to what was recorded at `as_of` (see _status_as_of): a meeting
    not yet held then had no real times, and a notice sent later was not yet sent."""
    row["status"] = _status_as_of(row, as_of)
    if row["status"] == MeetingStatus.PLANNED:
        row["actual_start"] = row["actual_end"] = None
    if row["notice_sent_at"] is not None and row["notice_sent_at"] > as_of:
        row["notice_sent_at"] = None


def load(
    root: Organization,
    orgs: list[Organization],
    first: date,
    last: date,
    as_of: datetime | None = None,
) -> FactStore:
    """All facts under `root` (whose organizations are `orgs`) for the days first..last.

    With `as_of`, only what had been recorded by that instant (`zhibu check --as-of`): each
    record is filtered by its own time — meetings by created_at (cancelled only from
    cancelled_at, held only once confirmed, see _status_as_of), procedure steps by done_on,
    leave by requested_at (pending until decided_at), make-ups by created_at (open until
    confirmed_at), thought reports by submitted_at, work reports by created_at. Tenures and
    members keep no record time, so transfers are read as they stand; attendance outcomes
    count only at meetings held by then, so they need no time of their own."""
    branches = {o.pk: o for o in orgs if o.kind == OrgKind.BRANCH}
    groups: dict[int, list[int]] = defaultdict(list)
    branch_of_org: dict[int, int] = {pk: pk for pk in branches}
    for o in orgs:
        if o.kind == OrgKind.PARTY_GROUP and o.parent_id in branches:
            groups[o.parent_id].append(o.pk)
            branch_of_org[o.pk] = o.parent_id
    store = FactStore(
        first=first,
        last=last,
        branches=branches,
        groups_by_branch={b: tuple(sorted(g)) for b, g in groups.items()},
    )
    # A chunk or a branch is filtered by its organizations' ids (plain index lookups, no joins
    # to plan); a larger subtree by its path range.
    org_ids = [o.pk for o in orgs]

    def of_subtree(org_field: str) -> Q:
        if len(org_ids) <= LITERAL_IDS:
            return Q(**{f"{org_field}_id__in": org_ids})
        return subtree_q(root.path, f"{org_field}__path")

    window = _in_window("", first, last)
    cancelled = Q(status=MeetingStatus.CANCELLED)
    recorded = Q()
    if as_of is not None:
        cancelled &= Q(cancelled_at__isnull=True) | Q(cancelled_at__lte=as_of)
        recorded = Q(created_at__lte=as_of)
    meeting_qs = Meeting.objects.filter(of_subtree("org"), window, recorded).exclude(cancelled)
    as_of_fields = ("confirmed_at", "updated_at") if as_of is not None else ()

    # 1. meetings
    rows = list(
        meeting_qs.values(*MEETING_FIELDS, *as_of_fields).annotate(
            has_agenda=_filled("agenda"),
            has_materials=_filled("materials"),
            has_minutes=_filled("minutes"),
            has_lecturer=_filled("lecturer"),
        )
    )
    if as_of is not None:
        for row in rows:
            _meeting_as_of(row, as_of)
    ids_sub = meeting_qs.values("id")
    # 2. procedure steps, 3. discussion counts
    steps: dict[int, set[str]] = defaultdict(set)
    step_qs = ProcedureStep.objects.filter(meeting__in=ids_sub)
    if as_of is not None:
        step_qs = step_qs.filter(done_on__lte=local_day(as_of))
    for meeting_id, code in step_qs.values_list("meeting_id", "code"):
        steps[meeting_id].add(code)
    discussion = dict(
        DiscussionEntry.objects.filter(meeting__in=ids_sub)
        .values("meeting_id")
        .annotate(n=Count("id"))
        .values_list("meeting_id", "n")
    )
    meetings: dict[int, MeetingFact] = {}
    for row in rows:
        m = _meeting_fact(
            row, "", frozenset(steps.get(row["id"], ())), discussion.get(row["id"], 0)
        )
        meetings[m.id] = m
        branch_id = branch_of_org.get(m.org_id)
        if branch_id is not None:
            store.meetings_by_branch.setdefault(branch_id, []).append(m)

    # 4. tenures with their members: every tenure (anywhere) of a member who belonged to the
    # subtree during the window, so a transferred member's period has one owner everywhere.
    # Two queries — the tenures at the subtree, then those members' tenures elsewhere (by
    # their literal ids when few) — because one "every tenure of these members" query made
    # PostgreSQL scan the whole tenure table for every chunk of a province.
    overlapping = Q(start__lte=last) & (Q(end__isnull=True) | Q(end__gte=first))
    tenure_qs = BranchTenure.objects.filter(
        of_subtree("branch"), overlapping, member__is_active=True
    )
    tenure_fields = (
        "member_id",
        "branch_id",
        "start",
        "end",
        "member__name",
        "member__status",
        "member__is_exempt",
        "member__is_leading_cadre",
    )
    tenure_rows = list(tenure_qs.values(*tenure_fields))
    ids = {row["member_id"] for row in tenure_rows}
    whose = list(ids) if len(ids) <= LITERAL_IDS else tenure_qs.values("member_id")
    if ids:
        tenure_rows += (
            BranchTenure.objects.filter(overlapping, member_id__in=whose)
            .exclude(of_subtree("branch"))
            .values(*tenure_fields)
        )
    tenure_rows.sort(key=_by_member_and_start)
    tenures: dict[int, list[Tenure]] = defaultdict(list)
    info: dict[int, dict] = {}
    for row in tenure_rows:
        tenures[row["member_id"]].append(Tenure(row["branch_id"], row["start"], row["end"]))
        info[row["member_id"]] = row
    for mid, row in info.items():
        store.members[mid] = MemberFact(
            id=mid,
            name=row["member__name"],
            status=row["member__status"],
            is_exempt=row["member__is_exempt"],
            is_leading_cadre=row["member__is_leading_cadre"],
            tenures=tuple(tenures[mid]),
        )
        for b in sorted({t.branch_id for t in tenures[mid]}):
            if b in branches:
                store.members_by_branch.setdefault(b, []).append(mid)
    member_sub = tenure_qs.values("member_id")
    if len(store.members) <= LITERAL_IDS:
        member_sub = list(store.members)

    # 5. the leave requests that may excuse absences and 6. attendances: those at the
    # subtree's meetings (by meeting), then those of the subtree's members at meetings
    # elsewhere (a transfer, a committee above the branch): by member, where no subtree
    # meeting matches (an anti-join on the subtree's meetings, not a join to all meetings,
    # which PostgreSQL answered by hashing the whole meeting table once per chunk of a
    # province; and NOT EXISTS rather than NOT IN, which it runs row by row once the
    # subtree's meetings outgrow its work memory). The meetings elsewhere come after, by id,
    # and bring the window: their attendances outside it are dropped.
    here = Q(meeting_id__in=meeting_qs.values("id"))  # leave: literal ids made it a seq scan
    elsewhere = Q(member_id__in=member_sub) & ~Exists(meeting_qs.filter(pk=OuterRef("meeting_id")))
    leave_fields = ("meeting_id", "member_id", "status", "requested_at", "decided_at")
    asked = Q(requested_at__lte=as_of) if as_of is not None else Q()
    leave_rows = LeaveRequest.objects.filter(here, asked).values_list(*leave_fields)
    leave_rows = leave_rows.union(
        LeaveRequest.objects.filter(elsewhere, asked).values_list(*leave_fields), all=True
    )
    leaves = {(row[0], row[1]): row[2:] for row in leave_rows}
    if as_of is not None:  # a decision taken later was still pending then
        for key, (_status, requested, decided) in leaves.items():
            if decided is not None and decided > as_of:
                leaves[key] = (LeaveStatus.PENDING, requested, None)
    by_branch = store.attendances_by_branch
    by_member = store.attendances_by_member
    members = store.members
    no_leave = ("", None, None)
    attendance_fields = ("meeting_id", "member_id", "outcome")
    # By the meetings' literal ids when they fit: through the subquery PostgreSQL guessed a
    # province chunk's meetings tenfold and scanned the whole attendance table per chunk.
    at_meetings = list(meetings) if len(meetings) <= LITERAL_MEETINGS else meeting_qs.values("id")
    for meeting_id, member_id, outcome in Attendance.objects.filter(
        meeting_id__in=at_meetings
    ).values_list(*attendance_fields):
        m = meetings[meeting_id]  # the same filters as the meetings query: always loaded
        a = AttendanceFact(m, member_id, outcome, *leaves.get((meeting_id, member_id), no_leave))
        branch_id = branch_of_org.get(m.org_id)
        if branch_id is not None:
            by_branch.setdefault(branch_id, []).append(a)
        if member_id in members:
            by_member.setdefault(member_id, []).append(a)
    away_qs = Attendance.objects.filter(elsewhere)
    away = list(away_qs.values_list(*attendance_fields))
    away_ids = {row[0] for row in away}
    if away_ids:
        which = list(away_ids) if len(away_ids) <= LITERAL_IDS else away_qs.values("meeting_id")
        elsewhere_rows = list(
            Meeting.objects.filter(window, recorded, id__in=which)
            .exclude(cancelled)
            .values(*MEETING_FIELDS, *as_of_fields)
        )
        if as_of is not None:
            for row in elsewhere_rows:
                _meeting_as_of(row, as_of)
        elsewhere_meetings = {row["id"]: _meeting_fact(row) for row in elsewhere_rows}
        for meeting_id, member_id, outcome in away:
            m = elsewhere_meetings.get(meeting_id)
            if m is not None:
                leave = leaves.get((meeting_id, member_id), no_leave)
                by_member.setdefault(member_id, []).append(
                    AttendanceFact(m, member_id, outcome, *leave)
                )

    # 7. make-ups of the subtree's members
    makeup_qs = Makeup.objects.filter(member_id__in=member_sub, due_date__gte=first)
    if as_of is not None:
        makeup_qs = makeup_qs.filter(created_at__lte=as_of)
    for row in makeup_qs.values("member_id", "attendance__meeting_id", "due_date", "confirmed_at"):
        done = row["confirmed_at"]
        if as_of is not None and done is not None and done > as_of:
            done = None  # confirmed later: still open then
        store.makeups_by_member.setdefault(row["member_id"], []).append(
            MakeupFact(row["member_id"], row["attendance__meeting_id"], row["due_date"], done)
        )

    # 8. reports, when a reports app provides them
    store.reports = _load_reports(of_subtree("org"), member_sub, first, last, as_of)
    # 9. term elections of the branches (any held by the window's end: a term runs for years)
    election_qs = Election.objects.filter(of_subtree("org"), held_on__lte=last)
    if as_of is not None:
        election_qs = election_qs.filter(created_at__lte=as_of)
    for org_id, held_on, years in election_qs.values_list("org_id", "held_on", "term_years"):
        if org_id in branches:
            fact = ElectionFact(
                held_on, years, Election(held_on=held_on, term_years=years).term_ends_on
            )
            store.elections_by_branch.setdefault(org_id, []).append(fact)
    return store


def _by_member_and_start(row: dict) -> tuple:
    return row["member_id"], row["start"]


def _load_reports(
    of_subtree: Q, member_sub, first: date, last: date, as_of: datetime | None = None
):
    """Submitted thought reports and presented work reports as ReportFacts (two queries);
    None when no reports app is installed, so member_report rules say "no data source".
    With `as_of`, only those submitted (thought) or entered (work) by then."""
    models = reports_models()
    if models is None:
        return None
    thought, work = models
    submitted = Q(submitted_at__lte=as_of) if as_of is not None else Q()
    entered = Q(created_at__lte=as_of) if as_of is not None else Q()
    out = []
    for row in thought.objects.filter(
        submitted,
        member_id__in=member_sub,
        status__in=("submitted", "reviewed"),
        submitted_at__gte=local_midnight(first),
        submitted_at__lt=local_midnight(last + timedelta(days=1)),
    ).values("member_id", "submitted_at"):
        out.append(ReportFact(row["member_id"], local_day(row["submitted_at"]), "thought_report"))
    for row in work.objects.filter(
        of_subtree, entered, presented_on__gte=first, presented_on__lte=last
    ).values("org_id", "presented_on"):
        out.append(ReportFact(None, row["presented_on"], "work_report", org_id=row["org_id"]))
    return out
