"""Sign-in tokens for the QR code shown at a meeting, and the sign-in window.

A token is signed with the site's SECRET_KEY (django.core.signing) and names the meeting and a
rotation slot of ZHIBU_SIGNIN_TOKEN_SECONDS. The 6-digit code shown beside the QR code rotates
with it: an HMAC of the meeting's own secret (`Meeting.signin_code`, never shown) and the slot.
Tokens and codes are accepted during their own slot and the next one (so a scan just before
the change still works), and only inside the meeting's window. Wrong codes are counted per
member and per meeting (`code_attempt_refused`), so a million codes cannot be walked through in
the minutes a code lives. No location, photo or face is ever asked for.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

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


def _code_for_slot(meeting: Meeting, slot: int) -> str:
    key = f"{SALT}.code.{settings.SECRET_KEY}".encode()
    digest = hmac.new(key, f"{meeting.pk}.{meeting.signin_code}.{slot}".encode(), hashlib.sha256)
    return f"{int.from_bytes(digest.digest()[:8], 'big') % 10**6:06d}"


def signin_code(meeting: Meeting, *, now: datetime | None = None) -> str:
    """The 6-digit code shown in the room now; it rotates with the QR code ("" for a meeting
    without a code secret: one recorded afterwards, signed in by the roster)."""
    if not meeting.signin_code:
        return ""
    return _code_for_slot(meeting, _slot(now or timezone.now()))


def code_matches(meeting: Meeting, entered: str, *, now: datetime) -> bool:
    """Whether `entered` is the code of this slot or the previous one."""
    if not meeting.signin_code:
        return False
    current = _slot(now)
    return any(
        constant_time_compare(entered, _code_for_slot(meeting, slot))
        for slot in (current, current - 1)
    )


def _attempt_keys(meeting: Meeting, member_id: int) -> tuple[str, str]:
    return f"signin-code:{meeting.pk}:{member_id}", f"signin-code:{meeting.pk}"


def code_attempt_refused(meeting: Meeting, member_id: int) -> bool:
    """Too many wrong codes lately from this member, or at this meeting from anyone."""
    member_key, meeting_key = _attempt_keys(meeting, member_id)
    counts = cache.get_many([member_key, meeting_key])
    return (
        counts.get(member_key, 0) >= settings.ZHIBU_SIGNIN_CODE_TRIES_MEMBER
        or counts.get(meeting_key, 0) >= settings.ZHIBU_SIGNIN_CODE_TRIES_MEETING
    )


def count_wrong_code(meeting: Meeting, member_id: int) -> None:
    timeout = settings.ZHIBU_SIGNIN_CODE_LOCK_MINUTES * 60
    for key in _attempt_keys(meeting, member_id):
        if not cache.add(key, 1, timeout):
            try:
                cache.incr(key)
            except ValueError:  # expired in between
                cache.add(key, 1, timeout)
