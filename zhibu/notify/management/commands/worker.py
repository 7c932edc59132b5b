import signal
import threading

from django.core.management.base import BaseCommand

from zhibu.notify import worker


class Command(BaseCommand):
    help = "运行后台任务：合规评估、提醒计划和消息投递（可多实例并行）。"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between batches")
        parser.add_argument("--plan-every", type=float, default=60.0)
        parser.add_argument("--evaluate-every", type=float, default=900.0)

    def handle(self, *args, **options):
        stop = threading.Event()

        def on_signal(signum, frame):
            self.stderr.write("worker: stopping after the current row")
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.stdout.write("worker: started")
        self.stdout.flush()
        worker.run(
            stop,
            interval=options["interval"],
            plan_every=options["plan_every"],
            evaluate_every=options["evaluate_every"],
            once=options["once"],
        )
        self.stdout.write("worker: stopped")
