from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from zhibu.members.models import MemberStatus
from zhibu.members.services import position_assign
from zhibu.members.tests.factories import MemberFactory
from zhibu.orglife.models import Attendance, Meeting, ProcedureStep
from zhibu.orgs.tests.factories import GrantFactory, UserFactory
from zhibu.reports import services
from zhibu.reports.models import Opinion, ReportStatus, ThoughtReport
from zhibu.reports.selectors import readable_reports, report_counts

pytestmark = pytest.mark.django_db


def submit(user, title="第四季度思想汇报"):
    return services.report_save(actor=user, title=title, body="学习了党章。", submit=True)


def test_report_privacy_across_the_permission_matrix(world):
    report = submit(world.member_user)
    mentor_user = UserFactory()
    mentor = MemberFactory(branch=world.branch, user=mentor_user)
    services.mentorship_assign(
        actor=None, member=world.member, mentor=mentor, start=date(2020, 1, 1)
    )
    explicit = UserFactory()
    GrantFactory(user=explicit, org=world.committee, role="org_viewer", reports=True)
    readers = {
        world.member_user: True,  # the author
        world.secretary: True,  # branch secretary
        mentor_user: True,  # 培养联系人
        explicit: True,  # a grant that explicitly includes reports
        world.admin: False,  # organization administrator: counts only
        world.sibling_secretary: False,
        world.outsider: False,
        world.superuser: False,  # private even from the system administrator
    }
    other_member_user = UserFactory()
    MemberFactory(branch=world.branch, user=other_member_user)
    readers[other_member_user] = False  # a fellow member of the same branch
    for user, allowed in readers.items():
        assert services.can_read_report(user, report) is allowed, user.username
        assert readable_reports(user=user).filter(pk=report.pk).exists() is allowed, user.username


def test_admin_sees_counts_not_content(world, client):
    submit(world.member_user)
    from zhibu.core.periods import year

    counts = list(report_counts(user=world.admin, period=year(timezone.localdate().year)))
    assert counts == [
        {"org_id": world.branch.pk, "org__name": "第一党支部", "count": 1, "members": 1}
    ]
    report = ThoughtReport.objects.get()
    client.force_login(world.admin)
    assert client.get(f"/reports/{report.pk}/").status_code == 404


def test_review_then_only_amendments(world):
    report = submit(world.member_user)
    with pytest.raises(Http404):
        services.report_review(actor=world.sibling_secretary, report=report, comment="好")
    with pytest.raises(ValidationError, match="审阅意见"):
        services.report_review(actor=world.secretary, report=report, comment="  ")
    services.report_review(actor=world.secretary, report=report, comment="认识深刻，继续努力")
    report.refresh_from_db()
    assert report.status == ReportStatus.REVIEWED and report.reviewed_by == world.secretary
    with pytest.raises(ValidationError, match="补充说明"):
        services.report_save(actor=world.member_user, report=report, title="x", body="改了")
    with pytest.raises(ValidationError, match="原因"):
        services.report_amend(actor=world.member_user, report=report, body="补充", reason="")
    services.report_amend(actor=world.member_user, report=report, body="补充一点", reason="遗漏")
    report.refresh_from_db()
    assert report.body == "学习了党章。"  # the original stays
    assert report.amendments.get().body == "补充一点"


def olm(world, members):
    start = timezone.now() - timedelta(days=1)
    meeting = Meeting.objects.create(
        org=world.branch,
        meeting_type="org_life_meeting",
        topic="年度组织生活会",
        planned_start=start,
        planned_end=start + timedelta(hours=3),
    )
    Attendance.objects.bulk_create([Attendance(meeting=meeting, member=m) for m in members])
    return meeting


def test_anonymous_opinion_cannot_be_traced(world):
    meeting = olm(world, [world.secretary_member, world.member, world.other_member])
    opinion = services.opinion_add(
        actor=world.member_user, meeting=meeting, text="会前学习要更充分", anonymous=True
    )
    row = Opinion.objects.filter(pk=opinion.pk).values().get()
    assert row["author_id"] is None
    assert set(row) == {"id", "meeting_id", "author_id", "text", "submitted_on"}
    assert isinstance(row["submitted_on"], date) and not isinstance(row["submitted_on"], datetime)
    signed = services.opinion_add(actor=world.member_user, meeting=meeting, text="建议")
    assert signed.author == world.member


