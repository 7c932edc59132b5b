"""Reads of compliance: the oversight dashboard, drill-downs and the live branch and member views.

Oversight pages read persisted Obligation rows (one or two grouped queries for any subtree);
the secretary's and the member's pages evaluate live with `engine.evaluate`, so what they see
never depends on a worker having run. Branch comparisons exist only under Action.OVERSEE;
there are no member rankings anywhere (members are listed in roster order, never sorted by
score).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    DateTimeField,
    Field,
    Max,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhibu.compliance import lights
from zhibu.compliance.lights import Light, light
from zhibu.compliance.models import (
    Obligation,
    display_status_sql,
    exception_rank_sql,
    light_q,
    light_sql,
    stale_q,
)
from zhibu.compliance.verdicts import Pattern, Status, Verdict
from zhibu.core import periods
from zhibu.core.periods import Period
from zhibu.members.models import Member
from zhibu.orgs.models import SEGMENT, Organization, OrgKind, subtree_q
from zhibu.orgs.permissions import Action, scope_q, user_scope, visible_to

FAMILIES: dict[str, Any] = {
    "party_day": _("主题党日"),
    "meetings": _("三会一课"),
    "attendance": _("出勤"),
    "makeup": _("补课"),
    "dual_life": _("双重组织生活"),
    "reports": _("汇报"),
    "procedure": _("程序"),
    "activity": _("活跃度"),
}
# Worst first: the worst status among a cell's obligations (its colour is its light).
STATUS_ORDER = (Status.NOT_MET, Status.AT_RISK, Status.OPEN, Status.MET, Status.NOT_APPLICABLE)
FAILING = (Status.NOT_MET, Status.AT_RISK)
_FAILING_VALUES = frozenset(s.value for s in FAILING)
_DAY = timedelta(days=1)


# --------------------------------------------------------------------------- rules catalogue


@lru_cache(maxsize=1)
def rule_catalog() -> dict[str, Any]:
    """Every rule of every shipped profile by id (name, text, source), for labels and links."""
    from zhibu.compliance.rules import load_profiles

    return {rule.id: rule for profile in load_profiles().values() for rule in profile.rules}


def rule_name(rule_id: str) -> str:
    rule = rule_catalog().get(rule_id)
    return rule.name_zh if rule is not None else rule_id


# --------------------------------------------------------------------------- scoping


def period_keys(period: Period) -> list[str]:
    """Keys of every month, quarter, half and year overlapping `period` (at most 19)."""
    keys: list[str] = []
    for kind in ("month", "quarter", "half", "year"):
        p = periods.containing(kind, period.first)
        while p.first <= period.last:
            keys.append(p.key)
            p = periods.containing(kind, p.last + _DAY)
    return keys


def period_q(period: Period, prefix: str = "") -> Q:
    """Obligations whose period overlaps `period` — the engine's rule: a month view shows the
    month's monthly rules plus the containing quarter, half and year; a year view everything.

    Stated on `period_key` so the (org, period_key) index serves it.
    """
    return Q(**{f"{prefix}period_key__in": period_keys(period)})


def obligation_list(*, user) -> QuerySet[Obligation]:
    """Obligations `user` may read: oversight subtrees, branches they run, and their own rows.

    A secretary (MANAGE_ORGLIFE) reads their own branch's rows but never another branch's, so
    no comparison across branches is possible without OVERSEE.
    """
    qs = Obligation.objects.all()
    if not user.is_authenticated:
        return qs.none()
    q = scope_q(user, Action.OVERSEE, Obligation) | scope_q(user, Action.MANAGE_ORGLIFE, Obligation)
    member_id = user_scope(user).member_id
    if member_id is not None:
        q |= Q(member_id=member_id)
    return qs.filter(q)


def org_for_oversight(*, user, pk: int) -> Organization:
    from zhibu.orgs.permissions import get_or_404

    return get_or_404(user, Action.OVERSEE, Organization.objects.all(), pk=pk)


def org_for_branch_view(*, user, pk: int) -> Organization:
    """An organization the user oversees, or a branch they run (MANAGE_ORGLIFE); 404 otherwise.

    Running a branch gives its own live view only; evaluating a subtree of several branches
    compares them, which needs OVERSEE.
    """
    from django.http import Http404

    if not user.is_authenticated:
        raise Http404
    q = scope_q(user, Action.OVERSEE, Organization) | (
        scope_q(user, Action.MANAGE_ORGLIFE, Organization) & Q(kind=OrgKind.BRANCH)
    )
    org = Organization.objects.filter(q, pk=pk).first()
    if org is None:
        raise Http404
    return org


def member_for_obligations(*, user, pk: int) -> Member:
    """The member themself, or a member of a branch the user oversees or runs; 404 otherwise."""
    from django.http import Http404

    if not user.is_authenticated:
        raise Http404
    q = scope_q(user, Action.OVERSEE, Member) | scope_q(user, Action.MANAGE_ORGLIFE, Member)
    member_id = user_scope(user).member_id
    if member_id is not None:
        q |= Q(pk=member_id)
    member = Member.objects.filter(q, pk=pk).select_related("branch").first()
    if member is None:
        raise Http404
    return member


def oversight_roots(*, user) -> list[Organization]:
    """The topmost organizations the user may compare branches in (for the menu and index)."""
    orgs = list(
        visible_to(user, Action.OVERSEE, Organization.objects.exclude(kind=OrgKind.PARTY_GROUP))
        .order_by("path")
        .only("pk", "name", "path", "kind")[:200]
    )
    roots: list[Organization] = []
    for org in orgs:
        if not any(org.path.startswith(r.path) for r in roots):
            roots.append(org)
    return roots


# --------------------------------------------------------------------------- dashboard


@dataclass
class Cell:
    """Obligations of one table cell, counted by displayed status and by light."""

    counts: dict[str, int] = field(default_factory=dict)
    lights: dict[str, int] = field(default_factory=dict)
    ended: bool = False  # the viewed period has ended (lights.worst)

    def add(self, status: str, severity: str, n: int) -> None:
        self.counts[status] = self.counts.get(status, 0) + n
        lamp = str(light(status, severity))
        self.lights[lamp] = self.lights.get(lamp, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def met(self) -> int:
        return self.counts.get(Status.MET, 0)

    @property
    def status(self) -> str:
        """The worst status present; "" when there is no obligation at all."""
        for status in STATUS_ORDER:
            if self.counts.get(status):
                return str(status)
        return ""

    @property
    def light(self) -> str:
        """The cell's colour (lights.worst): severity decides; hints never colour it."""
        return lights.worst(self.lights, ended=self.ended)

    @property
    def hints(self) -> int:
        return self.lights.get(Light.HINT, 0)

    @property
    def label(self) -> str:
        if not self.light:
            return "—"
        return str(Light(self.light).label)

    @property
    def applicable(self) -> int:
        return self.total - self.counts.get(Status.NOT_APPLICABLE, 0)


