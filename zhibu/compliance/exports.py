"""Excel export of exactly what the oversight dashboard shows (the same Dashboard object)."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from zhibu.compliance.forms import period_label
from zhibu.compliance.selectors import Cell, Dashboard, TrendPoint
from zhibu.core.xlsx import defuse_workbook

# By light (zhibu.compliance.lights), the colours of compliance.css.
FILLS = {
    "green": PatternFill("solid", fgColor="C8E6C9"),
    "open": PatternFill("solid", fgColor="DCE6F0"),
    "yellow": PatternFill("solid", fgColor="FFE0B2"),
    "red": PatternFill("solid", fgColor="FFCDD2"),
    "grey": PatternFill("solid", fgColor="E5E7EB"),
}
BOLD = Font(bold=True)


def cell_text(cell: Cell) -> str:
    """A table cell as on screen: its light, "met/applicable" when there are several, and the
    number of 提示 (low-severity misses, which do not colour the cell)."""
    if not cell.light:
        return "—"
    text = str(cell.label)
    if cell.applicable > 1:
        text += f" {cell.met}/{cell.applicable}"
    if cell.hints:
        text += " · " + gettext("提示 %(n)d") % {"n": cell.hints}
    return text


def _sortable(ws, widths: list[int]) -> None:
    """A sheet people sort and filter: a bold frozen header row and readable column widths."""
    for c in ws[1]:
        c.font = BOLD
    ws.freeze_panes = "A2"
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def header_row(dashboard: Dashboard) -> list[str]:
    first = "组织" if dashboard.by == "child" else "支部"
    return [first, "总体", *[str(label) for label in dashboard.families.values()]]


def table_cells(dashboard: Dashboard) -> list[list[tuple[str, str]]]:
    """Per row, (text, light) for the overall cell and each family: what the page shows."""
    return [
        [
            (cell_text(cell), cell.light)
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
    """Sheet 1 the traffic-light table as on screen; 明细 the same cells as numbers, one row per
    organization and family (to sort and filter); then by rule, failure patterns and the trend."""
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
        for col, (_text, lamp) in enumerate(cells, start=2):
            if lamp:
                ws.cell(row=ws.max_row, column=col).fill = FILLS[lamp]
    ws.freeze_panes = "B4"
    ws.column_dimensions["A"].width = 28
    for col in range(2, len(dashboard.families) + 3):
        ws.column_dimensions[get_column_letter(col)].width = 14
        ws.cell(row=3, column=col).alignment = Alignment(horizontal="center")

    ds = wb.create_sheet("明细")
    ds.append(["组织", "类别", "状态", "达标", "适用", "未达标", "有风险", "提示"])
    for row in dashboard.rows:
        for family, cell in (("", row.overall), *row.cells.items()):
            if not cell.light:
                continue
            ds.append(
                [
                    row.name,
                    str(dashboard.families.get(family, "总体")) if family else "总体",
                    cell.label,
                    cell.met,
                    cell.applicable,
                    cell.counts.get("not_met", 0),
                    cell.counts.get("at_risk", 0),
                    cell.hints,
                ]
            )
    _sortable(ds, [28, 16, 10, 8, 8, 8, 8, 8])

    rs = wb.create_sheet("按规则")
    rs.append(["规则", "类别", "达标", "进行中", "有风险", "未达标", "不适用", "其中提示"])
    for rule in dashboard.rules:
        c = rule.cell.counts
        rs.append(
            [
                rule.name,
                str(dashboard.families.get(rule.family, rule.family)),
                c.get("met", 0),
                c.get("open", 0),
                c.get("at_risk", 0),
                c.get("not_met", 0),
                c.get("not_applicable", 0),
                rule.cell.hints,
            ]
        )
    _sortable(rs, [30, 16, 8, 8, 8, 8, 8, 8])

    ps = wb.create_sheet("问题类型")
    ps.append(["问题类型", "数量"])
    for _value, label, n in dashboard.pattern_rows:
        ps.append([label, n])
    _sortable(ps, [20, 8])

    ts = wb.create_sheet("月度趋势")
    ts.append(["月份", "支部数", "达标", "进行中", "需关注", "未达标", "达标率(%)"])
    for p in trend:
        ts.append([p.label, p.orgs, p.green, p.open, p.yellow, p.red, p.green_share])
    _sortable(ts, [12, 8, 8, 8, 8, 8, 10])

    defuse_workbook(wb)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
