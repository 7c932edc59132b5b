"""The organization structure workbook (组织架构 .xlsx): template and import.

Like the roster import: all or nothing. Every row is checked and every problem reported (row
as Excel shows it, column, what to fix) before anything is written. A row's 上级组织 is either
another row of the file or an existing organization the account may change ("上级/名称" where a
plain name is ambiguous); rows may come in any order. Importing the same file again writes
nothing: a row naming an organization that already exists under the same parent with the same
type is counted as existing.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from zhibu.core import workbook as wb
from zhibu.core.text import normalize_digits
from zhibu.core.workbook import CellError, RowError
from zhibu.orgs import services
from zhibu.orgs.models import Organization, OrgCategory, OrgEventKind, OrgKind
from zhibu.orgs.permissions import Action, visible_to

DATA_SHEET = "组织架构"
HELP_SHEET = "填写说明"
OPTIONS_SHEET = "选项"
MAX_ROWS = 5000
HEADER_SCAN_ROWS = 10
TEMPLATE_ROWS = 500


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool
    note: str
    example: str
    width: int = 14
    aliases: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return f"{self.header}*" if self.required else self.header


COLUMNS: tuple[Column, ...] = (
    Column(
        "上级组织",
        "parent",
        False,
        "本文件中另一行的组织名称，或系统中已有、您有权管理的组织；"
        "同名时写成“上级组织/组织名称”。只有系统管理员可以留空（顶级组织）",
        "县直机关工委",
        22,
        ("上级党组织", "上级"),
    ),
    Column(
        "组织名称",
        "name",
        True,
        "党组织全称，同一上级组织下不能重名",
        "第一党支部",
        22,
        ("名称", "党组织名称"),
    ),
    Column(
        "组织类型",
        "kind",
        True,
        "党委、党工委、党总支、党支部 或 党小组（也可写 机关工委、总支、支部、小组）",
        "党支部",
        12,
        ("类别", "组织类别", "党组织类别", "类型", "党组织类型"),
    ),
    Column(
        "单位类别",
        "category",
        False,
        "机关、企业、农村、社区、学校 或 其他；留空时沿用上级组织的类别",
        "机关",
        10,
        ("单位性质",),
    ),
    Column("成立日期", "founded_on", False, "如 2019-07-01", "2019-07-01", 12, ("成立时间",)),
    Column(
        "固定党日",
        "fixed_party_day",
        False,
        "每月第几天（1–28），如 15",
        "15",
        10,
        ("每月固定党日", "主题党日"),
    ),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
_ORDER = {c.field: i for i, c in enumerate(COLUMNS)}
_HEADER_LOOKUP = {n: c for c in COLUMNS for n in (c.header, *c.aliases)}

_KIND = (
    {str(label): value for value, label in OrgKind.choices}
    | {
        "党委": OrgKind.BASE_PARTY_COMMITTEE,
        "基层党委": OrgKind.BASE_PARTY_COMMITTEE,
        "党工委": OrgKind.ORGANS_WORK_COMMITTEE,
        "机关工委": OrgKind.ORGANS_WORK_COMMITTEE,
        "机关党工委": OrgKind.ORGANS_WORK_COMMITTEE,
        "党总支": OrgKind.GENERAL_BRANCH,
        "总支": OrgKind.GENERAL_BRANCH,
        "党总支部": OrgKind.GENERAL_BRANCH,
        "党支部": OrgKind.BRANCH,
        "支部": OrgKind.BRANCH,
        "联合党支部": OrgKind.BRANCH,
        "党小组": OrgKind.PARTY_GROUP,
        "小组": OrgKind.PARTY_GROUP,
    }
    | {k.value: k for k in OrgKind}
)
_CATEGORY = (
    {str(label): value for value, label in OrgCategory.choices}
    | {
        "党政机关": OrgCategory.ORGAN,
        "事业单位": OrgCategory.ORGAN,
        "国有企业": OrgCategory.ENTERPRISE,
        "村": OrgCategory.VILLAGE,
    }
    | {c.value: c for c in OrgCategory}
)
KIND_LABEL = {OrgKind.BASE_PARTY_COMMITTEE: "党委", OrgKind.ORGANS_WORK_COMMITTEE: "党工委"} | {
    k: str(k.label) for k in (OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.PARTY_GROUP)
}


NAME_KIND_TAKEN = _lazy("“{parent}”下已有名为“{name}”的{kind}，请换一个名称")


def _sort_key(error: RowError) -> tuple[int, int]:
    field_name = next((c.field for c in COLUMNS if c.header == error.column), None)
    return (error.row or 0, _ORDER.get(field_name, -1))


@dataclass
class ImportResult:
    created: int = 0
    existing: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return _("发现 {n} 处错误，未写入任何数据").format(n=len(self.errors))
        text = _("新设 {c} 个组织，已存在 {e} 个").format(c=self.created, e=self.existing)
        if self.dry_run:
            return _("检查通过（未写入）：将{text}").format(text=text)
        return _("导入成功：{text}").format(text=text)


@dataclass
class _Row:
    row: int
    values: dict[str, Any]
    parent_row: _Row | None = None
    parent_org: Organization | None = None
    existing: Organization | None = None
    created: Organization | None = None


def _name(value: Any) -> str:
    text = normalize_digits(wb.clean_text(value)).replace("／", "/")
    return "/".join(re.sub(r"\s+", "", p) for p in text.split("/") if p.strip())


def _lookup(mapping: dict, message: str):
    def parse(value: Any):
        text = re.sub(r"\s+", "", normalize_digits(wb.clean_text(value)))
        found = mapping.get(text, mapping.get(text.lower()))
        if found is None:
            raise CellError(message.format(value=text))
        return found

    return parse


def _party_day(value: Any) -> int:
    text = normalize_digits(wb.clean_text(value)).removeprefix("每月").removesuffix("日")
    text = text.removesuffix("号")
    if not re.fullmatch(r"\d{1,2}", text) or not 1 <= int(text) <= 28:
        raise CellError(_("“{value}”不对，请填写每月第几天（1–28），如 15").format(value=text))
    return int(text)


def _parsers() -> dict:
    return {
        "parent": _name,
        "name": _name,
        "kind": _lookup(
            _KIND, _("“{value}”无法识别，请填写 党委、党工委、党总支、党支部 或 党小组")
        ),
        "category": _lookup(
            _CATEGORY, _("“{value}”无法识别，请填写 机关、企业、农村、社区、学校 或 其他")
        ),
        "founded_on": wb.parse_date,
        "fixed_party_day": _party_day,
    }


def _parse(file: Any) -> tuple[list[_Row], list[RowError], list[str], bool]:
    """Rows, errors, ignored column names, and whether the file is unusable as a whole."""
    try:
        book = wb.open_workbook(file, what=_("组织架构"))
    except wb.FileError as error:
        return [], [RowError(None, "", str(error))], [], True
    try:
        found = None
        for ws in book.worksheets:
            if getattr(ws, "sheet_state", "visible") != "visible":
                continue
            for number, values in enumerate(
                islice(ws.iter_rows(values_only=True), HEADER_SCAN_ROWS), start=1
            ):
                if sum(1 for v in values if wb.normalize_header(v) in _HEADER_LOOKUP) >= 2:
                    found = ws, number, values
                    break
            if found:
                break
        if found is None:
            headers = "、".join(c.title for c in COLUMNS)
            message = _(
                "找不到表头行。第一行应是列名：{headers}（带*为必填），请下载导入模板对照填写"
            ).format(headers=headers)
            return [], [RowError(None, "", message)], [], True
        ws, header_row, header_values = found
        positions: dict[str, int] = {}
        ignored: list[str] = []
        errors: list[RowError] = []
        for index, value in enumerate(header_values):
            if wb.is_blank(value):
                continue
            column = _HEADER_LOOKUP.get(wb.normalize_header(value))
            if column is None:
                ignored.append(wb.clean_text(value))
            elif column.field in positions:
                message = _("“{h}”列出现了两次（第 {a} 列和第 {b} 列），请删除其中一列").format(
                    h=column.header,
                    a=get_column_letter(positions[column.field] + 1),
                    b=get_column_letter(index + 1),
                )
                errors.append(RowError(header_row, column.header, message))
            else:
                positions[column.field] = index
        missing = [c.header for c in COLUMNS if c.required and c.field not in positions]
        if "parent" not in positions:
            missing.insert(0, COLUMN_BY_FIELD["parent"].header)
        if missing:
            message = _(
                "缺少必填列：{cols}。请在第 {row} 行（表头）补上这些列名，或使用导入模板"
            ).format(cols="、".join(missing), row=header_row)
            errors.append(RowError(header_row, "", message))
        if errors:
            return [], errors, ignored, True
        parsers = _parsers()
        rows: list[_Row] = []
        for number, values in enumerate(
            ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
        ):
            if all(wb.is_blank(v) for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                message = _("一次最多导入 {n} 行，请把文件分成几个再导入").format(n=MAX_ROWS)
                return [], [RowError(None, "", message)], ignored, True
            row = _Row(number, {})
            for field_name, index in positions.items():
                column = COLUMN_BY_FIELD[field_name]
                raw = values[index] if index < len(values) else None
                if wb.is_blank(raw):
                    row.values[field_name] = None
                    if column.required:
                        message = _("必填，请填写{h}").format(h=column.header)
                        errors.append(RowError(number, column.header, message))
                    continue
                try:
                    row.values[field_name] = parsers[field_name](raw)
                except CellError as error:
                    errors.append(RowError(number, column.header, str(error)))
            if row.values.get("name") and "/" in row.values["name"]:
                message = _("组织名称中不能有“/”，上级组织请写在“上级组织”列")
                errors.append(RowError(number, COLUMN_BY_FIELD["name"].header, message))
            rows.append(row)
        if not rows and not errors:
            message = _("文件中没有组织数据：第 {row} 行表头下面是空的").format(row=header_row)
            return [], [RowError(None, "", message)], ignored, True
        return rows, errors, ignored, False
    finally:
        book.close()


def _plan(actor, rows: list[_Row], bad_rows: set[int]) -> list[RowError]:
    """Resolve parents (file rows first, then existing organizations) and check placement,
    names and permissions, in a fixed number of queries."""
    errors: list[RowError] = []

    def fail(row: _Row, field_name: str, message: str) -> None:
        errors.append(RowError(row.row, COLUMN_BY_FIELD[field_name].header, message))

    by_name: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        if row.values.get("name"):
            by_name[row.values["name"]].append(row)
    # Existing organizations the file may name as parents, or that a row may already be.
    wanted = {r.values["parent"].split("/")[-1] for r in rows if r.values.get("parent")}
    wanted |= set(by_name)
    existing = list(
        visible_to(
            actor,
            Action.CHANGE,
            Organization.objects.filter(is_active=True, name__in=wanted).select_related("parent"),
        )
        if actor is not None
        else Organization.objects.filter(is_active=True, name__in=wanted).select_related("parent")
    )
    orgs_by_name: dict[str, list[Organization]] = defaultdict(list)
    for org in existing:
        orgs_by_name[org.name].append(org)
    children = {(o.parent_id, o.name): o for o in existing}

    for row in rows:
        raw = row.values.get("parent")
        if not raw:
            if actor is not None and not actor.is_superuser and "parent" in row.values:
                fail(row, "parent", _("必填，请填写上级组织（只有系统管理员可以导入顶级组织）"))
            continue
        parts = raw.split("/")
        in_file = [r for r in by_name.get(parts[-1], []) if r is not row]
        if len(parts) > 1:
            in_file = [
                r for r in in_file if (r.values.get("parent") or "").split("/")[-1] == parts[-2]
            ]
        if len(in_file) == 1:
            row.parent_row = in_file[0]
            continue
        if len(in_file) > 1:
            fail(
                row,
                "parent",
                _("文件中有 {n} 行都叫“{name}”（第 {rows} 行），请写成“上级组织/组织名称”").format(
                    n=len(in_file), name=raw, rows="、".join(str(r.row) for r in in_file)
                ),
            )
            continue
        candidates = orgs_by_name.get(parts[-1], [])
        if len(parts) > 1:
            candidates = [c for c in candidates if c.parent and c.parent.name == parts[-2]]
        if not candidates:
            fail(
                row,
                "parent",
                _(
                    "找不到上级组织“{name}”：它既不在本文件中，也不是系统中您有权管理的组织。"
                    "请核对名称"
                ).format(name=raw),
            )
        elif len(candidates) > 1:
            example = candidates[0]
            fail(
                row,
                "parent",
                _(
                    "系统中有 {n} 个组织都叫“{name}”，请写成“上级组织/组织名称”，如“{p}/{name}”"
                ).format(
                    n=len(candidates),
                    name=raw,
                    p=example.parent.name if example.parent else "",
                ),
            )
        else:
            row.parent_org = candidates[0]

    # Cycles: follow parent rows; a chain that comes back to itself never reaches the tree.
    depth: dict[int, int] = {}
    for row in rows:
        seen = {id(row)}
        step, n = row.parent_row, 0
        while step is not None:
            if id(step) in seen:
                fail(row, "parent", _("上级组织形成了循环（本行最终又成了自己的上级），请核对"))
                n = -1
                break
            seen.add(id(step))
            step, n = step.parent_row, n + 1
        depth[id(row)] = n

    # Duplicates within the file, and rows that already exist (parents first, so a file
    # imported again finds every row in place).
    first: dict[tuple, int] = {}
    for row in sorted((r for r in rows if depth[id(r)] >= 0), key=lambda r: depth[id(r)]):
        name = row.values.get("name")
        if not name:
            continue
        if row.parent_row is not None:
            parent_key: Any = ("row", id(row.parent_row))
            parent = row.parent_row.existing
        else:
            parent_key = ("org", getattr(row.parent_org, "pk", None))
            parent = row.parent_org
        if (parent_key, name) in first:
            fail(
                row,
                "name",
                _("与第 {row} 行重复：同一上级组织下不能有两个同名组织").format(
                    row=first[(parent_key, name)]
                ),
            )
            continue
        first[(parent_key, name)] = row.row
        if parent is None and row.parent_row is not None:
            continue  # a new parent: nothing can exist under it yet
        same = children.get((parent.pk if parent else None, name))
        if same is None:
            continue
        if row.values.get("kind") and same.kind != row.values["kind"]:
            fail(
                row,
                "name",
                NAME_KIND_TAKEN.format(
                    parent=parent.name if parent else "", name=name, kind=same.get_kind_display()
                ),
            )
        else:
            row.existing = same

    # Placement rules, with the parent as it will be (a file row or an organization).
    for row in rows:
        if row.row in bad_rows or not row.values.get("kind"):
            continue
        if row.parent_row is not None:
            parent = row.parent_row.existing or Organization(
                name=row.parent_row.values.get("name") or "",
                kind=row.parent_row.values.get("kind") or "",
            )
        else:
            parent = row.parent_org
        if row.parent_row is not None and not row.parent_row.values.get("kind"):
            continue
        try:
            services.check_placement(row.values["kind"], parent)
        except ValidationError as error:
            fail(row, "parent", "；".join(error.messages))
    return errors


def _write(actor, rows: list[_Row]) -> int:
    """Create the new rows level by level, parents first, with orgs_create_bulk: a few
    queries per level of the tree, whatever the number of rows."""
    created = 0
    pending = [r for r in rows if r.existing is None]
    while pending:
        ready = [r for r in pending if r.parent_row is None or _org_of(r.parent_row) is not None]
        if not ready:  # a cycle slipped through: never loop forever
            raise ValidationError(_("上级组织形成了循环，请核对"))
        specs = [
            {
                "name": r.values["name"],
                "kind": r.values["kind"],
                "parent": _org_of(r.parent_row) if r.parent_row else r.parent_org,
                "category": r.values.get("category"),
                "founded_on": r.values.get("founded_on"),
                "fixed_party_day": r.values.get("fixed_party_day"),
            }
            for r in ready
        ]
        made = services.orgs_create_bulk(actor=actor, specs=specs, event_kind=OrgEventKind.IMPORTED)
        for row, org in zip(ready, made, strict=True):
            row.created = org
        created += len(made)
        pending = [r for r in pending if r.created is None]
    return created


def _org_of(row: _Row) -> Organization | None:
    return row.existing or row.created


def structure_import(*, actor, file: Any, dry_run: bool = False) -> ImportResult:
    """Import an organization structure workbook: everything or, on any error, nothing."""
    rows, errors, ignored, fatal = _parse(file)
    result = ImportResult(dry_run=dry_run, ignored_columns=ignored)
    if fatal:
        result.errors = errors
        return result
    try:
        with transaction.atomic():
            bad_rows = {e.row for e in errors if e.row}
            errors = sorted([*errors, *_plan(actor, rows, bad_rows)], key=_sort_key)
            if errors:
                result.errors = errors
                return result
            result.existing = sum(1 for r in rows if r.existing is not None)
            if dry_run:
                result.created = len(rows) - result.existing
            else:
                result.created = _write(actor, rows)
    except ValidationError as error:  # a service's own check refused a row: nothing written
        result.errors = [RowError(None, "", m) for m in error.messages]
        result.created = result.existing = 0
    return result


_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C62828")
_HEADER_FILL = PatternFill("solid", fgColor="FDECEA")


def structure_template(*, parent_names: list[str] = ()) -> bytes:
    """An empty structure workbook: header, dropdowns, an example and instructions."""
    book = Workbook()
    ws = book.active
    ws.title = DATA_SHEET
    ws.append([c.title for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font = _REQUIRED_FONT if column.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        cell.comment = Comment(column.note, "zhibu")
        ws.column_dimensions[get_column_letter(index)].width = column.width
        if column.field == "founded_on":
            for row in range(2, TEMPLATE_ROWS + 2):
                ws.cell(row=row, column=index).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    options = book.create_sheet(OPTIONS_SHEET)
    lists = {
        "kind": list(KIND_LABEL.values()),
        "category": [str(label) for _v, label in OrgCategory.choices],
        "parent": sorted(set(parent_names))[:1000],
    }
    for col_index, (field_name, items) in enumerate(lists.items(), start=1):
        if not items:
            continue
        letter = get_column_letter(col_index)
        options.cell(row=1, column=col_index, value=f"{COLUMN_BY_FIELD[field_name].header}选项")
        for row_index, item in enumerate(items, start=2):
            options.cell(row=row_index, column=col_index, value=item)
        target = get_column_letter(_ORDER[field_name] + 1)
        validation = DataValidation(
            type="list",
            formula1=f"'{OPTIONS_SHEET}'!${letter}$2:${letter}${len(items) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            # The parent may also be a row of the same file: a warning, not a stop.
            errorStyle="stop" if field_name != "parent" else "warning",
            error=_("请从下拉列表中选择"),
        )
        validation.add(f"{target}2:{target}{TEMPLATE_ROWS + 1}")
        ws.add_data_validation(validation)
    options.sheet_state = "hidden"

    help_ws = book.create_sheet(HELP_SHEET)
    help_ws.append([_("组织架构导入说明")])
    help_ws.append([])
    for line in (
        _(
            "1. 在“{sheet}”工作表中每行填写一个党组织，不要改动第一行的列名；带 * 的列必须填写。"
        ).format(sheet=DATA_SHEET),
        _("2. “上级组织”可以是本文件中的另一行，也可以是系统中已有的组织；各行顺序不限。"),
        _("3. 同一上级组织下不能有两个同名组织；系统中已有的同名同类组织不会重复设立。"),
        _(
            "4. 只要有一处错误，整份文件都不会导入；"
            "系统会列出每处错误的行号、列名和原因，改正后重新上传即可。"
        ),
    ):
        help_ws.append([line])
    help_ws.append([])
    help_ws.append([_("列名"), _("是否必填"), _("填写说明"), _("示例")])
    for column in COLUMNS:
        help_ws.append(
            [
                column.header,
                _("必填") if column.required else _("选填"),
                column.note,
                column.example,
            ]
        )
    help_ws.column_dimensions["A"].width = 12
    help_ws.column_dimensions["C"].width = 70
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