@dataclass
class Row:
    org_id: int
    name: str
    path: str
    kind: str
    cells: dict[str, Cell]
    overall: Cell


@dataclass
class RuleSummary:
    rule_id: str
    name: str
    family: str
    cell: Cell


@dataclass
class Dashboard:
    org: Organization
    period: Period
    by: str
    families: dict[str, Any]
    rows: list[Row]
    pattern_counts: dict[str, int]
    totals: Cell
    evaluated_at: datetime | None
    branch_count: int
    rules: list[RuleSummary] = field(default_factory=list)

    @property
    def pattern_rows(self) -> list[tuple[str, str, int]]:
        return [(p.value, str(p.label), self.pattern_counts.get(p.value, 0)) for p in Pattern]

    @property
    def status_summary(self) -> dict[str, int]:
        """How many rows are green / open / yellow / red / grey (not applicable or no data)
        overall, by the light rule; `hints` counts the 提示 obligations, which colour nothing."""
        out = {"green": 0, "open": 0, "yellow": 0, "red": 0, "grey": 0}
        for row in self.rows:
            out[row.overall.light or Light.GREY] += 1
        return out | {"hints": sum(row.overall.hints for row in self.rows)}


def compliance_dashboard(
    *,
    user,
    org: Organization,
    period: Period,
    by: str = "branch",
    today: date | None = None,
) -> Dashboard:
    """The traffic-light table for `org`'s subtree: two queries, whatever the subtree's size.

    by="branch": one row per branch under `org`; by="child": one row per direct child, its
    whole subtree rolled up (for large trees). Counts are of the displayed status (derived
    from the stored one and `today`); colours follow the light rule (lights.light).
    """
    keys = period_keys(period)
    today = today or periods.local_date()
    ended = period.last < today
    running = [k for k in keys if periods.parse(k).last >= today]
    shown = display_status_sql(
        stale_q(today, keys), Q(period_key__in=running) if ended and running else None
    )
    base = visible_to(
        user,
        Action.OVERSEE,
        Obligation.objects.filter(subtree_q(org.path, "org__path"), period_key__in=keys),
    )
    if by == "child":
        key_len = len(org.path) + SEGMENT
        grouped = base.annotate(row_key=Substr("org__path", 1, key_len), shown=shown).values_list(
            "row_key", "rule_id", "family", "shown", "pattern", "severity"
        )
        key_field: Field = CharField()
    else:
        grouped = base.annotate(shown=shown).values_list(
            "org_id", "rule_id", "family", "shown", "pattern", "severity"
        )
        key_field = BigIntegerField()
    # COUNT(*) and only the grouped columns, so the aggregate is an index-only scan of
    # obligation_dashboard_idx. The latest evaluation is one more row (UNION ALL, still one
    # query) rather than a MAX per group: converting thousands of timestamps cost more than
    # the whole scan.
    text = Value(None, output_field=CharField())
    latest = (
        base.values(k=Value(None, output_field=key_field), r=text, f=text, s=text, p=text, v=text)
        .annotate(n=Count("*"), last=Max("evaluated_at"))
        .order_by()
    )
    aggregated = (
        grouped.annotate(n=Count("*"), last=Value(None, output_field=DateTimeField()))
        .order_by()
        .union(latest, all=True)
    )

    evaluated_at = None
    by_cell: dict[tuple[Any, str, str, str], int] = defaultdict(int)
    by_rule: dict[tuple[str, str, str], int] = defaultdict(int)
    rule_family: dict[str, str] = {}
    pattern_counts: dict[str, int] = defaultdict(int)
    for key, rule_id, family, status, pattern, severity, n, last in aggregated:
        if rule_id is None:  # the UNION's row (rule_id is never NULL in a group)
            evaluated_at = last
            continue
        by_cell[key, family, status, severity] += n
        by_rule[rule_id, status, severity] += n
        if rule_id not in rule_family:
            rule_family[rule_id] = family
        if pattern and status in _FAILING_VALUES:
            pattern_counts[pattern] += n

    def cell() -> Cell:
        return Cell(ended=ended)

    cells: dict[Any, dict[str, Cell]] = defaultdict(lambda: defaultdict(cell))
    overall: dict[Any, Cell] = defaultdict(cell)
    totals = cell()
    for (key, family, status, severity), n in by_cell.items():
        cells[key][family].add(status, severity, n)
        overall[key].add(status, severity, n)
        totals.add(status, severity, n)
    per_rule: dict[str, RuleSummary] = {
        rule_id: RuleSummary(rule_id, rule_name(rule_id), family, cell())
        for rule_id, family in rule_family.items()
    }
    for (rule_id, status, severity), n in by_rule.items():
        per_rule[rule_id].cell.add(status, severity, n)

    fields = ("pk", "name", "path", "kind")
    if by == "child":
        orgs = Organization.objects.filter(Q(parent=org) | Q(pk=org.pk)).order_by("path")
        orgs = orgs.exclude(kind=OrgKind.PARTY_GROUP).only(*fields)
        row_keys = [(o, o.path) for o in orgs if o.pk != org.pk or o.path in cells]
        branch_count = None
    else:
        with_rows = [k for k in cells if isinstance(k, int)]
        orgs = (
            Organization.objects.filter(subtree_q(org.path))
            .filter(Q(kind=OrgKind.BRANCH, is_active=True) | Q(pk__in=with_rows))
            .order_by("path")
            .only(*fields)
        )
        row_keys = [(o, o.pk) for o in orgs]
        branch_count = sum(1 for o, _k in row_keys if o.kind == OrgKind.BRANCH)
    rows = [
        Row(
            org_id=o.pk,
            name=o.name,
            path=o.path,
            kind=o.kind,
            cells={f: cells.get(key, {}).get(f) or cell() for f in FAMILIES},
            overall=overall.get(key) or cell(),
        )
        for o, key in row_keys
    ]
    if branch_count is None:
        branch_count = len(rows)
    return Dashboard(
        org=org,
        period=period,
        by=by,
        families=FAMILIES,
        rows=rows,
        pattern_counts=dict(pattern_counts),
        totals=totals,
        evaluated_at=evaluated_at,
        branch_count=branch_count,
        rules=sorted(
            per_rule.values(),
            key=lambda r: (
                list(FAMILIES).index(r.family) if r.family in FAMILIES else 99,
                r.rule_id,
            ),
        ),
    )


