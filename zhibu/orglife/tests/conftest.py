"""Fixtures of the organizational-life tests: a pinned clock and a scheduled meeting.

The clock stands at Friday 2026-10-09 10:00 in Shanghai; the branch general meeting of
`world.branch` is planned for Monday 2026-10-12 14:00–17:00.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from zhibu.orglife import services
from zhibu.orglife.models import Meeting
from zhibu.orgs.permissions import forget_scope

SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware local time in 2026."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=SH)


NOW = at(10, 9, 10)
START = at(10, 12, 14)
END = at(10, 12, 17)


@pytest.fixture
def clock():
    """Pins time to NOW; `clock.move_to(...)` moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def meeting(world, clock) -> Meeting:
    """A general meeting of world.branch, due: 张书记, 李党员, 王党员."""
    return services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="general_meeting",
        topic="学习党的二十届四中全会精神",
        planned_start=START,
        planned_end=END,
        place="三楼会议室",
    )


def fresh(user):
    """The same account with its cached scope dropped (after positions change)."""
    forget_scope(user)
    return type(user).objects.get(pk=user.pk)
