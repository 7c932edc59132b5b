"""Settings come from the environment and fail loudly on malformed values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from zhibu import settings as zs

_OURS = ("DEBUG", "SECRET_KEY", "ZHIBU_DEMO", "DJANGO_ALLOW_ASYNC_UNSAFE")


def load(env: dict[str, str], code: str = "import zhibu.settings") -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with `env` on top of ours (without our own flags)."""
    clean = {k: v for k, v in os.environ.items() if k not in _OURS}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "zhibu.settings", **env},
        capture_output=True,
        text=True,
    )


PRODUCTION_KEY = "a-long-random-production-secret-value-1234567890-abcdefghijklmnop"


def test_typed_helpers_reject_malformed_values(monkeypatch):
    monkeypatch.setenv("X_BOOL", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL='perhaps' is not a boolean"):
        zs.env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "12a")
    with pytest.raises(ImproperlyConfigured, match="X_INT='12a' is not a whole number"):
        zs.env_int("X_INT", 1)
    monkeypatch.setenv("X_LIST", " a, b ,,")
    assert zs.env_list("X_LIST", []) == ["a", "b"]
    monkeypatch.setenv("X_BOOL", "Yes")
    assert zs.env_bool("X_BOOL", False) is True


def test_bad_database_url_names_the_variable(monkeypatch):
    monkeypatch.setenv("X_DB", "oracle://nobody@somewhere/db")
    with pytest.raises(ImproperlyConfigured, match="X_DB"):
        zs.env_database("X_DB", "sqlite:///:memory:")


