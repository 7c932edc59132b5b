"""Evaluation: every effective rule, for every branch (and member) of a subtree, in a period.

Status is a pure function of stored facts and `now`. The engine reads the subtree with a
fixed number of queries (organizations, ancestors' settings, overrides, then one per fact
type), and the rest is Python over frozen values, so 3 and 300 branches cost the same queries.

A requested period selects each rule's own periods: those of the rule's kind that overlap it
and have started by `now` (a month view shows the month's monthly rules plus the containing
quarter, half and year; a year view shows the twelve months so far). For `ytd` at a date,
`now` is capped at the end of that date.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from itertools import repeat
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from django.db import connection, connections
from django.utils import timezone

from zhibu.compliance.kinds import KIND_PERIODS
from zhibu.compliance.kinds.base import Facts, na
from zhibu.compliance.rules import Rule, effective_rules, with_parameters
from zhibu.compliance.verdicts import Pattern, Status, Verdict
from zhibu.core.periods import Period, containing, local_date
from zhibu.orgs.models import SEGMENT, Organization, OrgKind, subtree_q
from zhibu.orgs.parameters import overrides, resolve_many

if TYPE_CHECKING:
    from zhibu.compliance.facts import FactStore


class Result(NamedTuple):
    """One verdict of one rule for one subject and period.

    A named tuple: a city-scale evaluation builds millions, and `tuple.__new__` builds one
    for a fraction of a dataclass's cost."""

    rule: Rule
    org_id: int
    member_id: int | None
    period: Period
    verdict: Verdict

    @property
    def status(self) -> str:
        return self.verdict.status

    @property
    def severity(self) -> str:
        return self.rule.severity

    @property
    def key(self) -> tuple:
        """Identity of the obligation this result persists to."""
        if self.member_id is not None:
            return ("member", self.member_id, self.rule.id, self.period.key)
        return ("org", self.org_id, self.rule.id, self.period.key)


def rule_periods(kind: str, period: Period, today: date) -> list[Period]:
    """The periods of `kind` overlapping `period` that have started by `today`."""
    out: list[Period] = []
    p = containing(kind, period.first)
    while p.first <= period.last and p.first <= today:
        out.append(p)
        p = containing(kind, p.last + timedelta(days=1))
    return out


def resolve_settings(orgs: list[Organization]) -> dict[int, dict]:
    """Per-organization settings merged root-first (nearest ancestor wins), from paths alone."""
    by_path = {o.path: (o.settings or {}) for o in orgs}
    out: dict[int, dict] = {}
    for o in sorted(orgs, key=lambda o: o.path):
        merged: dict = {}
        for i in range(10, len(o.path) + 1, 10):
            merged.update(by_path.get(o.path[:i], {}))
        out[o.pk] = merged
    return out


def _disabled_verdict(rule: Rule) -> Verdict:
    cached = _DISABLED.get(rule)
    if cached is None:
        cached = _DISABLED[rule] = _make_disabled_verdict(rule)
    return cached


_DISABLED: dict[Rule, Verdict] = {}


def _make_disabled_verdict(rule: Rule) -> Verdict:
    reason = f"：{rule.override_reason}" if rule.override_reason else ""
    return na(f"上级组织已停用此规则（放宽要求{reason}）", loosened=True)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block.

    An evaluation allocates millions of facts, verdict numbers and results, none of them in
    reference cycles, and the collector's repeated passes over them cost about a quarter of
    the evaluation's time. Whatever cycles appear are collected once it resumes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def evaluate(
    org: Organization,
    period: Period,
    now: datetime | None = None,
    *,
    as_of: datetime | None = None,
) -> list[Result]:
    """Verdicts for every branch × rule (and member × rule) under `org` in `period`.

    With `as_of`, the view at that instant: `now` is `as_of` and only the facts recorded by
    then are loaded (facts.load), so a past day's verdicts can be reproduced."""
    with _collector_paused():
        return _evaluate(org, period, as_of or now, as_of)


