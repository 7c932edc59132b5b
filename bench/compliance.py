"""Compliance engine benchmark (run by hand, not a test).

    uv run python bench/compliance.py --scale city
    uv run python bench/compliance.py --scale city --reuse      # keep the generated data

Uses a dedicated PostgreSQL database (default postgres://postgres@127.0.0.1:5432/zhibu_bench,
dropped and re-created unless --reuse). Generates the scale (zhibu.demo's scale builder when it
exists, else bench/generate.py), then measures with `now` pinned:

  1. full evaluation of the root for the year          engine.evaluate(root, year, now)
  2. a hand-written SQL lower bound computing the same counts (facts only, no rule logic):
     at the rules' grain (per month, over the engine's window), and the coarser yearly one
     of the first passes (attendance per member per year), kept so figures stay comparable
  3. persisting: services.obligations_refresh(root, year and the current month)
  4. refresh after one meeting edit                    services.refresh_for_meeting(meeting)
  5. the oversight dashboard for a ~300-branch subtree  selectors.compliance_dashboard
  6. a naive per-branch ORM loop on a sample, extrapolated to every branch

Targets (2-core machine): city full evaluation ≤ 5 s and ≤ 1.5× the SQL lower bound,
province ≤ 60 s, single-edit refresh ≤ 50 ms, dashboard ≤ 100 ms. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/zhibu_bench"
TARGETS = {"city": 5.0, "province": 60.0}


def ensure_database(url: str, *, fresh: bool) -> None:
    """Create the dedicated benchmark database (drop it first when `fresh`)."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    if not name.startswith("zhibu_bench"):
        raise SystemExit(f"refusing to touch database {name!r}: its name must start zhibu_bench")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(fn, repeat: int = 1):
    """(best seconds, all seconds, last result)."""
    import gc

    times, result = [], None
    for _i in range(repeat):
        result = None  # never hold two runs' results at once (gigabytes at city scale)
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        print(f"    run {_i + 1}: {times[-1]:.2f} s", flush=True)
    return min(times), times, result


def build(scale: str, seed: int, now: datetime):
    """The demo's scale builder if it exists, else the minimal bench generator."""
    try:
        from zhibu.demo.services import build_scale  # type: ignore[attr-defined]
    except ImportError:
        build_scale = None
    if build_scale is not None:
        params = inspect.signature(build_scale).parameters
        wanted = {"seed": seed, "now": now, "progress": lambda msg: print(msg, flush=True)}
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            kwargs = wanted  # build_scale(scale, **kwargs) forwards to the scale builder
        else:
            kwargs = {k: v for k, v in wanted.items() if k in params}
        print(f"generating {scale} with zhibu.demo.services.build_scale …", flush=True)
        return "demo", build_scale(scale, **kwargs)
    from generate import generate

    print(f"generating {scale} with bench/generate.py …", flush=True)
    return "bench", generate(scale, seed=seed, now=now)


