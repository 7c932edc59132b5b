"""`zhibu evaluate [--since 2025-01] [--as-of 2026-11-25T10:00] [--loop SECONDS] [--workers N]`:
re-evaluate everything due and persist status changes."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhibu.compliance.management.arguments import parse_as_of, parse_since
from zhibu.compliance.services import evaluate_as_of, evaluate_due
from zhibu.compliance.verdicts import Status
from zhibu.core.periods import local_date


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
        parser.add_argument(
            "--since",
            default="",
            help=_("同时评估并保存从该月起的全部期间（月、季、半年、年），例如 2025-01"),
        )
        parser.add_argument(
            "--as-of",
            default="",
            help=_(
                "按某一时刻评估，例如 2026-11-25T10:00：只计入该时刻前已登记的记录；"
                "只显示统计，不保存"
            ),
        )

    def handle(self, *args, **opts):
        interval = opts["loop"]
        if interval < 0:
            raise CommandError("--loop 必须是正整数秒数，或 0（只运行一次）")
        if opts["workers"] is not None and opts["workers"] < 1:
            raise CommandError("--workers 必须是不小于 1 的整数")
        now = timezone.now()
        as_of = parse_as_of(opts["as_of"], now) if opts["as_of"] else None
        since = parse_since(opts["since"], local_date(as_of or now)) if opts["since"] else None
        if as_of is not None:
            if interval:
                raise CommandError(_("--as-of 只评估一次，不能与 --loop 同用"))
            self._as_of(as_of, since, opts["workers"])
            return
        while True:
            started = time.monotonic()
            totals = evaluate_due(workers=opts["workers"], since=since)
            self.stdout.write(
                f"评估 {totals['roots']} 个顶级组织：{totals['evaluated']} 项，"
                f"新增 {totals['created']}，更新 {totals['updated']}，状态变化 {totals['changes']}"
                f"（{time.monotonic() - started:.1f} 秒）"
            )
            if not interval:
                return
            since = None  # history is filled in once; the loop keeps the due periods current
            try:
                time.sleep(interval)
            except KeyboardInterrupt:  # pragma: no cover - interactive stop
                return

    def _as_of(self, as_of, since, workers) -> None:
        totals = evaluate_as_of(as_of=as_of, since=since, workers=workers)
        labels = dict(Status.choices)
        separator = _("，")  # the list separator of the language: ", " in English
        counts = separator.join(f"{labels[s]} {n}" for s, n in totals["counts"].items())
        self.stdout.write(
            _("截至 %(at)s：评估 %(roots)s 个顶级组织 %(evaluated)s 项（%(counts)s）；未保存")
            % {
                "at": timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M"),
                "roots": totals["roots"],
                "evaluated": totals["evaluated"],
                "counts": counts,
            }
        )
