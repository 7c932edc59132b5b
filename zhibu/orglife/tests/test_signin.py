"""Sign-in: QR token, 6-digit code, roster tick; the window, the edges and every refusal."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection
from django.http import Http404
from django.urls import reverse

from zhibu.orglife import services
from zhibu.orglife.models import Attendance, Outcome
from zhibu.orglife.signin import signin_window
from zhibu.orglife.tests.conftest import END, START
from zhibu.orgs import parameters
from zhibu.orgs.services import parameter_set

pytestmark = pytest.mark.django_db

MARGIN = timedelta(minutes=parameters.default("signin_margin_minutes"))
SLOT = timedelta(seconds=settings.ZHIBU_SIGNIN_TOKEN_SECONDS)


def row(meeting, member) -> Attendance:
    return Attendance.objects.get(meeting=meeting, member=member)


def qr(world, meeting, *, token=None, user=None):
    token = token if token is not None else services.signin_token(meeting)
    return services.sign_in(
        actor=user or world.member_user, meeting=meeting, method="qr", token=token
    )


def assert_not_signed(meeting, member):
    r = row(meeting, member)
    assert (r.signed_in_at, r.sign_in_method, r.outcome) == (None, "", "")


def test_qr_sign_in_records_method_time_and_present(world, meeting, clock):
    clock.move_to(START - timedelta(minutes=5))
    att = qr(world, meeting)
    r = row(meeting, world.member)
    assert r.pk == att.pk
    assert r.signed_in_at == START - timedelta(minutes=5)
    assert r.sign_in_method == "qr" and r.outcome == Outcome.PRESENT


def test_sign_in_more_than_15_minutes_after_start_is_late(world, meeting, clock):
    clock.move_to(START + timedelta(minutes=15))
    qr(world, meeting)
    assert row(meeting, world.member).outcome == Outcome.PRESENT
    clock.move_to(START + timedelta(minutes=15, seconds=1))
    services.sign_in(
        actor=world.secretary, meeting=meeting, method="code", code=services.signin_code(meeting)
    )
    assert row(meeting, world.secretary_member).outcome == Outcome.LATE


@pytest.mark.parametrize(
    "moment, ok",
    [
        (START - MARGIN, True),
        (START - MARGIN - timedelta(seconds=1), False),
        (END + MARGIN, True),
        (END + MARGIN + timedelta(seconds=1), False),
    ],
    ids=["opens", "before-open", "closes", "after-close"],
)
def test_window_edges(world, meeting, clock, moment, ok):
    clock.move_to(moment)
    if ok:
        qr(world, meeting)
        assert row(meeting, world.member).signed_in_at == moment
    else:
        with pytest.raises(ValidationError) as exc:
            qr(world, meeting)
        assert "不在签到时间内" in exc.value.message_dict["meeting"][0]
        assert_not_signed(meeting, world.member)


def test_code_sign_in_also_limited_to_window(world, meeting, clock):
    with pytest.raises(ValidationError) as exc:
        services.sign_in(
            actor=world.member_user,
            meeting=meeting,
            method="code",
            code=services.signin_code(meeting),
        )
    assert "meeting" in exc.value.message_dict
    assert_not_signed(meeting, world.member)


def test_margin_is_a_parameter_of_the_organization(world, meeting, clock):
    # A wider window loosens the registry's 30 minutes: the committee sets it with a reason.
    parameter_set(
        actor=world.admin,
        org=world.committee,
        key="signin_margin_minutes",
        value=60,
        reason="会场在郊区，党员到达时间不一",
    )
    clock.move_to(START - timedelta(minutes=45))
    qr(world, meeting)
    assert row(meeting, world.member).outcome == Outcome.PRESENT


def test_window_follows_real_times_once_recorded(world, meeting, clock):
    window = signin_window(meeting)
    assert (window.opens, window.closes) == (START - MARGIN, END + MARGIN)
    meeting.actual_start = START + timedelta(hours=1)
    meeting.actual_end = END + timedelta(hours=1)
    window = signin_window(meeting)
    assert window.closes == END + timedelta(hours=1) + MARGIN


def test_token_of_previous_slot_is_accepted_older_is_expired(world, meeting, clock):
    clock.move_to(START)
    token = services.signin_token(meeting)
    clock.move_to(START + SLOT)
    qr(world, meeting, token=token)  # one rotation later: still fine
    clock.move_to(START + 2 * SLOT)
    with pytest.raises(ValidationError) as exc:
        qr(world, meeting, token=token, user=world.secretary)
    assert exc.value.message_dict["token"] == ["签到二维码已过期，请扫描会场当前显示的二维码"]
    assert_not_signed(meeting, world.secretary_member)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # tampered signature
        lambda t: "999" + t[t.index(".") :],  # another meeting id with the old signature
        lambda t: "",
        lambda t: "not-a-token",
    ],
    ids=["signature", "meeting-id", "empty", "garbage"],
)
def test_forged_token_is_refused(world, meeting, clock, mangle):
    clock.move_to(START)
    with pytest.raises(ValidationError) as exc:
        qr(world, meeting, token=mangle(services.signin_token(meeting)))
    assert "无效" in exc.value.message_dict["token"][0]
    assert_not_signed(meeting, world.member)


def test_token_of_another_meeting_is_refused(world, meeting, clock):
    other = services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="party_lecture",
        topic="党课",
        planned_start=START,
        planned_end=END,
    )
    clock.move_to(START)
    with pytest.raises(ValidationError) as exc:
        qr(world, meeting, token=services.signin_token(other))
    assert "另一场会议" in exc.value.message_dict["token"][0]
    assert_not_signed(meeting, world.member)


def test_reused_token_and_second_sign_in_are_refused(world, meeting, clock):
    clock.move_to(START)
    token = services.signin_token(meeting)
    qr(world, meeting, token=token)
    first = row(meeting, world.member)
    clock.move_to(START + timedelta(minutes=1))
    with pytest.raises(ValidationError) as exc:
        qr(world, meeting, token=token)
    assert "不能重复签到" in exc.value.message_dict["member"][0]
    with pytest.raises(ValidationError):
        services.sign_in(
            actor=world.member_user,
            meeting=meeting,
            method="code",
            code=services.signin_code(meeting),
        )
    with pytest.raises(ValidationError):
        services.sign_in(
            actor=world.secretary, meeting=meeting, method="roster", member=world.member
        )
    again = row(meeting, world.member)
    assert (again.signed_in_at, again.sign_in_method) == (first.signed_in_at, "qr")


def test_member_who_is_not_due_cannot_sign_in(world, meeting, clock):
    clock.move_to(START)
    with pytest.raises(ValidationError) as exc:
        qr(world, meeting, user=world.sibling_secretary)
    assert exc.value.message_dict["member"] == ["您不在本次会议的应到人员名单中"]
    with pytest.raises(ValidationError) as exc:
        qr(world, meeting, user=world.outsider)  # no member record at all
    assert "没有关联党员" in exc.value.message_dict["member"][0]
    assert not Attendance.objects.filter(signed_in_at__isnull=False).exists()


def test_code_sign_in_checks_the_code_and_accepts_full_width_digits(world, meeting, clock):
    clock.move_to(START)
    wrong = "000000" if services.signin_code(meeting) != "000000" else "111111"
    with pytest.raises(ValidationError) as exc:
        services.sign_in(actor=world.member_user, meeting=meeting, method="code", code=wrong)
    assert "签到码不正确" in exc.value.message_dict["code"][0]
    assert_not_signed(meeting, world.member)
    full_width = services.signin_code(meeting).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    services.sign_in(actor=world.member_user, meeting=meeting, method="code", code=full_width)
    assert row(meeting, world.member).sign_in_method == "code"


def test_roster_tick_after_the_meeting_from_the_printed_sheet(world, meeting, clock):
    clock.move_to(END + timedelta(days=1))
    services.sign_in(
        actor=world.secretary, meeting=meeting, method="roster", member=world.other_member
    )
    r = row(meeting, world.other_member)
    assert r.sign_in_method == "roster" and r.outcome == Outcome.PRESENT
    with pytest.raises(ValidationError) as exc:
        services.sign_in(
            actor=world.secretary, meeting=meeting, method="roster", member=world.sibling_member
        )
    assert "不在本次会议的应到人员名单中" in exc.value.message_dict["member"][0]


def test_roster_tick_needs_the_manage_right(world, meeting, clock):
    with pytest.raises(PermissionDenied):
        services.sign_in(
            actor=world.member_user, meeting=meeting, method="roster", member=world.other_member
        )
    with pytest.raises(Http404):
        services.sign_in(
            actor=world.sibling_secretary,
            meeting=meeting,
            method="roster",
            member=world.other_member,
        )
    assert_not_signed(meeting, world.other_member)


def test_no_sign_in_on_cancelled_or_unknown_method(world, meeting, clock):
    clock.move_to(START)
    with pytest.raises(ValidationError) as exc:
        services.sign_in(actor=world.member_user, meeting=meeting, method="gps")
    assert "method" in exc.value.message_dict
    services.meeting_cancel(actor=world.secretary, meeting=meeting, reason="改期")
    with pytest.raises(ValidationError):
        qr(world, meeting)
    assert_not_signed(meeting, world.member)


def test_signin_url_carries_a_valid_token(world, meeting, clock):
    clock.move_to(START)
    url = services.signin_url(meeting)
    assert url.startswith(settings.ZHIBU_BASE_URL.rstrip("/") + "/")
    assert f"/{meeting.pk}/" in url
    token = url.split("?t=", 1)[1]
    qr(world, meeting, token=token)
    assert row(meeting, world.member).outcome == Outcome.PRESENT


@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ins_for_one_member_produce_one_record(world, meeting, clock):
    """Two phones (or a phone and the secretary's tick) at the same instant: one record."""
    clock.move_to(START)
    token = services.signin_token(meeting)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def attempt(kind: str) -> None:
        try:
            barrier.wait()
            if kind == "qr":
                services.sign_in(actor=world.member_user, meeting=meeting, method="qr", token=token)
            elif kind == "code":
                services.sign_in(
                    actor=world.member_user,
                    meeting=meeting,
                    method="code",
                    code=services.signin_code(meeting),
                )
            else:
                services.sign_in(
                    actor=world.secretary, meeting=meeting, method="roster", member=world.member
                )
            results.append("ok")
        except ValidationError as exc:
            results.append("refused:" + exc.messages[0])
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt, args=(k,)) for k in ("qr", "code", "roster", "qr")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results.count("ok") == 1, results
    assert all("不能重复签到" in r for r in results if r != "ok"), results
    assert Attendance.objects.filter(meeting=meeting, member=world.member).count() == 1
    assert row(meeting, world.member).signed_in_at == START