MEETINGS_SQL = """
    SELECT CASE WHEN o.kind = 'party_group' THEN o.parent_id ELSE o.id END AS branch_id,
           m.meeting_type, {month} AS month,
           count(*) FILTER (WHERE m.status IN ('held', 'confirmed')) AS held,
           count(*) FILTER (WHERE m.status = 'planned') AS planned,
           sum(CASE WHEN m.status IN ('held', 'confirmed')
                     AND m.content_category IN
                         ('political_study', 'org_life', 'party_work', 'volunteering')
                THEN CASE WHEN m.actual_end - m.actual_start >= interval '6 hours' THEN 2
                          WHEN m.actual_end - m.actual_start >= interval '3 hours' THEN 1
                          ELSE 0 END
                ELSE 0 END) AS units,
           count(*) FILTER (WHERE m.actual_end - m.actual_start < interval '1 hour') AS short,
           count(*) FILTER (WHERE m.notice_sent_at > m.planned_start - interval '3 days')
               AS late_notice{more}
    FROM orglife_meeting m JOIN orgs_organization o ON o.id = m.org_id
    WHERE o.path >= %(lo)s AND o.path < %(hi)s{where}
      AND m.planned_start >= %(start)s AND m.planned_start < %(end)s
    GROUP BY 1, 2, 3
"""
HELD_ATTENDANCE = """
    FROM orglife_attendance a
    JOIN orglife_meeting m ON m.id = a.meeting_id
    JOIN orgs_organization o ON o.id = m.org_id
    LEFT JOIN orglife_leaverequest l
           ON l.meeting_id = a.meeting_id AND l.member_id = a.member_id
    WHERE o.path >= %(lo)s AND o.path < %(hi)s
      AND m.planned_start >= %(start)s AND m.planned_start < %(end)s
      AND m.status IN ('held', 'confirmed')
"""
STEPS_SQL = """
    SELECT m.id, m.meeting_type, count(s.id), count(d.id)
    FROM orglife_meeting m JOIN orgs_organization o ON o.id = m.org_id
    LEFT JOIN orglife_procedurestep s ON s.meeting_id = m.id
    LEFT JOIN (SELECT DISTINCT meeting_id, 1 AS id FROM orglife_discussionentry) d
           ON d.meeting_id = m.id
    WHERE o.path >= %(lo)s AND o.path < %(hi)s
      AND m.planned_start >= %(start)s AND m.planned_start < %(end)s
      AND m.status IN ('held', 'confirmed')
    GROUP BY 1, 2
"""


def sql_lower_bound(root_path: str, period, today) -> dict[str, int]:
    """The counts the rules need, computed straight in SQL (PostgreSQL), fetched to Python."""

    from zhibu.orgs.models import path_upper_bound

    lo, hi = root_path, path_upper_bound(root_path)
    start, end = period.start, period.end
    queries = {
        "meetings": MEETINGS_SQL.format(
            month="date_trunc('month', m.planned_start AT TIME ZONE 'Asia/Shanghai')",
            more="",
            where="",
        ),
        "steps": STEPS_SQL,
        "attendance": """
            SELECT CASE WHEN o.kind = 'party_group' THEN o.parent_id ELSE o.id END AS branch_id,
                   a.member_id,
                   count(*) AS due,
                   count(*) FILTER (WHERE a.outcome IN ('present', 'late', 'left_early')),
                   count(*) FILTER (WHERE a.outcome = '') AS blank,
                   count(*) FILTER (WHERE a.outcome IN ('absent', 'on_leave') AND NOT (
                        l.status IS NOT DISTINCT FROM 'approved'
                        AND l.decided_at <= coalesce(m.actual_start, m.planned_start)
                        AND l.requested_at <= coalesce(m.actual_start, m.planned_start)))
                       AS unexcused,
                   max(m.planned_start) FILTER (WHERE a.outcome IN
                       ('present', 'late', 'left_early')) AS last_attended
        """
        + HELD_ATTENDANCE
        + "GROUP BY 1, 2",
        "makeups": """
            SELECT k.member_id,
                   count(*) FILTER (WHERE k.confirmed_at IS NULL AND k.due_date < %(today)s),
                   count(*) FILTER (WHERE k.confirmed_at IS NULL AND k.due_date >= %(today)s),
                   count(*) FILTER (WHERE k.confirmed_at IS NOT NULL)
            FROM orglife_makeup k
            JOIN orglife_attendance a ON a.id = k.attendance_id
            JOIN orglife_meeting m ON m.id = a.meeting_id
            JOIN orgs_organization o ON o.id = m.org_id
            WHERE o.path >= %(lo)s AND o.path < %(hi)s
              AND m.planned_start >= %(start)s AND m.planned_start < %(end)s
            GROUP BY 1
        """,
        "members": """
            SELECT t.branch_id, t.member_id, mb.status, mb.is_exempt, mb.is_leading_cadre
            FROM members_branchtenure t
            JOIN members_member mb ON mb.id = t.member_id
            JOIN orgs_organization o ON o.id = t.branch_id
            WHERE o.path >= %(lo)s AND o.path < %(hi)s
              AND t.start < %(end_day)s AND (t."end" IS NULL OR t."end" >= %(first_day)s)
        """,
        "orgs": """
            SELECT id, parent_id, kind, category, founded_on, path
            FROM orgs_organization WHERE path >= %(lo)s AND path < %(hi)s
        """,
    }
    params = {
        "lo": lo,
        "hi": hi,
        "start": start,
        "end": end,
        "today": today,
        "first_day": period.first,
        "end_day": period.last,
    }
    return _fetch_all(queries, params)


