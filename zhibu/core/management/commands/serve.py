"""`zhibu serve`: the production WSGI server (waitress), no other process needed.

Static files are served by whitenoise from STATIC_ROOT (run `zhibu collectstatic` first when
DEBUG is off). Put nginx or another reverse proxy in front for TLS.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhibu.core.startup import unsafe_production


class Command(BaseCommand):
    help = "用 waitress 启动网站（生产可用）。示例：zhibu serve --host 0.0.0.0 --port 8000"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
        parser.add_argument("--threads", type=int, default=8, help="工作线程数（默认 8）")

    def handle(self, *args, **options):
        host, port, threads = options["host"], options["port"], options["threads"]
        if not 0 < port < 65536:
            raise CommandError(f"端口 {port} 无效，请使用 1–65535 之间的数字。")
        if threads < 1:
            raise CommandError("--threads 至少为 1。")
        problems = unsafe_production()
        if problems:
            raise CommandError(" ".join(problems))
        import waitress

        from zhibu.wsgi import application

        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.stdout.write(f"zhibu 正在运行：http://{shown}:{port}/  （按 Ctrl-C 停止）")
        if settings.ZHIBU_DEMO:
            self.stdout.write("提示：这是演示站（ZHIBU_DEMO=1），请勿录入真实数据。")
        self.stdout.flush()
        try:
            waitress.serve(
                application,
                host=host,
                port=port,
                threads=threads,
                # Behind a reverse proxy, trust its X-Forwarded-* headers only from loopback.
                trusted_proxy="127.0.0.1",
                trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"},
                clear_untrusted_proxy_headers=True,
                ident="zhibu",
            )
        except OSError as exc:
            raise CommandError(
                f"无法监听 {host}:{port}：{exc}。端口可能已被占用，请换用 --port。"
            ) from None
        except KeyboardInterrupt:
            self.stdout.write("已停止。")