@dataclass
class TrendPoint:
    """One month of the trend: branches by the light of their monthly obligations."""

    key: str
    label: str
    orgs: int  # branches with an applicable monthly obligation
    green: int
    open: int
    yellow: int
    red: int

    @property
    def green_share(self) -> float:
        return round(100 * self.green / self.orgs, 1) if self.orgs else 0.0


def compliance_trend(
    *, user, org: Organization, period: Period, today: date | None = None
) -> list[TrendPoint]:
    """Per month up to the end of `period` (at most 12): how many branches met every monthly rule.

    One grouped query. A branch's month takes the worst light of its monthly obligations (the
    dashboard's rule: displayed status and severity; hints leave it green).
    """
    today = today or periods.local_date()
    last = min(period.last, today)
    end_month = periods.containing("month", last)
    months: list[Period] = []
    m = end_month
    start = period.first if period.kind in ("year", "ytd") else None
    while len(months) < 12 and (start is None or m.first >= start):
        months.append(m)
        m = periods.containing("month", m.first - _DAY)
    months.reverse()
    keys = [m.key for m in months]
    ended = stale_q(today, keys)
    red = light_q(Light.RED, ended)
    yellow = red | light_q(Light.YELLOW, ended)
    not_green = yellow | light_q(Light.OPEN, ended)
    rows = (
        visible_to(
            user,
            Action.OVERSEE,
            Obligation.objects.filter(
                subtree_q(org.path, "org__path"), period_key__in=keys, member__isnull=True
            ),
        )
        .values("period_key")
        .annotate(
            orgs=Count("org_id", distinct=True, filter=~Q(status=Status.NOT_APPLICABLE)),
            red=Count("org_id", distinct=True, filter=red),
            yellow=Count("org_id", distinct=True, filter=yellow),
            not_green=Count("org_id", distinct=True, filter=not_green),
        )
        .order_by()
    )
    by_key = {r["period_key"]: r for r in rows}
    # Months before the first one ever evaluated (records that begin mid-window, a new
    # deployment) are left out rather than drawn as a month of nothing.
    while months and months[0].key not in by_key:
        months.pop(0)
    out = []
    for p in months:
        r = by_key.get(p.key) or {"orgs": 0, "red": 0, "yellow": 0, "not_green": 0}
        out.append(
            TrendPoint(
                key=p.key,
                label=f"{p.first.year}-{p.first.month:02d}",
                orgs=r["orgs"],
                green=max(r["orgs"] - r["not_green"], 0),
                open=r["not_green"] - r["yellow"],
                yellow=r["yellow"] - r["red"],
                red=r["red"],
            )
        )
    return out


