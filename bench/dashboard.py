"""Time the oversight dashboard on an existing benchmark database (run by hand, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhibu_bench uv run python bench/dashboard.py
    ... bench/dashboard.py --explain      # also EXPLAIN (ANALYZE, BUFFERS) the aggregate query

Same measurement as step 5 of bench/compliance.py: `bench-admin` is org_admin of the first
机关工委 by path, now = 2026-10-25T10:00+08:00, the month containing that day, warmed once,
median of 15.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NOW = datetime.fromisoformat("2026-10-25T10:00:00+08:00")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--year", action="store_true", help="the year view instead of the month")
    args = ap.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhibu_bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhibu.settings"
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from steps import dashboard_reader

    from zhibu.compliance import selectors
    from zhibu.core import periods
    from zhibu.orgs.models import Organization, OrgKind

    if not connection.settings_dict["NAME"].startswith("zhibu_bench"):
        raise SystemExit("refusing: the database name must start zhibu_bench")
    day = periods.local_date(NOW)
    period = periods.containing("year" if args.year else "month", day)
    subtree, admin = dashboard_reader()
    branches = Organization.objects.filter(kind=OrgKind.BRANCH).subtree(subtree).count()
    with CaptureQueriesContext(connection) as ctx:
        board = selectors.compliance_dashboard(user=admin, org=subtree, period=period)  # warm
    times = []
    for _i in range(args.repeat):
        t0 = time.perf_counter()
        board = selectors.compliance_dashboard(user=admin, org=subtree, period=period)
        times.append(time.perf_counter() - t0)
    print(
        f"dashboard {period.key}: {branches} branches, {len(board.rows)} rows, "
        f"{board.totals.total} obligations; "
        f"median {1000 * statistics.median(times):.1f} ms, best {1000 * min(times):.1f} ms "
        f"(runs: {', '.join(f'{1000 * t:.0f}' for t in times)})"
    )
    if args.explain:
        with CaptureQueriesContext(connection) as ctx:
            selectors.compliance_dashboard(user=admin, org=subtree, period=period)
        for q in ctx.captured_queries:
            print(f"\n-- {q['time']} s\n{q['sql']}\n")
            if "compliance_obligation" in q["sql"]:
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                    print("\n".join(r[0] for r in cur.fetchall()))


if __name__ == "__main__":
    main()
