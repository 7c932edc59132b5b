"""Excel export of exactly what the oversight dashboard shows (the same Dashboard object)."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from zhibu.compliance.forms import period_label
from zhibu.compliance.selectors import Cell, Dashboard, TrendPoint

FILLS = {
    "met": PatternFill("solid", fgColor="C8E6C9"),
    "at_risk": PatternFill("solid", fgColor="FFE0B2"),
    "not_met": PatternFill("solid", fgColor="FFCDD2"),
    "not_applicable": PatternFill("solid", fgColor="E5E7EB"),
}
BOLD = Font(bold=True)


def cell_text(cell: Cell) -> str:
    """A table cell as on screen: the status and "met/applicable" when there are several."""
    if not cell.status:
        return "—"
    if cell.applicable > 1:
        return f"{cell.label} {cell.met}/{cell.applicable}"
    return cell.label


def header_row(dashboard: Dashboard) -> list[str]:
    first = "组织" if dashboard.by == "child" else "支部"
    return [first, "总体", *[str(label) for label in dashboard.families.values()]]


def table_cells(dashboard: Dashboard) -> list[list[tuple[str, str]]]:
    """Per row, (text, status) for the overall cell and each family: what the page shows."""
    return [
        [
            (cell_text(cell), cell.status)
            for cell in (row.overall, *[row.cells[f] for f in dashboard.families])
        ]
        for row in dashboard.rows
    ]


def table_rows(dashboard: Dashboard) -> list[list[str]]:
    """The table body as text, row by row; the page and the workbook both use this."""
    return [
        [row.name, *[text for text, _status in cells]]
        for row, cells in zip(dashboard.rows, table_cells(dashboard), strict=True)
    ]


def dashboard_workbook(dashboard: Dashboard, trend: list[TrendPoint]) -> bytes:
    """Sheet 1 the traffic-light table, sheet 2 the failure patterns, sheet 3 the trend."""
    wb = Workbook()
    ws = wb.active
    ws.title = "达标情况"
    evaluated = (
        timezone.localtime(dashboard.evaluated_at).strftime("%Y-%m-%d %H:%M")
        if dashboard.evaluated_at
        else "尚未评估"
    )
    ws.append([f"{dashboard.org.name} · {period_label(dashboard.period)} · 组织生活达标情况"])
    ws.append([f"数据评估时间：{evaluated}", f"支部数：{dashboard.branch_count}"])
    ws.append(header_row(dashboard))
    ws["A1"].font = BOLD
    for c in ws[3]:
        c.font = BOLD
    for row, cells in zip(dashboard.rows, table_cells(dashboard), strict=True):
        ws.append([row.name, *[text for text, _status in cells]])
        for col, (_text, status) in enumerate(cells, start=2):
            if status:
                ws.cell(row=ws.max_row, column=col).fill = FILLS[status]
    ws.freeze_panes = "B4"
    ws.column_dimensions["A"].width = 28
    for col in range(2, len(dashboard.families) + 3):
        ws.column_dimensions[get_column_letter(col)].width = 14
        ws.cell(row=3, column=col).alignment = Alignment(horizontal="center")

    rs = wb.create_sheet("按规则")
    rs.append(["规则", "类别", "达标", "有风险", "未达标", "不适用"])
    for rule in dashboard.rules:
        c = rule.cell.counts
        rs.append(
            [
                rule.name,
                str(dashboard.families.get(rule.family, rule.family)),
                c.get("met", 0),
                c.get("at_risk", 0),
                c.get("not_met", 0),
                c.get("not_applicable", 0),
            ]
        )
    rs.column_dimensions["A"].width = 30

    ps = wb.create_sheet("问题类型")
    ps.append(["问题类型", "数量"])
    for _value, label, n in dashboard.pattern_rows:
        ps.append([label, n])
    ps.column_dimensions["A"].width = 20

    ts = wb.create_sheet("月度趋势")
    ts.append(["月份", "支部数", "达标", "有风险", "未达标", "达标率(%)"])
    for p in trend:
        ts.append([p.label, p.orgs, p.met, p.at_risk, p.not_met, p.met_share])

    out = BytesIO()
    wb.save(out)
    return out.getvalue()
