"""The record: real times, sanitized minutes, steps, discussion, attachments, confirmation and
the lock, amendments with history."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from zhibu.orglife import services
from zhibu.orglife.models import (
    Amendment,
    Attachment,
    Attendance,
    Decision,
    Makeup,
    Meeting,
    MeetingStatus,
    Outcome,
    ProcedureStep,
)
from zhibu.orglife.tests.conftest import END, START, at

pytestmark = pytest.mark.django_db

# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000") + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def refreshed(monkeypatch):
    """Records the meetings passed to compliance.services.refresh_for_meeting."""
    calls: list[int] = []
    monkeypatch.setattr(
        "zhibu.compliance.services.refresh_for_meeting", lambda m, **kw: calls.append(m.pk)
    )
    return calls


def record(world, meeting, clock, **kwargs):
    clock.move_to(END + timedelta(hours=1))
    fields = {"actual_start": START, "actual_end": END, "minutes": "<p>记录</p>"}
    fields.update(kwargs)
    return services.meeting_record(actor=world.secretary, meeting=meeting, **fields)


def confirmed(world, meeting, clock):
    record(world, meeting, clock)
    return services.record_confirm(actor=world.secretary, meeting=meeting)


def files_in(path) -> list:
    return [p for p in path.rglob("*") if p.is_file()]


# --- record ---------------------------------------------------------------------------------


def test_record_sets_real_times_minutes_decisions_and_status(world, meeting, clock):
    meeting = record(
        world,
        meeting,
        clock,
        actual_start=START + timedelta(minutes=10),
        actual_end=END - timedelta(minutes=20),
        decisions=["同意接收张三为预备党员", " ", "推选李四为优秀党员"],
    )
    assert meeting.status == MeetingStatus.HELD
    assert meeting.duration_minutes == 150
    assert list(Decision.objects.values_list("text", flat=True).order_by("pk")) == [
        "同意接收张三为预备党员",
        "推选李四为优秀党员",
    ]
    record(world, meeting, clock, decisions=["只留一条"])
    assert Decision.objects.count() == 1


def test_meeting_that_ends_before_it_starts_records_nothing(world, meeting, clock):
    with pytest.raises(ValidationError) as exc:
        record(world, meeting, clock, actual_end=START - timedelta(minutes=1), decisions=["x"])
    assert exc.value.message_dict["actual_end"] == ["结束时间必须晚于开始时间"]
    meeting.refresh_from_db()
    assert (meeting.actual_start, meeting.status) == (None, MeetingStatus.PLANNED)
    assert not Decision.objects.exists()


def test_record_of_the_future_is_refused(world, meeting, clock):
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(
            actor=world.secretary, meeting=meeting, actual_start=START, actual_end=END
        )
    assert "actual_start" in exc.value.message_dict


@pytest.mark.parametrize(
    "dirty, forbidden",
    [
        ("<p>ok</p><script>alert(1)</script>", ["<script", "alert(1)"]),
        ('<img src="x" onerror="alert(1)">', ["onerror", "<img"]),
        ('<p onclick="steal()" style="x">段落</p>', ["onclick", "style"]),
        ('<a href="javascript:alert(1)">链接</a>', ["javascript:"]),
        ("<iframe src='https://evil'></iframe>", ["<iframe"]),
    ],
)
def test_minutes_are_sanitized(world, meeting, clock, dirty, forbidden):
    meeting = record(world, meeting, clock, minutes=dirty)
    stored = Meeting.objects.get(pk=meeting.pk).minutes
    for bad in forbidden:
        assert bad not in stored


def test_minutes_keep_ordinary_formatting(world, meeting, clock):
    html = "<h3>议程</h3><ol><li><strong>学习</strong>文件</li></ol><p>讨论<br>发言</p>"
    assert record(world, meeting, clock, minutes=html).minutes == html


def test_outcomes_on_the_roster_path(world, meeting, clock):
    record(
        world,
        meeting,
        clock,
        outcomes={
            world.secretary_member.pk: Outcome.PRESENT,
            str(world.member.pk): Outcome.LEFT_EARLY,
            world.other_member.pk: Outcome.ABSENT,
        },
    )
    rows = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
    assert rows[world.member.pk].outcome == Outcome.LEFT_EARLY
    assert rows[world.member.pk].sign_in_method == "roster"
    assert rows[world.other_member.pk].signed_in_at is None
    with pytest.raises(ValidationError) as exc:
        record(world, meeting, clock, outcomes={world.sibling_member.pk: Outcome.PRESENT})
    assert "outcomes" in exc.value.message_dict
    with pytest.raises(ValidationError):
        record(world, meeting, clock, outcomes={world.member.pk: "sleeping"})


def test_record_needs_manage_right(world, meeting, clock):
    with pytest.raises(PermissionDenied):
        services.meeting_record(
            actor=world.member_user, meeting=meeting, actual_start=START, actual_end=END
        )


# --- steps, discussion, attachments ---------------------------------------------------------


def test_steps_are_checked_against_the_type_and_dated(world, clock):
    olm = services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="org_life_meeting",
        topic="年度组织生活会",
        planned_start=START,
        planned_end=END,
    )
    step = services.step_record(
        actor=world.secretary, meeting=olm, code="heart_talk", done_on=date(2026, 10, 8)
    )
    assert step.done_on == date(2026, 10, 8)
    again = services.step_record(
        actor=world.secretary, meeting=olm, code="heart_talk", done_on=date(2026, 10, 9), note="补"
    )
    assert again.pk == step.pk and ProcedureStep.objects.count() == 1
    with pytest.raises(ValidationError) as exc:
        services.step_record(
            actor=world.secretary, meeting=olm, code="lecture", done_on=date(2026, 10, 8)
        )
    assert "谈心谈话" in exc.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as exc:
        services.step_record(
            actor=world.secretary, meeting=olm, code="report", done_on=date(2026, 10, 10)
        )
    assert "done_on" in exc.value.message_dict
    assert ProcedureStep.objects.count() == 1


def test_step_after_confirmation_refreshes_compliance(world, clock, refreshed):
    olm = services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="org_life_meeting",
        topic="年度组织生活会",
        planned_start=START,
        planned_end=END,
    )
    confirmed(world, olm, clock)
    assert refreshed == [olm.pk]
    services.step_record(
        actor=world.secretary, meeting=olm, code="report", done_on=date(2026, 10, 12)
    )
    assert refreshed == [olm.pk, olm.pk]


def test_lecture_cannot_be_confirmed_without_discussion(world, clock):
    lecture = services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="party_lecture",
        topic="党课：党章",
        planned_start=START,
        planned_end=END,
    )
    record(world, lecture, clock)
    with pytest.raises(ValidationError) as exc:
        services.record_confirm(actor=world.secretary, meeting=lecture)
    assert set(exc.value.message_dict) == {"lecturer", "materials", "discussion"}
    services.meeting_update(actor=world.secretary, meeting=lecture, lecturer="张书记")
    services.meeting_update(actor=world.secretary, meeting=lecture, materials="党章第一章")
    with pytest.raises(ValidationError):
        services.discussion_add(actor=world.secretary, meeting=lecture, text="  ")
    services.discussion_add(
        actor=world.secretary, meeting=lecture, text="结合工作谈体会", speaker=world.member
    )
    with pytest.raises(ValidationError) as exc:
        services.discussion_add(
            actor=world.secretary, meeting=lecture, text="x", speaker=world.sibling_member
        )
    assert "speaker" in exc.value.message_dict
    assert services.record_confirm(actor=world.secretary, meeting=lecture).is_locked


def test_attachment_accepted_by_content(world, meeting, clock, media):
    for name, content, mime in [
        ("合影.png", PNG, "image/png"),
        ("现场.JPG", JPEG, "image/jpeg"),
        ("材料.pdf", PDF, "application/pdf"),
    ]:
        att = services.attachment_add(
            actor=world.secretary, meeting=meeting, upload=SimpleUploadedFile(name, content)
        )
        assert (att.name, att.content_type, att.size) == (name, mime, len(content))
    book = Workbook()
    book.active["A1"] = "签到表"
    buffer = io.BytesIO()
    book.save(buffer)
    att = services.attachment_add(
        actor=world.secretary,
        meeting=meeting,
        upload=SimpleUploadedFile("签到表.xlsx", buffer.getvalue()),
    )
    assert att.content_type.endswith("spreadsheetml.sheet")
    assert len(files_in(media)) == 4


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("photo.jpg", b"just some text pretending to be a photo\n" * 10, "不是扩展名所表示"),
        ("photo.jpg", PNG, "扩展名与内容不符"),
        ("report.pdf", PNG, "扩展名与内容不符"),
        ("notes.txt", b"plain text", "不支持的文件类型"),
        ("tool.exe", b"MZ" + b"\x00" * 200, "不支持的文件类型"),
        ("fake.docx", b"PK\x03\x04" + b"\x00" * 100, "不是扩展名所表示"),
    ],
    ids=["text-as-jpg", "png-as-jpg", "png-as-pdf", "txt", "exe", "broken-docx"],
)
def test_attachment_refused_by_content_records_nothing(
    world, meeting, clock, media, name, content, message
):
    with pytest.raises(ValidationError) as exc:
        services.attachment_add(
            actor=world.secretary, meeting=meeting, upload=SimpleUploadedFile(name, content)
        )
    assert message in exc.value.message_dict["file"][0]
    assert not Attachment.objects.exists()
    assert files_in(media) == []


def test_attachment_over_the_limit_records_nothing(world, meeting, clock, media, settings):
    settings.ZHIBU_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError) as exc:
        services.attachment_add(
            actor=world.secretary,
            meeting=meeting,
            upload=SimpleUploadedFile("big.png", PNG + b"\x00" * 100),
        )
    assert "文件太大" in exc.value.message_dict["file"][0]
    assert not Attachment.objects.exists() and files_in(media) == []


def test_attachment_needs_manage_right(world, meeting, clock, media):
    with pytest.raises(PermissionDenied):
        services.attachment_add(
            actor=world.member_user, meeting=meeting, upload=SimpleUploadedFile("a.png", PNG)
        )
    assert files_in(media) == []


# --- confirmation and lock ------------------------------------------------------------------


def test_confirm_gives_everyone_exactly_one_outcome_and_locks(world, meeting, clock, refreshed):
    clock.move_to(START)
    services.sign_in(
        actor=world.member_user, meeting=meeting, method="code", code=services.signin_code(meeting)
    )
    record(world, meeting, clock, minutes="")
    with pytest.raises(ValidationError) as exc:
        services.record_confirm(actor=world.secretary, meeting=meeting)
    assert set(exc.value.message_dict) == {"minutes"}
    assert refreshed == []
    record(world, meeting, clock)
    meeting = services.record_confirm(actor=world.secretary, meeting=meeting)
    assert meeting.is_locked and meeting.confirmed_by == world.secretary
    outcomes = dict(
        Attendance.objects.filter(meeting=meeting).values_list("member__name", "outcome")
    )
    assert outcomes == {"李党员": "present", "张书记": "absent", "王党员": "absent"}
    assert Makeup.objects.count() == 2
    assert refreshed == [meeting.pk]


def test_locked_record_refuses_direct_changes(world, meeting, clock, media):
    confirmed(world, meeting, clock)
    for call in (
        lambda: services.meeting_update(actor=world.secretary, meeting=meeting, topic="改"),
        lambda: record(world, meeting, clock, minutes="<p>改</p>"),
        lambda: services.record_confirm(actor=world.secretary, meeting=meeting),
        lambda: services.discussion_add(actor=world.secretary, meeting=meeting, text="x"),
        lambda: services.attachment_add(
            actor=world.secretary, meeting=meeting, upload=SimpleUploadedFile("a.png", PNG)
        ),
        lambda: services.sign_in(
            actor=world.secretary, meeting=meeting, method="roster", member=world.member
        ),
        lambda: services.meeting_cancel(actor=world.secretary, meeting=meeting, reason="x"),
    ):
        with pytest.raises(ValidationError) as exc:
            call()
        assert "锁定" in " ".join(exc.value.messages)
    meeting.refresh_from_db()
    assert meeting.topic == "学习党的二十届四中全会精神" and meeting.minutes == "<p>记录</p>"


def test_amendment_without_reason_records_nothing(world, meeting, clock, refreshed):
    confirmed(world, meeting, clock)
    with pytest.raises(ValidationError) as exc:
        services.amend(
            actor=world.secretary, meeting=meeting, field="topic", value="新", reason=" "
        )
    assert exc.value.message_dict == {"reason": ["修改已确认的记录必须说明原因"]}
    meeting.refresh_from_db()
    assert meeting.topic == "学习党的二十届四中全会精神"
    assert not Amendment.objects.exists()
    assert refreshed == [meeting.pk]  # only the confirmation


def test_amendments_keep_history(world, meeting, clock, refreshed):
    confirmed(world, meeting, clock)
    clock.move_to(at(10, 20, 9))
    first = services.amend(
        actor=world.secretary,
        meeting=meeting,
        field="topic",
        value="学习四中全会精神",
        reason="笔误",
    )
    clock.move_to(at(10, 21, 9))
    services.amend(
        actor=world.admin,
        meeting=meeting,
        field="actual_end",
        value="2026-10-12 16:30",
        reason="按签到表核对结束时间",
    )
    meeting.refresh_from_db()
    assert meeting.topic == "学习四中全会精神"
    assert meeting.actual_end == at(10, 12, 16, 30)
    history = list(meeting.amendments.all())
    assert [(a.field, a.old_value, a.new_value, a.by, a.at) for a in history] == [
        ("topic", "学习党的二十届四中全会精神", "学习四中全会精神", world.secretary, at(10, 20, 9)),
        (
            "actual_end",
            "2026-10-12T17:00:00+08:00",
            "2026-10-12T16:30:00+08:00",
            world.admin,
            at(10, 21, 9),
        ),
    ]
    assert first.reason == "笔误"
    assert refreshed == [meeting.pk] * 3


def test_amendment_bad_input(world, meeting, clock):
    with pytest.raises(ValidationError) as exc:
        services.amend(actor=world.secretary, meeting=meeting, field="topic", value="x", reason="r")
    assert "尚未确认" in exc.value.message_dict["meeting"][0]
    confirmed(world, meeting, clock)
    bad = [
        ("org", "1"),
        ("actual_end", "2026-10-12 13:00"),  # before the start
        ("actual_start", "昨天"),
        ("content_category", "nonsense"),
        ("topic", "学习党的二十届四中全会精神"),  # unchanged
        (f"attendance:{world.sibling_member.pk}", "present"),
        (f"attendance:{world.member.pk}", "on_leave"),  # no leave approved before the start
    ]
    for field, value in bad:
        with pytest.raises(ValidationError):
            services.amend(
                actor=world.secretary, meeting=meeting, field=field, value=value, reason="r"
            )
    assert not Amendment.objects.exists()
    with pytest.raises(PermissionDenied):
        services.amend(
            actor=world.member_user, meeting=meeting, field="topic", value="x", reason="r"
        )


def test_attendance_amendment_moves_the_makeup(world, meeting, clock):
    confirmed(world, meeting, clock)
    assert Makeup.objects.filter(member=world.member).exists()
    services.amend(
        actor=world.secretary,
        meeting=meeting,
        field=f"attendance:{world.member.pk}",
        value="present",
        reason="签到表漏登，经核实到会",
    )
    assert not Makeup.objects.filter(member=world.member).exists()
    services.amend(
        actor=world.secretary,
        meeting=meeting,
        field=f"attendance:{world.member.pk}",
        value="absent",
        reason="再次核实，实际未到",
    )
    makeup = Makeup.objects.get(member=world.member)
    assert makeup.due_date == date(2026, 11, 11)
    assert list(meeting.amendments.values_list("old_value", "new_value")) == [
        ("absent", "present"),
        ("present", "absent"),
    ]


def test_amending_the_real_date_moves_open_makeup_deadlines(world, meeting, clock):
    confirmed(world, meeting, clock)
    services.amend(
        actor=world.secretary,
        meeting=meeting,
        field="actual_start",
        value="2026-10-11T09:00:00+08:00",
        reason="会议实际提前一天召开",
    )
    assert set(Makeup.objects.values_list("due_date", flat=True)) == {date(2026, 11, 10)}


def test_amending_the_start_to_another_day_refreshes_from_the_old_day(
    world, meeting, clock, monkeypatch
):
    confirmed(world, meeting, clock)
    calls: list[tuple[int, object]] = []
    monkeypatch.setattr(
        "zhibu.compliance.services.refresh_for_meeting",
        lambda m, since=None: calls.append((m.pk, since)),
    )
    clock.move_to(at(10, 20, 9))
    services.amend(
        actor=world.secretary,
        meeting=meeting,
        field="actual_end",
        value="2026-10-13 12:00",
        reason="会议实际推迟一天举行",
    )
    services.amend(
        actor=world.secretary,
        meeting=meeting,
        field="actual_start",
        value="2026-10-13 09:00",
        reason="会议实际推迟一天举行",
    )
    assert calls == [(meeting.pk, None), (meeting.pk, date(2026, 10, 12))]


def test_amendment_history_is_read_as_labels_plain_text_and_local_time(
    world, meeting, clock, refreshed, client
):
    """The page names the field and shows values as people write them: no field code, no raw
    HTML, no ISO timestamp, an outcome by its label."""
    confirmed(world, meeting, clock)
    changes = [
        ("minutes", "<p>传达学习<strong>四中全会</strong>精神</p><p>讨论&amp;交流</p>", "补充"),
        ("actual_end", "2026-10-12 16:30", "按签到表核对"),
        (f"attendance:{world.member.pk}", "present", "签到表漏登"),
        ("content_category", "party_work", "类别选错"),
    ]
    for field, value, reason in changes:
        services.amend(
            actor=world.secretary, meeting=meeting, field=field, value=value, reason=reason
        )
    client.force_login(world.secretary)
    page = client.get(f"/orglife/meetings/{meeting.pk}/")
    html = page.content.decode()
    history = html[html.index('data-testid="amendments"') :]
    history = history[: history.index("</ol>")]
    for shown in (
        "<strong>会议记录</strong>",
        "原值：记录",
        "新值：传达学习四中全会精神 讨论&amp;交流",
        "<strong>实际结束</strong>",
        "原值：2026年10月12日 17:00",
        "新值：2026年10月12日 16:30",
        "<strong>出勤：李党员</strong>",
        "原值：缺席",
        "新值：出席",
        "<strong>内容类别</strong>",
        "原值：政治学习",
        "新值：党务工作",
    ):
        assert shown in history, shown
    for code in ("actual_end", "minutes", "&lt;p&gt;", "T17:00", "present", "attendance:"):
        assert code not in history, code


# --- no 5xx from input (issue 15) -------------------------------------------------------------


def test_confirm_keeps_make_ups_already_on_file(world, meeting, clock, refreshed):
    """The demo had make-ups entered before the confirmation: confirming was an IntegrityError."""
    record(world, meeting, clock)
    absent = Attendance.objects.get(meeting=meeting, member=world.other_member)
    Makeup.objects.create(attendance=absent, member=world.other_member, due_date=date(2026, 12, 1))
    services.record_confirm(actor=world.secretary, meeting=meeting)
    assert Makeup.objects.filter(attendance=absent).count() == 1
    assert Makeup.objects.filter(attendance__meeting=meeting).count() == 3  # nobody came


@pytest.mark.parametrize("year", [397, 1900, 2101])
def test_a_record_in_the_year_397_is_refused(world, meeting, clock, year):
    start = START.replace(year=year)
    with pytest.raises(ValidationError) as exc:
        record(world, meeting, clock, actual_start=start, actual_end=start + timedelta(hours=2))
    assert "年份应在 1921 到 2100 之间" in exc.value.message_dict["actual_start"][0]
