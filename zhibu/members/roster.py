"""The roster workbook (党员花名册 .xlsx): template, parse, import and export.

One format serves all three, so a file exported from zhibu imports back unchanged. Import is
all-or-nothing: every row is checked and every problem reported (row as Excel shows it, column,
what to fix) before anything is written; a clean file is written in one transaction with a
bounded number of queries. Members are matched by 身份证号, so importing the same file again
updates instead of duplicating, and a member whose 所在支部 changed is transferred (history kept).

Blank optional cells never erase what the system already has (a partial file from another system
must not wipe phones); the exception is 党小组, which follows 所在支部: blank means none.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from zhibu.audit import services as audit
from zhibu.audit.models import AuditAction
from zhibu.core.text import mask_id_number, mask_phone, normalize_digits
from zhibu.core.xlsx import defuse
from zhibu.members.models import BranchTenure, Education, Gender, Member, MemberStatus
from zhibu.members.services import member_transfer
from zhibu.members.validators import (
    ETHNICITIES,
    birth_date_from_id,
    id_number_error,
    member_problems,
    member_warnings,
)
from zhibu.orgs.models import SEGMENT, Organization, OrgKind
from zhibu.orgs.permissions import Action, can, require, visible_to

DATA_SHEET = "党员名单"
HELP_SHEET = "填写说明"
OPTIONS_SHEET = "选项"
MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
TEMPLATE_ROWS = 2000  # rows that get dropdowns in the template
HEADER_SCAN_ROWS = 10  # a title row or two above the header is common in real rosters
TRANSFER_NOTE = "名册导入"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool
    note: str
    example: str
    width: int = 12
    aliases: tuple[str, ...] = ()
    text: bool = False  # keep as text in Excel (long digit strings)
    is_date: bool = False

    @property
    def title(self) -> str:
        """The header as written in files: required columns carry a star."""
        return f"{self.header}*" if self.required else self.header


COLUMNS: tuple[Column, ...] = (
    Column("姓名", "name", True, "党员姓名", "张三", 10, ("党员姓名",)),
    Column("性别", "gender", True, "男 或 女", "男", 6),
    Column(
        "民族",
        "ethnicity",
        False,
        "如 汉族、回族（可简写为“汉”）；留空时新党员按汉族登记",
        "汉族",
        9,
    ),
    Column(
        "出生日期",
        "birth_date",
        False,
        "留空时按身份证号计算；填写时须与身份证号一致",
        "1985-03-12",
        12,
        ("出生年月日",),
        is_date=True,
    ),
    Column(
        "身份证号",
        "id_number",
        True,
        "18位，末位可为X。系统以身份证号识别同一党员，重复导入只会更新不会重复。"
        "请把该列设为“文本”格式，否则Excel会把号码变成科学计数法并丢失末几位",
        "110101198503120013",
        21,
        ("身份证号码", "公民身份号码", "公民身份证号码", "证件号码"),
        text=True,
    ),
    Column(
        "手机号",
        "phone",
        False,
        "11位手机号码，或带区号的固定电话",
        "13800000000",
        14,
        ("手机号码", "手机", "联系电话", "联系方式"),
        text=True,
    ),
    Column(
        "工号",
        "employee_number",
        False,
        "单位的职工号；统一身份认证按手机号或工号识别党员，每人唯一；可留空",
        "E1001",
        10,
        ("职工号", "员工编号", "人员编号"),
        text=True,
    ),
    Column(
        "电子邮箱",
        "email",
        False,
        "用于发送个人提醒；可留空",
        "zhangsan@example.gov.cn",
        22,
        ("邮箱", "电子邮件", "email", "e-mail"),
    ),
    Column(
        "企业微信账号",
        "wecom_id",
        False,
        "企业微信中的成员账号（UserID），用于发送个人提醒；可留空",
        "ZhangSan",
        14,
        ("企业微信", "企业微信ID", "企业微信userid"),
    ),
    Column(
        "钉钉账号",
        "dingtalk_id",
        False,
        "钉钉中的用户ID（userid），用于发送个人提醒；可留空",
        "manager1234",
        14,
        ("钉钉", "钉钉ID", "钉钉userid"),
    ),
    Column(
        "学历",
        "education",
        False,
        "研究生、大学本科、大学专科、中专/高中、初中及以下（也可写 硕士、本科、大专 等）",
        "大学本科",
        10,
        ("文化程度", "最高学历"),
    ),
    Column(
        "入党日期",
        "join_date",
        True,
        "加入党组织的日期",
        "2010-07-01",
        12,
        ("入党时间", "加入党组织日期"),
        is_date=True,
    ),
    Column(
        "党员类别",
        "status",
        True,
        "正式党员 或 预备党员（也可写 正式、预备）",
        "正式党员",
        10,
        ("人员类别", "党员类型", "党员身份"),
    ),
    Column(
        "转正日期",
        "full_member_date",
        False,
        "正式党员的转正日期；预备党员不填",
        "2011-07-01",
        12,
        ("转正时间", "转为正式党员日期"),
        is_date=True,
    ),
    Column(
        "领导干部",
        "is_leading_cadre",
        False,
        "处级以上领导干部填“是”（参加双重组织生活），其他填“否”或留空",
        "否",
        10,
        ("是否领导干部", "处级以上领导干部", "是否处级以上领导干部"),
    ),
    Column(
        "所在支部",
        "branch",
        True,
        "党支部全称，须是您有权管理的支部；同名支部请写成“上级组织/支部名称”",
        "第一党支部",
        20,
        ("所在党支部", "党支部", "支部", "所在党组织"),
    ),
    Column(
        "党小组",
        "party_group",
        False,
        "该支部下的党小组名称；留空表示不编入党小组",
        "第一党小组",
        12,
        ("所在党小组",),
    ),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
_ORDER = {c.field: i for i, c in enumerate(COLUMNS)}

_ETHNICITY = {e: e for e in ETHNICITIES} | {e[:-1]: e for e in ETHNICITIES}
_ETHNICITY |= {"汉": "汉族", "蒙族": "蒙古族", "维族": "维吾尔族", "其他": "其他"}
_ETHNICITY |= {"外国血统": "外国血统中国籍人士", "外国血统中国籍人士": "外国血统中国籍人士"}

_GENDER = {"男": Gender.MALE, "男性": Gender.MALE, "女": Gender.FEMALE, "女性": Gender.FEMALE}
_GENDER |= {"m": Gender.MALE, "male": Gender.MALE, "f": Gender.FEMALE, "female": Gender.FEMALE}
_STATUS = {
    "正式": MemberStatus.FULL,
    "正式党员": MemberStatus.FULL,
    "中共党员": MemberStatus.FULL,
    "预备": MemberStatus.PROBATIONARY,
    "预备党员": MemberStatus.PROBATIONARY,
    "中共预备党员": MemberStatus.PROBATIONARY,
    "full_member": MemberStatus.FULL,
    "probationary_member": MemberStatus.PROBATIONARY,
}
_EDUCATION = {str(label): value for value, label in Education.choices} | {
    "研究生": Education.POSTGRADUATE,
    "博士": Education.POSTGRADUATE,
    "硕士": Education.POSTGRADUATE,
    "博士研究生": Education.POSTGRADUATE,
    "硕士研究生": Education.POSTGRADUATE,
    "研究生及以上": Education.POSTGRADUATE,
    "本科": Education.BACHELOR,
    "大学本科": Education.BACHELOR,
    "专科": Education.JUNIOR_COLLEGE,
    "大专": Education.JUNIOR_COLLEGE,
    "大学专科": Education.JUNIOR_COLLEGE,
    "高中": Education.SECONDARY,
    "中专": Education.SECONDARY,
    "中技": Education.SECONDARY,
    "技校": Education.SECONDARY,
    "职高": Education.SECONDARY,
    "中专/高中": Education.SECONDARY,
    "高中/中专": Education.SECONDARY,
    "初中": Education.JUNIOR,
    "小学": Education.JUNIOR,
    "初中及以下": Education.JUNIOR,
}
_EDUCATION |= {v.value: v for v in Education}
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "对"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "不是"}

STATUS_LABEL = {MemberStatus.FULL: "正式党员", MemberStatus.PROBATIONARY: "预备党员"}
GENDER_LABEL = {Gender.MALE: "男", Gender.FEMALE: "女"}
EDUCATION_LABEL = {value: str(label) for value, label in Education.choices}


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class RowError:
    """One problem: `row` as Excel numbers it (None for the file as a whole) and the column."""

    row: int | None
    column: str
    message: str

    def sort_key(self) -> tuple[int, int]:
        field_name = next((c.field for c in COLUMNS if c.header == self.column), None)
        return (self.row or 0, _ORDER.get(field_name, -1))


@dataclass
class RosterRow:
    """A parsed data row: cleaned values by field, None for a blank cell.

    Only the columns present in the file appear in `values`.
    """

    row: int
    values: dict[str, Any]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    transferred: int = 0  # included in `updated`
    errors: list[RowError] = field(default_factory=list)
    # Saved anyway but worth a look (an unknown region prefix in a 身份证号).
    warnings: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def error_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row})

    def summary(self) -> str:
        """One line for people: what was (or, in a dry run, would be) written."""
        if self.errors:
            return _("发现 {n} 处错误，未写入任何数据").format(n=len(self.errors))
        text = _("新增 {c}，更新 {u}，未变 {k}").format(
            c=self.created, u=self.updated, k=self.unchanged
        )
        if self.dry_run:
            return _("检查通过（未写入）：将{text}").format(text=text)
        return _("导入成功：{text}").format(text=text)


class _CellError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Cell parsers: each takes the raw cell value (non-blank) and returns the clean value or raises


# OOXML writes characters XML cannot hold as `_xHHHH_` (and a literal "_x" as `_x005F_x`);
# openpyxl hands them over undecoded, so "_x000D_" would be stored as those seven characters.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _clean_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if "_x" in text:
        text = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text.strip()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# Unicode categories never found in a person's name: control, format (zero-width), surrogate,
# private-use and unassigned characters, and symbols (emoji are "So", skin tones "Sk").
_NOT_IN_NAMES = {"Cc", "Cf", "Cs", "Co", "Cn", "So", "Sk"}


def _name_problem(text: str) -> str | None:
    for position, char in enumerate(text, start=1):
        if unicodedata.category(char) in _NOT_IN_NAMES or "\ufe00" <= char <= "\ufe0f":
            if unicodedata.category(char)[0] == "C":
                shown = f"U+{ord(char):04X}"
                return _("姓名的第 {n} 个字符是不可见的控制字符（{c}），请删除后重新填写").format(
                    n=position, c=shown
                )
            return _("姓名的第 {n} 个字符“{c}”是表情或符号，姓名中只能有文字").format(
                n=position, c=char
            )
    return None


def _parse_name(value: Any) -> str:
    text = _clean_text(value)
    # "张　三": two-character names are often padded to line up with three-character ones.
    if re.fullmatch(r"[\u3400-\u9fff\s]+", text):
        return re.sub(r"\s+", "", text)
    text = re.sub(r"\s+", " ", text)
    if problem := _name_problem(text):
        raise _CellError(problem)
    return text


def _lookup(mapping: dict[str, Any], message: str) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        text = re.sub(r"\s+", "", normalize_digits(_clean_text(value)))
        found = mapping.get(text, mapping.get(text.lower()))
        if found is None:
            raise _CellError(message.format(value=text))
        return found

    return parse


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = re.sub(r"\s+", "", normalize_digits(_clean_text(value))).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _CellError(_("“{value}”无法识别，请填写“是”或“否”").format(value=text))


_DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_MONTH_ONLY_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")


def _make_date(year: int, month: int, day: int, shown: str) -> date:
    try:
        result = date(year, month, day)
    except ValueError:
        raise _CellError(_("“{value}”不是有效日期，请核对年月日").format(value=shown)) from None
    if not 1900 <= result.year <= timezone.localdate().year + 1:
        raise _CellError(_("年份 {year} 不合理，请核对").format(year=result.year))
    return result


def _parse_date(value: Any) -> date:
    """Dates as people really enter them: Excel date cells and the usual typed forms."""
    if isinstance(value, datetime):
        return _make_date(value.year, value.month, value.day, str(value))
    if isinstance(value, date):
        return _make_date(value.year, value.month, value.day, str(value))
    if isinstance(value, bool):
        raise _CellError(_("不是日期，请写成 2019-07-01"))
    if isinstance(value, int | float):
        number = int(value)
        if 19000101 <= number <= 21001231:
            text = str(number)
            return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]), text)
        if 1 <= number < 80000:  # an Excel serial day number in a cell not formatted as date
            day = from_excel(number)
            return _make_date(day.year, day.month, day.day, str(number))
        raise _CellError(_("“{value}”不是日期，请写成 2019-07-01").format(value=value))
    text = normalize_digits(_clean_text(value))
    if match := _DATE_RE.fullmatch(text):
        return _make_date(*(int(g) for g in match.groups()), text)
    if re.fullmatch(r"\d{8}", text):
        return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]), text)
    if _MONTH_ONLY_RE.fullmatch(text):
        raise _CellError(_("“{value}”只写到了月份，请写完整日期，如 2019-07-01").format(value=text))
    raise _CellError(
        _("“{value}”不是可识别的日期，请写成 2019-07-01、2019/7/1 或 2019年7月1日").format(
            value=text
        )
    )


_MASKED = gettext_lazy(
    "含有“*”，是打码后的号码。打码的导出文件不能导入，请让有权查看身份证号的管理员重新导出"
)


def _parse_id_number(value: Any) -> str:
    if isinstance(value, float):
        raise _CellError(
            _("身份证号被Excel当成了数字，末几位可能已经丢失。请把该列设为“文本”格式，重新填写号码")
        )
    text = re.sub(r"\s+", "", normalize_digits(_clean_text(value))).lstrip("'").upper()
    if "*" in text:
        raise _CellError(str(_MASKED))
    error = id_number_error(text)
    if error:
        raise _CellError(error)
    return text


def _parse_phone(value: Any) -> str:
    if isinstance(value, float) and not value.is_integer():
        raise _CellError(_("手机号被Excel当成了数字，请把该列设为“文本”格式后重新填写"))
    text = normalize_digits(_clean_text(value)).lstrip("'")
    if "*" in text:
        raise _CellError(str(_MASKED))
    compact = re.sub(r"[\s-]", "", text)
    if compact.startswith("+86"):
        compact = compact[3:]
    elif compact.startswith("86") and len(compact) == 13:
        compact = compact[2:]
    if re.fullmatch(r"1[3-9]\d{9}", compact):
        return compact
    if re.fullmatch(r"0\d{2,3}-?\d{7,8}", re.sub(r"\s", "", text)):
        return re.sub(r"\s", "", text)
    raise _CellError(
        _("“{value}”不是有效的电话号码，请填写11位手机号（如 13800000000）").format(value=text)
    )


def _parse_email(value: Any) -> str:
    text = _clean_text(value).replace("＠", "@")
    try:
        validate_email(text)
    except ValidationError:
        raise _CellError(
            _("“{value}”不是有效的电子邮箱，请写成 name@example.gov.cn").format(value=text)
        ) from None
    return text


def _parse_account_id(value: Any) -> str:
    text = _clean_text(value)
    if len(text) > 64 or re.search(r"\s", text):
        raise _CellError(
            _("“{value}”不是有效的账号（不能含空格，最长64个字符）").format(value=text)
        )
    return text


def _parse_org_name(value: Any) -> str:
    text = normalize_digits(_clean_text(value)).replace("／", "/")
    return "/".join(part.strip() for part in text.split("/") if part.strip())


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "name": _parse_name,
    "employee_number": _parse_account_id,
    "email": _parse_email,
    "wecom_id": _parse_account_id,
    "dingtalk_id": _parse_account_id,
    "gender": _lookup(_GENDER, gettext_lazy("“{value}”无法识别，请填写“男”或“女”")),
    "ethnicity": _lookup(
        _ETHNICITY, gettext_lazy("“{value}”不是民族名称，请填写如“汉族”“回族”“蒙古族”的规范名称")
    ),
    "birth_date": _parse_date,
    "id_number": _parse_id_number,
    "phone": _parse_phone,
    "education": _lookup(
        _EDUCATION,
        gettext_lazy(
            "“{value}”无法识别，请填写 研究生、大学本科、大学专科、中专/高中 或 初中及以下"
        ),
    ),
    "join_date": _parse_date,
    "status": _lookup(_STATUS, gettext_lazy("“{value}”无法识别，请填写“正式党员”或“预备党员”")),
    "full_member_date": _parse_date,
    "is_leading_cadre": _parse_bool,
    "branch": _parse_org_name,
    "party_group": _parse_org_name,
}


# ---------------------------------------------------------------------------------------------
# Parsing the workbook


def _normalize_header(value: Any) -> str:
    text = normalize_digits(_clean_text(value)) if value is not None else ""
    text = re.sub(r"[(（].*?[)）]", "", text)
    return re.sub(r"[\s*＊:：]", "", text)


_HEADER_LOOKUP: dict[str, Column] = {}
for _column in COLUMNS:
    for _name in (_column.header, *_column.aliases):
        _HEADER_LOOKUP[_name] = _column


def _missing_header_help() -> str:
    return "、".join(c.title for c in COLUMNS)


@dataclass
class _Parsed:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    fatal: bool = False


def _read_bytes(file: Any) -> bytes:
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if isinstance(file, str | Path):
        return Path(file).read_bytes()
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(MAX_BYTES + 1)
    return data if isinstance(data, bytes) else bytes(data)


def _fatal(message: str) -> _Parsed:
    return _Parsed(errors=[RowError(None, "", message)], fatal=True)


def _open_workbook(data: bytes):
    if len(data) > MAX_BYTES:
        return _fatal(_("文件超过 {mb} MB，请分成几个文件导入").format(mb=MAX_BYTES // 2**20))
    if not data.strip():
        return _fatal(_("文件是空的，请使用导入模板填写党员信息后再上传"))
    if data[:4] == b"\xd0\xcf\x11\xe0":
        return _fatal(
            _(
                "这是旧版 Excel（.xls）或 WPS（.et）文件，"
                "请在 Excel/WPS 中“另存为” .xlsx 格式后再上传"
            )
        )
    if data[:4] != b"PK\x03\x04":
        return _fatal(_("文件不是 Excel .xlsx 格式，请下载导入模板，填写后保存为 .xlsx 再上传"))
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for non-workbooks
        return _fatal(
            _(
                "文件无法作为 Excel 工作簿打开（可能已损坏，或是改了扩展名的其他文件），"
                "请用 Excel 重新保存为 .xlsx"
            )
        )


def _find_header(workbook) -> tuple[Any, int, tuple] | None:
    """The first visible sheet with a header row (≥3 known column names) in its first rows."""
    for ws in workbook.worksheets:
        if getattr(ws, "sheet_state", "visible") != "visible":
            continue
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some tools write a wrong used range; read what is there
        for number, values in enumerate(
            islice(ws.iter_rows(values_only=True), HEADER_SCAN_ROWS), start=1
        ):
            known = sum(1 for v in values if _normalize_header(v) in _HEADER_LOOKUP)
            if known >= 3:
                return ws, number, values
    return None


def _workbook_is_empty(workbook) -> bool:
    for ws in workbook.worksheets:
        for values in islice(ws.iter_rows(values_only=True), HEADER_SCAN_ROWS):
            if any(not _is_blank(v) for v in values):
                return False
    return True


def _parse(file: Any) -> _Parsed:
    data = _read_bytes(file)
    opened = _open_workbook(data)
    if isinstance(opened, _Parsed):
        return opened
    workbook = opened
    try:
        return _parse_workbook(workbook, data)
    finally:
        workbook.close()


def _formula_cells(
    data: bytes, sheet_title: str, max_row: int | None = None
) -> dict[tuple[int, int], str]:
    """Formulas of the sheet, by (row, column index): read only when a cell came back empty,
    since a formula that no spreadsheet program has calculated has no value to import."""
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        found = {}
        rows = workbook[sheet_title].iter_rows(max_row=max_row, values_only=True)
        for number, values in enumerate(rows, start=1):
            if not any(values):  # the gaps below the data, at C speed
                continue
            for index, value in enumerate(values):
                if isinstance(value, str) and value.startswith("="):
                    found[(number, index)] = value
        return found
    finally:
        workbook.close()


_VALUE_TAG = re.compile(rb"<(?:\w+:)?(?:v|is|f)\b")
_ROW_NUMBER = re.compile(rb"\br=\"(\d+)\"")


def _row_tag_before(text: bytes, end: int) -> int | None:
    """Where the last `<row …>` (or `<x:row …>`) tag before `end` starts, or None."""
    while (found := text.rfind(b"row", 0, end)) > 0:
        if text[found - 1 : found] in (b"<", b":") and text[found + 3 : found + 4] in b" >\t\r\n":
            return found
        end = found
    return None


def _row_number(text: bytes, start: int) -> int | None:
    number = _ROW_NUMBER.search(text, start, text.find(b">", start))
    return int(number.group(1)) if number else None


def _last_value_row(ws) -> int | None:
    """The number of the sheet's last row holding a value or formula, from a scan of the raw
    sheet XML (C-speed searches, no cell parsing): a sheet formatted down to row 1,048,576
    then reads only up to its data. None when it cannot tell (rows without numbers, or not a
    read-only worksheet): read everything."""
    if not hasattr(ws, "_get_source"):
        return None
    last = open_row = None  # open_row: the row still open at the end of the previous chunk
    carry = b""
    with ws._get_source() as source:
        while True:
            chunk = source.read(1 << 20)
            buffer = carry + chunk
            cut = buffer.rfind(b"<") if chunk else len(buffer)
            cut = len(buffer) if cut <= 0 else cut
            text, carry = buffer[:cut], buffer[cut:]
            final_value = None
            for final_value in _VALUE_TAG.finditer(text):  # noqa: B007 - only the last one
                pass
            if final_value is not None:
                start = _row_tag_before(text, final_value.start())
                last = open_row if start is None else _row_number(text, start)
                if last is None:
                    return None
            start = _row_tag_before(text, len(text))
            if start is not None:
                open_row = _row_number(text, start)
            if not chunk:
                return last or 0


def _parse_workbook(workbook, data: bytes = b"") -> _Parsed:
    found = _find_header(workbook)
    if found is None:
        if _workbook_is_empty(workbook):
            return _fatal(_("文件是空的，请使用导入模板填写党员信息后再上传"))
        return _fatal(
            _(
                "找不到表头行。第一行应是列名：{headers}（带*为必填），请下载导入模板对照填写"
            ).format(headers=_missing_header_help())
        )
    ws, header_row, header_values = found
    parsed = _Parsed()

    # Map columns.
    positions: dict[str, int] = {}
    for index, value in enumerate(header_values):
        if _is_blank(value):
            continue
        column = _HEADER_LOOKUP.get(_normalize_header(value))
        if column is None:
            parsed.ignored.append(_clean_text(value))
            continue
        if column.field in positions:
            parsed.errors.append(
                RowError(
                    header_row,
                    column.header,
                    _("“{h}”列出现了两次（第 {a} 列和第 {b} 列），请删除其中一列").format(
                        h=column.header,
                        a=get_column_letter(positions[column.field] + 1),
                        b=get_column_letter(index + 1),
                    ),
                )
            )
            parsed.fatal = True
            continue
        positions[column.field] = index
    missing = [c.header for c in COLUMNS if c.required and c.field not in positions]
    if missing:
        parsed.errors.append(
            RowError(
                header_row,
                "",
                _("缺少必填列：{cols}。请在第 {row} 行（表头）补上这些列名，或使用导入模板").format(
                    cols="、".join(missing), row=header_row
                ),
            )
        )
        parsed.fatal = True
    if parsed.fatal:
        return parsed

    # Read data rows.
    first_seen: dict[str, int] = {}
    first_employee: dict[str, int] = {}
    formulas: dict[tuple[int, int], str] | None = None
    last_row = _last_value_row(ws)
    if last_row is not None and last_row <= header_row:
        data_rows = iter(())
    else:
        data_rows = ws.iter_rows(min_row=header_row + 1, max_row=last_row, values_only=True)
    for number, values in enumerate(data_rows, start=header_row + 1):
        if not any(values) or all(_is_blank(v) for v in values):  # any(): C speed for gaps
            continue
        if len(parsed.rows) >= MAX_ROWS:
            return _fatal(_("一次最多导入 {n} 行，请把文件分成几个再导入").format(n=MAX_ROWS))
        row = RosterRow(number, {})
        for field_name, index in positions.items():
            column = COLUMN_BY_FIELD[field_name]
            raw = values[index] if index < len(values) else None
            if _is_blank(raw):
                row.values[field_name] = None
                if column.required:
                    if formulas is None:
                        formulas = _formula_cells(data, ws.title, last_row) if data else {}
                    formula = formulas.get((number, index))
                    message = (
                        _("{h}是公式 {f}，没有计算结果：请直接填写内容，不要用公式").format(
                            h=column.header, f=formula[:40]
                        )
                        if formula
                        else _("必填，请填写{h}").format(h=column.header)
                    )
                    parsed.errors.append(RowError(number, column.header, message))
                continue
            try:
                row.values[field_name] = _PARSERS[field_name](raw)
            except _CellError as error:
                parsed.errors.append(RowError(number, column.header, str(error)))
        staff_no = row.values.get("employee_number")
        if staff_no:
            if staff_no in first_employee:
                parsed.errors.append(
                    RowError(
                        row.row,
                        "工号",
                        _("与第 {row} 行的工号重复，每人的工号应不同").format(
                            row=first_employee[staff_no]
                        ),
                    )
                )
            else:
                first_employee[staff_no] = row.row
        id_number = row.values.get("id_number")
        if id_number:
            if id_number in first_seen:
                parsed.errors.append(
                    RowError(
                        number,
                        "身份证号",
                        _("与第 {row} 行的身份证号重复，同一党员只能出现一次").format(
                            row=first_seen[id_number]
                        ),
                    )
                )
            else:
                first_seen[id_number] = number
        parsed.rows.append(row)
    if not parsed.rows and not parsed.errors:
        return _fatal(_("文件中没有党员数据：第 {row} 行表头下面是空的").format(row=header_row))
    return parsed


def roster_parse(file: Any) -> tuple[list[RosterRow], list[RowError]]:
    """Read and clean a roster workbook without touching the database."""
    parsed = _parse(file)
    return parsed.rows, parsed.errors


# ---------------------------------------------------------------------------------------------
# Import


@dataclass
class _Planned:
    row: int
    member: Member
    is_new: bool
    changed: set[str] = field(default_factory=set)
    transfer_to: Organization | None = None
    transfer_group: Organization | None = None
    warnings: list[str] = field(default_factory=list)


# Fields a row may set; branch and party_group are handled as placement.
_MEMBER_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "employee_number",
    "email",
    "wecom_id",
    "dingtalk_id",
    "education",
    "join_date",
    "status",
    "full_member_date",
    "is_leading_cadre",
)


def _load_branches(actor, rows: list[RosterRow]) -> dict[str, list[Organization]]:
    names = {r.values["branch"].split("/")[-1] for r in rows if r.values.get("branch")}
    queryset = Organization.objects.filter(
        kind=OrgKind.BRANCH, is_active=True, name__in=names
    ).select_related("parent")
    if actor is not None:
        # Branches the actor may not change look exactly like unknown ones.
        queryset = visible_to(actor, Action.CHANGE, queryset)
    found: dict[str, list[Organization]] = defaultdict(list)
    for branch in queryset:
        found[branch.name].append(branch)
    return found


def _resolve_branch(
    raw: str, branches: dict[str, list[Organization]]
) -> tuple[Organization | None, str]:
    parts = raw.split("/")
    candidates = branches.get(parts[-1], [])
    if len(parts) > 1:
        candidates = [b for b in candidates if b.parent is not None and b.parent.name == parts[-2]]
    if not candidates:
        return None, _(
            "找不到党支部“{name}”，或您无权管理该支部。请核对名称是否与系统中的支部全称一致"
        ).format(name=raw)
    if len(candidates) > 1:
        example = candidates[0]
        parent = example.parent.name if example.parent else ""
        return None, _(
            "有 {n} 个党支部都叫“{name}”，请写成“上级组织/支部名称”，如“{parent}/{name}”"
        ).format(n=len(candidates), name=raw, parent=parent)
    return candidates[0], ""


def _plan(
    actor, rows: list[RosterRow], bad_rows: set[int], *, lock: bool
) -> tuple[list[_Planned], list[RowError]]:
    """Check every row against the database (a fixed number of queries) and decide the writes."""
    errors: list[RowError] = []
    today = timezone.localdate()
    branches = _load_branches(actor, rows)
    branch_ids = [b.pk for found in branches.values() for b in found]
    group_names = {r.values.get("party_group") for r in rows} - {None}
    groups = {
        (g.parent_id, g.name): g
        for g in Organization.objects.filter(
            kind=OrgKind.PARTY_GROUP, is_active=True, parent_id__in=branch_ids, name__in=group_names
        )
    }
    ids = {r.values["id_number"] for r in rows if r.values.get("id_number")}
    existing_qs = Member.objects.filter(id_number__in=ids).select_related("branch")
    if lock:
        of = ("self",) if connection.features.has_select_for_update_of else ()
        existing_qs = existing_qs.select_for_update(of=of)
    existing = {m.id_number: m for m in existing_qs}
    numbers = {r.values["employee_number"] for r in rows if r.values.get("employee_number")}
    holders = dict(
        Member.objects.filter(employee_number__in=numbers).values_list(
            "employee_number", "id_number"
        )
    )
    # Open tenures of existing members: a transfer needs the current start date.
    open_tenures = {
        t.member_id: t
        for t in BranchTenure.objects.filter(
            member_id__in=[m.pk for m in existing.values()], end__isnull=True
        )
    }

    plans: list[_Planned] = []
    for row in rows:
        values = row.values
        row_errors: list[RowError] = []

        def fail(field_name: str, message: str, row=row, row_errors=row_errors) -> None:
            row_errors.append(RowError(row.row, COLUMN_BY_FIELD[field_name].header, message))

        branch = group = None
        if values.get("branch"):
            branch, message = _resolve_branch(values["branch"], branches)
            if branch is None:
                fail("branch", message)
        if branch is not None and values.get("party_group"):
            group = groups.get((branch.pk, values["party_group"]))
            if group is None:
                fail(
                    "party_group",
                    _("“{branch}”下没有名为“{group}”的党小组，请核对名称或留空").format(
                        branch=branch.name, group=values["party_group"]
                    ),
                )
        member = existing.get(values.get("id_number"))
        if member is not None and actor is not None and not can(actor, Action.CHANGE, member):
            # Say there is a conflict, never whose number it is or where they are.
            fail(
                "id_number",
                _(
                    "该身份证号已登记在您管理范围以外的党员名下，不能导入。"
                    "如确属本支部党员，请联系上级党组织办理组织关系转接"
                ),
            )
        elif member is not None and not member.is_active:
            fail(
                "id_number",
                _("该身份证号对应的党员已不在册，导入不能恢复在册状态，请联系上级党组织处理"),
            )
        elif member is not None and values.get("name") and values["name"] != member.name:
            # A mistyped ID number that hits someone else must not rename that member.
            fail(
                "id_number",
                _(
                    "该身份证号已属于党员“{name}”，与本行姓名不一致。请核对身份证号；"
                    "如确需更改姓名，请在党员信息页修改"
                ).format(name=member.name),
            )
        staff_no = values.get("employee_number")
        if staff_no and holders.get(staff_no, values.get("id_number")) != values.get("id_number"):
            fail("employee_number", _("该工号已属于另一名党员，请核对"))
        # Cross-field checks only on rows whose cells all parsed: no knock-on errors.
        if not row_errors and row.row not in bad_rows:
            plan = _plan_row(row, member, branch, group, open_tenures, today, fail)
            if not row_errors:
                plans.append(plan)
        errors.extend(row_errors)
    return plans, errors


def _plan_row(row, member, branch, group, open_tenures, today, fail) -> _Planned:
    """The target state of one member, with the row's cross-field checks."""
    values = row.values
    is_new = member is None
    if is_new:
        member = Member(
            ethnicity="汉族", phone="", education="", is_leading_cadre=False, branch=branch
        )
        member.party_group = group
        before: dict[str, Any] = {}
    else:
        before = {f: getattr(member, f) for f in (*_MEMBER_FIELDS, "party_group_id")}
    for name in _MEMBER_FIELDS:
        if values.get(name) is not None:
            setattr(member, name, values[name])
    if is_new and member.birth_date is None:
        member.birth_date = birth_date_from_id(member.id_number)

    if member.status == MemberStatus.PROBATIONARY and values.get("full_member_date") is None:
        member.full_member_date = None  # became probationary again: no conversion date

    # Placement: 党小组 follows 所在支部; a move between branches is a transfer.
    transfer_to = transfer_group = None
    if not is_new and member.branch_id != branch.pk:
        transfer_to = branch
        transfer_group = group if "party_group" in values else None
        tenure = open_tenures.get(member.pk)
        if tenure is not None and tenure.start >= today:
            fail(
                "branch",
                _("该党员今天刚编入“{old}”，今天不能再转到“{new}”，请明天再导入").format(
                    old=member.branch.name, new=branch.name
                ),
            )
    elif "party_group" in values:
        member.party_group = group

    # Cross-field checks: the same rules as the member pages and the API. Only what this row
    # changes is checked, not what was already stored (old data may be odd).
    changed = None if is_new else {n for n in _MEMBER_FIELDS if getattr(member, n) != before[n]}
    for name, messages in member_problems(member, today=today, changed=changed).items():
        for message in messages:
            fail(name, str(message))
    try:
        # FK existence and uniqueness are already settled by the bulk lookups above.
        member.full_clean(exclude=["branch", "party_group", "user"], validate_unique=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            column = COLUMN_BY_FIELD.get(name, COLUMN_BY_FIELD["name"])
            fail(column.field, "；".join(messages))

    plan = _Planned(row.row, member, is_new, transfer_to=transfer_to, transfer_group=transfer_group)
    if is_new or "id_number" in (changed or ()):
        plan.warnings = member_warnings(member)
    if not is_new:
        after = {f: getattr(member, f) for f in (*_MEMBER_FIELDS, "party_group_id")}
        plan.changed = {f for f in after if after[f] != before[f]}
    return plan


def _apply(actor, plans: list[_Planned]) -> None:
    """Write the planned rows: bulk for creates and updates, member_transfer for moves."""
    now = timezone.now()
    for plan in plans:
        if actor is not None:
            require(actor, Action.CHANGE, plan.member)
            if plan.transfer_to is not None:
                require(actor, Action.CHANGE, plan.transfer_to)

    new = [p.member for p in plans if p.is_new]
    if new:
        Member.objects.bulk_create(new)
        if any(m.pk is None for m in new):  # backends without RETURNING (MySQL)
            pks = dict(
                Member.objects.filter(id_number__in=[m.id_number for m in new]).values_list(
                    "id_number", "pk"
                )
            )
            for m in new:
                m.pk = pks[m.id_number]
        BranchTenure.objects.bulk_create(
            BranchTenure(member=m, branch=m.branch, party_group=m.party_group, start=m.join_date)
            for m in new
        )
        audit.record_many(actor, AuditAction.MEMBER_CREATE, new, via="import")

    changed = [p for p in plans if not p.is_new and p.changed]
    if changed:
        fields = sorted(
            {("party_group" if f == "party_group_id" else f) for p in changed for f in p.changed}
        )
        for plan in changed:
            plan.member.updated_at = now
        Member.objects.bulk_update([p.member for p in changed], [*fields, "updated_at"])
        regrouped = {p.member.pk: p.member for p in changed if "party_group_id" in p.changed}
        if regrouped:
            tenures = list(
                BranchTenure.objects.filter(member_id__in=list(regrouped), end__isnull=True)
            )
            for tenure in tenures:
                tenure.party_group_id = regrouped[tenure.member_id].party_group_id
            BranchTenure.objects.bulk_update(tenures, ["party_group"])
    audit.record_many(actor, AuditAction.MEMBER_EDIT, [p.member for p in changed], via="import")

    today = timezone.localdate()
    for plan in plans:
        if plan.transfer_to is not None:
            member_transfer(
                actor=actor,
                member=plan.member,
                branch=plan.transfer_to,
                on=today,
                party_group=plan.transfer_group,
                note=TRANSFER_NOTE,
            )


def _counts(result: ImportResult) -> dict[str, int]:
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}


