"""Spreadsheet cells that stay text: no formula injection through names, topics or branches.

A name such as `=HYPERLINK("http://…","点此")` written as it is would be a live formula in
Excel/WPS (openpyxl writes any string starting with "=" as one), and cells starting with + - @
are read as formulas when a user edits or re-saves them. Such cells are written as strings with
Excel's quote-prefix style instead: shown exactly as typed, never evaluated, and read back by
openpyxl (and so by the roster import) unchanged.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def defuse(cell) -> Any:
    """Make this cell plain text if its value could be taken for a formula; returns the cell."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def defuse_workbook(workbook) -> None:
    """Defuse every cell of a (normal, not write-only) workbook before it is saved."""
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                defuse(cell)