def test_olm_procedure_incomplete_until_every_step(world):
    from zhibu.orglife.meeting_types import OLM_STEPS

    members = [world.secretary_member, world.member, world.other_member]
    meeting = olm(world, members)
    today = timezone.localdate()
    services.opinion_add(actor=world.member_user, meeting=meeting, text="意见", anonymous=True)
    # committee: the secretary alone; heart talks: secretary with each member, members together
    services.heart_talk_record(
        actor=world.secretary,
        meeting=meeting,
        first=world.secretary_member,
        second=world.member,
        held_on=today,
    )
    coverage = services.heart_talk_coverage(meeting)
    assert not coverage["complete"] and coverage["members_without_committee_talk"] == [
        world.other_member.pk
    ]
    services.heart_talk_record(
        actor=world.secretary,
        meeting=meeting,
        first=world.secretary_member,
        second=world.other_member,
        held_on=today,
    )
    services.heart_talk_record(
        actor=world.secretary,
        meeting=meeting,
        first=world.member,
        second=world.other_member,
        held_on=today,
    )
    assert services.heart_talk_coverage(meeting)["complete"]
    for user in (world.secretary, world.member_user):
        services.self_exam_submit(actor=user, meeting=meeting, text="查摆问题")
    codes = set(ProcedureStep.objects.filter(meeting=meeting).values_list("code", flat=True))
    assert "self_check" not in codes  # 王党员 has not written one yet
    assert {"solicit", "heart_talk"} <= codes
    services.criticism_add(
        actor=world.secretary,
        meeting=meeting,
        speaker=world.member,
        target=world.member,
        text="自我批评",
    )
    services.rectification_add(
        actor=world.secretary,
        org=world.branch,
        meeting=meeting,
        problem="学习不够",
        measure="每月读书",
        owner=world.member,
        deadline=today + timedelta(days=60),
    )
    codes = set(ProcedureStep.objects.filter(meeting=meeting).values_list("code", flat=True))
    missing = {s.code for s in OLM_STEPS} - codes
    assert missing == {"theme", "pre_study", "self_check", "report"}


def review_world(world):
    probationary = MemberFactory(
        branch=world.branch, status=MemberStatus.PROBATIONARY, user=UserFactory()
    )
    review = services.review_open(actor=world.secretary, org=world.branch, year=2026)
    return review, probationary


def test_votes_once_and_only_by_entitled_members(world):
    review, probationary = review_world(world)
    services.peer_vote(
        actor=world.member_user, review=review, subject=world.other_member, grade="excellent"
    )
    with pytest.raises(ValidationError, match="只能评一次"):
        services.peer_vote(
            actor=world.member_user, review=review, subject=world.other_member, grade="qualified"
        )
    with pytest.raises(ValidationError, match="没有表决权"):
        services.peer_vote(
            actor=probationary.user, review=review, subject=world.member, grade="qualified"
        )
    with pytest.raises(ValidationError, match="不参加评定"):
        services.peer_vote(
            actor=world.member_user, review=review, subject=probationary, grade="qualified"
        )
    with pytest.raises(ValidationError, match="不能评自己"):
        services.peer_vote(
            actor=world.member_user, review=review, subject=world.member, grade="excellent"
        )
    with pytest.raises(Http404):
        services.peer_vote(
            actor=world.sibling_secretary, review=review, subject=world.member, grade="qualified"
        )
    services.peer_vote(
        actor=world.secretary, review=review, subject=world.other_member, grade="qualified"
    )
    assert services.vote_tally(review) == {world.other_member.pk: {"excellent": 1, "qualified": 1}}
    # probationary members take part but are not graded
    assert not review.outcomes.filter(member=probationary).exists()


def test_excellent_cap_needs_a_reason(world):
    review, _ = review_world(world)
    full = [world.secretary_member, world.member, world.other_member]
    assert services.excellent_cap(review) == 1  # 1/3 of three full members
    grades = {m.pk: "excellent" for m in full[:2]} | {full[2].pk: "qualified"}
    with pytest.raises(ValidationError, match="超过上限 1 人"):
        services.review_decide(actor=world.secretary, review=review, grades=grades)
    with pytest.raises(ValidationError, match="未评定"):
        services.review_decide(
            actor=world.secretary, review=review, grades={full[0].pk: "qualified"}
        )
    services.review_decide(
        actor=world.secretary, review=review, grades=grades, override_reason="两人获县级表彰"
    )
    review.refresh_from_db()
    assert review.stage == "decided" and review.cap_override_reason == "两人获县级表彰"


def test_excellent_cap_follows_the_parameter(world):
    from zhibu.orgs.services import parameter_set

    review, _ = review_world(world)
    # A larger share loosens the 1/3: the committee sets it for its subtree, with a reason.
    parameter_set(
        actor=world.admin,
        org=world.committee,
        key="excellent_cap",
        value="2/3",
        reason="先进典型集中的试点单位",
    )
    assert services.excellent_cap(review) == 2  # 2/3 of three full members
    grades = {world.secretary_member.pk: "excellent", world.member.pk: "excellent"}
    grades[world.other_member.pk] = "qualified"
    services.review_decide(actor=world.secretary, review=review, grades=grades)
    assert review.outcomes.filter(grade="excellent").count() == 2