def roster_import(*, actor, file: Any, dry_run: bool = False) -> ImportResult:
    """Import a roster workbook as `actor` (None = system): everything or, on any error, nothing."""
    parsed = _parse(file)
    result = ImportResult(dry_run=dry_run, ignored_columns=parsed.ignored)
    if parsed.fatal:
        result.errors = parsed.errors
        return result
    try:
        with transaction.atomic():
            bad_rows = {e.row for e in parsed.errors if e.row}
            plans, errors = _plan(actor, parsed.rows, bad_rows, lock=not dry_run)
            errors = sorted([*parsed.errors, *errors], key=RowError.sort_key)
            if errors:
                result.errors = errors
                return result
            result.warnings = [
                RowError(p.row, COLUMN_BY_FIELD["id_number"].header, w)
                for p in plans
                for w in p.warnings
            ]
            for plan in plans:
                if plan.is_new:
                    result.created += 1
                elif plan.changed or plan.transfer_to is not None:
                    result.updated += 1
                    result.transferred += plan.transfer_to is not None
                else:
                    result.unchanged += 1
            if not dry_run:
                _apply(actor, plans)
                audit.record(actor, AuditAction.ROSTER_IMPORT, org_path="", **_counts(result))
    except IntegrityError:
        result.errors = [
            RowError(
                None,
                "",
                _(
                    "保存时身份证号与刚刚写入的其他党员冲突（可能有人同时在导入），未写入任何数据，请重新导入"
                ),
            )
        ]
        result.created = result.updated = result.unchanged = result.transferred = 0
    except ValidationError as error:  # a service's own check (e.g. a transfer) refused a row
        result.errors = [RowError(None, "", m) for m in error.messages]
        result.created = result.updated = result.unchanged = result.transferred = 0
    return result