def sql_lower_bound_monthly(root_path: str, period, today, window_first) -> dict[str, int]:
    """The counts the rules read, at their grain, straight in SQL (PostgreSQL): meetings per
    type and month, and attendance (for each meeting-type set a rule names) and make-ups per
    member and month, over the engine's window (the year plus the silence look-back); each
    member's latest day of taking part and of an unexcused absence per month; blank outcomes
    per meeting (the register). The yearly `sql_lower_bound` counts
    attendance per member per year only, less than any rule can be judged from."""

    from zhibu.compliance.rules import all_rules
    from zhibu.core.periods import local_midnight
    from zhibu.orgs.models import path_upper_bound

    lo, hi = root_path, path_upper_bound(root_path)
    held_at = "coalesce(m.actual_start, m.planned_start)"
    month = f"date_trunc('month', {held_at} AT TIME ZONE 'Asia/Shanghai')"
    excused = f"""(l.status IS NOT DISTINCT FROM 'approved'
                   AND l.decided_at <= {held_at} AND l.requested_at <= {held_at})"""
    present = "a.outcome IN ('present', 'late', 'left_early')"
    missed = "a.outcome IN ('absent', 'on_leave')"
    # the rules' meeting-type sets: every type (attendance, silence), dual life's own
    dual_types = sorted(
        {t for r in all_rules().values() if r.kind == "dual_life" for t in r.params["types"]}
    )
    dual = "m.meeting_type IN ({})".format(", ".join(f"'{t}'" for t in dual_types))
    queries = {
        "meetings": MEETINGS_SQL.format(
            month=month,
            more=f", max({held_at}) FILTER (WHERE m.status IN ('held', 'confirmed'))",
            where=" AND m.status <> 'cancelled'",
        ),
        "steps": STEPS_SQL,
        "register": """
            SELECT a.meeting_id, count(*) FILTER (WHERE a.outcome = '') AS blank
            FROM orglife_attendance a
            JOIN orglife_meeting m ON m.id = a.meeting_id
            JOIN orgs_organization o ON o.id = m.org_id
            WHERE o.path >= %(lo)s AND o.path < %(hi)s
              AND m.planned_start >= %(start)s AND m.planned_start < %(end)s
              AND m.status IN ('held', 'confirmed')
            GROUP BY 1
        """,
        "attendance": f"""
            SELECT CASE WHEN o.kind = 'party_group' THEN o.parent_id ELSE o.id END AS branch_id,
                   a.member_id, {month} AS month,
                   count(*) AS due,
                   count(*) FILTER (WHERE {present}),
                   count(*) FILTER (WHERE {missed} AND {excused}),
                   count(*) FILTER (WHERE {missed} AND NOT {excused}) AS unexcused,
                   count(*) FILTER (WHERE {dual}) AS dual_due,
                   count(*) FILTER (WHERE {dual} AND {present}),
                   count(*) FILTER (WHERE {dual} AND {missed} AND {excused}),
                   count(*) FILTER (WHERE {dual} AND {missed} AND NOT {excused}),
                   max({held_at}) FILTER (WHERE {present} OR ({missed} AND {excused}))
                       AS took_part,
                   max({held_at}) FILTER (WHERE {missed} AND NOT {excused}) AS last_unexcused
        """
        + HELD_ATTENDANCE
        + "GROUP BY 1, 2, 3",
        "makeups": """
            SELECT k.member_id, date_trunc('month', k.due_date) AS month,
                   count(*) FILTER (WHERE k.confirmed_at IS NULL AND k.due_date < %(today)s),
                   count(*) FILTER (WHERE k.confirmed_at IS NULL AND k.due_date >= %(today)s),
                   count(*) FILTER (WHERE k.confirmed_at IS NOT NULL
                                    AND k.confirmed_at < k.due_date + 1),
                   count(*) FILTER (WHERE k.confirmed_at >= k.due_date + 1)
            FROM orglife_makeup k
            JOIN members_branchtenure t ON t.member_id = k.member_id
            JOIN orgs_organization o ON o.id = t.branch_id
            WHERE o.path >= %(lo)s AND o.path < %(hi)s
              AND t.start <= %(last_day)s AND (t."end" IS NULL OR t."end" >= %(first_day)s)
              AND k.due_date >= %(first_day)s
            GROUP BY 1, 2
        """,
        "members": """
            SELECT t.branch_id, t.member_id, t.start, t."end",
                   mb.status, mb.is_exempt, mb.is_leading_cadre
            FROM members_branchtenure t
            JOIN members_member mb ON mb.id = t.member_id
            JOIN orgs_organization o ON o.id = t.branch_id
            WHERE o.path >= %(lo)s AND o.path < %(hi)s AND mb.is_active
              AND t.start <= %(last_day)s AND (t."end" IS NULL OR t."end" >= %(first_day)s)
        """,
        "orgs": """
            SELECT id, parent_id, kind, category, founded_on, path, settings
            FROM orgs_organization WHERE path >= %(lo)s AND path < %(hi)s
        """,
    }
    params = {
        "lo": lo,
        "hi": hi,
        "start": local_midnight(window_first),
        "end": period.end,
        "today": today,
        "first_day": window_first,
        "last_day": period.last,
    }
    return _fetch_all(queries, params)