# --------------------------------------------------------------------------- drill-downs


QUIET = (Status.MET, Status.NOT_APPLICABLE)  # hidden in drill-downs unless asked for


def with_display(qs: QuerySet[Obligation], today: date) -> QuerySet[Obligation]:
    """Adds `shown` (the displayed status) and `light` to each row, and `exception_rank` to
    order by: red, yellow, open, then hints, then met (lights.exception_rank); rows of equal
    rank keep the order the caller gives after it (tree order, never a ranking).
    """
    ended = stale_q(today)
    return qs.annotate(shown=display_status_sql(ended), light=light_sql(ended)).alias(
        exception_rank=exception_rank_sql(ended)
    )


@dataclass
class Drilldown:
    """Rows of a drill-down, exceptions first; met and not-applicable rows only on request."""

    rows: QuerySet[Obligation]
    hidden: int  # met and not-applicable rows left out (0 when everything is shown)


def _drilldown(qs: QuerySet[Obligation], today: date, everything: bool, *order: str) -> Drilldown:
    rows = with_display(qs, today).order_by("exception_rank", *order)
    if everything:
        return Drilldown(rows=rows, hidden=0)
    # met and not_applicable never change when displayed, so the stored column decides.
    return Drilldown(
        rows=rows.exclude(status__in=QUIET), hidden=qs.filter(status__in=QUIET).count()
    )


