"""`zhibu check`: print compliance verdicts, exit 1 when a high-or-worse rule is not met."""

from __future__ import annotations

import json
import sys
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhibu.compliance.engine import Result, evaluate, worst
from zhibu.compliance.management.arguments import parse_as_of
from zhibu.compliance.selectors import next_step
from zhibu.compliance.verdicts import Severity, Status
from zhibu.core.periods import containing, local_date, parse
from zhibu.members.models import Member
from zhibu.orgs.models import Organization

STATUS_ZH = dict(Status.choices)
SEVERITY_ZH = dict(Severity.choices)
COLUMNS = ("组织", "党员", "规则", "期间", "状态", "严重程度", "说明", "依据", "下一步")
# The items whose next step is printed under them: those that need someone to act.
NEEDS_ACTION = frozenset({Status.AT_RISK, Status.NOT_MET})


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "检查组织生活合规情况：zhibu check [--org ID] [--period 2026-10|2026Q3|2026H2|2026|ytd]"

    def add_arguments(self, parser):
        parser.add_argument("--org", type=int, help="组织 ID（默认：全部顶级组织）")
        parser.add_argument(
            "--period", default="", help="期间：2026-10、2026Q3、2026H2、2026 或 ytd（默认本月）"
        )
        parser.add_argument(
            "--as-of",
            default="",
            help=_(
                "按某一时刻查看，例如 2026-11-25T10:00：只计入该时刻前已登记的记录（默认：现在）"
            ),
        )
        parser.add_argument("--format", choices=("table", "json", "xlsx"), default="table")
        parser.add_argument("-o", "--output", help="输出文件（xlsx 必填）")

    def handle(self, *args, **opts):
        now = timezone.now()
        as_of = parse_as_of(opts["as_of"], now) if opts["as_of"] else None
        now = as_of or now
        today = local_date(now)
        try:
            period = parse(opts["period"], today) if opts["period"] else containing("month", today)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if opts["org"] is not None:
            roots = list(Organization.objects.filter(pk=opts["org"]))
            if not roots:
                raise CommandError(f"没有 ID 为 {opts['org']} 的组织，请检查 --org")
        else:
            roots = list(Organization.objects.filter(parent__isnull=True).order_by("path"))
        if opts["format"] == "xlsx" and not opts["output"]:
            raise CommandError("xlsx 格式需要用 -o 指定输出文件，例如 -o check.xlsx")

        results: list[Result] = []
        for root in roots:
            results.extend(evaluate(root, period, now, as_of=as_of))
        rows = self._rows(results, today)
        failing = worst(results)
        if opts["format"] == "json":
            self._emit(opts["output"], self._json(rows, results, failing, period))
        elif opts["format"] == "xlsx":
            self._xlsx(opts["output"], rows)
            self.stdout.write(f"已写入 {opts['output']}（{len(rows)} 条）")
        else:
            self._emit(opts["output"], self._table(rows, results, failing, period, as_of))
        if failing:
            sys.exit(1)

    def _rows(self, results: list[Result], today) -> list[dict]:
        org_ids = {r.org_id for r in results}
        member_ids = {r.member_id for r in results if r.member_id}
        orgs = dict(Organization.objects.filter(pk__in=org_ids).values_list("pk", "name"))
        members = dict(Member.objects.filter(pk__in=member_ids).values_list("pk", "name"))
        return [
            {
                "org_id": r.org_id,
                "org": orgs.get(r.org_id, ""),
                "member_id": r.member_id,
                "member": members.get(r.member_id, "") if r.member_id else "",
                "rule_id": r.rule.id,
                "rule": r.rule.name_zh,
                "family": r.rule.family,
                "period": r.period.key,
                "status": r.status,
                "severity": r.rule.severity,
                "pattern": r.verdict.pattern,
                "explanation": r.verdict.explanation,
                "next_step": self._next_step(r, today),
                "numbers": r.verdict.numbers,
                "source": r.rule.source,
                "loosened": r.rule.loosened,
            }
            for r in results
        ]

    def _next_step(self, r: Result, today) -> str:
        if r.status not in NEEDS_ACTION:
            return ""
        return next_step(r.rule, r.verdict, r.period, today)

    def _json(self, rows, results, failing, period) -> str:
        counts = dict.fromkeys(Status.values, 0)
        for r in results:
            counts[r.status] += 1
        doc = {
            "period": period.key,
            "counts": counts,
            "failing": len(failing),
            "results": rows,
        }
        return json.dumps(doc, ensure_ascii=False, indent=2, default=str)

    def _table(self, rows, results, failing, period, as_of) -> str:
        cells = [
            (
                r["org"],
                r["member"],
                r["rule"] + ("（已放宽）" if r["loosened"] else ""),
                r["period"],
                str(STATUS_ZH.get(r["status"], r["status"])),
                str(SEVERITY_ZH.get(r["severity"], r["severity"])),
                r["explanation"],
                r["source"],
                r["next_step"],
            )
            for r in rows
        ]
        widths = [
            max([_width(h)] + [_width(c[i]) for c in cells]) for i, h in enumerate(COLUMNS[:6])
        ]
        lines = ["  ".join(_pad(h, w) for h, w in zip(COLUMNS[:6], widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        for c in cells:
            lines.append("  ".join(_pad(v, w) for v, w in zip(c[:6], widths, strict=True)))
            lines.append(" " * 4 + f"{c[6]}（依据：{c[7]}）")
            if c[8]:
                lines.append(" " * 4 + _("下一步：%(step)s") % {"step": c[8]})
        counts = dict.fromkeys(Status.values, 0)
        for r in results:
            counts[r.status] += 1
        lines.append("")
        if as_of is not None:
            lines.append(
                _("截至 %(at)s 已登记的记录")
                % {"at": timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M")}
            )
        lines.append(
            f"期间 {period.key}：共 {len(results)} 项，"
            + "，".join(f"{STATUS_ZH[s]} {n}" for s, n in counts.items())
            + f"；高及以上严重程度未达标 {len(failing)} 项"
        )
        return "\n".join(lines)

    def _emit(self, path: str | None, text: str) -> None:
        if path:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
            self.stdout.write(f"已写入 {path}")
        else:
            self.stdout.write(text)

    def _xlsx(self, path: str, rows: list[dict]) -> None:
        from openpyxl import Workbook

        from zhibu.core.xlsx import defuse_workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "合规检查"
        ws.append(list(COLUMNS))
        for r in rows:
            ws.append(
                [
                    r["org"],
                    r["member"],
                    r["rule"],
                    r["period"],
                    str(STATUS_ZH.get(r["status"], r["status"])),
                    str(SEVERITY_ZH.get(r["severity"], r["severity"])),
                    r["explanation"],
                    r["source"],
                    r["next_step"],
                ]
            )
        for col, width in zip("ABCDEFGHI", (18, 10, 24, 10, 8, 8, 60, 40, 40), strict=True):
            ws.column_dimensions[col].width = width
        defuse_workbook(wb)
        wb.save(path)
