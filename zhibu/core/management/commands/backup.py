"""`zhibu backup [-o DIR]`: one dated archive with the database dump, media and a manifest."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhibu.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "备份数据库和附件到一个带日期的归档（tar.gz），内含每张表的行数和校验值。"

    def add_arguments(self, parser):
        parser.add_argument(
            "-o",
            "--output",
            default=str(settings.VAR_DIR / "backups"),
            help="输出目录（默认 var/backups）",
        )

    def handle(self, *args, **options):
        try:
            archive = create_backup(options["output"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"备份已写入 {archive}")
