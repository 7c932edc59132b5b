"""`zhibu backup` / `zhibu restore`: a round trip restores every table row for row."""

import io
import json
import tarfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhibu.core import backup
from zhibu.members.models import Member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "attachments").mkdir(parents=True)
    (settings.MEDIA_ROOT / "attachments" / "纪要.txt").write_text("会议纪要")
    return settings.MEDIA_ROOT


def _archive(out, capsys) -> str:
    call_command("backup", "-o", str(out))
    archives = list(out.glob("zhibu-backup-*.tar.gz"))
    assert len(archives) == 1
    assert str(archives[0]) in capsys.readouterr().out
    return str(archives[0])


def test_round_trip_restores_every_table(world, media, tmp_path, capsys):
    before = backup.table_hashes()
    assert before["members_member"]["rows"] == 6
    archive = _archive(tmp_path / "out", capsys)

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert "media/attachments/纪要.txt" in names
    assert manifest["tables"] == before
    assert manifest["zhibu_version"] and manifest["vendor"] in {"sqlite", "postgresql", "mysql"}

    # Changes after the backup: a renamed member, a removed one, a lost attachment.
    Member.objects.filter(pk=world.member.pk).update(name="改名")
    Member.objects.filter(pk=world.outside_member.pk).delete()
    (media / "attachments" / "纪要.txt").unlink()
    assert backup.table_hashes() != before

    with pytest.raises(CommandError, match="--replace"):
        call_command("restore", archive)
    assert Member.objects.get(pk=world.member.pk).name == "改名"  # refused: nothing touched

    call_command("restore", archive, "--replace")
    assert "与备份清单一致" in capsys.readouterr().out
    assert backup.table_hashes() == before
    assert Member.objects.get(pk=world.member.pk).name == "李党员"
    assert Member.objects.filter(pk=world.outside_member.pk).exists()
    assert (media / "attachments" / "纪要.txt").read_text() == "会议纪要"


def test_restore_names_the_tables_that_do_not_match(world, media, tmp_path, capsys):
    archive = _archive(tmp_path / "out", capsys)
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(tampered, "w:gz") as dst:
        for info in src.getmembers():
            data = src.extractfile(info) if info.isfile() else None
            if info.name == "manifest.json":
                manifest = json.load(data)
                manifest["tables"]["members_member"]["sha256"] = "0" * 64
                raw = json.dumps(manifest).encode()
                info.size = len(raw)
                data = io.BytesIO(raw)
            dst.addfile(info, data)
    with pytest.raises(CommandError, match="members_member"):
        call_command("restore", str(tampered), "--replace")


def test_a_missing_dump_tool_says_what_to_install(monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="postgresql-client"):
        backup._tool("pg_dump", package="postgresql-client")
    with pytest.raises(backup.BackupError, match="mariadb-dump 或 mysqldump"):
        backup._tool("mariadb-dump", "mysqldump", package="mariadb-client")


def test_row_hash_ignores_row_order():
    class Cursor:
        def __init__(self, rows):
            self.rows = rows

        def execute(self, sql):
            self.batches = [self.rows, []]

        def fetchmany(self, n):
            return self.batches.pop(0)

    a = backup.hash_rows(Cursor([(1, "甲"), (2, None)]), "t", "t")
    b = backup.hash_rows(Cursor([(2, None), (1, "甲")]), "t", "t")
    c = backup.hash_rows(Cursor([(2, ""), (1, "甲")]), "t", "t")
    assert a == b != c
    assert a["rows"] == 2


def test_round_trip_of_the_generated_demo_data(media, tmp_path, capsys):
    """Meetings, attendance, leave and make-ups too (dates, times, booleans, every vendor type)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from zhibu.demo.scale import build_scale
    from zhibu.orglife.models import Attendance

    with time_machine.travel(datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        build_scale(branches=3, members_per_branch=8, attendance_every=1)
    before = backup.table_hashes()
    assert before["orglife_attendance"]["rows"] > 0
    archive = _archive(tmp_path / "out", capsys)
    Attendance.objects.all().delete()
    call_command("restore", archive, "--replace")
    assert backup.table_hashes() == before