def test_qr_uses_the_address_the_browser_used_unless_the_base_url_is_fixed(
    world, meeting, clock, client, settings
):
    """Served on another host or port (a laptop on the branch's Wi-Fi), the QR still leads
    there; an explicit ZHIBU_BASE_URL (a proxy that hides the host) wins."""
    settings.ALLOWED_HOSTS = ["192.168.1.20", "testserver"]
    settings.ZHIBU_BASE_URL = "http://127.0.0.1:8000"
    settings.ZHIBU_BASE_URL_FIXED = False
    clock.move_to(START)
    client.force_login(world.secretary)
    screen = reverse("orglife:signin_screen", args=[meeting.pk])
    html = client.get(screen, HTTP_HOST="192.168.1.20:8765").content.decode()
    assert (
        f'data-signin-url="http://192.168.1.20:8765/orglife/meetings/{meeting.pk}/sign-in/?t='
        in (html)
    )
    settings.ZHIBU_BASE_URL, settings.ZHIBU_BASE_URL_FIXED = "https://dj.example.cn", True
    html = client.get(screen, HTTP_HOST="192.168.1.20:8765").content.decode()
    assert f'data-signin-url="https://dj.example.cn/orglife/meetings/{meeting.pk}/sign-in/' in html


# --- the 6-digit code rotates and cannot be guessed ---------------------------------------------


