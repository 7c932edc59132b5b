"""`zhibu backup` / `zhibu restore`: one dated archive with the database dump, the media folder
and a manifest of every table's row count and row hash, so a restore can prove it is complete.

The dump is the vendor's own: SQLite's online backup API (safe while the site runs), `pg_dump`
or `mariadb-dump`/`mysqldump` when on PATH. The row hash is order-independent (the sum of each
row's SHA-256 modulo 2^256), so it streams over any table size and does not depend on the
order the database returns rows in.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

MANIFEST = "manifest.json"
MEDIA_DIR = "media"
DUMP_NAMES = {
    "sqlite": "database.sqlite3",
    "postgresql": "database.pgdump",
    "mysql": "database.sql",
}
_MOD = 1 << 256


class BackupError(Exception):
    """A backup or restore that cannot proceed; the message is one line saying what to do."""


def _value(value: Any) -> str:
    """One cell as text, the same for the same stored value on one vendor."""
    if value is None:
        return "\x00N"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes | bytearray):
        return "\x00B" + bytes(value).hex()
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def hash_rows(cursor, table: str, quoted: str) -> dict:
    """Row count and order-independent row hash of one table."""
    cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - the name comes from introspection
    total, rows = 0, 0
    while batch := cursor.fetchmany(2000):
        for row in batch:
            digest = hashlib.sha256("\x1f".join(_value(v) for v in row).encode()).digest()
            total = (total + int.from_bytes(digest, "big")) % _MOD
            rows += 1
    return {"rows": rows, "sha256": f"{total:064x}"}


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    found = conn.execute(
        "SELECT name FROM sqlite_master"
        " WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [name for (name,) in found]


def sqlite_file_hashes(path: str | Path) -> dict:
    """Table hashes read from an SQLite file with the plain driver (no type conversion), so the
    live database, the backup copy and the restored file are read the same way."""
    conn = sqlite3.connect(str(path))
    try:
        cursor = conn.cursor()
        return {
            t: hash_rows(cursor, t, '"' + t.replace('"', '""') + '"') for t in _sqlite_tables(conn)
        }
    finally:
        conn.close()


def table_hashes(alias: str = DEFAULT_DB_ALIAS) -> dict:
    """Every table's row count and hash in the configured database."""
    connection = connections[alias]
    if connection.vendor == "sqlite":
        return sqlite_file_hashes(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        names = sorted(connection.introspection.table_names(cursor))
        return {t: hash_rows(cursor, t, connection.ops.quote_name(t)) for t in names}


def _tool(*names: str, package: str) -> str:
    for name in names:
        if found := shutil.which(name):
            return found
    raise BackupError(
        f"找不到 {' 或 '.join(names)}，请先安装 {package}（例如 apt-get install {package}）。"
    )


def _pg_args(db: dict) -> tuple[list[str], dict]:
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _my_args(db: dict) -> tuple[list[str], dict]:
    args = []
    if db.get("HOST"):
        args += [f"--host={db['HOST']}"]
    if db.get("PORT"):
        args += [f"--port={db['PORT']}"]
    if db.get("USER"):
        args += [f"--user={db['USER']}"]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["MYSQL_PWD"] = str(db["PASSWORD"])
    return args, env


def _run(cmd: list[str], env: dict, **kwargs) -> None:
    kwargs.setdefault("stdout", subprocess.PIPE)
    done = subprocess.run(cmd, env=env, stderr=subprocess.PIPE, **kwargs)  # noqa: S603
    if done.returncode:
        err = (done.stderr or b"").decode(errors="replace").strip().splitlines()
        raise BackupError(f"{Path(cmd[0]).name} 失败：{err[-1] if err else done.returncode}")


def _dump(alias: str, target: Path) -> dict:
    """Write the vendor's dump to `target`; return the table hashes of exactly what was dumped."""
    connection = connections[alias]
    db = connection.settings_dict
    vendor = connection.vendor
    if vendor == "sqlite":
        connection.ensure_connection()
        dst = sqlite3.connect(str(target))
        try:
            connection.connection.backup(dst)
        finally:
            dst.close()
        return sqlite_file_hashes(target)
    if vendor == "postgresql":
        pg_dump = _tool("pg_dump", package="postgresql-client")
        args, env = _pg_args(db)
        # One snapshot for the hashes and the dump: a write in between cannot make them differ.
        connection.set_autocommit(False)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SELECT pg_export_snapshot()")
                (snapshot,) = cursor.fetchone()
            hashes = table_hashes(alias)
            cmd = [pg_dump, *args, "-Fc", "--no-owner", "--no-acl", f"--snapshot={snapshot}"]
            _run([*cmd, "-f", str(target), db["NAME"]], env)
        finally:
            connection.rollback()
            connection.set_autocommit(True)
        return hashes
    if vendor == "mysql":
        tool = _tool("mariadb-dump", "mysqldump", package="mariadb-client")
        args, env = _my_args(db)
        # mysqldump cannot share a snapshot: the hashes are read right after the dump, and a
        # write in between shows as a mismatch at restore (stop the worker for an exact copy).
        with target.open("wb") as out:
            cmd = [tool, *args, "--single-transaction", "--routines", "--skip-lock-tables"]
            _run([*cmd, db["NAME"]], env, stdout=out)
        return table_hashes(alias)
    raise BackupError(f"不支持备份 {vendor} 数据库。")


def create_backup(out_dir: str | Path, *, alias: str = DEFAULT_DB_ALIAS, now=None) -> Path:
    """Write `zhibu-backup-<date>-<time>.tar.gz` into `out_dir` and return its path."""
    now = now or datetime.datetime.now(datetime.UTC)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    vendor = connections[alias].vendor
    archive = out_dir / f"zhibu-backup-{now.astimezone(datetime.UTC):%Y%m%d-%H%M%S}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="zhibu-backup-") as tmp:
        dump = Path(tmp) / DUMP_NAMES.get(vendor, "database")
        tables = _dump(alias, dump)
        manifest = {
            "created_at": now.isoformat(),
            "vendor": vendor,
            "zhibu_version": metadata.version("zhibu"),
            "database_file": dump.name,
            "tables": tables,
        }
        partial = archive.with_suffix(".part")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(now.timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=dump.name)
            media = Path(settings.MEDIA_ROOT)
            if media.is_dir():
                tar.add(media, arcname=MEDIA_DIR)
        partial.rename(archive)
    return archive


def database_is_empty(alias: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _drop_all(alias: str) -> None:
    connection = connections[alias]
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
        if connection.vendor == "mysql":
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            for name in names:
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)}")
            cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
        else:
            for name in names:
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)} CASCADE")


