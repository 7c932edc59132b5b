"""One validator for the roster record: services, pages, API and the import refuse the same
contradictions with the same message, and write nothing."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import Workbook
from rest_framework.test import APIClient

from zhibu.members import validators as v
from zhibu.members.models import Member
from zhibu.members.roster import COLUMNS, roster_import
from zhibu.members.services import member_create, member_update
from zhibu.members.tests.factories import make_id_number
from zhibu.members.validators import id_check_digit

pytestmark = pytest.mark.django_db

BIRTH = date(1990, 5, 6)
MAN = make_id_number(901, BIRTH)  # 17th digit odd: a man


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(datetime(2026, 5, 1, 10, 0).astimezone(), tick=False):
        yield


def record(**changes) -> dict:
    fields = {
        "name": "周新人",
        "gender": "male",
        "birth_date": BIRTH,
        "id_number": MAN,
        "join_date": date(2015, 7, 1),
        "status": "full_member",
        "full_member_date": date(2016, 7, 1),
    }
    fields.update(changes)
    return fields


def problems(**changes) -> dict[str, list[str]]:
    member = Member(**record(**changes))
    return {
        k: [str(m) for m in msgs]
        for k, msgs in v.member_problems(member, today=date(2026, 5, 1)).items()
    }


# Boundary table: (changes, field, message or None for "accepted").
CASES = [
    ({}, None, None),
    ({"join_date": date(2008, 5, 6), "full_member_date": date(2009, 5, 6)}, None, None),  # 18 today
    (
        {"join_date": date(2008, 5, 5)},
        "join_date",
        "入党时未满18周岁（出生日期 1990-05-06），请核对日期是否填错",
    ),
    (
        {"join_date": date(2026, 5, 1), "full_member_date": None, "status": "probationary_member"},
        None,
        None,
    ),
    ({"join_date": date(2026, 5, 2)}, "join_date", "入党日期不能晚于今天"),
    ({"full_member_date": date(2026, 5, 2)}, "full_member_date", "转正日期不能晚于今天"),
    (
        {"birth_date": date(1990, 5, 7)},
        "birth_date",
        "与身份证号中的出生日期 1990-05-06 不一致，请核对",
    ),
    ({"gender": "female"}, "gender", "与身份证号中的性别（男）不一致，请核对"),
    ({"status": "probationary_member"}, "full_member_date", str(v.PROBATIONARY_DATE)),
    ({"full_member_date": None}, "full_member_date", str(v.FULL_NEEDS_DATE)),
    ({"full_member_date": date(2015, 6, 30)}, "full_member_date", "转正日期不能早于入党日期"),
    (
        {"ethnicity": "火星族"},
        "ethnicity",
        "“火星族”不是民族名称，请填写如“汉族”“回族”“蒙古族”的规范名称",
    ),
    ({"ethnicity": "回族"}, None, None),
]


@pytest.mark.parametrize(("changes", "field", "message"), CASES)
def test_boundaries(changes, field, message):
    found = problems(ethnicity=changes.pop("ethnicity", "汉族"), **changes)
    if field is None:
        assert found == {}
    else:
        assert message in found[field], found


def test_before_1921_is_refused_for_join_and_conversion():
    old = make_id_number(3, date(1900, 1, 1))
    found = problems(
        id_number=old,
        birth_date=date(1900, 1, 1),
        join_date=date(1920, 12, 31),
        full_member_date=date(1921, 1, 1),
    )
    assert found == {"join_date": ["入党日期 1920-12-31 早于1921年建党，请核对年份"]}


def test_member_create_refuses_the_issue_example_and_writes_nothing(world):
    """Born 2020, joins next year as a probationary member with a conversion date in 2000."""
    child = make_id_number(11, date(2020, 1, 1))
    with pytest.raises(ValidationError) as caught:
        member_create(
            actor=world.secretary,
            branch=world.branch,
            **record(
                id_number=child,
                birth_date=date(2020, 1, 1),
                join_date=date(2027, 7, 1),
                status="probationary_member",
                full_member_date=date(2000, 1, 1),
            ),
        )
    errors = caught.value.message_dict
    assert errors["join_date"] == ["入党日期不能晚于今天"]
    assert str(v.PROBATIONARY_DATE) in errors["full_member_date"]
    assert not Member.objects.filter(id_number=child).exists()


def test_member_create_derives_birth_date_from_the_id_number(world):
    member = member_create(actor=world.secretary, branch=world.branch, **record(birth_date=None))
    assert member.birth_date == BIRTH


def test_update_checks_only_what_changes(world):
    member = member_create(actor=world.secretary, branch=world.branch, **record())
    Member.objects.filter(pk=member.pk).update(full_member_date=None)  # old, odd data
    member.refresh_from_db()
    member_update(actor=world.secretary, member=member, phone="13700000001")  # untouched: fine
    with pytest.raises(ValidationError) as caught:
        member_update(actor=world.secretary, member=member, status="full_member", gender="female")
    assert caught.value.message_dict == {"gender": ["与身份证号中的性别（男）不一致，请核对"]}


def test_unknown_region_prefix_is_a_warning_not_a_refusal(world):
    first17 = "99" + MAN[2:17]
    odd = first17 + id_check_digit(first17)
    member = member_create(actor=world.secretary, branch=world.branch, **record(id_number=odd))
    assert v.member_warnings(member) == [
        "周新人的身份证号前两位 99 不是已知的省级行政区划代码，请核对号码（已照常保存）"
    ]
    assert v.member_warnings(world.member) == []


def test_api_refuses_with_the_same_message(world):
    client = APIClient()
    client.force_authenticate(world.secretary)
    data = {
        **{k: (x.isoformat() if isinstance(x, date) else x) for k, x in record().items()},
        "gender": "female",
        "branch": world.branch.pk,
    }
    response = client.post("/api/members/", data, format="json")
    assert response.status_code == 400
    assert response.json()["gender"] == ["与身份证号中的性别（男）不一致，请核对"]
    data["ethnicity"] = "火星族"
    data["gender"] = "male"
    response = client.post("/api/members/", data, format="json")
    assert response.status_code == 400
    assert "不是民族名称" in response.json()["ethnicity"][0]
    assert not Member.objects.filter(id_number=MAN).exists()


def _xlsx(rows: list[dict]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([c.header for c in COLUMNS])
    for row in rows:
        ws.append([row.get(c.header) for c in COLUMNS])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _row(**changes) -> dict:
    row = {
        "姓名": "周新人",
        "性别": "男",
        "身份证号": MAN,
        "入党日期": "2015-07-01",
        "党员类别": "正式党员",
        "转正日期": "2016-07-01",
        "所在支部": "第一党支部",
        "电子邮箱": "zhou@example.gov.cn",
        "企业微信账号": "ZhouXR",
        "钉钉账号": "dd-001",
    }
    row.update(changes)
    return row


def test_import_refuses_with_the_same_messages(world):
    result = roster_import(actor=world.admin, file=_xlsx([_row(性别="女", 转正日期=None)]))
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "性别", "与身份证号中的性别（男）不一致，请核对"),
        (2, "转正日期", str(v.FULL_NEEDS_DATE)),
    ]
    assert not Member.objects.filter(id_number=MAN).exists()


def test_import_reads_contacts_and_warns_about_region(world):
    first17 = "99" + MAN[2:17]
    odd = first17 + id_check_digit(first17)
    result = roster_import(actor=world.admin, file=_xlsx([_row(身份证号=odd)]))
    assert result.ok, result.errors
    assert [(w.row, w.column) for w in result.warnings] == [(2, "身份证号")]
    member = Member.objects.get(id_number=odd)
    assert (member.email, member.wecom_id, member.dingtalk_id) == (
        "zhou@example.gov.cn",
        "ZhouXR",
        "dd-001",
    )
    bad = roster_import(actor=world.admin, file=_xlsx([_row(电子邮箱="not-an-email")]))
    assert bad.errors[0].column == "电子邮箱" and "不是有效的电子邮箱" in bad.errors[0].message


def test_new_member_page(client, world):
    url = reverse("members:new")
    assert client.get(url).status_code == 302  # anonymous: to login
    for user in (world.outsider, world.member_user):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(world.secretary)
    page = client.get(url, {"branch": world.branch.pk})
    assert page.status_code == 200
    assert list(page.context["form"].fields["branch"].queryset) == [world.branch]
    data = {
        "branch": world.branch.pk,
        "name": "周新人",
        "gender": "female",
        "ethnicity": "汉族",
        "id_number": MAN,
        "join_date": "2015-07-01",
        "status": "full_member",
        "full_member_date": "2016-07-01",
        "email": "zhou@example.gov.cn",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["gender"] == ["与身份证号中的性别（男）不一致，请核对"]
    assert not Member.objects.filter(id_number=MAN).exists()
    data["gender"] = "male"
    data["branch"] = world.sibling.pk  # not the secretary's branch: not offered
    response = client.post(url, data)
    assert "branch" in response.context["form"].errors
    data["branch"] = world.branch.pk
    response = client.post(url, data)
    member = Member.objects.get(id_number=MAN)
    assert response.status_code == 302 and response["Location"] == member.get_absolute_url()
    assert member.birth_date == BIRTH and member.email == "zhou@example.gov.cn"
    assert member.tenures.get().start == date(2015, 7, 1)


def test_import_employee_numbers_are_unique(world):
    from zhibu.members.models import Member as M

    M.objects.filter(pk=world.member.pk).update(employee_number="E-1")
    taken = roster_import(actor=world.admin, file=_xlsx([_row(工号="E-1")]))
    assert [(e.column, e.message) for e in taken.errors] == [
        ("工号", "该工号已属于另一名党员，请核对")
    ]
    other = make_id_number(903, BIRTH)
    twice = roster_import(
        actor=world.admin,
        file=_xlsx([_row(工号="E-2"), _row(姓名="吴", 身份证号=other, 工号="E-2")]),
    )
    assert [(e.row, e.message) for e in twice.errors] == [
        (3, "与第 2 行的工号重复，每人的工号应不同")
    ]
    ok = roster_import(actor=world.admin, file=_xlsx([_row(工号="E-2")]))
    assert ok.ok and M.objects.get(id_number=MAN).employee_number == "E-2"
    again = roster_import(actor=world.admin, file=_xlsx([_row(工号="E-2")]))  # its own number
    assert again.ok and again.unchanged == 1
