"""The member list finds names by pinyin initials and lists them in pinyin order, in one query."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhibu.members import services
from zhibu.members.models import Member
from zhibu.members.roster import roster_import
from zhibu.members.tests.factories import MemberFactory
from zhibu.members.tests.test_roster import good_row, xlsx

pytestmark = pytest.mark.django_db


def names(client, **params) -> list[str]:
    """The names on the list page, in the order shown."""
    response = client.get(reverse("members:list"), params)
    assert response.status_code == 200
    return [m.name for m, _pf in response.context["rows"]]


def test_services_store_reading_and_initials(world):
    member = MemberFactory(branch=world.branch, name="张博昊")
    member.refresh_from_db()
    assert (member.name_pinyin, member.name_initials) == ("zhang bo hao", "zbh")
    services.member_update(actor=world.admin, member=member, name="单田芳")
    member.refresh_from_db()
    assert (member.name_pinyin, member.name_initials) == ("shan tian fang", "stf")


def test_search_by_initials_finds_the_name(client, world):
    MemberFactory(branch=world.branch, name="张博昊")
    MemberFactory(branch=world.branch, name="张伯")
    MemberFactory(branch=world.branch, name="赵斌")
    client.force_login(world.admin)
    assert names(client, q="zbh") == ["张博昊"]
    assert names(client, q="ZBH") == ["张博昊"]  # case does not matter
    assert names(client, q="zb") == ["张伯", "张博昊", "赵斌"]  # zhang bo, zhang bo hao, zhao bin
    assert "张博昊" in names(client, q="zhang")  # the start of the reading works too
    assert "赵斌" not in names(client, q="zhang")
    assert names(client, q="博昊") == ["张博昊"]  # characters still work


def test_list_is_in_pinyin_order_not_code_point(client, world):
    for name in ("张三丰", "艾青", "王五", "李四", "曾国藩"):
        MemberFactory(branch=world.branch, name=name)
    client.force_login(world.admin)
    shown = [n for n in names(client) if n in {"张三丰", "艾青", "王五", "李四", "曾国藩"}]
    assert shown == ["艾青", "李四", "王五", "曾国藩", "张三丰"]


def test_search_by_initials_is_one_list_query(client, world):
    for i in range(5):
        MemberFactory(branch=world.branch, name=f"张博{'昊一二三四'[i]}")
    client.force_login(world.admin)
    client.get(reverse("members:list"))  # the day's first read also writes the audit log
    with CaptureQueriesContext(connection) as plain:
        client.get(reverse("members:list"))
    with CaptureQueriesContext(connection) as searched:
        response = client.get(reverse("members:list"), {"q": "zb"})
    assert len(response.context["rows"]) == 5
    assert len(searched.captured_queries) == len(plain.captured_queries)


def test_roster_import_fills_initials(world):
    """The import bulk-creates (no save()); Member.clean fills the columns before that."""
    row = good_row(1, 姓名="张博昊")
    assert roster_import(actor=world.admin, file=xlsx([row])).ok
    member = Member.objects.get(id_number=row["身份证号"])
    assert (member.name_pinyin, member.name_initials) == ("zhang bo hao", "zbh")


def test_migration_fills_existing_rows(world):
    member = MemberFactory(branch=world.branch, name="曾国藩")
    Member.objects.filter(pk=member.pk).update(name_pinyin="", name_initials="")
    migration = importlib.import_module("zhibu.members.migrations.0005_member_name_pinyin")
    migration.fill_pinyin(apps, None)
    member.refresh_from_db()
    assert (member.name_pinyin, member.name_initials) == ("zeng guo fan", "zgf")
