"""`zhibu createadmin`: the first system administrator (a superuser) of a new installation."""

from __future__ import annotations

import getpass
import os
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zhibu.accounts.models import User
from zhibu.core.text import normalize_digits


class Command(BaseCommand):
    help = (
        "创建系统管理员（超级用户）。密码取自 --password、环境变量 ZHIBU_ADMIN_PASSWORD，"
        "或在终端中输入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin", help="用户名（默认 admin）")
        parser.add_argument("--phone", default="", help="手机号（可选，可用手机号登录）")
        parser.add_argument("--password", default="", help="密码（不建议在命令行中给出）")

    def handle(self, *args, **options):
        username = options["username"].strip()
        phone = normalize_digits(options["phone"].strip())
        if not username:
            raise CommandError("--username 不能为空。")
        if phone and not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
            raise CommandError(f"手机号 {phone} 格式不对，应为11位数字，以1开头。")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"账号 {username} 已存在。如需重设密码，请用 zhibu changepassword。")
        if phone and User.objects.filter(phone=phone).exists():
            raise CommandError(f"手机号 {phone} 已被其他账号使用，请换一个或不填。")
        password = options["password"] or os.environ.get("ZHIBU_ADMIN_PASSWORD", "")
        if not password:
            password = self._prompt()
        user = User(username=username, phone=phone or None, is_superuser=True, is_staff=True)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("密码不符合要求：" + "；".join(exc.messages)) from None
        user.set_password(password)
        user.first_name = "系统管理员"
        with transaction.atomic():
            user.full_clean()
            user.save()
        self.stdout.write(self.style.SUCCESS(f"已创建系统管理员 {username}。"))

    def _prompt(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError(
                "没有提供密码：请用 --password 或环境变量 ZHIBU_ADMIN_PASSWORD 给出，"
                "或在终端中交互运行。"
            )
        first = getpass.getpass("密码：")
        second = getpass.getpass("再输入一次：")
        if first != second:
            raise CommandError("两次输入的密码不一致。")
        return first