def _fetch_all(queries: dict[str, str], params: dict) -> dict:
    """Run each query and fetch its rows to Python: row counts, and each query's seconds."""
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            counts[name] = len(cursor.fetchall())
            counts[f"{name}_s"] = round(time.perf_counter() - t0, 2)
    return counts


def naive_loop(branches, period, today) -> int:
    """What a straightforward ORM implementation does: queries per branch, month and type."""
    from zhibu.orglife.models import Attendance, Makeup, Meeting

    n = 0
    types = ("party_day", "committee_meeting", "general_meeting", "party_lecture")
    for branch in branches:
        for month in period.months():
            for t in types:
                n += Meeting.objects.filter(
                    org=branch,
                    meeting_type=t,
                    status__in=("held", "confirmed"),
                    planned_start__gte=month.start,
                    planned_start__lt=month.end,
                ).count()
            n += Meeting.objects.filter(
                org__parent=branch,
                meeting_type="party_group_meeting",
                planned_start__gte=month.start,
                planned_start__lt=month.end,
            ).count()
            n += Attendance.objects.filter(
                meeting__org=branch,
                outcome="absent",
                meeting__planned_start__gte=month.start,
                meeting__planned_start__lt=month.end,
            ).count()
        for member in branch.members.all():
            n += Makeup.objects.filter(
                member=member, confirmed_at__isnull=True, due_date__lt=today
            ).count()
    return n