def _evaluate(
    org: Organization, period: Period, now: datetime | None, as_of: datetime | None
) -> list[Result]:
    now = now or timezone.now()
    if period.kind == "ytd":
        now = min(now, period.end - timedelta(microseconds=1))
    today = local_date(now)

    orgs = list(
        Organization.objects.filter(subtree_q(org.path), is_active=True).only(
            "id", "name", "kind", "category", "parent_id", "path", "founded_on", "settings"
        )
    )
    above = org.ancestor_ids[:-1]
    ancestors = (
        list(Organization.objects.filter(pk__in=above).only("id", "path", "settings"))
        if above
        else []
    )
    settings = resolve_settings(ancestors + orgs)
    branches = [o for o in orgs if o.kind == OrgKind.BRANCH]
    if not branches:
        return []
    resolved = resolve_many(ancestors + orgs)
    rules_by_org = with_parameters(
        effective_rules(branches, settings=settings),
        {b.pk: overrides(resolved[b.pk]) for b in branches},
    )

    plan: dict[str, list[Period]] = {}
    lookback = 0
    for rules in rules_by_org.values():
        for rule in rules:
            if rule.period not in plan:
                plan[rule.period] = rule_periods(rule.period, period, today)
            if rule.kind == "silence":
                lookback = max(lookback, int(rule.params.get("days", 0)) + 1)
    spans = [p for ps in plan.values() for p in ps]
    if not spans:
        return []
    first = min(p.first for p in spans)
    last = max(p.last for p in spans)
    window_first = min(date(first.year, 1, 1), first - timedelta(days=lookback))

    from zhibu.compliance import facts as facts_module

    store = facts_module.load(org, orgs, window_first, last, as_of)

    # Which members belong to each branch, per rule period (transfers move obligations).
    assigned = _assign(store, [rp for ps in plan.values() for rp in ps], today)

    return judge(store, branches, rules_by_org, plan, assigned, now, min(today, last))


def judge(
    store: FactStore,
    branches: list[Organization],
    rules_by_org: dict[int, list[Rule]],
    plan: dict[str, list[Period]],
    assigned: dict[str, dict[int, set[int]]],
    now: datetime,
    fact_day: date,
) -> list[Result]:
    """The verdicts from loaded facts: pure Python, no database access.

    Results are produced directly in their documented order — (branch, member or 0, family,
    rule, period start) — so no sort over millions of results is needed."""
    results: list[Result] = []
    append = results.append
    new = _tuple_new
    for branch in sorted(branches, key=_pk):
        bid = branch.pk
        bfacts = store.branch_facts(bid, fact_day)
        rules = sorted(rules_by_org[bid], key=_rule_order)
        for rule in rules:
            if rule.subject != "branch":
                continue
            rps = plan[rule.period]
            for rp, v in zip(rps, _verdicts(rule, bfacts, rps, now), strict=True):
                append(new(Result, (rule, bid, None, rp, v)))
        member_rules = [
            (rule, [(rp, assigned[rp.key].get(bid, ())) for rp in plan[rule.period]])
            for rule in rules
            if rule.subject != "branch"
        ]
        if not member_rules:
            continue
        mids: set[int] = set()
        for _rule, rps in member_rules:
            for _rp, here in rps:
                mids.update(here)
        # Members of the branch without attendance or make-ups in the window (a branch that
        # does not register attendance, a member on long leave) and with equal flags, tenures
        # and reports get equal verdicts — kinds read only the member's own facts and the
        # branch's — so each such group is judged once. (Members with attendance rarely share
        # all of it: comparing theirs costs more than it saves.)
        without_records: dict[tuple, list[tuple]] = {}
        for mid in sorted(mids):
            signature = store.recordless_signature(mid)
            verdicts = without_records.get(signature) if signature else None
            if verdicts is not None:
                for rule, rp, v in verdicts:
                    append(new(Result, (rule, bid, mid, rp, v)))
                continue
            if signature:
                verdicts = without_records[signature] = []
            mfacts = store.member_facts(bid, mid, fact_day)
            for rule, rps in member_rules:
                mine = [rp for rp, here in rps if mid in here]
                if not mine:
                    continue
                for rp, v in zip(mine, _verdicts(rule, mfacts, mine, now), strict=True):
                    append(new(Result, (rule, bid, mid, rp, v)))
                    if verdicts is not None:
                        verdicts.append((rule, rp, v))
    return results


def _verdicts(rule: Rule, facts: Facts, periods: list[Period], now: datetime) -> list[Verdict]:
    """The rule's verdicts for one subject's periods (a disabled rule's say so)."""
    if not rule.enabled:
        return [_disabled_verdict(rule)] * len(periods)
    return KIND_PERIODS[rule.kind](rule.params, facts, periods, now)


_tuple_new = tuple.__new__  # Result(...) without its generated __new__'s call overhead


def _pk(o: Organization) -> int:
    return o.pk


def _rule_order(rule: Rule) -> tuple[str, str]:
    return rule.family, rule.id


def _assign(store: FactStore, periods: list[Period], today: date) -> dict[str, dict[int, set]]:
    """Period key → branch → members (see FactStore.branch_of), as of `today` in each period.

    Most members have one open tenure that began before every period: they are placed once,
    and only the others are looked at period by period."""
    earliest = min(rp.first for rp in periods)
    steady: dict[int, set[int]] = defaultdict(set)
    moving: list[int] = []
    for mid, member in store.members.items():
        tenures = member.tenures
        if len(tenures) == 1 and tenures[0].end is None and tenures[0].start <= earliest:
            steady[tenures[0].branch_id].add(mid)
        else:
            moving.append(mid)
    out: dict[str, dict[int, set[int]]] = {}
    for rp in periods:
        if rp.key in out:
            continue
        ref = min(today, rp.last)
        per_branch: dict[int, set[int]] = defaultdict(set)
        for branch_id, mids in steady.items():
            per_branch[branch_id] = set(mids)
        for mid in moving:
            b = store.branch_of(mid, rp.first, ref)
            if b is not None:
                per_branch[b].add(mid)
        out[rp.key] = per_branch
    return out