def _code(world, meeting, code, user=None):
    try:
        services.sign_in(actor=user or world.member_user, meeting=meeting, method="code", code=code)
    except ValidationError as exc:
        return exc.message_dict["code"][0]
    return "ok"


def test_the_code_rotates_with_the_qr_window(world, meeting, clock):
    clock.move_to(START)
    first = services.signin_code(meeting)
    assert len(first) == 6 and first.isdigit() and first != meeting.signin_code
    codes = set()
    for n in range(6):
        clock.move_to(START + n * SLOT)
        codes.add(services.signin_code(meeting))
    assert len(codes) >= 5  # a new code every slot (a repeat is a one-in-a-million chance)
    clock.move_to(START + SLOT)  # the previous slot's code still works just after the change
    assert _code(world, meeting, first) == "ok"
    clock.move_to(START + 2 * SLOT)
    assert "签到码不正确" in _code(world, meeting, first, user=world.secretary)  # expired


def test_two_hundred_wrong_codes_are_stopped_long_before_the_right_one(world, meeting, clock):
    clock.move_to(START)
    right = services.signin_code(meeting)
    wrong = [f"{n:06d}" for n in range(1000) if f"{n:06d}" != right][:200]
    answers = [_code(world, meeting, code) for code in wrong]
    checked = [a for a in answers if "签到码不正确" in a]
    assert len(checked) == settings.ZHIBU_SIGNIN_CODE_TRIES_MEMBER  # 5 tries, then no more
    assert all("输错次数过多" in a for a in answers[len(checked) :])
    assert "输错次数过多" in _code(world, meeting, right)  # even the right code now
    assert_not_signed(meeting, world.member)
    # The member can still sign in by the QR code in the room.
    qr(world, meeting)
    assert row(meeting, world.member).sign_in_method == "qr"


def test_wrong_codes_are_also_limited_per_meeting(world, meeting, clock, settings):
    settings.ZHIBU_SIGNIN_CODE_TRIES_MEETING = 8
    clock.move_to(START)
    right = services.signin_code(meeting)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        _code(world, meeting, wrong)
    for _ in range(4):
        _code(world, meeting, wrong, user=world.secretary)
    third = Attendance.objects.get(meeting=meeting, member=world.other_member).member
    from zhibu.orgs.tests.factories import UserFactory

    third.user = UserFactory(username="third")
    third.save()
    assert "输错次数过多" in _code(world, meeting, right, user=third.user)
    clock.move_to(START + timedelta(minutes=settings.ZHIBU_SIGNIN_CODE_LOCK_MINUTES, seconds=1))
    # The pause ends (the cache entry expires; with the clock moved we clear it as time would).
    from django.core.cache import cache

    cache.clear()
    assert _code(world, meeting, services.signin_code(meeting), user=third.user) == "ok"
