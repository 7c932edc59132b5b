"""Sign-in tokens for the QR code shown at a meeting, and the sign-in window.

A token is signed with the site's SECRET_KEY (django.core.signing) and names the meeting and a
rotation slot of ZHIBU_SIGNIN_TOKEN_SECONDS. The code on the screen changes every slot; a token
is accepted during its own slot and the next one (so a scan just before the change still works),
and only inside the meeting's window. No location, photo or face is ever asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from zhibu.orglife.models import Meeting
from zhibu.orgs.selectors import parameter_value

SALT = "zhibu.orglife.signin"


@dataclass(frozen=True)
class Window:
    opens: datetime
    closes: datetime

    def contains(self, moment: datetime) -> bool:
        return self.opens <= moment <= self.closes


def margin_minutes(meeting: Meeting) -> int:
    """Minutes before the start and after the end during which sign-in is open (per org)."""
    return int(parameter_value(meeting.org, "signin_margin_minutes"))


def signin_window(meeting: Meeting, *, margin: int | None = None) -> Window:
    """Real times once recorded, otherwise the planned ones, widened by the margin."""
    if margin is None:
        margin = margin_minutes(meeting)
    start = meeting.actual_start or meeting.planned_start
    end = meeting.actual_end or meeting.planned_end
    delta = timedelta(minutes=margin)
    return Window(start - delta, end + delta)


def _slot(moment: datetime) -> int:
    return int(moment.timestamp()) // settings.ZHIBU_SIGNIN_TOKEN_SECONDS


def slot_expires_at(moment: datetime) -> datetime:
    """When the token of `moment`'s slot stops being shown (it is accepted one slot longer)."""
    seconds = settings.ZHIBU_SIGNIN_TOKEN_SECONDS
    return datetime.fromtimestamp((_slot(moment) + 1) * seconds, tz=moment.tzinfo)


def signin_token(meeting: Meeting, *, now: datetime | None = None) -> str:
    """The token for the QR code shown now; it rotates every ZHIBU_SIGNIN_TOKEN_SECONDS."""
    now = now or timezone.now()
    return signing.Signer(salt=SALT).sign(f"{meeting.pk}.{_slot(now)}")


def signin_url(meeting: Meeting, *, now: datetime | None = None, base: str | None = None) -> str:
    """The absolute address encoded in the QR code: the member's sign-in page with the token.

    `base` is the address the browser showing the code used (scheme and host): a phone that
    scans it reaches the same server. ZHIBU_BASE_URL wins when set explicitly, and is the
    address without a request."""
    token = signin_token(meeting, now=now)
    try:
        path = reverse("orglife:meeting_signin", args=[meeting.pk])
    except NoReverseMatch:
        path = f"/orglife/meetings/{meeting.pk}/sign-in/"
    if settings.ZHIBU_BASE_URL_FIXED or not base:
        base = settings.ZHIBU_BASE_URL
    return f"{base.rstrip('/')}{path}?t={token}"


def check_token(meeting: Meeting, token: str, *, now: datetime) -> None:
    """Raise a ValidationError saying what is wrong with `token` for this meeting at `now`."""
    try:
        value = signing.Signer(salt=SALT).unsign((token or "").strip())
        meeting_id, slot = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        raise ValidationError(
            {"token": "签到二维码无效，请扫描会场显示的二维码"}, code="forged"
        ) from None
    if meeting_id != meeting.pk:
        raise ValidationError(
            {"token": "这是另一场会议的签到二维码，请扫描本场会议的二维码"}, code="other_meeting"
        )
    current = _slot(now)
    if slot not in (current, current - 1):
        raise ValidationError(
            {"token": "签到二维码已过期，请扫描会场当前显示的二维码"}, code="expired"
        )
