"""Reading uploaded Excel workbooks the way people really fill them in.

Shared by the importers (the organization structure; the roster keeps its own copy for now):
the same refusals for a file that is not an .xlsx, the same header search and the same date
forms, and errors as (row as Excel numbers it, column, what to fix).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from zhibu.core.text import normalize_digits

MAX_BYTES = 10 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class RowError:
    """One problem: `row` as Excel numbers it (None for the file as a whole) and the column."""

    row: int | None
    column: str
    message: str


class CellError(Exception):
    """A cell that cannot be read; the message says what to write instead."""


class FileError(Exception):
    """A file that cannot be read at all."""


def clean_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def normalize_header(value: Any) -> str:
    """A header cell without stars, colons, spaces or a bracketed remark."""
    text = normalize_digits(clean_text(value)) if value is not None else ""
    text = re.sub(r"[(（].*?[)）]", "", text)
    return re.sub(r"[\s*＊:：]", "", text)


def read_bytes(file: Any) -> bytes:
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if isinstance(file, str | Path):
        return Path(file).read_bytes()
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(MAX_BYTES + 1)
    return data if isinstance(data, bytes) else bytes(data)


def open_workbook(file: Any, *, what: str):
    """The workbook (read-only), or FileError saying why the file cannot be used.

    `what` names the content in the messages, e.g. "组织架构".
    """
    data = read_bytes(file)
    if len(data) > MAX_BYTES:
        raise FileError(_("文件超过 {mb} MB，请分成几个文件导入").format(mb=MAX_BYTES // 2**20))
    if not data.strip():
        raise FileError(_("文件是空的，请使用导入模板填写{what}后再上传").format(what=what))
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise FileError(
            _(
                "这是旧版 Excel（.xls）或 WPS（.et）文件，"
                "请在 Excel/WPS 中“另存为” .xlsx 格式后再上传"
            )
        )
    if data[:4] != b"PK\x03\x04":
        raise FileError(_("文件不是 Excel .xlsx 格式，请下载导入模板，填写后保存为 .xlsx 再上传"))
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for non-workbooks
        raise FileError(
            _(
                "文件无法作为 Excel 工作簿打开（可能已损坏，或是改了扩展名的其他文件），"
                "请用 Excel 重新保存为 .xlsx"
            )
        ) from None


_DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_MONTH_ONLY_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")


def _make_date(year: int, month: int, day: int, shown: str) -> date:
    try:
        result = date(year, month, day)
    except ValueError:
        raise CellError(_("“{value}”不是有效日期，请核对年月日").format(value=shown)) from None
    if not 1900 <= result.year <= timezone.localdate().year + 1:
        raise CellError(_("年份 {year} 不合理，请核对").format(year=result.year))
    return result


def parse_date(value: Any) -> date:
    """Dates as people really enter them: Excel date cells and the usual typed forms."""
    if isinstance(value, datetime | date):
        return _make_date(value.year, value.month, value.day, str(value))
    if isinstance(value, bool):
        raise CellError(_("不是日期，请写成 2019-07-01"))
    if isinstance(value, int | float):
        number = int(value)
        if 19000101 <= number <= 21001231:
            text = str(number)
            return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]), text)
        if 1 <= number < 80000:  # an Excel serial day number in a cell not formatted as date
            day = from_excel(number)
            return _make_date(day.year, day.month, day.day, str(number))
        raise CellError(_("“{value}”不是日期，请写成 2019-07-01").format(value=value))
    text = normalize_digits(clean_text(value))
    if match := _DATE_RE.fullmatch(text):
        return _make_date(*(int(g) for g in match.groups()), text)
    if re.fullmatch(r"\d{8}", text):
        return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]), text)
    if _MONTH_ONLY_RE.fullmatch(text):
        raise CellError(_("“{value}”只写到了月份，请写完整日期，如 2019-07-01").format(value=text))
    raise CellError(
        _("“{value}”不是可识别的日期，请写成 2019-07-01、2019/7/1 或 2019年7月1日").format(
            value=text
        )
    )
