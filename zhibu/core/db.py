"""Database connection set-up shared by every app."""

from __future__ import annotations

import datetime

from django.db.backends.signals import connection_created


def use_compiled_timestamptz_loader(sender, connection, **kwargs) -> None:
    """On PostgreSQL with psycopg 3, load `timestamptz` values with psycopg's compiled loader.

    Django registers a pure-Python loader that re-attaches the connection's time zone to each
    value; it costs ~4.5 µs a value, and the compliance loader reads millions of them (every
    meeting has six). Django sets the session's TimeZone to UTC when USE_TZ is on, and then the
    compiled loader returns the very same values (aware, `datetime.timezone.utc`), ~7× faster.
    Any other set-up keeps Django's loader."""
    if connection.vendor != "postgresql" or connection.timezone is not datetime.UTC:
        return
    try:
        import psycopg
        from psycopg.postgres import types
        from psycopg.pq import Format
    except ImportError:  # psycopg2: Django's own set-up applies
        return
    compiled = psycopg.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)

    class UTCTimestamptzLoader:
        # Django compares this attribute with the connection's time zone before each cursor.
        timezone = datetime.UTC
        format = Format.TEXT

        def __init__(self, oid: int, context=None) -> None:
            self.oid = oid
            self.load = compiled(oid, context).load  # the compiled method, called directly

    connection.connection.adapters.register_loader("timestamptz", UTCTimestamptzLoader)


def connect_signals() -> None:
    connection_created.connect(use_compiled_timestamptz_loader, dispatch_uid="zhibu-timestamptz")
