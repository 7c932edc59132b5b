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

# Commands whose `zhibu` name differs from the Django command name.
ALIASES = {"check": "compliance_check", "system_check": "check"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
        args[0] = ALIASES.get(args[0], args[0])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zhibu", *args])


if __name__ == "__main__":
    main()
