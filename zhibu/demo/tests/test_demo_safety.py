"""`zhibu demo` never deletes a database it did not create (the probe wiped a real one)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from zhibu.demo.management.commands.demo import (
    DEMO,
    EMPTY,
    FOREIGN,
    database_state,
    mark_demo_database,
)


def _foreign_sqlite(path: Path) -> str:
    """A database some other program made, holding real rows; returns its content hash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE accounts_user (id INTEGER PRIMARY KEY, username TEXT)")
        db.execute("INSERT INTO accounts_user (username) VALUES ('real-secretary')")
    db.close()
    return _content(path)


def _content(path: Path) -> str:
    """Hash of the schema and every row (the header's journal mode may change on opening)."""
    db = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(db.iterdump()).encode()).hexdigest()
    finally:
        db.close()


def _demo(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZHIBU_DEMO")}
    return subprocess.run(
        [sys.executable, "-m", "zhibu.cli", "demo", "--no-serve"],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refuses_the_embedded_file_it_did_not_create(tmp_path):
    """Without DATABASE_URL the default (also production's) file is not deleted any more."""
    target = tmp_path / "var" / "zhibu.sqlite3"
    before = _foreign_sqlite(target)
    result = _demo({"ZHIBU_VAR_DIR": str(tmp_path / "var")})
    assert result.returncode != 0
    assert str(target.resolve()) in result.stderr
    assert "不是 zhibu demo 创建的" in result.stderr and "ZHIBU_VAR_DIR" in result.stderr
    assert _content(target) == before


def test_refuses_a_database_url_it_did_not_create(tmp_path):
    target = tmp_path / "prod.sqlite3"
    before = _foreign_sqlite(target)
    result = _demo({"ZHIBU_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": f"sqlite:///{target}"})
    assert result.returncode != 0
    assert str(target.resolve()) in result.stderr and "DATABASE_URL" in result.stderr
    assert _content(target) == before


def _sqlite_connection(path: Path):
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}}
    )
    return handler["default"]


def test_state_of_a_database(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        _check_states(tmp_path)


def _check_states(tmp_path):
    fresh = tmp_path / "new.sqlite3"
    connection = _sqlite_connection(fresh)
    assert database_state(connection) == EMPTY
    assert not fresh.exists()  # looking did not create it
    _foreign_sqlite(fresh)
    assert database_state(connection) == FOREIGN
    marked = _sqlite_connection(tmp_path / "demo.sqlite3")
    mark_demo_database(marked)
    assert database_state(marked) == DEMO
    connection.close()
    marked.close()


@pytest.mark.django_db
def test_the_migrated_test_database_is_foreign_until_marked():
    """A migrated database without the mark (production after `zhibu migrate`) is refused."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不是 zhibu demo 创建的"):
        call_command("demo", "--no-serve")
