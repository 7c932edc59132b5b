"""The `zhibu` console script: every Django management command, with dashes allowed.

zhibu demo            build the demo database and serve it on 127.0.0.1:8000
zhibu serve           serve with waitress (production WSGI server)
zhibu import-roster   import a roster .xlsx
zhibu check           compliance verdicts (compliance_check); exits 1 on high-severity not_met
zhibu system-check    Django's own system check
zhibu migrate, zhibu createadmin, ...
"""

import os
import sys

from django.core.management import ManagementUtility
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

# Commands whose `zhibu` name differs from the Django command name.
ALIASES = {"check": "compliance_check", "system_check": "check"}
# Exit code of a command stopped because the database is not migrated (1 is `zhibu check`'s
# "a high-severity rule is not met").
EXIT_NOT_MIGRATED = 2


def command_name(typed: str) -> str:
    """The Django command that `zhibu <typed>` runs."""
    name = typed.replace("-", "_")
    return ALIASES.get(name, name)


class Utility(ManagementUtility):
    """Django's dispatcher under the `zhibu` names: the command is looked up by its Django
    name, while usage and help keep the name as typed ("usage: zhibu check")."""

    def fetch_command(self, subcommand: str):
        return super().fetch_command(command_name(subcommand))


def unmigrated_message() -> str | None:
    """Why the database cannot serve the commands yet, in one line — it was never migrated,
    has unapplied migrations, or cannot be reached — or None when it is up to date (the
    error that led here is then a real one)."""
    from django.db.migrations.executor import MigrationExecutor
    from django.utils.translation import gettext as _

    connection = connections[DEFAULT_DB_ALIAS]
    try:
        if "django_migrations" not in connection.introspection.table_names():
            return _("数据库尚未初始化，请先运行 zhibu migrate")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return _("数据库有尚未执行的迁移，请先运行 zhibu migrate")
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _("无法访问数据库：%(error)s") % {"error": first_line}
    return None


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and command_name(args[0]) == "demo":
        # The demo says it is one, so the public demo key and DEBUG=1 are allowed there only.
        os.environ.setdefault("ZHIBU_DEMO", "1")
    try:
        Utility(["zhibu", *args]).execute()
    except DatabaseError:
        # A command reading tables the database does not have yet gives one line and a
        # non-zero exit, not a traceback; any other database error is raised as it is.
        message = unmigrated_message()
        if message is None:
            raise
        sys.stderr.write(message + "\n")
        sys.exit(EXIT_NOT_MIGRATED)


if __name__ == "__main__":
    main()
