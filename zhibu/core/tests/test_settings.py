"""Settings come from the environment and fail loudly on malformed values."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from zhibu import settings as zs


def load(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Import the settings module in a fresh interpreter with `env` on top of ours."""
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "-c", "import zhibu.settings"],
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


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


def test_refuses_production_with_the_demo_secret_key():
    result = load({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is the demo key" in result.stderr
    ok = load({"DEBUG": "0", "SECRET_KEY": "a-long-random-production-secret-value-1234567890"})
    assert ok.returncode == 0, ok.stderr


def test_defaults_for_the_demo():
    assert zs.TIME_ZONE == "Asia/Shanghai"
    assert zs.LANGUAGE_CODE == "zh-hans"
    assert zs.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
