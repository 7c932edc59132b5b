"""`zhibu import-roster FILE [--as USERNAME] [--dry-run]`: import a roster workbook."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from zhibu.members.roster import roster_import


class Command(BaseCommand):
    help = "导入党员名册（.xlsx）。有任何错误时不写入任何数据，列出每处错误并以状态码 1 退出。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="名册文件路径（.xlsx）")
        parser.add_argument(
            "--as",
            dest="username",
            help="以该账号的权限导入（默认以系统身份导入，不限范围）",
        )
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    def handle(self, *args, file, username=None, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"找不到账号：{username}")
        result = roster_import(actor=actor, file=path, dry_run=dry_run)
        if result.ignored_columns:
            ignored = "、".join(result.ignored_columns)
            self.stderr.write(f"以下列未识别，已忽略：{ignored}")
        for warning in result.warnings:
            self.stderr.write(f"请核对：第 {warning.row} 行 | {warning.column} | {warning.message}")
        if result.ok:
            self.stdout.write(result.summary())
            if result.transferred:
                self.stdout.write(f"其中 {result.transferred} 人调整了所在支部（已办理转接）")
            return
        self.stdout.write("第 R 行 | 列 | 原因")
        for error in result.errors:
            row = f"第 {error.row} 行" if error.row else "文件"
            self.stdout.write(f"{row} | {error.column or '-'} | {error.message}")
        self.stderr.write(f"共 {len(result.errors)} 处错误，未写入任何数据。请改正后重新导入。")
        raise SystemExit(1)
