"""The `zhibu` console script: every Django management command, with dashes allowed.

zhibu demo            build the demo database and serve it on 127.0.0.1:8000
zhibu serve           serve with waitress (production WSGI server)
zhibu import-roster   import a roster .xlsx
zhibu migrate, zhibu createadmin, zhibu check, ...
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zhibu", *args])


if __name__ == "__main__":
    main()