def rule_obligations(
    *,
    user,
    org: Organization,
    rule_id: str,
    period: Period,
    today: date | None = None,
    everything: bool = False,
) -> Drilldown:
    """One rule across `org`'s subtree: exceptions first, then tree order (never ranked)."""
    qs = visible_to(
        user,
        Action.OVERSEE,
        Obligation.objects.filter(
            subtree_q(org.path, "org__path"), period_q(period), rule_id=rule_id
        ),
    ).select_related("org", "member")
    return _drilldown(
        qs,
        today or periods.local_date(),
        everything,
        "org__path",
        "member__name",
        "member_id",
        "period_first",
    )


def member_obligations(
    *,
    user,
    member: Member,
    period: Period,
    today: date | None = None,
    everything: bool = False,
) -> Drilldown:
    """Persisted obligations of one member (the caller has resolved `member` through scope)."""
    qs = obligation_list(user=user).filter(period_q(period), member=member)
    return _drilldown(qs, today or periods.local_date(), everything, "period_first", "rule_id")


def obligation_next_step(obligation: Obligation, today: date) -> str:
    """`next_step` for a stored row, judged by its displayed status today."""
    verdict = Verdict(
        status=obligation.display_status(today),
        explanation=obligation.explanation,
        numbers=obligation.numbers or {},
        pattern=obligation.pattern,
    )
    rule = rule_catalog().get(obligation.rule_id)
    return next_step(rule, verdict, periods.parse(obligation.period_key), today)


@dataclass
class MakeupItem:
    makeup: Any
    overdue: bool
    days_left: int


def open_makeups(*, member: Member, today: date | None = None) -> list[MakeupItem]:
    """A member's make-ups not yet confirmed, overdue first; one query."""
    from zhibu.orglife.models import Makeup

    today = today or periods.local_date()
    rows = (
        Makeup.objects.filter(member=member, confirmed_at__isnull=True)
        .select_related("attendance__meeting")
        .order_by("due_date", "pk")
    )
    return [
        MakeupItem(makeup=m, overdue=m.due_date < today, days_left=(m.due_date - today).days)
        for m in rows
    ]


# --------------------------------------------------------------------------- live evaluation