# ---------------------------------------------------------------------------------------------
# Writing workbooks

_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C62828")
_HEADER_FILL = PatternFill("solid", fgColor="FDECEA")


def _column_format(column: Column) -> str | None:
    if column.text:
        return "@"
    if column.is_date:
        return "yyyy-mm-dd"
    return None


def _write_help(ws, extra: Iterable[str] = ()) -> None:
    ws.append([_("党员名册导入说明")])
    ws.append([])
    lines = [
        _(
            "1. 在“{sheet}”工作表中每行填写一名党员，不要改动第一行的列名；带 * 的列必须填写。"
        ).format(sheet=DATA_SHEET),
        _(
            "2. 系统按身份证号识别党员：已有的党员会被更新，不会重复；"
            "所在支部改变的党员会办理转接并保留原支部记录。"
        ),
        _("3. 选填列留空不会清除系统中已有的信息；党小组留空表示不编入党小组。"),
        _("4. 日期可写成 2019-07-01、2019/7/1、2019.7.1 或 2019年7月1日，也可用Excel日期格式。"),
        _(
            "5. 只要有一处错误，整份文件都不会导入；"
            "系统会列出每处错误的行号、列名和原因，改正后重新上传即可。"
        ),
        _("6. 身份证号和手机号请保持“文本”格式。"),
        *extra,
    ]
    for line in lines:
        ws.append([line])
    ws.append([])
    ws.append([_("列名"), _("是否必填"), _("填写说明"), _("示例")])
    for column in COLUMNS:
        ws.append(
            [
                column.header,
                _("必填") if column.required else _("选填"),
                column.note,
                column.example,
            ]
        )
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 70
    ws.column_dimensions["D"].width = 22


