"""The background loop: compliance sweep, reminder planning and delivery — no broker.

Like healthchecks' `sendalerts`: rows are claimed with a conditional UPDATE, so several workers
may run at once (on PostgreSQL) without doing the same work twice. A job that raises is logged
and the loop goes on; SIGTERM finishes the current row and exits.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections
from django.utils import timezone

from zhibu.notify import planners, services

log = logging.getLogger("zhibu.worker")


def _evaluate_due() -> None:
    from zhibu.compliance import services as compliance

    evaluate = getattr(compliance, "evaluate_due", None)
    if evaluate is not None:
        evaluate(now=timezone.now())


def run(
    stop: threading.Event,
    *,
    interval: float = 5.0,
    plan_every: float = 60.0,
    evaluate_every: float = 900.0,
    once: bool = False,
) -> None:
    jobs = [
        ("evaluate", evaluate_every, _evaluate_due),
        ("plan", plan_every, lambda: planners.run_planners()),
    ]
    last_run: dict[str, float | None] = {name: None for name, _, _ in jobs}  # None: run now
    while not stop.is_set():
        close_old_connections()
        for name, every, job in jobs:
            if stop.is_set():
                break
            previous = last_run[name]
            if once or previous is None or time.monotonic() - previous >= every:
                last_run[name] = time.monotonic()
                try:
                    job()
                except Exception:
                    log.exception("worker job %s failed; continuing", name)
        try:
            while not stop.is_set() and services.deliver_due(should_stop=stop.is_set):
                pass
        except Exception:
            log.exception("delivery batch failed; continuing")
        if once:
            break
        stop.wait(interval)
    close_old_connections()


def start_in_thread(**kwargs) -> tuple[threading.Thread, threading.Event]:
    """For `zhibu demo`: run the worker beside the web server in the same process."""
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(stop,), kwargs=kwargs, daemon=True)
    thread.start()
    return thread, stop