def test_unqualified_member_disposition_is_tracked(world):
    review, _ = review_world(world)
    grades = {
        world.secretary_member.pk: "qualified",
        world.member.pk: "qualified",
        world.other_member.pk: "unqualified",
    }
    services.review_decide(actor=world.secretary, review=review, grades=grades)
    outcome = review.outcomes.get(member=world.other_member)
    with pytest.raises(ValidationError, match="先确定"):
        services.outcome_follow_up_done(actor=world.secretary, outcome=outcome, on=date(2027, 3, 1))
    services.outcome_dispose(
        actor=world.secretary,
        outcome=outcome,
        disposition="deadline_correction",
        deadline=date(2027, 12, 31),
    )
    services.outcome_follow_up_done(actor=world.secretary, outcome=outcome, on=date(2027, 3, 1))
    outcome.refresh_from_db()
    assert outcome.follow_up_done_on == date(2027, 3, 1)
    with pytest.raises(ValidationError, match="不合格"):
        services.outcome_dispose(
            actor=world.secretary,
            outcome=review.outcomes.get(member=world.member),
            disposition="removal",
            deadline=date(2027, 1, 1),
        )


def test_member_file_page_and_export(world, client, django_assert_max_num_queries):
    submit(world.member_user)
    client.force_login(world.secretary)
    page = client.get(f"/reports/member/{world.member.pk}/")
    assert page.status_code == 200 and "第四季度思想汇报" in page.content.decode()
    export = client.get(f"/reports/member/{world.member.pk}/?format=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(world.sibling_secretary)
    assert client.get(f"/reports/member/{world.member.pk}/").status_code == 404
    client.force_login(world.admin)
    body = client.get(f"/reports/member/{world.member.pk}/").content.decode()
    assert "第四季度思想汇报" not in body  # the title is content too


def test_secretary_position_ended_loses_access(world):
    report = submit(world.member_user)
    deputy_user = UserFactory()
    deputy = MemberFactory(branch=world.branch, user=deputy_user)
    position_assign(
        member=deputy, org=world.branch, role="deputy_secretary", start=date(2020, 1, 1)
    )
    assert services.can_read_report(deputy_user, report)


def test_rectification_is_verified_by_the_level_above_with_a_recheck(world, client):
    meeting = olm(world, [world.secretary_member, world.member])
    item = services.rectification_add(
        actor=world.secretary,
        org=world.branch,
        meeting=meeting,
        problem="学习流于形式",
        measure="每月专题研讨",
        owner=world.member,
        deadline=timezone.localdate() + timedelta(days=30),
    )
    with pytest.raises(ValidationError, match="尚未完成"):
        services.rectification_verify(actor=world.admin, item=item)
    with pytest.raises(ValidationError, match="完成情况"):
        services.rectification_done(actor=world.secretary, item=item, evidence="")
    services.rectification_done(actor=world.secretary, item=item, evidence="已开展三次研讨")
    with pytest.raises(ValidationError, match="上级"):
        services.rectification_verify(actor=world.secretary, item=item)
    services.rectification_verify(actor=world.admin, item=item)
    item.refresh_from_db()
    assert item.status == "verified" and item.recheck_on > timezone.localdate()
    client.force_login(world.secretary)
    page = client.get(f"/reports/olm/{meeting.pk}/").content.decode()
    assert "回头看" in page and "学习流于形式" in page


def test_review_pages_permission_matrix(world, client):
    client.force_login(world.secretary)
    response = client.post("/reports/review/", {"org": world.branch.pk, "year": 2026})
    assert response.status_code == 302
    review_url = response["Location"]
    assert (
        client.post("/reports/review/", {"org": world.sibling.pk, "year": 2026}).status_code == 404
    )
    again = client.post("/reports/review/", {"org": world.branch.pk, "year": 2026})
    assert "已经开始" in again.content.decode()
    client.force_login(world.member_user)
    assert client.get(review_url).status_code == 200
    client.force_login(world.sibling_secretary)
    assert client.get(review_url).status_code == 404
    client.logout()
    assert client.get(review_url).status_code == 302


def test_member_file_counts_outcomes_by_their_labels(world, client):
    """出席 2 · 迟到 1 · 待记录 1, never `present：2 late：1 pending：1`."""
    from datetime import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    from zhibu.orglife import services as orglife

    sh = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(dt(2026, 10, 9, 10, tzinfo=sh), tick=False) as clock:
        meetings = [
            orglife.meeting_schedule(
                actor=world.secretary,
                org=world.branch,
                meeting_type="general_meeting",
                topic=f"第{i}次党员大会",
                planned_start=dt(2026, 10, 12 + i, 14, tzinfo=sh),
                planned_end=dt(2026, 10, 12 + i, 17, tzinfo=sh),
            )
            for i in range(4)
        ]
        clock.move_to(dt(2026, 10, 20, 9, tzinfo=sh))
        for meeting, outcome in zip(meetings[:3], ("present", "late", "present"), strict=True):
            orglife.meeting_record(
                actor=world.secretary,
                meeting=meeting,
                actual_start=meeting.planned_start,
                actual_end=meeting.planned_end,
                outcomes={world.member.pk: outcome},
            )
        client.force_login(world.secretary)
        html = client.get(f"/reports/member/{world.member.pk}/?year=2026").content.decode()
    for tag in ("出席：2", "迟到：1", "待记录：1"):
        assert f'<span class="tag">{tag}</span>' in html, tag
    for code in ("present", "late", "pending"):
        assert code not in html.split("<main", 1)[1], code


def test_review_page_counts_peer_votes_by_grade_label(world, client):
    review, _ = review_world(world)
    services.peer_vote(
        actor=world.member_user, review=review, subject=world.other_member, grade="excellent"
    )
    services.peer_vote(
        actor=world.secretary, review=review, subject=world.other_member, grade="qualified"
    )
    client.force_login(world.secretary)
    html = client.get(f"/reports/review/{review.pk}/").content.decode()
    assert '<small data-testid="votes">优秀 1、合格 1</small>' in html
    assert "qualified:" not in html and "excellent:" not in html


def test_member_file_workbook_sorts_dates_as_dates_with_a_frozen_header(world, client):
    from io import BytesIO

    from openpyxl import load_workbook

    submit(world.member_user)
    client.force_login(world.secretary)
    year = timezone.localdate().year
    export = client.get(f"/reports/member/{world.member.pk}/?year={year}&format=xlsx")
    book = load_workbook(BytesIO(export.content))
    assert book.sheetnames == ["组织生活", "补课", "汇报", "民主评议"]
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2" and ws["A1"].font.bold
        assert ws.column_dimensions["A"].width >= 8
    reports = book["汇报"]
    assert isinstance(reports["A2"].value, datetime)  # a date cell, not the text "2026-…"
    assert reports["A2"].number_format == "yyyy-mm-dd"
    assert reports["B2"].value == "第四季度思想汇报"


def test_member_file_export_has_no_formula(world, client):
    """A topic starting with "=" is exported as text, not as a live formula."""
    from io import BytesIO

    from openpyxl import load_workbook

    from zhibu.core.tests.test_xlsx import EVIL, formulas

    start = timezone.now() - timedelta(days=1)
    meeting = Meeting.objects.create(
        org=world.branch,
        meeting_type="party_class",
        topic=EVIL[0],
        planned_start=start,
        planned_end=start + timedelta(hours=2),
    )
    Attendance.objects.create(meeting=meeting, member=world.member)
    client.force_login(world.secretary)
    url = f"/reports/member/{world.member.pk}/?format=xlsx&year={start.year}"
    content = client.get(url).content
    assert formulas(content) == []
    rows = load_workbook(BytesIO(content)).worksheets[0].iter_rows(values_only=True)
    assert EVIL[0] in {v for row in rows for v in row}


@pytest.mark.parametrize("year", ["abc", "0", "99999", "9" * 30, "２０２６x"])
def test_member_file_with_a_bad_year_says_so_and_shows_this_year(world, client, year):
    client.force_login(world.secretary)
    response = client.get(f"/reports/member/{world.member.pk}/?year={year}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "年度" in body and str(timezone.localdate().year) in body


@pytest.mark.parametrize("year", ["abc", "", "9" * 30, "397", "99999"])
def test_review_with_a_bad_year_is_refused_with_a_message(world, client, year):
    from zhibu.reports.models import DemocraticReview

    client.force_login(world.secretary)
    response = client.post("/reports/review/", {"org": world.branch.pk, "year": year})
    assert response.status_code == 200
    assert "年度" in response.content.decode()
    assert not DemocraticReview.objects.exists()


def test_review_service_checks_the_year_too(world):
    with pytest.raises(ValidationError) as exc:
        services.review_open(actor=world.secretary, org=world.branch, year=397)
    assert "评议年度的年份应在 1921 到 2100 之间" in exc.value.message_dict["year"][0]