def _header_cells(ws) -> list[WriteOnlyCell]:
    cells = []
    for column in COLUMNS:
        cell = WriteOnlyCell(ws, value=column.title)
        cell.font = _REQUIRED_FONT if column.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        cells.append(cell)
    return cells


def roster_template(*, branch_names: Iterable[str] = ()) -> bytes:
    """An empty roster workbook: header row, text/date formats, dropdowns and instructions."""
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([c.title for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index)
        cell.font = _REQUIRED_FONT if column.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        cell.comment = Comment(column.note, "zhibu")
        ws.column_dimensions[letter].width = column.width
        number_format = _column_format(column)
        if number_format:
            # Pre-format the fill-in rows so Excel keeps ID numbers as text and shows dates.
            for row in range(2, TEMPLATE_ROWS + 2):
                ws.cell(row=row, column=index).number_format = number_format
    ws.freeze_panes = "A2"

    options = wb.create_sheet(OPTIONS_SHEET)
    lists = {
        "gender": list(GENDER_LABEL.values()),
        "ethnicity": list(ETHNICITIES),
        "education": list(EDUCATION_LABEL.values()),
        "status": list(STATUS_LABEL.values()),
        "is_leading_cadre": ["是", "否"],
        "branch": sorted(set(branch_names))[:1000],
    }
    for col_index, (field_name, items) in enumerate(lists.items(), start=1):
        if not items:
            continue
        letter = get_column_letter(col_index)
        options.cell(row=1, column=col_index, value=f"{COLUMN_BY_FIELD[field_name].header}选项")
        for row_index, item in enumerate(items, start=2):
            options.cell(row=row_index, column=col_index, value=item)
        target = get_column_letter(_ORDER[field_name] + 1)
        strict = field_name in {"gender", "status", "is_leading_cadre"}
        validation = DataValidation(
            type="list",
            formula1=f"'{OPTIONS_SHEET}'!${letter}$2:${letter}${len(items) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop" if strict else "warning",
            error=_("请从下拉列表中选择"),
        )
        validation.add(f"{target}2:{target}{TEMPLATE_ROWS + 1}")
        ws.add_data_validation(validation)
    options.sheet_state = "hidden"

    _write_help(wb.create_sheet(HELP_SHEET))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _branch_labels(user, members: list[Member]) -> dict[int, str]:
    """Branch names as the import will find them: "上级/支部" where a plain name is ambiguous."""
    names = {m.branch.name for m in members}
    queryset = Organization.objects.filter(kind=OrgKind.BRANCH, is_active=True, name__in=names)
    if user is not None:
        queryset = visible_to(user, Action.VIEW, queryset)
    ambiguous = set(
        queryset.values("name")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("name", flat=True)
    )
    labels = {}
    for m in members:
        branch = m.branch
        if branch.name in ambiguous and branch.parent is not None:
            labels[branch.pk] = f"{branch.parent.name}/{branch.name}"
        else:
            labels[branch.pk] = branch.name
    return labels


def _root(members: list[Member]) -> str:
    """The deepest organization holding every exported member (whose administrators see the
    export in the audit log)."""
    prefix = os.path.commonprefix([m.branch.path for m in members]) if members else ""
    return prefix[: len(prefix) // SEGMENT * SEGMENT]


def roster_export(*, user, queryset: QuerySet[Member]) -> bytes:
    """The members in `queryset` that `user` may see, in the import format.

    ID numbers and phones are unmasked only where `user` may VIEW_PERSONAL the member; a file with
    masked rows says so and cannot be imported back. `user=None` is the system (no masking).
    """
    if user is not None:
        queryset = visible_to(user, Action.VIEW, queryset)
    members = list(
        queryset.select_related("branch__parent", "party_group").order_by(
            "branch__path", "name", "pk"
        )
    )
    labels = _branch_labels(user, members) if members else {}

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET)
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    masked_count = 0
    rows: list[list[Any]] = []
    for m in members:
        personal = user is None or can(user, Action.VIEW_PERSONAL, m)
        if personal:
            id_number, phone, birth = m.id_number or "", m.phone or "", m.birth_date
        else:
            id_number, phone = mask_id_number(m.id_number), mask_phone(m.phone)
            # The year only, as text that says so: month and day are digits of the ID number.
            birth = _("{year}（已打码）").format(year=m.birth_date.year) if m.birth_date else None
            masked_count += 1
        rows.append(
            [
                m.name,
                GENDER_LABEL.get(m.gender, m.gender),
                m.ethnicity,
                birth,
                id_number,
                phone,
                m.employee_number or "",
                m.email,
                m.wecom_id,
                m.dingtalk_id,
                EDUCATION_LABEL.get(m.education, ""),
                m.join_date,
                STATUS_LABEL.get(m.status, m.status),
                m.full_member_date,
                "是" if m.is_leading_cadre else "否",
                labels[m.branch_id],
                m.party_group.name if m.party_group else "",
            ]
        )
    header = _header_cells(ws)
    if masked_count:
        note = _(
            "注意：本文件中 {n} 名党员的身份证号、手机号和出生日期已按权限打码，"
            "打码的文件不能用于导入。"
        ).format(n=masked_count)
        note_cell = WriteOnlyCell(ws, value=note)
        note_cell.font = _REQUIRED_FONT
        ws.append([note_cell])
        ws.freeze_panes = "A3"
    ws.append(header)
    formats = [_column_format(c) for c in COLUMNS]
    for values in rows:
        cells = []
        for value, number_format in zip(values, formats, strict=True):
            cell = defuse(WriteOnlyCell(ws, value=value))
            if number_format and value not in (None, ""):
                cell.number_format = number_format
            cells.append(cell)
        ws.append(cells)

    help_ws = wb.create_sheet(HELP_SHEET)
    extra = [
        _("导出时间：{when}；共 {n} 名党员。").format(
            when=timezone.localtime().strftime("%Y-%m-%d %H:%M"), n=len(members)
        )
    ]
    if masked_count:
        extra.append(
            _(
                "注意：{n} 名党员的身份证号、手机号和出生日期已按权限打码。打码的文件不能重新导入。"
            ).format(n=masked_count)
        )
    else:
        extra.append(_("本文件可修改后直接重新导入：未修改的行不会有任何变化。"))
    _write_help(help_ws, extra)
    audit.record(user, AuditAction.ROSTER_EXPORT, org_path=_root(members), rows=len(members))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def roster_export_filename(prefix: str = "党员名册") -> str:
    return f"{prefix}-{timezone.localdate().isoformat()}.xlsx"


__all__ = [
    "COLUMNS",
    "ImportResult",
    "RosterRow",
    "RowError",
    "roster_export",
    "roster_import",
    "roster_parse",
    "roster_template",
]
