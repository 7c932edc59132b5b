"""`zhibu evaluate [--loop SECONDS] [--workers N]`: re-evaluate everything due and persist
status changes."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from zhibu.compliance.services import evaluate_due


class Command(BaseCommand):
    help = "重新评估当前和刚结束期间的全部义务，记录状态变化（--loop 秒数：循环运行）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", type=int, default=0, help="每隔多少秒运行一次；0 为只运行一次"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="并行评估的进程数（PostgreSQL/MySQL；SQLite 总是 1），"
            "默认取 ZHIBU_EVALUATE_WORKERS",
        )

    def handle(self, *args, **opts):
        interval = opts["loop"]
        if interval < 0:
            raise CommandError("--loop 必须是正整数秒数，或 0（只运行一次）")
        if opts["workers"] is not None and opts["workers"] < 1:
            raise CommandError("--workers 必须是不小于 1 的整数")
        while True:
            started = time.monotonic()
            totals = evaluate_due(workers=opts["workers"])
            self.stdout.write(
                f"评估 {totals['roots']} 个顶级组织：{totals['evaluated']} 项，"
                f"新增 {totals['created']}，更新 {totals['updated']}，状态变化 {totals['changes']}"
                f"（{time.monotonic() - started:.1f} 秒）"
            )
            if not interval:
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:  # pragma: no cover - interactive stop
                return