@dataclass
class LiveItem:
    rule_id: str
    name: str
    family: str
    family_label: str
    status: str
    status_label: str
    explanation: str
    pattern: str
    severity: str
    source: str
    text: str
    period: Period
    next_step: str
    numbers: dict
    org_id: int | None = None
    member_id: int | None = None
    member_name: str = ""

    @property
    def light(self) -> str:
        return light(self.status, self.severity)

    @property
    def quiet(self) -> bool:
        """Met or not applicable: listed only when the user asks for everything."""
        return self.status in QUIET


def _days_left(period: Period, today: date) -> int:
    return max((period.last - today).days + 1, 0)


SCOPE_WORDS = {"month": "本月", "quarter": "本季度", "half": "本半年", "year": "本年"}


def _meeting_names(rule: Any) -> str:
    from zhibu.orglife.meeting_types import MEETING_TYPES

    types = (getattr(rule, "params", None) or {}).get("types") or []
    return "、".join(MEETING_TYPES[t].name if t in MEETING_TYPES else t for t in types)


def next_step(rule: Any, verdict: Any, period: Period, today: date) -> str:
    """What to do next, in plain words, e.g. "本月还需安排 1 个半天党日，剩余 6 天".

    A verdict that states its own next step (`numbers["next_step"]`) is taken as it is.
    Otherwise reads the numbers each rule kind reports (units/target_units/needed_units and
    the year's pace gap, held/required/needed, missing types, groups short, reports); anything
    else falls back to the verdict's explanation. Days left are counted from `today`, so a
    stored row reads right when shown.
    """
    if verdict.status in (Status.MET, Status.NOT_APPLICABLE):
        return ""
    n = verdict.numbers or {}
    if n.get("next_step"):
        return str(n["next_step"])
    left = _days_left(period, today)
    scope = SCOPE_WORDS.get(period.kind, "本期")
    names = _meeting_names(rule) or getattr(rule, "name_zh", "") or ""
    gap = n.get("pace_gap_units") or 0
    if n.get("overdue"):  # make-ups: each one is still owed after its deadline
        return f"逾期未完成的 {n['overdue']} 项补课仍须尽快完成，并由支部确认"
    if n.get("pending"):
        return f"还有 {n['pending']} 项补课待完成，请在各自期限前完成并由支部确认"
    if left == 0:
        year_end = date(period.last.year, 12, 31)
        if gap > 0 and today <= year_end:
            return (
                f"年度进度落后 {gap:g} 个半天{names or '党日'}：请在{year_end.year}年12月31日前补足"
            )
        return f"{period_text(period)}已结束未达标：请在下期补足，并在记录中说明原因"
    tail = f"，剩余 {left} 天"
    if "target_units" in n and "units" in n:  # party-day time in half-day units
        need = n.get("needed_units", n["target_units"] - n["units"])
        planned = n.get("scheduled_units", 0)
        pace = f"，补足年度进度需 {gap:g} 个半天" if gap > need else ""
        if need > planned:
            return f"{scope}还需安排 {need - planned:g} 个半天{names or '党日'}{pace}{tail}"
        if need > 0:
            return f"按计划足额开展已安排的 {planned:g} 个半天{names or '党日'}即可达标{pace}{tail}"
        if gap > 0:
            return f"补足年度进度还需 {gap:g} 个半天{names or '党日'}{tail}"
    if "groups_short" in n and n["groups_short"]:
        return f"{scope}还有 {n['groups_short']} 个党小组需召开{names}{tail}"
    if "held" in n and "required" in n:
        need = n.get("needed", n["required"] - n["held"])
        planned = n.get("scheduled", 0)
        if need > planned:
            return f"{scope}还需安排 {need - planned} 次{names}{tail}"
        if need > 0:
            return f"已安排 {planned} 次{names}，按计划开展即可达标{tail}"
    if "min_attended" in n and n.get("needed"):  # a leading cadre's dual organizational life
        return f"{scope}还需以普通党员身份参加支部组织生活 {n['needed']} 次{tail}"
    if n.get("missing_types"):
        from zhibu.orglife.meeting_types import MEETING_TYPES

        missing = "、".join(
            MEETING_TYPES[t].name if t in MEETING_TYPES else t for t in n["missing_types"]
        )
        return f"{scope}还需开展：{missing}{tail}"
    if "reports" in n and "required" in n and n["required"] > n["reports"]:
        return f"{scope}还需提交 {n['required'] - n['reports']} 次汇报{tail}"
    need = n.get("missing")
    if need is None and "required" in n:
        done = next((n[k] for k in ("counted", "count", "done") if k in n), None)
        if isinstance(done, int | float):
            need = n["required"] - done
    if isinstance(need, int | float) and need > 0:
        what = n.get("unit_zh") or names
        return f"{scope}还需完成 {need:g} 次“{what}”{tail}"
    return f"{scope}剩余 {left} 天：{verdict.explanation}"


