"""Building demo data into the current database (a system job: no actor, no scope checks)."""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from zhibu.demo.county import DEMO_PASSWORD, County, build_county
from zhibu.demo.orglife_year import build_year
from zhibu.demo.reports_year import build_reports
from zhibu.demo.scale import PRESETS, ScaleResult
from zhibu.demo.scale import build_scale as _build_scale
from zhibu.demo.writer import Sink

DEFAULT_SEED = 2026


@dataclass
class DemoResult:
    county: County
    counts: dict[str, int]
    timings: list[tuple[str, float]] = field(default_factory=list)


def demo_clock(*, now: datetime | None, today: date | None) -> tuple[datetime, date]:
    """`now` and `today` that agree: a given day alone means 10:00 local time that day."""
    if now is None:
        now = timezone.now()
        if today is not None and today != timezone.localdate(now):
            now = datetime.combine(today, time(10), tzinfo=timezone.get_default_timezone())
    return now, today or timezone.localdate(now)


def demo_build(
    *,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    now: datetime | None = None,
    password: str = DEMO_PASSWORD,
) -> DemoResult:
    """The county demo with a year of organizational life, in one transaction."""
    now, today = demo_clock(now=now, today=today)
    timings: list[tuple[str, float]] = []
    with transaction.atomic():
        sink = Sink()
        t0 = _time.perf_counter()
        county = build_county(sink=sink, seed=seed, today=today, password=password)
        sink.flush()
        t1 = _time.perf_counter()
        timings.append(("组织、党员、账号", t1 - t0))
        year = build_year(sink=sink, county=county, seed=seed, now=now)
        if apps.is_installed("zhibu.reports"):
            build_reports(sink=sink, county=county, year=year, seed=seed, now=now)
        counts = sink.close()
        if apps.is_installed("zhibu.reports"):
            from zhibu.demo.cycle import build_cycle

            build_cycle(seed=seed, now=now)
        _story_overdue_makeup(now)
        timings.append(("一年组织生活记录", _time.perf_counter() - t1))
    t2 = _time.perf_counter()
    derive(now, since=history_since(year.first))
    timings.append(("合规评估和提醒", _time.perf_counter() - t2))
    return DemoResult(county=county, counts=counts, timings=timings)


def _story_overdue_makeup(now: datetime) -> None:
    """The demo member `dangyuan` missed a session six weeks ago and has not made it up,
    so their inbox and "my meetings" show an overdue make-up."""
    from datetime import timedelta

    from zhibu.orglife.models import Attendance, Makeup, MeetingStatus, Outcome

    attendance = (
        Attendance.objects.filter(
            member__user__username="dangyuan",
            meeting__status=MeetingStatus.CONFIRMED,
            meeting__actual_start__lt=now - timedelta(days=40),
            meeting__actual_start__gt=now - timedelta(days=80),
        )
        .select_related("meeting")
        .order_by("-meeting__actual_start")
        .first()
    )
    if attendance is None:
        return
    Attendance.objects.filter(pk=attendance.pk).update(
        outcome=Outcome.ABSENT, signed_in_at=None, sign_in_method=""
    )
    day = timezone.localdate(attendance.meeting.actual_start)
    Makeup.objects.update_or_create(
        attendance=attendance,
        defaults={
            "member_id": attendance.member_id,
            "due_date": day + timedelta(days=30),
            "method": "",
            "reflection": "",
            "later_meeting": None,
            "submitted_at": None,
            "confirmed_by": None,
            "confirmed_at": None,
        },
    )


def history_since(first_recorded: date) -> date:
    """The first month whose every period the demo's records cover: January of the first
    calendar year recorded in full (the records begin on `first_recorded`), so no period is
    judged on months the demo never wrote."""
    if first_recorded == date(first_recorded.year, 1, 1):
        return first_recorded
    return date(first_recorded.year + 1, 1, 1)


def derive(now: datetime, *, since: date | None = None) -> None:
    """Everything that follows from the records: obligations — every period from the month
    of `since` on, so past months, the year view and the trend are real — and the reminders
    they cause (what the worker would do in its first minute), so the demo opens complete."""
    from zhibu.compliance.services import evaluate_due
    from zhibu.notify.planners import run_planners

    evaluate_due(now=now, since=since)
    run_planners(now)


def build_scale(
    scale: str | None = None,
    *,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    today: date | None = None,
    **kwargs,
) -> ScaleResult:
    """Benchmark data by preset name ("tiny", "county", "city", "province") or by size.

    `build_scale("city", seed=1)` or `build_scale(branches=50, members_per_branch=20)`; any
    other keyword goes to zhibu.demo.scale.build_scale.
    """
    if scale is not None:
        try:
            branches, per_branch, every = PRESETS[scale]
        except KeyError:
            raise ValueError(f"未知规模 {scale!r}，可选：{'、'.join(PRESETS)}") from None
        kwargs.setdefault("branches", branches)
        kwargs.setdefault("members_per_branch", per_branch)
        kwargs.setdefault("attendance_every", every)
    return _build_scale(seed=seed, now=now, today=today, **kwargs)
