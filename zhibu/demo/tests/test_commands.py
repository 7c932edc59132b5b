"""`zhibu createadmin`, `zhibu serve` argument checks, the demo table formatting."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhibu.accounts.models import User
from zhibu.demo.management.commands.demo import format_table


@pytest.mark.django_db
def test_createadmin_with_password_and_phone():
    out = StringIO()
    call_command(
        "createadmin",
        "--username",
        "root",
        "--phone",
        "１３９００００００００",
        "--password",
        "long-enough-Pass-42",
        stdout=out,
    )
    user = User.objects.get(username="root")
    assert user.is_superuser and user.is_staff and user.phone == "13900000000"
    assert user.check_password("long-enough-Pass-42")
    assert "root" in out.getvalue()


@pytest.mark.django_db
def test_createadmin_password_from_environment(monkeypatch):
    monkeypatch.setenv("ZHIBU_ADMIN_PASSWORD", "from-env-Pass-42")
    call_command("createadmin", stdout=StringIO())
    assert User.objects.get(username="admin").check_password("from-env-Pass-42")


@pytest.mark.django_db
def test_createadmin_refuses_existing_and_weak(monkeypatch):
    monkeypatch.delenv("ZHIBU_ADMIN_PASSWORD", raising=False)
    User.objects.create_user(username="admin", password="x")
    with pytest.raises(CommandError, match="已存在"):
        call_command("createadmin", "--password", "long-enough-Pass-42")
    with pytest.raises(CommandError, match="密码不符合要求"):
        call_command("createadmin", "--username", "boss", "--password", "123")
    with pytest.raises(CommandError, match="手机号"):
        call_command("createadmin", "--username", "boss", "--phone", "123", "--password", "x")
    assert not User.objects.filter(username="boss").exists()


def test_serve_rejects_bad_port():
    with pytest.raises(CommandError, match="端口"):
        call_command("serve", "--port", "70000")


@pytest.mark.django_db
def test_demo_rejects_bad_day():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("demo", "--no-serve", "--today", "2026-13-01")


def test_table_lines_up_with_chinese():
    text = format_table(["用户名", "角色"], [["admin", "系统管理员"], ["shuji", "书记"]])
    lines = text.splitlines()
    widths = {sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in line) for line in lines}
    assert len(widths) == 1


def test_demo_clock_agrees_with_a_given_day():
    from datetime import date

    from django.utils import timezone

    from zhibu.demo.services import demo_clock

    now, today = demo_clock(now=None, today=date(2026, 3, 15))
    assert today == date(2026, 3, 15) and timezone.localdate(now) == today
    now, today = demo_clock(now=None, today=None)
    assert today == timezone.localdate(now)


def test_demo_on_every_interface_accepts_the_lan_address(monkeypatch, settings):
    """`zhibu demo --host 0.0.0.0`: a phone on the same network may open the printed address."""
    from zhibu.demo.management.commands import demo

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    monkeypatch.setattr(demo, "lan_address", lambda: "192.168.1.20")
    out = StringIO()
    command = demo.Command(stdout=out)
    command._allow_lan(8000)
    assert "192.168.1.20" in settings.ALLOWED_HOSTS
    assert "http://192.168.1.20:8000/" in out.getvalue()
