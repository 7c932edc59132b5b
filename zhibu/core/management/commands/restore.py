"""`zhibu restore ARCHIVE [--replace]`: restore a `zhibu backup` archive and verify it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from zhibu.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "从 zhibu backup 的归档恢复数据库和附件，并按清单逐表核对行数和校验值。"

    def add_arguments(self, parser):
        parser.add_argument("archive", help="zhibu backup 生成的 .tar.gz 文件")
        parser.add_argument(
            "--replace", action="store_true", help="目标数据库不为空时，删除其中全部表后再恢复"
        )

    def handle(self, *args, **options):
        try:
            manifest = restore_backup(options["archive"], replace=options["replace"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        tables = manifest["tables"]
        rows = sum(t["rows"] for t in tables.values())
        self.stdout.write(
            f"已恢复 {len(tables)} 张表、{rows} 行，与备份清单一致（{manifest['created_at']}）。"
        )