T = TypeVar("T")

# A chunk's facts and results stay in memory together: ~300 branches (one 机关工委) is about
# 6,000 members, some 100 MB at a year's worth of meetings and attendance.
CHUNK_BRANCHES = 400


def chunks(org: Organization, max_branches: int | None = None) -> list[Organization]:
    """Subtrees that together hold every branch under `org`, each with at most `max_branches`
    (default CHUNK_BRANCHES) branches — a single branch is always its own — in path order.

    A province is evaluated chunk by chunk: evaluating each chunk gives exactly the results
    that evaluating `org` at once gives for that chunk's branches (a transferred member's
    period has one owner everywhere; see FactStore.branch_of), in bounded memory. One query.
    """
    nodes = list(
        Organization.objects.filter(subtree_q(org.path), is_active=True)
        .exclude(kind=OrgKind.PARTY_GROUP)
        .order_by("path")
        .only("id", "path", "kind", "parent_id", "name", "category")
    )
    branches_under: dict[str, int] = defaultdict(int)
    children: dict[int, list[Organization]] = defaultdict(list)
    top = len(org.path)
    for node in nodes:
        children[node.parent_id].append(node)
        if node.kind == OrgKind.BRANCH:
            for end in range(top, len(node.path) + 1, SEGMENT):
                branches_under[node.path[:end]] += 1
    limit = max_branches or CHUNK_BRANCHES
    out: list[Organization] = []

    def split(node: Organization) -> None:
        count = branches_under.get(node.path, 0)
        if not count:
            return
        if count <= limit or node.kind == OrgKind.BRANCH:
            out.append(node)
            return
        for child in children.get(node.pk, ()):
            split(child)

    root = next((n for n in nodes if n.pk == org.pk), org)
    split(root)
    return out


def map_chunks(fn: Callable[..., T], org: Organization, *args, workers: int = 1) -> list[T]:
    """`fn(chunk_pk, *args)` for every chunk of `org` (see `chunks`), in chunk order, in up to
    `workers` forked processes. `fn` must be a module-level function (it is sent by name).

    Everything runs in this process on SQLite (one writer at a time), and when this process
    has other threads: a fork copies their database connections and held locks into the
    children, where they break (a web server's request threads, a test live server)."""
    ids = [c.pk for c in chunks(org)]
    forkable = threading.active_count() == 1 and connection.vendor != "sqlite"
    if workers <= 1 or len(ids) <= 1 or not forkable:
        return [fn(pk, *args) for pk in ids]
    connections.close_all()  # forked children must not share the parent's connections
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(min(workers, len(ids)), mp_context=context) as pool:
        return list(pool.map(_in_worker, repeat(fn), ids, *(repeat(a) for a in args)))


def _in_worker(fn: Callable[..., T], pk: int, *args) -> T:
    """Run one chunk in a worker process and close its database connections afterwards, so
    none outlives the pool.

    On PostgreSQL the worker's session runs its queries without parallel workers: the pool
    already keeps every core busy, and helper processes only contended with it (a city
    evaluation on two cores took 14 % longer with them)."""
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET max_parallel_workers_per_gather = 0")
        return fn(pk, *args)
    finally:
        connections.close_all()


def aggregate(results: list[Result], orgs: list[Organization]) -> dict[int, dict]:
    """Counts per organization, rolled up the tree: each result counts for its branch and
    every ancestor among `orgs`."""
    known = {o.pk: o for o in orgs}
    out: dict[int, dict] = {
        pk: {
            "total": 0,
            **dict.fromkeys(Status.values, 0),
            "patterns": dict.fromkeys(Pattern.values, 0),
        }
        for pk in known
    }
    paths = {o.pk: o.ancestor_ids for o in orgs}
    for r in results:
        for pk in paths.get(r.org_id, [r.org_id]):
            counts = out.get(pk)
            if counts is None:
                continue
            counts["total"] += 1
            counts[r.status] += 1
            if r.verdict.pattern:
                counts["patterns"][r.verdict.pattern] += 1
    return out


def worst(results: list[Result], min_severity: str = "high") -> list[Result]:
    """not_met results at or above a severity (what `zhibu check` fails on)."""
    from zhibu.compliance.verdicts import SEVERITY_RANK

    floor = SEVERITY_RANK[min_severity]
    return [
        r for r in results if r.status == Status.NOT_MET and SEVERITY_RANK[r.rule.severity] >= floor
    ]