def restore_backup(
    archive: str | Path, *, replace: bool = False, alias: str = DEFAULT_DB_ALIAS
) -> dict:
    """Restore `archive` into the configured database and media folder, then check every table
    against the manifest. Returns the manifest; raises BackupError on any refusal or mismatch."""
    connection = connections[alias]
    vendor = connection.vendor
    db = connection.settings_dict
    with tempfile.TemporaryDirectory(prefix="zhibu-restore-") as tmp:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(tmp, filter="data")
        except (OSError, tarfile.TarError) as exc:
            raise BackupError(f"无法读取备份文件 {archive}：{exc}") from None
        try:
            manifest = json.loads((Path(tmp) / MANIFEST).read_text())
        except (OSError, ValueError):
            raise BackupError(f"{archive} 不是 zhibu 备份（缺少 {MANIFEST}）。") from None
        if manifest.get("vendor") != vendor:
            raise BackupError(
                f"备份来自 {manifest.get('vendor')} 数据库，当前配置的是 {vendor}，不能直接恢复。"
            )
        if not database_is_empty(alias) and not replace:
            raise BackupError("目标数据库不是空的；确认要覆盖其中的数据时请加 --replace。")
        dump = Path(tmp) / manifest["database_file"]
        if vendor == "sqlite":
            connection.close()
            src = sqlite3.connect(str(dump))
            dst = sqlite3.connect(str(db["NAME"]))
            try:
                src.backup(dst)
            finally:
                src.close()
                dst.close()
        elif vendor == "postgresql":
            pg_restore = _tool("pg_restore", package="postgresql-client")
            _drop_all(alias)
            args, env = _pg_args(db)
            _run([pg_restore, *args, "--no-owner", "--no-acl", "-d", db["NAME"], str(dump)], env)
        elif vendor == "mysql":
            client = _tool("mariadb", "mysql", package="mariadb-client")
            _drop_all(alias)
            args, env = _my_args(db)
            with dump.open("rb") as src:
                _run([client, *args, db["NAME"]], env, stdin=src)
        else:
            raise BackupError(f"不支持恢复 {vendor} 数据库。")
        connection.close()
        media_src = Path(tmp) / MEDIA_DIR
        if media_src.is_dir():
            shutil.copytree(media_src, settings.MEDIA_ROOT, dirs_exist_ok=True)
    found = table_hashes(alias)
    wrong = sorted(t for t, h in manifest["tables"].items() if found.get(t) != h)
    if wrong:
        raise BackupError(f"恢复后与备份清单不一致的表：{', '.join(wrong)}")
    return manifest
