"""Profile one full-year evaluation on an existing benchmark database (by hand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhibu_bench_tiny \
        uv run python bench/profile_eval.py [--profile /tmp/p.out] [--refresh]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile")
    ap.add_argument("--now", default="2026-10-25T10:00:00+08:00")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument(
        "--refresh", action="store_true", help="time the edit step's refresh_for_meeting instead"
    )
    args = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    import django
    import time_machine

    django.setup()
    from django.db import connection, reset_queries
    from steps import edit_meeting

    from zhibu.compliance import engine, services
    from zhibu.core import periods
    from zhibu.orgs.models import Organization

    now = datetime.fromisoformat(args.now)
    year = periods.year(periods.local_date(now).year)
    root = Organization.objects.filter(parent__isnull=True).order_by("path").first()

    meeting = edit_meeting(now)  # the one bench/compliance.py's edit step refreshes

    def run():
        if args.refresh:
            with time_machine.travel(now, tick=True):
                return services.refresh_for_meeting(meeting)
        return engine.evaluate(root, year, now=now)

    for _ in range(args.repeat):
        connection.force_debug_cursor = True
        reset_queries()
        t0, c0 = time.perf_counter(), time.process_time()
        if args.profile:
            import cProfile

            box: dict = {}
            cProfile.runctx("box['out'] = run()", {"run": run, "box": box}, {}, args.profile)
            out = box["out"]
        else:
            out = run()
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        qs = connection.queries
        db = sum(float(q["time"]) for q in qs)
        n = len(out) if isinstance(out, list) else out
        print(
            f"{dt:.3f}s wall, {cpu:.3f}s cpu, {len(qs)} queries {db:.3f}s, results={n}", flush=True
        )


if __name__ == "__main__":
    main()
