"""身份证号 (18-digit resident identity number, GB 11643-1999) validation."""

from datetime import date

from django.core.exceptions import ValidationError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def id_number_error(value: str) -> str | None:
    """Why `value` is not a valid 身份证号, in words a secretary can act on; None if valid."""
    if len(value) != 18:
        return f"身份证号应为18位，现为{len(value)}位"
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "身份证号前17位应为数字，最后一位为数字或X"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return f"身份证号中的出生日期 {value[6:14]} 不是有效日期"
    expected = id_check_digit(value[:17])
    if value[17] != expected:
        return f"身份证号校验位错误（最后一位应为 {expected}），请核对号码"
    return None


def validate_id_number(value: str) -> None:
    error = id_number_error(value)
    if error:
        raise ValidationError(error, code="id_number")


def birth_date_from_id(value: str) -> date:
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
