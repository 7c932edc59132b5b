"""Acting for members without a smartphone: the secretary files leave (marked, with the time
the member asked) and enters a make-up; both show in the member's history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhibu.orglife import services
from zhibu.orglife.models import LeaveRequest, LeaveStatus, Makeup, Outcome
from zhibu.orglife.tests.conftest import NOW, START
from zhibu.orglife.tests.test_leave_makeup import hold_and_confirm, outcome

pytestmark = pytest.mark.django_db

ASKED = NOW - timedelta(hours=20)  # the member phoned yesterday


def test_secretary_files_and_approves_leave_before_the_start(world, meeting, clock):
    leave = services.leave_file_for(
        actor=world.secretary,
        meeting=meeting,
        member=world.other_member,
        reason="住院",
        requested_at=ASKED,
        approve=True,
    )
    assert (leave.filed_by, leave.requested_at) == (world.secretary, ASKED)
    assert (leave.status, leave.decided_by, leave.decided_at) == (
        LeaveStatus.APPROVED,
        world.secretary,
        NOW,
    )
    assert leave.excuses
    hold_and_confirm(world, meeting, clock, signed=[world.secretary_member, world.member])
    assert outcome(meeting, world.other_member) == Outcome.ON_LEAVE


def test_filed_leave_can_wait_for_the_usual_decision(world, meeting, clock):
    leave = services.leave_file_for(
        actor=world.secretary,
        meeting=meeting,
        member=world.other_member,
        reason="外出",
        requested_at=ASKED,
    )
    assert leave.status == LeaveStatus.PENDING and leave.decided_by is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"requested_at": NOW + timedelta(minutes=1)},
            "requested_at",
            "党员提出请假的时间不能晚于现在",
        ),
        ({"reason": "  "}, "reason", "请填写请假事由"),
    ],
)
def test_bad_filing_is_refused_and_nothing_written(world, meeting, clock, changes, field, message):
    data = {"reason": "住院", "requested_at": ASKED, **changes}
    with pytest.raises(ValidationError) as caught:
        services.leave_file_for(
            actor=world.secretary, meeting=meeting, member=world.other_member, **data
        )
    assert caught.value.message_dict[field] == [message]
    assert not LeaveRequest.objects.exists()


def test_filing_for_someone_not_due_or_out_of_scope(world, meeting, clock):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(ValidationError) as caught:
        services.leave_file_for(
            actor=world.secretary,
            meeting=meeting,
            member=world.sibling_member,
            reason="x",
            requested_at=ASKED,
        )
    assert caught.value.messages == ["钱党员不在本次会议的应到人员名单中，无需请假"]
    with pytest.raises(Http404):
        services.leave_file_for(
            actor=world.sibling_secretary,
            meeting=meeting,
            member=world.other_member,
            reason="x",
            requested_at=ASKED,
        )
    with pytest.raises(PermissionDenied):
        services.leave_file_for(
            actor=world.member_user,
            meeting=meeting,
            member=world.other_member,
            reason="x",
            requested_at=ASKED,
        )
    assert not LeaveRequest.objects.exists()


def test_makeup_entered_by_the_secretary_is_marked(world, meeting, clock):
    hold_and_confirm(world, meeting, clock, signed=[world.secretary_member, world.member])
    makeup = Makeup.objects.get(member=world.other_member)
    makeup = services.makeup_complete(
        actor=world.secretary, makeup=makeup, method="study", reflection="学习了会议记录"
    )
    assert makeup.recorded_by == world.secretary and makeup.is_done


def test_leave_file_page_and_member_history(client, world, meeting, clock):
    url = reverse("orglife:leave_file", args=[meeting.pk])
    history = reverse("orglife:member_history", args=[world.other_member.pk])
    assert client.get(url).status_code == 302
    for user in (world.outsider, world.sibling_secretary):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(history).status_code == 404
    client.force_login(world.member_user)
    assert client.get(url).status_code == 404  # may see the meeting, may not approve
    assert client.get(history).context["rows"] == []  # another member's records are private
    client.force_login(world.secretary)
    page = client.get(url)
    assert page.status_code == 200
    assert (
        "代党员请假" in client.get(reverse("orglife:meeting", args=[meeting.pk])).content.decode()
    )
    response = client.post(
        url,
        {
            "member": world.other_member.pk,
            "reason": "住院",
            "requested_at": ASKED.strftime("%Y-%m-%dT%H:%M"),
            "approve": "on",
        },
    )
    assert response.status_code == 302
    leave = LeaveRequest.objects.get(member=world.other_member)
    assert leave.filed_by == world.secretary and leave.status == LeaveStatus.APPROVED
    clock.move_to(START - timedelta(hours=1))
    hold_and_confirm(world, meeting, clock, signed=[world.secretary_member, world.member])
    services.makeup_complete(
        actor=world.secretary,
        makeup=Makeup.objects.get(member=world.other_member),
        method="study",
        reflection="学习了记录",
    )
    page = client.get(history)
    text = page.content.decode()
    assert [a.meeting_id for a in page.context["rows"]] == [meeting.pk]
    assert text.count(f"由 {world.secretary} 代为登记") == 2  # the leave and the make-up


def test_history_query_count_does_not_grow(client, world, meeting, clock):
    client.force_login(world.secretary)
    history = reverse("orglife:member_history", args=[world.other_member.pk])

    def measure() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(history).status_code == 200
        return len(ctx)

    small = measure()
    for day in range(1, 6):
        start = START + timedelta(days=day)
        services.meeting_schedule(
            actor=world.secretary,
            org=world.branch,
            meeting_type="party_lecture",
            topic=f"党课{day}",
            planned_start=start,
            planned_end=start + timedelta(hours=2),
            place="会议室",
        )
    assert measure() == small


def test_api_parity(world, meeting, clock):
    from rest_framework.test import APIClient

    client = APIClient()
    body = {
        "meeting": meeting.pk,
        "member": world.other_member.pk,
        "reason": "住院",
        "requested_at": ASKED.isoformat(),
        "approve": True,
    }
    client.force_authenticate(world.sibling_secretary)
    assert client.post("/api/leave-requests/file/", body, format="json").status_code in (400, 404)
    client.force_authenticate(world.secretary)
    response = client.post("/api/leave-requests/file/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["filed_by"] == world.secretary.pk
    assert response.json()["status"] == "approved"