def test_debug_is_off_by_default_and_settings_load_without_environment():
    """Development commands (migrate, makemigrations, tests) need no environment at all."""
    result = load({}, "import zhibu.settings as s; print(s.DEBUG, s.ZHIBU_DEMO)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_serving_refuses_the_demo_key_and_debug_unless_it_is_a_demo():
    serve = "import zhibu.wsgi"
    refused = load({}, serve)
    assert refused.returncode != 0 and "SECRET_KEY is the public demo key" in refused.stderr
    debug = load({"SECRET_KEY": PRODUCTION_KEY, "DEBUG": "1"}, serve)
    assert debug.returncode != 0 and "DEBUG=1 is for development only" in debug.stderr
    assert load({"SECRET_KEY": PRODUCTION_KEY}, serve).returncode == 0
    demo = load({"ZHIBU_DEMO": "1", "DEBUG": "1"}, serve)
    assert demo.returncode == 0, demo.stderr


def test_zhibu_serve_refuses_the_demo_key(settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.ZHIBU_DEMO = False
    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    with pytest.raises(CommandError, match="public demo key"):
        call_command("serve", "--port", "8123")


def _documented_production_env(tmp_path) -> dict[str, str]:
    """The environment file of docs/deployment.md §3, with a real key and local paths."""
    text = (Path(zs.BASE_DIR).parent / "docs" / "deployment.md").read_text()
    block = text.split("## 3.", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    env = {}
    for line in block.strip().splitlines():
        key, _, value = line.partition("=")
        env[key.strip()] = value.strip()
    env.update(
        SECRET_KEY=PRODUCTION_KEY,
        DATABASE_URL=f"sqlite:///{tmp_path / 'zhibu.sqlite3'}",
        ZHIBU_VAR_DIR=str(tmp_path),
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    return env


def test_check_deploy_is_clean_with_the_documented_production_variables(tmp_path):
    env = _documented_production_env(tmp_path)
    assert env["DEBUG"] == "0" and env["SECURE_HSTS_SECONDS"] == "31536000"
    check = (
        "from zhibu.cli import main; main(['system-check', '--deploy', '--fail-level', 'WARNING'])"
    )
    result = load(env, check)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # And the check does look: without the HTTPS variables it warns.
    bare = {k: v for k, v in env.items() if not k.startswith("SECURE_")}
    warned = load(bare, check)
    assert warned.returncode != 0 and "security.W004" in warned.stderr + warned.stdout


def test_https_and_session_settings_come_from_the_environment():
    code = (
        "import zhibu.settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_AGE, s.CSRF_COOKIE_SECURE)"
    )
    env = {
        "SECURE_HSTS_SECONDS": "600",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "SESSION_IDLE_MINUTES": "30",
        "SESSION_COOKIE_SECURE": "1",
    }
    result = load(env, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "600 True ('HTTP_X_FORWARDED_PROTO', 'https') 1800 True"
    bad = load({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"})
    assert bad.returncode != 0 and "SECURE_PROXY_SSL_HEADER" in bad.stderr


@pytest.mark.django_db
def test_an_idle_session_ends_and_an_active_one_goes_on(client, settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from zhibu.orgs.tests.factories import UserFactory

    settings.SESSION_COOKIE_AGE = 30 * 60
    user = UserFactory(username="idle")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(user)
    for minutes in (20, 40, 60):  # a request every 20 minutes keeps the session alive
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=60 + 31), tick=False):
        assert client.get("/").status_code == 302  # 31 idle minutes: back to the login page


def test_defaults_for_the_demo():
    assert zs.TIME_ZONE == "Asia/Shanghai"
    assert zs.LANGUAGE_CODE == "zh-hans"
    assert zs.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_sqlite_waits_for_a_concurrent_writer():
    """WAL and a busy timeout: a write during a big import waits instead of "database is locked"."""
    config = zs.env_database("X_NO_SUCH_URL", "sqlite:////tmp/zhibu-busy-check.sqlite3")
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert "busy_timeout=30000" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] == 30


def _sqlite_pair(path: Path, busy_seconds: int, monkeypatch):
    """Two independent Django connections to one SQLite file, configured as in production."""
    from django.db.utils import ConnectionHandler

    monkeypatch.setenv("SQLITE_BUSY_SECONDS", str(busy_seconds))
    config = zs.env_database("X_NO_SUCH_URL", f"sqlite:///{path}")
    return ConnectionHandler({"default": config})["default"], ConnectionHandler(
        {"default": dict(config)}
    )["default"]


def _hold_then_write(path: Path, busy_seconds: int, monkeypatch) -> float:
    """One connection holds a write transaction for 0.5 s while the other writes; the seconds
    the second write took (it raises when it does not wait)."""
    import threading
    import time

    first, second = _sqlite_pair(path, busy_seconds, monkeypatch)
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS t (v integer)")
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    holding = threading.Event()

    def hold():
        first.set_autocommit(False)  # BEGIN IMMEDIATE: the write lock from the first statement
        with first.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
            holding.set()
            time.sleep(0.5)
        first.commit()
        first.set_autocommit(True)

    first.inc_thread_sharing()
    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    started = time.monotonic()
    try:
        with second.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
        return time.monotonic() - started
    finally:
        holder.join()
        first.dec_thread_sharing()
        first.close()
        second.close()


def test_sqlite_write_waits_for_another_connections_transaction(
    tmp_path, monkeypatch, django_db_blocker
):
    """A write while another connection holds a write transaction waits for it instead of
    failing with "database is locked" (WAL plus the busy timeout)."""
    with django_db_blocker.unblock():
        waited = _hold_then_write(tmp_path / "busy.sqlite3", 30, monkeypatch)
    assert 0.3 < waited < 5
    import sqlite3

    rows = sqlite3.connect(tmp_path / "busy.sqlite3").execute("SELECT v FROM t ORDER BY v")
    assert [v for (v,) in rows] == [1, 2]


def test_sqlite_without_a_busy_timeout_fails_at_once(tmp_path, monkeypatch, django_db_blocker):
    """The control: with no busy timeout the same write fails, so the test above is real."""
    from django.db import OperationalError

    with django_db_blocker.unblock(), pytest.raises(OperationalError, match="locked"):
        _hold_then_write(tmp_path / "busy.sqlite3", 0, monkeypatch)