def machine() -> dict:
    from django.db import connection

    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    return {
        "nproc": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "database": version,
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        ),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="city", choices=["tiny", "county", "city", "province"])
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    ap.add_argument("--reuse", action="store_true", help="keep existing data (no regeneration)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--now", default="2026-10-25T10:00:00+08:00")
    ap.add_argument("--sample", type=int, default=30, help="branches in the naive loop sample")
    ap.add_argument("--repeat", type=int, default=2, help="runs of the full evaluation")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--generate-only", action="store_true", help="generate the data and stop")
    ap.add_argument("--persist-year", action="store_true", help="also persist the whole year")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes")
    ap.add_argument(
        "--persist-committee",
        action="store_true",
        help="persist only the first 机关工委 (what the dashboard step reads; the province "
        "always does)",
    )
    ap.add_argument(
        "--skip-single",
        action="store_true",
        help="skip the one-process, one-list evaluation (always skipped for the province)",
    )
    args = ap.parse_args(argv)
    args.skip_single = args.skip_single or args.scale == "province"
    args.persist_committee = args.persist_committee or args.scale == "province"

    ensure_database(args.database_url, fresh=not args.reuse)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    import django
    import time_machine

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from steps import dashboard_reader, edit_meeting

    from zhibu.compliance import engine, selectors, services
    from zhibu.core import periods
    from zhibu.orglife.models import Meeting
    from zhibu.orgs.models import Organization, OrgKind

    now = datetime.fromisoformat(args.now)
    today = periods.local_date(now)
    year = periods.year(today.year)
    month = periods.containing("month", today)
    call_command("migrate", verbosity=0)

    figures: dict = {"scale": args.scale, "now": args.now, "machine": machine()}
    if not args.reuse or not Organization.objects.exists():
        t0 = time.perf_counter()
        source, _generated = build(args.scale, args.seed, now)
        figures["generate_s"] = round(time.perf_counter() - t0, 1)
        figures["generator"] = source
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"generated in {figures['generate_s']} s", flush=True)
    if args.generate_only:
        return 0
    root = Organization.objects.filter(parent__isnull=True).order_by("path").first()
    n_branches = Organization.objects.filter(kind=OrgKind.BRANCH).count()
    figures["rows"] = {
        "branches": n_branches,
        "organizations": Organization.objects.count(),
        "members": root.members.model.objects.count(),
        "meetings": Meeting.objects.count(),
        "attendances": Meeting.attendances.rel.related_model.objects.count(),
    }
    print(json.dumps(figures["rows"], ensure_ascii=False), flush=True)

    # 1. full evaluation of the root for the year: in one process and one result list (city;
    # a province does not fit in memory that way), then chunk by chunk in --workers processes,
    # each chunk's results counted in its worker (what `zhibu evaluate` does before persisting)
    best = None
    if not args.skip_single:
        c0 = time.process_time()
        best, runs, results = timed(lambda: engine.evaluate(root, year, now=now), args.repeat)
        figures["full_evaluation_cpu_s"] = round((time.process_time() - c0) / args.repeat, 3)
        figures["full_evaluation_s"] = round(best, 3)
        figures["full_evaluation_median_s"] = round(statistics.median(runs), 3)
        figures["full_evaluation_runs"] = [round(t, 3) for t in runs]
        figures["results"] = len(results)
        print(
            f"full evaluation: best {best:.2f}s, runs {figures['full_evaluation_runs']}, "
            f"cpu/run {figures['full_evaluation_cpu_s']}s ({len(results)} results)",
            flush=True,
        )
        del results  # millions of results at city scale
    figures["workers"] = args.workers
    cbest, cruns, per_chunk = timed(
        lambda: engine.map_chunks(_evaluate_chunk, root, year, now, workers=args.workers),
        args.repeat,
    )
    figures["chunked_evaluation_s"] = round(cbest, 3)
    figures["chunked_evaluation_runs"] = [round(t, 3) for t in cruns]
    figures["chunks"] = len(per_chunk)
    figures["chunked_results"] = sum(n for n, _counts in per_chunk)
    status_counts: dict[str, int] = {}
    for _n, counts in per_chunk:
        for k, v in counts.items():
            status_counts[k] = status_counts.get(k, 0) + v
    figures["chunked_status_counts"] = status_counts
    print(
        f"chunked evaluation ({len(per_chunk)} chunks, {args.workers} workers): "
        f"best {cbest:.2f}s ({figures['chunked_results']} results)",
        flush=True,
    )
    best = cbest if best is None else min(best, cbest)

    # 2. SQL lower bound
    lb, lb_runs, counts = timed(lambda: sql_lower_bound(root.path, year, today), args.repeat)
    figures["sql_lower_bound_s"] = round(lb, 3)
    figures["sql_lower_bound_runs"] = [round(t, 3) for t in lb_runs]
    figures["sql_rows"] = counts
    print(f"SQL lower bound: {lb:.2f}s", flush=True)
    window_first = engine_window_first(year)
    mlb, mlb_runs, mcounts = timed(
        lambda: sql_lower_bound_monthly(root.path, year, today, window_first), args.repeat
    )
    figures["sql_lower_bound_monthly_s"] = round(mlb, 3)
    figures["sql_lower_bound_monthly_runs"] = [round(t, 3) for t in mlb_runs]
    figures["sql_rows_monthly"] = mcounts
    print(f"SQL lower bound, monthly grain: {mlb:.2f}s", flush=True)

    # 3. persist obligations (fills the dashboard), chunk by chunk in --workers processes as
    # `zhibu evaluate` does: the year with --persist-year, then the current month view
    # (month, quarter, half and year rules) first and again (nothing changed)
    target_org = root
    if args.persist_committee:
        target_org = (
            Organization.objects.filter(kind=OrgKind.ORGANS_WORK_COMMITTEE).order_by("path").first()
        )
    figures["persisted_subtree"] = target_org.name
    stats_year = None
    if args.persist_year:
        t0 = time.perf_counter()
        stats_year = services.obligations_refresh_tree(
            org=target_org, period=year, now=now, workers=args.workers
        )
        figures["obligations_refresh_year_s"] = round(time.perf_counter() - t0, 3)
        print(f"obligations refresh (year): {figures['obligations_refresh_year_s']}s", flush=True)
    t0 = time.perf_counter()
    stats_month = services.obligations_refresh_tree(
        org=target_org, period=month, now=now, workers=args.workers
    )
    figures["obligations_refresh_first_s"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    stats_again = services.obligations_refresh_tree(
        org=target_org, period=month, now=now, workers=args.workers
    )
    figures["obligations_refresh_again_s"] = round(time.perf_counter() - t0, 3)
    figures["refresh_stats"] = {
        "year": _jsonable(stats_year),
        "month": _jsonable(stats_month),
        "month_again": _jsonable(stats_again),
    }
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE compliance_obligation")
    print(
        f"obligations refresh ({target_org.name}, month): "
        f"{figures['obligations_refresh_first_s']}s first, "
        f"{figures['obligations_refresh_again_s']}s again",
        flush=True,
    )

    # 4. refresh after one meeting edit
    meeting = edit_meeting(now)
    # The clock is pinned to `now` (the refresh reads it), so edits compare with obligations
    # evaluated at the same instant; the first refresh persists the branch's year.
    edit_times = []
    with time_machine.travel(now, tick=True):
        services.refresh_for_meeting(meeting)
        for i in range(15):
            Meeting.objects.filter(pk=meeting.pk).update(topic=f"{meeting.topic[:180]} #{i}")
            meeting.refresh_from_db()
            t0 = time.perf_counter()
            services.refresh_for_meeting(meeting)
            edit_times.append(time.perf_counter() - t0)
    figures["refresh_for_meeting_ms"] = round(1000 * statistics.median(edit_times), 1)
    figures["refresh_for_meeting_best_ms"] = round(1000 * min(edit_times), 1)
    print(f"refresh after one edit: {figures['refresh_for_meeting_ms']} ms (median)", flush=True)

    # 5. dashboard over the ~300-branch subtree, read as its organization administrator
    subtree, admin = dashboard_reader()
    sub_branches = Organization.objects.filter(kind=OrgKind.BRANCH).subtree(subtree).count()
    selectors.compliance_dashboard(user=admin, org=subtree, period=month)  # warm the scope
    dash_times, trend_times = [], []
    for _i in range(15):
        t0 = time.perf_counter()
        board = selectors.compliance_dashboard(user=admin, org=subtree, period=month)
        dash_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        selectors.compliance_trend(user=admin, org=subtree, period=year)
        trend_times.append(time.perf_counter() - t0)
    figures["dashboard_branches"] = sub_branches
    figures["dashboard_rows"] = len(board.rows)
    figures["dashboard_ms"] = round(1000 * statistics.median(dash_times), 1)
    figures["dashboard_best_ms"] = round(1000 * min(dash_times), 1)
    figures["trend_ms"] = round(1000 * statistics.median(trend_times), 1)
    ybest = min(
        timed(lambda: selectors.compliance_dashboard(user=admin, org=subtree, period=year))[1]
    )
    figures["dashboard_year_ms"] = round(1000 * ybest, 1)
    print(
        f"dashboard ({sub_branches} branches): {figures['dashboard_ms']} ms, "
        f"trend {figures['trend_ms']} ms",
        flush=True,
    )

    # 6. naive per-branch ORM loop on a sample, extrapolated
    sample = list(Organization.objects.filter(kind=OrgKind.BRANCH).order_by("?")[: args.sample])
    t0 = time.perf_counter()
    naive_loop(sample, year, today)
    naive = time.perf_counter() - t0
    figures["naive_sample_s"] = round(naive, 3)
    figures["naive_extrapolated_s"] = round(naive * n_branches / max(len(sample), 1), 1)

    target = TARGETS.get(args.scale)
    figures["ratios"] = {
        "full_vs_sql_lower_bound": round(best / lb, 2) if lb else None,
        "full_vs_sql_lower_bound_monthly": round(best / mlb, 2) if mlb else None,
        "naive_vs_full": round(figures["naive_extrapolated_s"] / best, 1) if best else None,
    }
    f, r = figures, figures["ratios"]
    lines = [
        f"scale {args.scale}: {n_branches} branches, {f['rows']['members']} members",
        f"  full evaluation (year)    {best:9.2f} s   target ≤ {target} s",
        f"  SQL lower bound           {lb:9.2f} s   "
        f"engine = {r['full_vs_sql_lower_bound']}× (≤ 1.5×)",
        f"  SQL lower bound, monthly  {mlb:9.2f} s   "
        f"engine = {r['full_vs_sql_lower_bound_monthly']}× (≤ 1.5×)",
        f"  naive ORM loop (extrap.)  {f['naive_extrapolated_s']:9.1f} s   "
        f"{r['naive_vs_full']}× engine",
        f"  obligations refresh       {f['obligations_refresh_first_s']:9.2f} s   year + month",
        f"  refresh after one edit    {f['refresh_for_meeting_ms']:9.1f} ms  target ≤ 50 ms",
        f"  dashboard ({sub_branches} branches) {f['dashboard_ms']:9.1f} ms  target ≤ 100 ms",
    ]
    print("\n" + "\n".join(lines))
    print(json.dumps(figures, ensure_ascii=False, indent=1, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1, default=str))
    return 0


def engine_window_first(period):
    """The first day the engine loads for `period`: the year's start, less the longest
    silence look-back of the shipped rules (as engine._evaluate computes it)."""
    from datetime import date, timedelta

    from zhibu.compliance.rules import all_rules

    lookback = max(
        (int(r.params.get("days", 0)) + 1 for r in all_rules().values() if r.kind == "silence"),
        default=0,
    )
    return min(date(period.first.year, 1, 1), period.first - timedelta(days=lookback))


def _evaluate_chunk(pk: int, period, now) -> tuple[int, dict[str, int]]:
    """One chunk's full evaluation, counted by status (runs in a worker process)."""
    from collections import Counter

    from zhibu.compliance import engine
    from zhibu.orgs.models import Organization

    results = engine.evaluate(Organization.objects.get(pk=pk), period, now=now)
    return len(results), dict(Counter(r.status for r in results))


def _jsonable(value):
    try:
        json.dumps(value, default=str)
        return value
    except TypeError:
        return str(value)


if __name__ == "__main__":
    raise SystemExit(main())
