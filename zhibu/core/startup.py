"""What a serving process refuses to start with (`zhibu serve`, `zhibu.wsgi` under gunicorn).

Settings themselves load with demo defaults so that development commands (migrate,
makemigrations, tests) need no environment; serving real users with DEBUG on or with the
public demo SECRET_KEY (anyone can forge sessions and sign-in codes with it) is refused unless
ZHIBU_DEMO=1 says the instance is a demo.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def unsafe_production() -> list[str]:
    """Why this process must not serve, one sentence each; empty when it may."""
    if settings.ZHIBU_DEMO:
        return []
    problems = []
    if settings.DEBUG:
        problems.append(
            "DEBUG=1 is for development only: unset DEBUG in production, or set ZHIBU_DEMO=1 "
            "if this instance is a demo."
        )
    if settings.SECRET_KEY == settings.DEMO_SECRET_KEY:
        problems.append(
            "SECRET_KEY is the public demo key: set SECRET_KEY to a long random value "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(50))"), or set '
            "ZHIBU_DEMO=1 if this instance is a demo."
        )
    return problems


def refuse_unsafe_production() -> None:
    problems = unsafe_production()
    if problems:
        raise ImproperlyConfigured("zhibu refuses to serve: " + " ".join(problems))