def period_text(period: Period) -> str:
    from zhibu.compliance.forms import period_label

    return period_label(period)


def live_evaluate(org: Organization, period: Period, now: datetime | None = None) -> list[Any]:
    """engine.evaluate — the one entry point to live results (kept here so tests can see it)."""
    from zhibu.compliance import engine

    return engine.evaluate(org, period, now=now)


def branch_live_status(
    *,
    org: Organization,
    period: Period,
    now: datetime | None = None,
    member_ids: Iterable[int] | None = None,
) -> list[LiveItem]:
    """Each rule for this branch (and its members) right now, with what to do next."""
    now = now or timezone.now()
    today = periods.local_date(now)
    results = live_evaluate(org, period, now)
    wanted = set(member_ids) if member_ids is not None else None
    names: dict[int, str] = {}
    member_pks = {r.member_id for r in results if r.member_id}
    if member_pks:
        names = dict(Member.objects.filter(pk__in=member_pks).values_list("pk", "name"))
    items: list[LiveItem] = []
    for res in results:
        if wanted is not None and res.member_id not in wanted:
            continue
        rule, verdict = res.rule, res.verdict
        rp = res.period
        items.append(
            LiveItem(
                rule_id=rule.id,
                name=rule.name_zh,
                family=rule.family,
                family_label=str(FAMILIES.get(rule.family, rule.family)),
                status=verdict.status,
                status_label=str(Status(verdict.status).label),
                explanation=verdict.explanation,
                pattern=verdict.pattern,
                severity=rule.severity,
                source=rule.source,
                text=rule.text_zh,
                period=rp,
                next_step=next_step(rule, verdict, rp, today),
                numbers=dict(verdict.numbers or {}),
                org_id=res.org_id,
                member_id=res.member_id,
                member_name=names.get(res.member_id, "") if res.member_id else "",
            )
        )
    # Exceptions first (red, yellow, open, hints, then met); within each, branch rules by
    # rule and member rows by rule, then roster name — never ranked by result.
    items.sort(
        key=lambda i: (
            i.member_id is not None,
            lights.exception_rank(i.status, i.severity),
            i.rule_id,
            i.member_name,
            i.member_id or 0,
        )
    )
    return items


def exceptions_only(items: list[LiveItem], everything: bool) -> tuple[list[LiveItem], int]:
    """(the items to list, how many met/not-applicable ones were left out)."""
    if everything:
        return items, 0
    shown = [i for i in items if not i.quiet]
    return shown, len(items) - len(shown)


def attention(*, user, action: Action, today: date | None = None) -> QuerySet[Obligation]:
    """The organizations' red and yellow rows of this month's periods (the month and the
    quarter, half and year containing it) in the user's scope for `action`, worst first: the
    home page's "needs attention". Member rows are left to the branch page."""
    today = today or timezone.localdate()
    period = periods.containing("month", today)
    qs = Obligation.objects.filter(
        scope_q(user, action, Obligation), period_q(period), member__isnull=True
    )
    return (
        with_display(qs, today)
        .filter(light__in=[Light.RED, Light.YELLOW])
        .select_related("org")
        .order_by("exception_rank", "org__path", "rule_id", "pk")
    )
