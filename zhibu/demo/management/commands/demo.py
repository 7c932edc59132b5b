"""`zhibu demo`: build demo data and serve it.

The demo only ever writes into a database it created itself: one without any table (a new
embedded SQLite file, an empty DATABASE_URL database), which it then marks with the
`zhibu_demo_marker` table, or one already carrying that mark, which it empties and rebuilds.
Anything else — the production database, an old file, a database some other program made — is
refused with its location and how to choose another; nothing there is touched.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from zhibu.demo.county import DEMO_PASSWORD
from zhibu.demo.scale import PRESETS, build_scale
from zhibu.demo.services import DEFAULT_SEED, demo_build

LABELS = {
    "orgs.Organization": "党组织（含党小组）",
    "members.Member": "党员",
    "members.BranchTenure": "所在支部记录（含转接）",
    "members.CommitteePosition": "支委和党小组长职务",
    "accounts.User": "账号",
    "orgs.Grant": "授权",
    "orglife.Plan": "组织生活计划",
    "orglife.Meeting": "会议和活动",
    "orglife.Attendance": "出勤记录",
    "orglife.LeaveRequest": "请假",
    "orglife.Makeup": "补课",
    "orglife.ProcedureStep": "程序步骤",
    "orglife.Decision": "决定事项",
    "orglife.DiscussionEntry": "讨论发言",
    "orglife.Amendment": "补记修改",
    "reports.ThoughtReport": "思想汇报",
    "reports.WorkReport": "支部工作报告",
}
# Tables a wipe keeps: migration state and the rows Django derives from the code.
_KEEP = {"django_migrations", "django_content_type", "auth_permission"}


def lan_address() -> str | None:
    """This machine's address on the local network (the interface of the default route), or
    None without one. A UDP "connect" sends nothing; it only picks the interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def wipe_data(connection) -> None:
    """Empty every data table (transactionally where the database allows) before a rebuild."""
    existing = set(connection.introspection.table_names())
    tables = sorted(
        {
            m._meta.db_table
            for m in apps.get_models(include_auto_created=True)
            if m._meta.managed and not m._meta.proxy
        }
        & existing - _KEEP
    )
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=False)
    connection.ops.execute_sql_flush(statements)


MARKER_TABLE = "zhibu_demo_marker"
EMPTY, DEMO, FOREIGN = "empty", "demo", "foreign"


def database_state(connection) -> str:
    """EMPTY (no table at all), DEMO (carries the demo's mark) or FOREIGN (anything else)."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and name and name != ":memory:":
        path = Path(name)
        # Looked at before connecting: connecting would create the file.
        if not path.exists() or path.stat().st_size == 0:
            return EMPTY
    tables = set(connection.introspection.table_names())
    if MARKER_TABLE in tables:
        return DEMO
    return FOREIGN if tables else EMPTY


def mark_demo_database(connection) -> None:
    """Write the mark that lets a later `zhibu demo` empty this database again."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {MARKER_TABLE} (created_at VARCHAR(40) NOT NULL)")
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (created_at) VALUES (%s)",
            [datetime.now(UTC).isoformat(timespec="seconds")],
        )


def unmark_demo_database(connection) -> None:
    """Remove the mark (tests hand the test database back as they found it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {MARKER_TABLE}")


def describe(connection) -> str:
    """Where the database is, without its password."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(Path(str(s.get("NAME"))).resolve())
    host = s.get("HOST") or "localhost"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"{connection.vendor}://{s.get('USER') or ''}@{host}{port}/{s.get('NAME')}"


