"""The REST API: a member's whole journey and a secretary's, the permission matrix, bad input
as 400 with field keys, and query counts of the lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from zhibu.members.tests.factories import MemberFactory
from zhibu.orglife import services
from zhibu.orglife.models import Attachment, Attendance, LeaveRequest, Makeup, Meeting, Plan
from zhibu.orglife.tests.conftest import END, START, at
from zhibu.orglife.tests.test_records import PNG
from zhibu.orgs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for():
    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def iso(moment) -> str:
    return moment.isoformat()


def test_anonymous_gets_401(meeting, client_for):
    assert client_for().get("/api/meetings/").status_code == 401
    assert client_for().get(f"/api/meetings/{meeting.pk}/").status_code == 401


def test_permission_matrix_for_a_meeting(world, meeting, client_for):
    url = f"/api/meetings/{meeting.pk}/"
    assert client_for(world.member_user).get(url).status_code == 200
    assert client_for(world.secretary).get(url).status_code == 200
    assert client_for(world.admin).get(url).status_code == 200
    assert client_for(world.sibling_secretary).get(url).status_code == 404
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.outsider).get("/api/meetings/").json()["count"] == 0
    # The sign-in code never travels in the ordinary representation.
    assert "signin_code" not in client_for(world.member_user).get(url).json()


def test_secretary_schedules_and_bad_input_is_400_with_field_keys(world, clock, client_for):
    client = client_for(world.secretary)
    body = {
        "org": world.branch.pk,
        "meeting_type": "party_day",
        "topic": "主题党日：重温入党誓词",
        "planned_start": iso(START),
        "planned_end": iso(END),
        "content_category": "political_study",
    }
    response = client.post("/api/meetings/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["due_count"] is None and data["status"] == "planned"
    assert Attendance.objects.filter(meeting_id=data["id"]).count() == 3

    bad = client.post(
        "/api/meetings/", {**body, "planned_end": iso(START - timedelta(hours=1))}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json() == {"planned_end": ["结束时间必须晚于开始时间"]}
    late = client.post(
        "/api/meetings/",
        {
            **body,
            "planned_start": iso(START - timedelta(days=20)),
            "planned_end": iso(END - timedelta(days=20)),
        },
        format="json",
    )
    assert late.status_code == 400 and "late_entry_reason" in late.json()
    assert Meeting.objects.count() == 1

    member = client_for(world.member_user).post("/api/meetings/", body, format="json")
    assert member.status_code == 404  # org not among those the member may manage
    sibling = client_for(world.sibling_secretary).post("/api/meetings/", body, format="json")
    assert sibling.status_code == 404
    assert Meeting.objects.count() == 1


def test_meeting_list_query_count_does_not_grow(
    world, clock, client_for, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            services.meeting_schedule(
                actor=world.secretary,
                org=world.branch,
                meeting_type="general_meeting",
                topic=f"第{i}次",
                planned_start=START + timedelta(days=i),
                planned_end=END + timedelta(days=i),
            )

    add(2)
    client = client_for(world.admin)
    with django_assert_max_num_queries(8) as few:
        assert client.get("/api/meetings/").json()["count"] == 2
    add(20)
    client = client_for(type(world.admin).objects.get(pk=world.admin.pk))
    with django_assert_max_num_queries(len(few.captured_queries)):
        data = client.get("/api/meetings/").json()
    assert data["count"] == 22 and data["results"][0]["due_count"] == 3
    filtered = client.get(f"/api/meetings/?org={world.sibling.pk}").json()
    assert filtered["count"] == 0
    typed = client.get("/api/meetings/?meeting_type=general_meeting&start=2026-10-20").json()
    assert typed["count"] == 12  # the second batch from its 9th day on


def test_member_journey_notice_leave_signin_makeup(world, meeting, clock, client_for):
    secretary, member = client_for(world.secretary), client_for(world.member_user)
    assert member.get("/api/meetings/mine/").json()["count"] == 0
    assert secretary.post(f"/api/meetings/{meeting.pk}/notify/").status_code == 200
    mine = member.get("/api/meetings/mine/").json()["results"]
    assert [r["meeting"]["id"] for r in mine] == [meeting.pk]
    assert mine[0]["meeting"]["notice_lead_hours"] == 76  # Fri 10:00 -> Mon 14:00

    # Leave for this meeting, then the secretary rejects it from the inbox.
    created = member.post(
        "/api/leave-requests/", {"meeting": meeting.pk, "reason": "出差"}, format="json"
    )
    assert created.status_code == 201, created.json()
    leave_id = created.json()["id"]
    assert [x["id"] for x in secretary.get("/api/leave-requests/inbox/").json()["results"]] == [
        leave_id
    ]
    denied = member.post(f"/api/leave-requests/{leave_id}/decide/", {"approve": True})
    assert denied.status_code == 403
    assert LeaveRequest.objects.get(pk=leave_id).status == "pending"
    decided = secretary.post(
        f"/api/leave-requests/{leave_id}/decide/", {"approve": False, "note": "请参会"}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "rejected"

    # Sign in with the QR token the secretary's screen shows, then not twice.
    clock.move_to(START)
    token = member.get(f"/api/meetings/{meeting.pk}/signin-token/")
    assert token.status_code == 403
    shown = secretary.get(f"/api/meetings/{meeting.pk}/signin-token/").json()
    assert shown["code"] == services.signin_code(meeting) and "?t=" in shown["url"]
    signed = member.post(
        f"/api/meetings/{meeting.pk}/sign-in/",
        {"method": "qr", "token": shown["token"]},
        format="json",
    )
    assert signed.status_code == 200, signed.json()
    assert signed.json()["outcome"] == "present" and signed.json()["sign_in_method"] == "qr"
    again = member.post(
        f"/api/meetings/{meeting.pk}/sign-in/", {"method": "code", "code": shown["code"]}
    )
    assert again.status_code == 400 and "member" in again.json()
    forged = client_for(world.secretary).post(
        f"/api/meetings/{meeting.pk}/sign-in/", {"method": "qr", "token": shown["token"] + "x"}
    )
    assert forged.status_code == 400 and "token" in forged.json()

    # A member sees only their own attendance row; the secretary sees everyone.
    assert [r["member"] for r in member.get(f"/api/meetings/{meeting.pk}/attendance/").json()] == [
        world.member.pk
    ]
    assert len(secretary.get(f"/api/meetings/{meeting.pk}/attendance/").json()) == 3


def test_secretary_journey_record_confirm_amend(
    world, meeting, clock, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world.secretary)
    url = f"/api/meetings/{meeting.pk}/"
    clock.move_to(END + timedelta(hours=2))
    tick = client.post(
        url + "sign-in/", {"method": "roster", "member": world.other_member.pk}, format="json"
    )
    assert tick.status_code == 200 and tick.json()["sign_in_method"] == "roster"
    bad = client.post(
        url + "record/",
        {"actual_start": iso(END), "actual_end": iso(START)},
        format="json",
    )
    assert bad.status_code == 400 and "actual_end" in bad.json()
    recorded = client.post(
        url + "record/",
        {
            "actual_start": iso(START),
            "actual_end": iso(END),
            "minutes": "<p>讨论</p><script>x()</script>",
            "outcomes": {str(world.secretary_member.pk): "present"},
            "decisions": ["通过年度计划"],
        },
        format="json",
    )
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["minutes"] == "<p>讨论</p>"
    assert recorded.json()["status"] == "held"

    upload = client.post(
        url + "attachments/", {"file": SimpleUploadedFile("合影.png", PNG)}, format="multipart"
    )
    assert upload.status_code == 201, upload.json()
    assert upload.json()["content_type"] == "image/png"
    fake = client.post(
        url + "attachments/",
        {"file": SimpleUploadedFile("合影.jpg", b"hello world, not a photo")},
        format="multipart",
    )
    assert fake.status_code == 400 and "file" in fake.json()
    assert Attachment.objects.count() == 1
    assert len(client.get(url + "attachments/").json()) == 1

    step = client.post(url + "steps/", {"code": "nope", "done_on": "2026-10-12"}, format="json")
    assert step.status_code == 400 and "code" in step.json()
    talk = client.post(url + "discussion/", {"text": "发言", "speaker": world.member.pk})
    assert talk.status_code == 201

    confirmed = client.post(url + "confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert Makeup.objects.filter(member=world.member).count() == 1

    locked = client.patch(url, {"topic": "改"}, format="json")
    assert locked.status_code == 400 and "锁定" in locked.json()["meeting"][0]
    no_reason = client.post(url + "amend/", {"field": "topic", "value": "改", "reason": ""})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    amended = client.post(
        url + "amend/", {"field": "topic", "value": "改后的主题", "reason": "笔误"}
    )
    assert amended.status_code == 201
    history = client.get(url + "amend/").json()
    assert [(h["old_value"], h["new_value"], h["by"]) for h in history] == [
        ("学习党的二十届四中全会精神", "改后的主题", world.secretary.pk)
    ]
    member = client_for(world.member_user)
    assert member.post(url + "confirm/").status_code == 403  # visible, not theirs to confirm
    assert (
        member.post(url + "amend/", {"field": "topic", "value": "x", "reason": "r"}).status_code
        == 403
    )


def test_makeups_api(world, meeting, clock, client_for):
    clock.move_to(END + timedelta(hours=1))
    services.meeting_record(
        actor=world.secretary,
        meeting=meeting,
        actual_start=START,
        actual_end=END,
        minutes="<p>记录</p>",
    )
    services.record_confirm(actor=world.secretary, meeting=meeting)
    member, secretary = client_for(world.member_user), client_for(world.secretary)
    mine = member.get("/api/makeups/").json()["results"]
    assert [m["member"] for m in mine] == [world.member.pk]
    assert secretary.get("/api/makeups/").json()["count"] == 3
    assert client_for(world.sibling_secretary).get("/api/makeups/").json()["count"] == 0
    makeup_id = mine[0]["id"]
    empty = member.post(f"/api/makeups/{makeup_id}/submit/", {"method": "study"})
    assert empty.status_code == 400 and "reflection" in empty.json()
    done = member.post(
        f"/api/makeups/{makeup_id}/submit/", {"method": "study", "reflection": "心得"}
    )
    assert done.status_code == 200 and done.json()["submitted_at"]
    assert member.post(f"/api/makeups/{makeup_id}/complete/").status_code == 403
    ok = secretary.post(f"/api/makeups/{makeup_id}/complete/", {}, format="json")
    assert ok.status_code == 200 and ok.json()["is_done"] is True
    clock.move_to(at(11, 20, 9))
    overdue = secretary.get("/api/makeups/?overdue=true").json()
    assert overdue["count"] == 2


def test_leave_list_scope_and_query_count(world, clock, client_for, django_assert_max_num_queries):
    people = [world.member_user, world.secretary] + [
        MemberFactory(branch=world.branch, user=UserFactory()).user for _ in range(6)
    ]
    meeting = services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="general_meeting",
        topic="党员大会",
        planned_start=START,
        planned_end=END,
    )
    for user in people[:2]:
        services.leave_request(actor=user, meeting=meeting, reason="出差")
    with django_assert_max_num_queries(8) as few:
        assert client_for(world.admin).get("/api/leave-requests/").json()["count"] == 2
    for user in people[2:]:
        services.leave_request(actor=user, meeting=meeting, reason="出差")
    admin = type(world.admin).objects.get(pk=world.admin.pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client_for(admin).get("/api/leave-requests/").json()["count"] == 8
    assert client_for(world.member_user).get("/api/leave-requests/").json()["count"] == 1
    assert client_for(world.sibling_secretary).get("/api/leave-requests/").json()["count"] == 0


def test_plans_api(world, clock, client_for):
    client = client_for(world.secretary)
    body = {"org": world.branch.pk, "year": 2026, "month": 10, "content": "十月计划"}
    assert client.post("/api/plans/", body, format="json").status_code == 201
    replaced = client.post("/api/plans/", {**body, "content": "十月计划（修订）"}, format="json")
    assert replaced.status_code == 201 and Plan.objects.get().content == "十月计划（修订）"
    bad = client.post("/api/plans/", {**body, "month": 13}, format="json")
    assert bad.status_code == 400 and "month" in bad.json()
    assert client_for(world.member_user).get("/api/plans/").json()["count"] == 1
    assert client_for(world.member_user).post("/api/plans/", body, format="json").status_code == 404
    assert client_for(world.sibling_secretary).get("/api/plans/").json()["count"] == 0


def test_cancel_and_update_via_api(world, meeting, clock, client_for):
    client = client_for(world.secretary)
    url = f"/api/meetings/{meeting.pk}/"
    moved = client.patch(
        url,
        {"planned_start": iso(at(10, 13, 9)), "planned_end": iso(at(10, 13, 11))},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["planned_start"].startswith("2026-10-13")
    assert client.post(url + "cancel/", {"reason": ""}).status_code == 400
    cancelled = client.post(url + "cancel/", {"reason": "上级临时通知开会"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
