"""Benchmark the organization tree at 500,000 organizations (not a test; run by hand).

    createdb -h 127.0.0.1 -U postgres zhibu_bench_orgs
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhibu_bench_orgs \\
        uv run python bench/orgs.py --orgs 500000

Builds a tree shaped like a province (root → 100 counties → 工委/党委 → 总支 → 支部 → 党小组)
with bulk inserts, then times "everything under X" (the index-backed path range) for nodes at
each level, with EXPLAIN to show the index is used, and a subtree move (one UPDATE).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from zhibu.orgs.models import Organization, OrgKind, path_segment, subtree_q  # noqa: E402
from zhibu.orgs.services import org_move  # noqa: E402

LEVELS = [  # (kind, children per parent)
    (OrgKind.BASE_PARTY_COMMITTEE, 100),  # counties under the province root
    (OrgKind.ORGANS_WORK_COMMITTEE, 6),
    (OrgKind.GENERAL_BRANCH, 12),
    (OrgKind.BRANCH, 25),
    (OrgKind.PARTY_GROUP, 2),
]


def build(total: int) -> int:
    """Bulk-insert a tree of about `total` organizations; returns the number written."""
    now = timezone.now()
    next_id = 1
    root = Organization(
        id=next_id,
        name="省委",
        kind=OrgKind.BASE_PARTY_COMMITTEE,
        path=path_segment(1),
        depth=0,
        created_at=now,
        updated_at=now,
    )
    batch, frontier, written = [root], [root], 1
    for depth, (kind, fan_out) in enumerate(LEVELS, start=1):
        children = []
        for parent in frontier:
            for _ in range(fan_out):
                if written >= total:
                    break
                next_id += 1
                written += 1
                children.append(
                    Organization(
                        id=next_id,
                        name=f"{kind}-{next_id}",
                        kind=kind,
                        parent_id=parent.id,
                        path=parent.path + path_segment(next_id),
                        depth=depth,
                        created_at=now,
                        updated_at=now,
                    )
                )
        batch.extend(children)
        frontier = children
        if len(batch) > 50_000:
            Organization.objects.bulk_create(batch, batch_size=10_000)
            batch = []
    Organization.objects.bulk_create(batch, batch_size=10_000)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('orgs_organization','id'), %s)", [next_id]
            )
            cursor.execute("ANALYZE orgs_organization")
    return written


def timed(fn, repeat: int = 7) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return min(samples), statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=500_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not Organization.objects.exists():
        t = time.perf_counter()
        n = build(args.orgs)
        print(f"built {n:,} organizations in {time.perf_counter() - t:.1f} s")
    total = Organization.objects.count()
    print(f"{total:,} organizations, database {connection.vendor}")
    for depth in range(0, 4):
        node = Organization.objects.filter(depth=depth).order_by("id")[1 if depth else 0]
        qs = Organization.objects.filter(subtree_q(node.path))
        count = qs.count()
        best, median = timed(lambda qs=qs: list(qs.values_list("id", flat=True)))
        print(
            f"subtree of a depth-{depth} node: {count:>7,} rows  best {best:7.1f} ms  "
            f"median {median:7.1f} ms"
        )
    node = Organization.objects.filter(depth=2).order_by("id")[3]
    plan = Organization.objects.filter(subtree_q(node.path)).explain()
    print("plan:", " | ".join(line.strip() for line in plan.splitlines()[:3]))
    size = Organization.objects.filter(subtree_q(node.path)).count()
    target = Organization.objects.filter(depth=1).order_by("-id")[0]
    t = time.perf_counter()
    with transaction.atomic():
        org_move(org=node, new_parent=target)
    print(f"move a subtree of {size:,} organizations: {(time.perf_counter() - t) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