def refusal(connection, *, embedded: bool) -> str:
    where = describe(connection)
    how = (
        "请另选位置：设置 ZHIBU_VAR_DIR=另一个目录（演示库建在其中的 zhibu.sqlite3），"
        "或 DATABASE_URL=一个空数据库（例如 sqlite:///tmp/zhibu-demo.sqlite3）。"
        if embedded
        else "请把 DATABASE_URL 指向一个空数据库（例如 sqlite:///tmp/zhibu-demo.sqlite3），"
        "或去掉 DATABASE_URL 使用内置演示库。"
    )
    return (
        f"数据库 {where} 不是 zhibu demo 创建的（没有演示标记），演示不会改动其中任何数据。"
        f"{how}确实不再需要其中的数据时，请自行删除它后再运行 zhibu demo。"
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table that lines up with Chinese (double-width) characters."""
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def fmt(cells: list[str]) -> str:
        return "| " + " | ".join(_pad(str(c), w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line, fmt(header), line, *(fmt(row) for row in rows), line]
    return "\n".join(out)


class Command(BaseCommand):
    help = "生成演示数据（一个县直机关工委及一年的组织生活）并启动网站。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="只生成数据，不启动网站")
        parser.add_argument("--no-worker", action="store_true", help="不在进程内运行后台任务")
        parser.add_argument(
            "--scale",
            choices=["county", "city", "province"],
            default="county",
            help="county：约30个支部600名党员（默认）；city：约1万个支部20万党员；"
            "province：约30万个支部600万党员",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--today", help="以哪一天为“今天”（YYYY-MM-DD，默认今天）")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(
                    "--today 应为 YYYY-MM-DD 格式的日期，例如 2026-11-30。"
                ) from None
        self._prepare_database()

        started = time.perf_counter()
        scale = options["scale"]
        if scale == "county":
            result = demo_build(seed=options["seed"], today=today)
            timings, counts = result.timings, result.counts
        else:
            branches, per_branch, every = PRESETS[scale]
            self.stdout.write(
                f"正在生成{scale}规模数据：{branches}个支部，每支部约{per_branch}名党员……"
            )
            res = build_scale(
                branches=branches,
                members_per_branch=per_branch,
                seed=options["seed"],
                today=today,
                attendance_every=every,
                admin_password=DEMO_PASSWORD,
                progress=self.stdout.write,
            )
            timings, counts = res.timings, res.counts
        self.stdout.write("")
        self.stdout.write(
            format_table(
                ["数据", "条数"], [[LABELS.get(k, k), f"{n:,}"] for k, n in counts.items()]
            )
        )
        for label, seconds in timings:
            self.stdout.write(f"{label}：{seconds:.1f} 秒")
        self.stdout.write(f"合计：{time.perf_counter() - started:.1f} 秒")
        self.stdout.write("")
        if scale == "county":
            self._print_accounts(result)
        else:
            self.stdout.write(f"系统管理员：admin / {DEMO_PASSWORD}")
        if options["no_serve"]:
            return
        if not options["no_worker"]:
            self._start_worker()
        if options["host"] in ("0.0.0.0", "::"):
            self._allow_lan(options["port"])
        call_command("serve", host=options["host"], port=options["port"])

    def _allow_lan(self, port: int) -> None:
        """Serving on every interface to try sign-in from a phone on the same network: accept
        this machine's LAN address as a host and say which address to open."""
        address = lan_address()
        if address is None:
            return
        if address not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS.append(address)
        self.stdout.write(
            f"同一网络中的手机请打开：http://{address}:{port}/（签到二维码也用这个地址）"
        )

    def _prepare_database(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        name = str(connection.settings_dict.get("NAME") or "")
        embedded = Path(settings.VAR_DIR) / "zhibu.sqlite3"
        is_embedded = (
            not os.environ.get("DATABASE_URL")
            and connection.vendor == "sqlite"
            and bool(name)
            and Path(name).resolve() == embedded.resolve()
        )
        state = database_state(connection)
        if state == FOREIGN:
            raise CommandError(refusal(connection, embedded=is_embedded))
        if state == DEMO and is_embedded:
            connection.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{embedded}{suffix}").unlink(missing_ok=True)
            self.stdout.write(f"重建演示数据库 {embedded} ……")
            mark_demo_database(connection)
            call_command("migrate", interactive=False, verbosity=0)
            return
        if state == EMPTY:
            mark_demo_database(connection)
            self.stdout.write(f"新建演示数据库 {describe(connection)} ……")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write("正在迁移数据库……")
            call_command("migrate", interactive=False, verbosity=0)
        if state == DEMO:
            self.stdout.write(f"清空并重建演示数据库 {describe(connection)} ……")
            wipe_data(connection)

    def _print_accounts(self, result) -> None:
        rows = [
            [a.username, a.phone or "—", DEMO_PASSWORD, a.role, a.where]
            for a in result.county.accounts
            if a.listed
        ]
        self.stdout.write("演示账号（可用用户名或手机号登录）：")
        self.stdout.write(format_table(["用户名", "手机号", "密码", "角色", "所在组织"], rows))
        others = [a.username for a in result.county.accounts if not a.listed]
        if others:
            self.stdout.write(
                f"其他支部书记账号：{others[0]} … {others[-1]}（共{len(others)}个，密码相同）"
            )

    def _start_worker(self) -> None:
        """Run the background worker in-process when the notify app provides one."""
        try:
            from zhibu.notify import worker
        except ImportError:
            return
        run = getattr(worker, "run", None)
        if run is None:
            return
        stop = threading.Event()

        def target() -> None:
            try:
                run(stop)
            except Exception as exc:  # the demo site keeps running without reminders
                self.stderr.write(f"后台任务已停止：{exc}")

        threading.Thread(target=target, name="zhibu-worker", daemon=True).start()
        self.stdout.write("后台任务已在进程内启动。")
