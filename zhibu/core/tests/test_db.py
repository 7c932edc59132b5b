import datetime

import pytest
from django.db import connection

from zhibu.core.db import use_compiled_timestamptz_loader

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the loader is PostgreSQL's"
)


@postgres_only
def test_postgresql_loads_timestamptz_with_the_compiled_loader():
    connection.ensure_connection()
    from psycopg.postgres import types
    from psycopg.pq import Format

    loader = connection.connection.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
    assert loader.__name__ == "UTCTimestamptzLoader"
    moment = datetime.datetime(2026, 3, 31, 16, 30, 5, 123456, tzinfo=datetime.UTC)
    shanghai = "2026-04-01 00:30:05.123456+08"
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, NULL::timestamptz", [shanghai])
        loaded, null = cursor.fetchone()
    assert loaded == moment and loaded.tzinfo is datetime.UTC and null is None


def test_other_time_zone_settings_keep_djangos_loader(monkeypatch):
    class Adapters:
        registered = []

        def register_loader(self, *args):
            self.registered.append(args)

    class Wrapper:
        vendor = "postgresql"
        timezone = datetime.timezone(datetime.timedelta(hours=8))
        connection = type("Raw", (), {"adapters": Adapters()})()

    use_compiled_timestamptz_loader(None, Wrapper())
    assert Adapters.registered == []
