"""身份证号 (18-digit resident identity number, GB 11643-1999) validation."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

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


# ---------------------------------------------------------------------------------------------
# The roster record as a whole: one set of cross-field checks for the create/edit pages, the API
# (members.services) and the roster import (members.roster).

_ETHNICITY_NAMES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 "
    "哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 "
    "柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 "
    "塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
)
ETHNICITIES: tuple[str, ...] = tuple(_ETHNICITY_NAMES.split())
# GB 3304 also records these two besides the 56 nationalities.
ETHNICITY_EXTRA: tuple[str, ...] = ("其他", "外国血统中国籍人士")
# Province-level prefixes of GB/T 2260 (the first two digits of a 身份证号).
REGION_PREFIXES = frozenset(
    ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37")
    + ("41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63")
    + ("64", "65", "71", "81", "82", "83")
)
FOUNDING_YEAR = 1921  # no one joined the party before it was founded

FUTURE_DATE = gettext_lazy("{label}不能晚于今天")
BEFORE_FOUNDING = gettext_lazy("{label} {day} 早于1921年建党，请核对年份")
JOINED_UNDER_18 = gettext_lazy("入党时未满18周岁（出生日期 {birth}），请核对日期是否填错")
BIRTH_NOT_ID = gettext_lazy("与身份证号中的出生日期 {day} 不一致，请核对")
GENDER_NOT_ID = gettext_lazy("与身份证号中的性别（{gender}）不一致，请核对")
PROBATIONARY_DATE = gettext_lazy("预备党员不应填写转正日期；如已转正，请把党员类别改为“正式党员”")
FULL_NEEDS_DATE = gettext_lazy("正式党员须填写转正日期；如尚未转正，请把党员类别改为“预备党员”")
FULL_BEFORE_JOIN = gettext_lazy("转正日期不能早于入党日期")
UNKNOWN_ETHNICITY = gettext_lazy("“{value}”不是民族名称，请填写如“汉族”“回族”“蒙古族”的规范名称")
UNKNOWN_REGION = gettext_lazy(
    "{name}的身份证号前两位 {prefix} 不是已知的省级行政区划代码，请核对号码（已照常保存）"
)


def adult_on(birth: date) -> date:
    """The 18th birthday (1 March for someone born on 29 February)."""
    try:
        return birth.replace(year=birth.year + 18)
    except ValueError:
        return date(birth.year + 18, 3, 1)


def gender_from_id(value: str) -> str:
    """The 17th digit: odd for men, even for women (GB 11643)."""
    return "male" if int(value[16]) % 2 else "female"


def member_problems(member, *, today: date, changed: set[str] | None = None) -> dict[str, list]:
    """Every contradiction in a roster record, by field: the one list the pages, the API and the
    import refuse with. `changed` limits the checks to rules that involve a changed field (old
    records may hold odd data nobody is touching); None checks everything (a new record)."""
    problems: dict[str, list] = {}

    def touched(*names: str) -> bool:
        return changed is None or bool(changed.intersection(names))

    def fail(name: str, message) -> None:
        problems.setdefault(name, []).append(message)

    id_number = member.id_number or ""
    if id_number and id_number_error(id_number):
        id_number = ""  # the field's own validator reports it
    known = (*ETHNICITIES, *ETHNICITY_EXTRA)
    if member.ethnicity and touched("ethnicity") and member.ethnicity not in known:
        fail("ethnicity", UNKNOWN_ETHNICITY.format(value=member.ethnicity))
    if id_number and member.birth_date and touched("birth_date", "id_number"):
        from_id = birth_date_from_id(id_number)
        if from_id != member.birth_date:
            fail("birth_date", BIRTH_NOT_ID.format(day=from_id.isoformat()))
    if id_number and member.gender and touched("gender", "id_number"):
        expected = gender_from_id(id_number)
        if member.gender != expected:
            fail("gender", GENDER_NOT_ID.format(gender="男" if expected == "male" else "女"))
    labels = {"birth_date": "出生日期", "join_date": "入党日期", "full_member_date": "转正日期"}
    for name, label in labels.items():
        day = getattr(member, name)
        if day is None or not touched(name):
            continue
        if day > today:
            fail(name, FUTURE_DATE.format(label=label))
        elif name != "birth_date" and day.year < FOUNDING_YEAR:
            fail(name, BEFORE_FOUNDING.format(label=label, day=day.isoformat()))
    join = member.join_date
    if (
        join
        and member.birth_date
        and "join_date" not in problems
        and join < adult_on(member.birth_date)
        and touched("join_date", "birth_date")
    ):
        fail("join_date", JOINED_UNDER_18.format(birth=member.birth_date.isoformat()))
    if touched("status", "full_member_date"):
        if member.status == "probationary_member" and member.full_member_date is not None:
            fail("full_member_date", PROBATIONARY_DATE)
        elif member.status == "full_member" and member.full_member_date is None:
            fail("full_member_date", FULL_NEEDS_DATE)
    if (
        member.full_member_date
        and join
        and member.full_member_date < join
        and not problems.keys() & {"full_member_date", "join_date"}
        and touched("full_member_date", "join_date")
    ):
        fail("full_member_date", FULL_BEFORE_JOIN)
    return problems


def member_warnings(member) -> list[str]:
    """What looks wrong but is saved anyway: an ID number whose region prefix is unknown."""
    value = member.id_number or ""
    if len(value) == 18 and value[:2] not in REGION_PREFIXES:
        return [str(UNKNOWN_REGION.format(name=member.name, prefix=value[:2]))]
    return []
