"""Writes of organizational life: every change to a plan, meeting, attendance, leave or make-up.

Each function takes the acting account as `actor` (None for system jobs), re-checks the actor's
scope inside its transaction, validates with a Chinese message keyed by field, and writes all
or nothing. Pages and the API call these functions; nothing else writes these tables.
"""

from __future__ import annotations

import os
import secrets
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

import filetype
import nh3
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model, Q
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from zhibu.compliance import services as compliance_services
from zhibu.core.params import YEAR_MAX, YEAR_MIN
from zhibu.core.text import normalize_digits
from zhibu.members.models import BranchTenure, CommitteePosition, CommitteeRole, Member
from zhibu.members.selectors import tenures_on
from zhibu.orglife.meeting_types import MEETING_TYPES, Attendees, ContentCategory, MeetingType
from zhibu.orglife.models import (
    Amendment,
    Attachment,
    Attendance,
    Decision,
    DiscussionEntry,
    LeaveRequest,
    LeaveStatus,
    Makeup,
    MakeupMethod,
    Meeting,
    MeetingStatus,
    Outcome,
    Plan,
    ProcedureStep,
    SignInMethod,
)
from zhibu.orglife.signin import (
    check_token,
    code_attempt_refused,
    code_matches,
    count_wrong_code,
    signin_window,
)
from zhibu.orglife.signin import signin_code as signin_code  # re-exported: the contract
from zhibu.orglife.signin import signin_token as signin_token  # re-exported: the contract
from zhibu.orglife.signin import signin_url as signin_url  # re-exported: the contract
from zhibu.orgs.models import Organization
from zhibu.orgs.permissions import Action, can, user_scope
from zhibu.orgs.selectors import parameter_value

# Outcomes that mean the member was there (for make-ups by a later session, amendments).
ATTENDED = frozenset({Outcome.PRESENT, Outcome.LATE, Outcome.LEFT_EARLY})
# Outcomes that create a make-up obligation (organ_makeup: excused or not).
MISSED = frozenset({Outcome.ABSENT, Outcome.ON_LEAVE})

# Minutes are rich text from an editor; keep structure, drop everything that can run or load.
MINUTES_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "del", "ins", "sub", "sup", "mark",
    "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "pre", "code", "hr", "span", "a",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
}  # fmt: skip
MINUTES_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan"}}

# Attachments: detected content type -> extensions a file of that type may carry.
ALLOWED_UPLOADS: dict[str, tuple[str, ...]] = {
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "image/heic": ("heic",),
    "application/pdf": ("pdf",),
    "application/msword": ("doc",),
    "application/vnd.ms-excel": ("xls",),
    "application/vnd.ms-powerpoint": ("ppt",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
    "application/vnd.oasis.opendocument.text": ("odt",),
    "application/vnd.oasis.opendocument.spreadsheet": ("ods",),
    "application/vnd.oasis.opendocument.presentation": ("odp",),
}
# OOXML files are zip archives; the sniffer sometimes only sees "zip" in the first bytes.
_OOXML_PREFIX = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
# Old Office files share one container (OLE2); its magic bytes prove only "some Office file".
_OLE_TYPES = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
UPLOAD_HINT = "仅支持图片（JPG、PNG、GIF、WEBP、HEIC）、PDF 和 Office 文档（Word、Excel、PPT）"

# Meeting fields an update (before confirmation) or an amendment (after) may change.
UPDATABLE_FIELDS = frozenset(
    {
        "topic",
        "place",
        "agenda",
        "materials",
        "lecturer",
        "content_category",
        "planned_start",
        "planned_end",
        "late_entry_reason",
    }
)
AMENDABLE_FIELDS = frozenset(
    {
        "topic",
        "place",
        "agenda",
        "materials",
        "lecturer",
        "content_category",
        "minutes",
        "actual_start",
        "actual_end",
    }
)
ATTENDANCE_FIELD_PREFIX = "attendance:"


# --- helpers ----------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _require(actor, action: Action, obj: Model, message: str) -> None:
    """Scope check for a write: 404 if the object is out of sight, 403 with `message` if it is
    visible but the actor may not do this (e.g. a plain member trying to approve a leave)."""
    if actor is None or can(actor, action, obj):
        return
    if can(actor, Action.VIEW, obj):
        raise PermissionDenied(message)
    raise Http404


def _require_manage(actor, meeting: Meeting) -> None:
    _require(actor, Action.MANAGE_ORGLIFE, meeting, "只有支部委员会成员可以安排和记录组织生活")


def _own_member(actor) -> Member | None:
    if actor is None or not actor.is_authenticated:
        return None
    member_id = user_scope(actor).member_id
    if member_id is None:
        return None
    return Member.objects.filter(pk=member_id).first()


def _type_of(meeting: Meeting) -> MeetingType:
    return MEETING_TYPES[meeting.meeting_type]


def _meeting_for_update(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("org").get(pk=meeting.pk)


def _check_open(meeting: Meeting, *, field: str = "meeting") -> None:
    """Refuse changes to a cancelled meeting or to a confirmed (locked) record."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError({field: "该会议已取消，不能再修改"}, code="cancelled")
    if meeting.is_locked:
        raise ValidationError(
            {field: "会议记录已确认锁定；如需更正，请提交补正并说明原因"}, code="locked"
        )


def _text_required(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message}, code="required")
    return value


def sanitize_minutes(html: str) -> str:
    """Minutes are shown as HTML: keep formatting, drop scripts, event handlers and styles."""
    return nh3.clean(
        html or "",
        tags=MINUTES_TAGS,
        attributes=MINUTES_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
    ).strip()


def _plain_text(html: str) -> str:
    return nh3.clean(html or "", tags=set()).strip()


def meeting_day(meeting: Meeting) -> date:
    """The local date a meeting is (or was) held on: the real start once recorded."""
    return timezone.localdate(meeting.actual_start or meeting.planned_start)


def late_entry_days(org: Organization) -> int:
    """Days after which a record is a late entry (补记), from the parameter registry."""
    return int(parameter_value(org, "late_entry_days"))


def makeup_days(org: Organization) -> int:
    """Days an absentee has to make up a meeting, from the parameter registry."""
    return int(parameter_value(org, "makeup_days"))


# --- due attendees ----------------------------------------------------------------------------


def due_attendees(org: Organization, code: str, day: date) -> list[tuple[int, bool]]:
    """(member id, is leading cadre) of everyone due at a meeting of type `code` on `day`.

    Taken from branch tenures on that day, so a member transferred later still owes the meeting
    of the branch they belonged to then. One query.
    """
    mt = MEETING_TYPES[code]
    if not mt.register_attendance:
        return []
    if mt.attendees == Attendees.WHOLE_BRANCH:
        member_ids = tenures_on([org.pk], day).values("member_id")
    elif mt.attendees == Attendees.PARTY_GROUP:
        member_ids = (
            tenures_on([org.parent_id], day).filter(party_group_id=org.pk).values("member_id")
        )
    elif mt.attendees in (Attendees.COMMITTEE, Attendees.LEADERSHIP):
        member_ids = (
            CommitteePosition.objects.filter(org=org, start__lte=day)
            .filter(Q(end__isnull=True) | Q(end__gte=day))
            .exclude(role=CommitteeRole.PARTY_GROUP_LEADER)
            .values("member_id")
        )
    else:  # a pair (谈心谈话) has no roster to snapshot
        return []
    return list(
        Member.objects.filter(pk__in=member_ids, is_active=True)
        .order_by("pk")
        .values_list("pk", "is_leading_cadre")
    )


def _snapshot_attendees(meeting: Meeting) -> None:
    rows = due_attendees(meeting.org, meeting.meeting_type, meeting_day(meeting))
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, member_id=pk, is_leading_cadre=lc) for pk, lc in rows]
    )


def _resync_attendees(meeting: Meeting) -> None:
    """After a move: drop members no longer due, add newly due ones, keep the rest as they are
    (with their sign-ins)."""
    rows = dict(due_attendees(meeting.org, meeting.meeting_type, meeting_day(meeting)))
    existing = set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))
    gone = existing - rows.keys()
    if gone:
        Attendance.objects.filter(meeting=meeting, member_id__in=gone).delete()
        LeaveRequest.objects.filter(meeting=meeting, member_id__in=gone).delete()
    Attendance.objects.bulk_create(
        [
            Attendance(meeting=meeting, member_id=pk, is_leading_cadre=rows[pk])
            for pk in sorted(rows.keys() - existing)
        ]
    )


def due_lists_follow(
    *, actor=None, member_ids: Iterable[int], since: date, reason: str, now: datetime | None = None
) -> None:
    """After the roster changed from day `since` (a transfer, the end of a membership), make the
    due lists of the meetings held on or after that day agree with it.

    1. Unconfirmed meetings: the old branch's lose the member, the new branch's gain them. A
       member has few such meetings from a day on; each is resynced whole through
       due_attendees, the one definition of who is due, so a meeting on the transfer day
       itself is the new branch's.
    2. Records confirmed before the change was recorded (a transfer dated back): the absence
       of a member no longer due that day is withdrawn by an amendment saying `reason`, with
       its make-up, and the meeting's compliance is refreshed. An attendance stays (they were
       there); nobody is added to a locked record.

    Called by members.services right after the change, inside its transaction.
    """
    ids = list(member_ids)
    start = timezone.make_aware(datetime.combine(since, time.min))

    def from_since(prefix: str = "") -> Q:
        return Q(**{f"{prefix}actual_start__gte": start}) | Q(
            **{f"{prefix}actual_start__isnull": True, f"{prefix}planned_start__gte": start}
        )

    registered = [code for code, mt in MEETING_TYPES.items() if mt.register_attendance]
    open_statuses = (MeetingStatus.PLANNED, MeetingStatus.HELD)
    # Index-friendly halves, not one OR across joins: the members' own rows (by member), and
    # the open meetings of the branches (and their party groups) they belong to from `since`.
    theirs = set(
        Attendance.objects.filter(from_since("meeting__"), member_id__in=ids)
        .filter(
            Q(meeting__status__in=open_statuses)
            | Q(meeting__status=MeetingStatus.CONFIRMED, outcome__in=MISSED)
        )
        .values_list("meeting_id", flat=True)
    )
    branches = (
        BranchTenure.objects.filter(member_id__in=ids)
        .filter(Q(end__isnull=True) | Q(end__gte=since))
        .values("branch_id")
    )
    orgs = Organization.objects.filter(Q(pk__in=branches) | Q(parent_id__in=branches))
    theirs.update(
        Meeting.objects.filter(org_id__in=orgs.values("pk"), status__in=open_statuses)
        .filter(from_since())
        .values_list("pk", flat=True)
    )
    touched = Meeting.objects.filter(pk__in=sorted(theirs), meeting_type__in=registered)
    now = _now(now)
    for meeting in touched.select_for_update().select_related("org").order_by("pk"):
        if not meeting.is_locked:
            _resync_attendees(meeting)
            continue
        due = {
            pk for pk, _ in due_attendees(meeting.org, meeting.meeting_type, meeting_day(meeting))
        }
        withdrawn = list(
            Attendance.objects.filter(meeting=meeting, member_id__in=ids, outcome__in=MISSED)
            .exclude(member_id__in=due)
            .order_by("member_id")
        )
        if not withdrawn:
            continue
        Amendment.objects.bulk_create(
            Amendment(
                meeting=meeting,
                field=f"{ATTENDANCE_FIELD_PREFIX}{att.member_id}",
                old_value=att.outcome,
                new_value="",
                reason=reason,
                by=actor,
                at=now,
            )
            for att in withdrawn
        )
        gone = [att.member_id for att in withdrawn]
        Attendance.objects.filter(meeting=meeting, member_id__in=gone).delete()  # and make-ups
        LeaveRequest.objects.filter(meeting=meeting, member_id__in=gone).delete()
        compliance_services.refresh_for_meeting(meeting)


def _drop_not_due(meeting: Meeting, attendances: list[Attendance]) -> list[Attendance]:
    """The rows a confirmation may judge. A member not due on the meeting's day (transferred
    away, off the roster) is taken off the list, never marked absent nor given a make-up; one
    who came anyway keeps the row, the record of being there."""
    due = {pk for pk, _ in due_attendees(meeting.org, meeting.meeting_type, meeting_day(meeting))}
    gone = {
        a.member_id for a in attendances if a.member_id not in due and a.outcome not in ATTENDED
    }
    if gone:
        Attendance.objects.filter(meeting=meeting, member_id__in=gone).delete()
        LeaveRequest.objects.filter(meeting=meeting, member_id__in=gone).delete()
    return [a for a in attendances if a.member_id not in gone]


# --- plans ------------------------------------------------------------------------------------


@transaction.atomic
def plan_save(
    *, actor, org: Organization, year: int, month: int | None = None, content: str
) -> Plan:
    """Create or replace the annual plan (month None) or a monthly plan of an organization."""
    _require(actor, Action.MANAGE_ORGLIFE, org, "只有支部委员会成员可以制定组织生活计划")
    errors: dict[str, str] = {}
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = "请填写正确的年度，例如 2026"
    if month is not None and (not isinstance(month, int) or not 1 <= month <= 12):
        errors["month"] = "月份应为 1 到 12；年度计划请不填月份"
    if not (content or "").strip():
        errors["content"] = "请填写计划内容"
    if errors:
        raise ValidationError(errors)
    plan = Plan.objects.select_for_update().filter(org=org, year=year, month=month).first()
    if plan is None:
        plan = Plan(org=org, year=year, month=month, created_by=actor)
    plan.content = content.strip()
    plan.full_clean(validate_constraints=False)
    plan.save()
    return plan


# --- scheduling -------------------------------------------------------------------------------


def _check_times(start: datetime | None, end: datetime | None, prefix: str) -> None:
    errors = {}
    if start is None:
        errors[f"{prefix}_start"] = "请填写开始时间"
    if end is None:
        errors[f"{prefix}_end"] = "请填写结束时间"
    if not errors and end <= start:
        errors[f"{prefix}_end"] = "结束时间必须晚于开始时间"
    for moment, suffix in ((start, "start"), (end, "end")):
        if moment is not None and not YEAR_MIN <= moment.year <= YEAR_MAX:
            errors[f"{prefix}_{suffix}"] = (
                f"年份应在 {YEAR_MIN} 到 {YEAR_MAX} 之间（收到 {moment.year}）"
            )
    if errors:
        raise ValidationError(errors, code="time_order")


def _check_category(mt: MeetingType, category: str) -> None:
    if category not in ContentCategory.values:
        raise ValidationError({"content_category": "请选择内容类别"})
    if category not in mt.categories:
        label = ContentCategory(category).label
        raise ValidationError({"content_category": f"{mt.name}不能登记为“{label}”类内容"})


def _late_entry(org: Organization, planned_start: datetime, reason: str, now: datetime) -> bool:
    """补记: a start further in the past than the window is allowed, with a stated reason."""
    days = late_entry_days(org)
    if planned_start >= now - timedelta(days=days):
        return False
    if not (reason or "").strip():
        raise ValidationError(
            {
                "late_entry_reason": (
                    f"该会议的开始时间已过去 {days} 天以上，属于补记；请填写补记原因"
                )
            },
            code="late_entry",
        )
    return True


def meeting_schedule(
    *,
    actor,
    org: Organization,
    meeting_type: str,
    topic: str,
    planned_start: datetime,
    planned_end: datetime,
    place: str = "",
    content_category: str | None = None,
    agenda: str = "",
    materials: str = "",
    lecturer: str = "",
    late_entry_reason: str = "",
    now: datetime | None = None,
) -> Meeting:
    """Schedule a meeting and snapshot who is due to attend it on its date."""
    now = _now(now)
    planned_start, planned_end = _aware(planned_start), _aware(planned_end)
    with transaction.atomic():
        _require(actor, Action.MANAGE_ORGLIFE, org, "只有支部委员会成员可以安排组织生活")
        mt = MEETING_TYPES.get(meeting_type)
        if mt is None:
            raise ValidationError({"meeting_type": "请选择会议类型"})
        if org.kind not in mt.org_kinds:
            raise ValidationError(
                {
                    "meeting_type": (
                        f"{mt.name}不能由{org.get_kind_display()}召开：请在相应的组织下安排"
                    )
                }
            )
        topic = _text_required(topic, "topic", "请填写会议主题")
        _check_times(planned_start, planned_end, "planned")
        if content_category is None:
            content_category = (
                ContentCategory.POLITICAL_STUDY
                if ContentCategory.POLITICAL_STUDY in mt.categories
                else mt.categories[0]
            )
        _check_category(mt, content_category)
        is_late = _late_entry(org, planned_start, late_entry_reason, now)
        meeting = Meeting(
            org=org,
            meeting_type=mt.code,
            topic=topic,
            content_category=content_category,
            place=(place or "").strip(),
            agenda=agenda or "",
            materials=materials or "",
            lecturer=(lecturer or "").strip(),
            planned_start=planned_start,
            planned_end=planned_end,
            is_late_entry=is_late,
            late_entry_reason=(late_entry_reason or "").strip() if is_late else "",
            signin_code=f"{secrets.randbelow(10**6):06d}",
            created_by=actor,
        )
        meeting.full_clean()
        meeting.save()
        _snapshot_attendees(meeting)
    return meeting


def meeting_update(*, actor, meeting: Meeting, now: datetime | None = None, **fields) -> Meeting:
    """Change a meeting before its record is confirmed; a new date recomputes who is due."""
    now = _now(now)
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "该项不能修改"))
    with transaction.atomic():
        meeting = _meeting_for_update(meeting)
        _require_manage(actor, meeting)
        _check_open(meeting)
        mt = _type_of(meeting)
        old_day, old_start = meeting_day(meeting), meeting.planned_start
        for name in ("planned_start", "planned_end"):
            if name in fields:
                fields[name] = _aware(fields[name])
        if "topic" in fields:
            fields["topic"] = _text_required(fields["topic"], "topic", "请填写会议主题")
        for name, value in fields.items():
            setattr(meeting, name, value.strip() if isinstance(value, str) else value)
        _check_times(meeting.planned_start, meeting.planned_end, "planned")
        if "content_category" in fields:
            _check_category(mt, meeting.content_category)
        if meeting.planned_start != old_start and not meeting.is_late_entry:
            meeting.is_late_entry = _late_entry(
                meeting.org, meeting.planned_start, meeting.late_entry_reason, now
            )
        meeting.full_clean()
        if meeting.planned_start != old_start and meeting.actual_start is None:
            # Members were told another time: the notice has to go out again.
            meeting.notice_sent_at = None
        meeting.save()
        if meeting_day(meeting) != old_day:
            _resync_attendees(meeting)
    return meeting


@transaction.atomic
def meeting_notify(*, actor, meeting: Meeting, now: datetime | None = None) -> Meeting:
    """Send the notice: the meeting appears in attendees' "my meetings" (time is recorded once,
    so the lead time between notice and start stays honest)."""
    meeting = _meeting_for_update(meeting)
    _require_manage(actor, meeting)
    _check_open(meeting)
    if meeting.notice_sent_at is None:
        meeting.notice_sent_at = _now(now)
        meeting.save(update_fields=["notice_sent_at", "updated_at"])
    return meeting


@transaction.atomic
def meeting_cancel(*, actor, meeting: Meeting, reason: str, now: datetime | None = None) -> Meeting:
    meeting = _meeting_for_update(meeting)
    _require_manage(actor, meeting)
    reason = _text_required(reason, "reason", "请填写取消原因")
    _check_open(meeting)
    if meeting.status != MeetingStatus.PLANNED:
        raise ValidationError({"meeting": "会议已召开并有记录，不能取消"})
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason
    meeting.cancelled_at = _now(now)
    meeting.full_clean()
    meeting.save()
    return meeting


# --- sign-in ----------------------------------------------------------------------------------


def _late_after(meeting: Meeting) -> timedelta:
    return timedelta(minutes=int(parameter_value(meeting.org, "late_after_minutes")))


def sign_in(
    *,
    actor,
    meeting: Meeting,
    method: str,
    token: str | None = None,
    code: str | None = None,
    member: Member | int | None = None,
    now: datetime | None = None,
) -> Attendance:
    """Record that a due attendee is here.

    "qr" and "code": the actor signs themself in, inside the window, once. "roster": a committee
    member ticks `member` on the roster, also after the meeting from the printed sheet. A
    conditional UPDATE makes two simultaneous sign-ins of one member produce one record.
    """
    now = _now(now)
    if method not in SignInMethod.values:
        raise ValidationError({"method": "签到方式应为扫码、签到码或书记勾选"})
    with transaction.atomic():
        meeting = Meeting.objects.select_related("org").get(pk=meeting.pk)
        if method == SignInMethod.ROSTER:
            _require_manage(actor, meeting)
            if member is None:
                raise ValidationError({"member": "请选择要签到的党员"})
            member_id = member if isinstance(member, int) else member.pk
        else:
            own = _own_member(actor)
            if own is None:
                raise ValidationError({"member": "您的账号没有关联党员信息，不能签到"})
            member_id = own.pk
        if not _type_of(meeting).register_attendance:
            raise ValidationError({"meeting": "该类会议不登记考勤"})
        _check_open(meeting)
        attendance = (
            Attendance.objects.select_related("member")
            .filter(meeting=meeting, member_id=member_id)
            .first()
        )
        if attendance is None:
            who = "您" if method != SignInMethod.ROSTER else "该党员"
            raise ValidationError({"member": f"{who}不在本次会议的应到人员名单中"}, code="not_due")
        if attendance.signed_in_at is not None:
            raise ValidationError({"member": _already(attendance)}, code="already")
        outcome = Outcome.PRESENT
        if method != SignInMethod.ROSTER:
            window = signin_window(meeting)
            if not window.contains(now):
                opens = timezone.localtime(window.opens)
                closes = timezone.localtime(window.closes)
                raise ValidationError(
                    {
                        "meeting": (
                            f"现在不在签到时间内：本场会议可在 {opens:%m月%d日 %H:%M} 至 "
                            f"{closes:%m月%d日 %H:%M} 之间签到"
                        )
                    },
                    code="outside_window",
                )
            if method == SignInMethod.QR:
                check_token(meeting, token or "", now=now)
            else:
                if code_attempt_refused(meeting, member_id):
                    raise ValidationError(
                        {
                            "code": (
                                "签到码输错次数过多，暂停用签到码签到："
                                f"请 {settings.ZHIBU_SIGNIN_CODE_LOCK_MINUTES} 分钟后再试，"
                                "或扫描会场的二维码，或请书记在名单上勾选"
                            )
                        },
                        code="code_throttled",
                    )
                entered = normalize_digits((code or "").strip())
                if not code_matches(meeting, entered, now=now):
                    count_wrong_code(meeting, member_id)
                    raise ValidationError(
                        {"code": "签到码不正确，请核对会场当前显示的 6 位数字"}, code="bad_code"
                    )
            start = meeting.actual_start or meeting.planned_start
            if now > start + _late_after(meeting):
                outcome = Outcome.LATE
        updated = Attendance.objects.filter(pk=attendance.pk, signed_in_at__isnull=True).update(
            signed_in_at=now, sign_in_method=method, outcome=outcome
        )
        if not updated:
            attendance.refresh_from_db()
            raise ValidationError({"member": _already(attendance)}, code="already")
    attendance.signed_in_at, attendance.sign_in_method, attendance.outcome = now, method, outcome
    return attendance


def attendance_all_present(*, actor, meeting: Meeting, now: datetime | None = None) -> int:
    """全员到会: tick everyone still unmarked as present in one UPDATE, so the secretary only
    marks the exceptions afterwards. Members who asked for leave (pending or approved) are
    left as they are. Returns how many were ticked."""
    now = _now(now)
    with transaction.atomic():
        meeting = _meeting_for_update(meeting)
        _require_manage(actor, meeting)
        if not _type_of(meeting).register_attendance:
            raise ValidationError({"meeting": "该类会议不登记考勤"})
        _check_open(meeting)
        asked = LeaveRequest.objects.filter(meeting=meeting).exclude(status=LeaveStatus.REJECTED)
        return (
            Attendance.objects.filter(meeting=meeting, signed_in_at__isnull=True, outcome="")
            .exclude(member_id__in=asked.values("member_id"))
            .update(signed_in_at=now, sign_in_method=SignInMethod.ROSTER, outcome=Outcome.PRESENT)
        )


def attendance_mark(
    *, actor, meeting: Meeting, member: Member | int, outcome: str, now: datetime | None = None
) -> Attendance:
    """Mark one attendee's outcome before the record is confirmed (the exceptions after
    全员到会): present, late or left early count as there (ticked now if not signed in);
    on leave needs a leave approved before the start; absent or on leave clears a sign-in."""
    now = _now(now)
    member_id = member if isinstance(member, int) else member.pk
    with transaction.atomic():
        meeting = _meeting_for_update(meeting)
        _require_manage(actor, meeting)
        if not _type_of(meeting).register_attendance:
            raise ValidationError({"meeting": "该类会议不登记考勤"})
        _check_open(meeting)
        parsed = _parse_outcomes(meeting, {member_id: outcome})
        att = (
            Attendance.objects.select_for_update()
            .select_related("member")
            .filter(meeting=meeting, member_id=member_id)
            .first()
        )
        if att is None:
            raise ValidationError({"member": "该党员不在本次会议的应到人员名单中"})
        _check_on_leave(meeting, parsed, {member_id: att.member.name})
        att.outcome = parsed[member_id]
        if att.outcome in ATTENDED:
            if att.signed_in_at is None:
                att.signed_in_at, att.sign_in_method = now, SignInMethod.ROSTER
        else:
            att.signed_in_at, att.sign_in_method = None, ""
        att.save(update_fields=["outcome", "signed_in_at", "sign_in_method"])
    return att


def _already(attendance: Attendance) -> str:
    at = timezone.localtime(attendance.signed_in_at)
    return f"{attendance.member.name}已于 {at:%H:%M} 签到，不能重复签到"


# --- leave ------------------------------------------------------------------------------------


def leave_request(
    *, actor, meeting: Meeting, reason: str, now: datetime | None = None
) -> LeaveRequest:
    """A due attendee asks to be excused. Requests after the start are kept but do not excuse."""
    now = _now(now)
    reason = _text_required(reason, "reason", "请填写请假事由")
    with transaction.atomic():
        meeting = Meeting.objects.select_related("org").get(pk=meeting.pk)
        own = _own_member(actor)
        if own is None:
            raise ValidationError({"meeting": "您的账号没有关联党员信息，不能请假"})
        attendance = Attendance.objects.filter(meeting=meeting, member=own).first()
        if attendance is None:
            raise ValidationError({"meeting": "您不在本次会议的应到人员名单中，无需请假"})
        _check_open(meeting)
        if attendance.signed_in_at is not None:
            raise ValidationError({"meeting": "您已签到，不能再请假"})
        leave = LeaveRequest.objects.select_for_update().filter(meeting=meeting, member=own).first()
        if leave is not None and leave.status != LeaveStatus.REJECTED:
            raise ValidationError({"meeting": "您已提交过本次会议的请假申请"})
        if leave is None:
            leave = LeaveRequest(meeting=meeting, member=own)
        leave.reason = reason
        leave.requested_at = now
        leave.status = LeaveStatus.PENDING
        leave.decided_by = None
        leave.decided_at = None
        leave.decision_note = ""
        leave.full_clean(validate_constraints=False)
        leave.save()
    return leave


def leave_file_for(
    *,
    actor,
    meeting: Meeting,
    member: Member,
    reason: str,
    requested_at: datetime,
    approve: bool = False,
    now: datetime | None = None,
) -> LeaveRequest:
    """The secretary files leave for a member without a smartphone (a call, a word in person).

    The request is marked as filed by the secretary and carries the time the member asked; if
    the secretary approves it at once, the usual rule holds: it excuses only when the approval
    (now) comes before the meeting starts.
    """
    now = _now(now)
    requested_at = _aware(requested_at)
    reason = _text_required(reason, "reason", "请填写请假事由")
    with transaction.atomic():
        meeting = Meeting.objects.select_related("org").get(pk=meeting.pk)
        _require(
            actor,
            Action.APPROVE_LEAVE,
            meeting,
            "只有支部书记、副书记（党小组会由党小组长）可以代党员请假",
        )
        _check_open(meeting)
        own = _own_member(actor)
        if approve and own is not None and own.pk == member.pk:
            raise PermissionDenied("不能审批自己的请假申请，请由其他有审批权的同志审批")
        attendance = Attendance.objects.filter(meeting=meeting, member=member).first()
        if attendance is None:
            raise ValidationError(
                {"member": f"{member.name}不在本次会议的应到人员名单中，无需请假"}
            )
        if attendance.signed_in_at is not None:
            raise ValidationError({"member": f"{member.name}已签到，不能再请假"})
        if requested_at > now:
            raise ValidationError({"requested_at": "党员提出请假的时间不能晚于现在"})
        leave = (
            LeaveRequest.objects.select_for_update().filter(meeting=meeting, member=member).first()
        )
        if leave is not None and leave.status != LeaveStatus.REJECTED:
            raise ValidationError({"member": f"{member.name}已有本次会议的请假申请"})
        if leave is None:
            leave = LeaveRequest(meeting=meeting, member=member)
        leave.reason = reason
        leave.requested_at = requested_at
        leave.filed_by = actor
        leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.PENDING
        leave.decided_by = actor if approve else None
        leave.decided_at = now if approve else None
        leave.decision_note = ""
        leave.full_clean(validate_constraints=False)
        leave.save()
    return leave


def leave_decide(
    *,
    actor,
    leave: LeaveRequest,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
) -> LeaveRequest:
    """The secretary (the group leader for a party-group meeting) approves or rejects."""
    now = _now(now)
    with transaction.atomic():
        leave = (
            LeaveRequest.objects.select_for_update()
            .select_related("meeting__org", "member")
            .get(pk=leave.pk)
        )
        _require(
            actor,
            Action.APPROVE_LEAVE,
            leave,
            "只有支部书记、副书记（党小组会由党小组长）可以审批请假",
        )
        own = _own_member(actor)
        if own is not None and own.pk == leave.member_id:
            raise PermissionDenied("不能审批自己的请假申请，请由其他有审批权的同志审批")
        _check_open(leave.meeting)
        if leave.status != LeaveStatus.PENDING:
            raise ValidationError({"status": "该请假申请已审批，不能重复审批"})
        leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.REJECTED
        leave.decided_by = actor
        leave.decided_at = now
        leave.decision_note = (note or "").strip()
        leave.full_clean(validate_constraints=False)
        leave.save()
    return leave


# --- the record -------------------------------------------------------------------------------


def _excusing_leaves(meeting: Meeting, member_ids: Iterable[int] | None = None) -> set[int]:
    """Members whose leave for this meeting excuses them (approved before the start)."""
    leaves = LeaveRequest.objects.filter(meeting=meeting, status=LeaveStatus.APPROVED)
    if member_ids is not None:
        leaves = leaves.filter(member_id__in=list(member_ids))
    excused = set()
    for leave in leaves:
        leave.meeting = meeting
        if leave.excuses:
            excused.add(leave.member_id)
    return excused


def _parse_outcomes(meeting: Meeting, outcomes: Mapping[Any, str]) -> dict[int, str]:
    parsed: dict[int, str] = {}
    for key, value in outcomes.items():
        try:
            member_id = int(getattr(key, "pk", key))
        except (TypeError, ValueError):
            raise ValidationError({"outcomes": f"无法识别的党员：{key}"}) from None
        value = value or ""
        if value and value not in Outcome.values:
            raise ValidationError({"outcomes": f"无法识别的出勤情况：{value}"})
        parsed[member_id] = value
    return parsed


def _check_on_leave(meeting: Meeting, outcomes: Mapping[int, str], names: Mapping[int, str]):
    wanted = [pk for pk, value in outcomes.items() if value == Outcome.ON_LEAVE]
    if not wanted:
        return
    excused = _excusing_leaves(meeting, wanted)
    refused = [names[pk] for pk in wanted if pk not in excused]
    if refused:
        raise ValidationError(
            {"outcomes": f"{'、'.join(refused)}没有在会前获批的请假，不能记为请假（应记为缺席）"}
        )


def meeting_record(
    *,
    actor,
    meeting: Meeting,
    actual_start: datetime,
    actual_end: datetime,
    minutes: str | None = None,
    outcomes: Mapping[Any, str] | None = None,
    decisions: list[str] | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Record what really happened: real times, minutes, decisions, ticked outcomes."""
    now = _now(now)
    actual_start, actual_end = _aware(actual_start), _aware(actual_end)
    with transaction.atomic():
        meeting = _meeting_for_update(meeting)
        _require_manage(actor, meeting)
        _check_open(meeting)
        _check_times(actual_start, actual_end, "actual")
        if actual_start > now:
            raise ValidationError(
                {"actual_start": "实际开始时间不能晚于现在：会议开始后再填写记录"}
            )
        meeting.actual_start, meeting.actual_end = actual_start, actual_end
        if minutes is not None:
            meeting.minutes = sanitize_minutes(minutes)
        if outcomes:
            parsed = _parse_outcomes(meeting, outcomes)
            rows = {
                a.member_id: a
                for a in Attendance.objects.select_related("member").filter(
                    meeting=meeting, member_id__in=list(parsed)
                )
            }
            missing = sorted(set(parsed) - rows.keys())
            if missing:
                raise ValidationError(
                    {"outcomes": f"以下党员不在本次会议的应到人员名单中：{missing}"}
                )
            _check_on_leave(meeting, parsed, {pk: a.member.name for pk, a in rows.items()})
            changed = []
            for pk, value in parsed.items():
                att = rows[pk]
                att.outcome = value
                if value in ATTENDED and att.signed_in_at is None:
                    att.signed_in_at, att.sign_in_method = now, SignInMethod.ROSTER
                changed.append(att)
            Attendance.objects.bulk_update(changed, ["outcome", "signed_in_at", "sign_in_method"])
        if decisions is not None:
            texts = [t.strip() for t in decisions if t and t.strip()]
            Decision.objects.filter(meeting=meeting).delete()
            Decision.objects.bulk_create([Decision(meeting=meeting, text=t) for t in texts])
        meeting.status = MeetingStatus.HELD
        meeting.full_clean()
        meeting.save()
    return meeting


@transaction.atomic
def step_record(
    *, actor, meeting: Meeting, code: str, done_on: date, note: str = "", now=None
) -> ProcedureStep:
    """Record (or re-date) one procedure step. Steps happen over weeks, some after the meeting,
    so a step may be added after confirmation; compliance is refreshed then."""
    meeting = _meeting_for_update(meeting)
    _require_manage(actor, meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError({"meeting": "该会议已取消，不能再修改"})
    mt = _type_of(meeting)
    names = {s.code: s.name for s in mt.steps}
    if code not in names:
        allowed = "、".join(names.values()) or "无"
        raise ValidationError({"code": f"{mt.name}没有这个程序步骤；可记录的步骤：{allowed}"})
    if done_on is None:
        raise ValidationError({"done_on": "请填写完成日期"})
    if done_on > timezone.localdate(_now(now)):
        raise ValidationError({"done_on": "完成日期不能晚于今天"})
    step, _created = ProcedureStep.objects.update_or_create(
        meeting=meeting, code=code, defaults={"done_on": done_on, "note": (note or "").strip()}
    )
    if meeting.is_locked:
        compliance_services.refresh_for_meeting(meeting)
    return step


@transaction.atomic
def discussion_add(
    *, actor, meeting: Meeting, text: str, speaker: Member | None = None
) -> DiscussionEntry:
    meeting = _meeting_for_update(meeting)
    _require_manage(actor, meeting)
    _check_open(meeting)
    text = _text_required(text, "text", "请填写发言内容")
    if (
        speaker is not None
        and not Attendance.objects.filter(meeting=meeting, member=speaker).exists()
        and speaker.branch_id != meeting.org_id
    ):
        raise ValidationError({"speaker": f"{speaker.name}不是本次会议的参会人员"})
    entry = DiscussionEntry(meeting=meeting, speaker=speaker, text=text)
    entry.full_clean()
    entry.save()
    return entry


def _sniff(upload: UploadedFile) -> str:
    """The content type of an upload judged by its bytes, checked against its extension."""
    name = os.path.basename(upload.name or "")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind is not None else ""
    if ext in _OOXML_PREFIX and mime in ("application/zip", ""):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            names = []
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names and any(n.startswith(_OOXML_PREFIX[ext]) for n in names):
            mime = next(m for m, exts in ALLOWED_UPLOADS.items() if ext in exts)
    if ext in _OLE_TYPES and head.startswith(_OLE_MAGIC):
        # Old Office files share one container format; the extension names the application.
        mime = _OLE_TYPES[ext]
    if mime not in ALLOWED_UPLOADS:
        if ext in {e for exts in ALLOWED_UPLOADS.values() for e in exts}:
            raise ValidationError(
                {"file": f"“{name}”的内容不是扩展名所表示的文件类型，请上传真实的 .{ext} 文件"},
                code="mismatch",
            )
        raise ValidationError({"file": f"不支持的文件类型：{UPLOAD_HINT}"}, code="type")
    if ext not in ALLOWED_UPLOADS[mime]:
        raise ValidationError(
            {
                "file": (
                    f"“{name}”的扩展名与内容不符：内容是 .{ALLOWED_UPLOADS[mime][0]} 文件，"
                    "请改正扩展名后再上传"
                )
            },
            code="mismatch",
        )
    return mime


def attachment_add(*, actor, meeting: Meeting, upload: UploadedFile) -> Attachment:
    """Attach a photo or document; its type is judged by content, its size is limited."""
    limit = settings.ZHIBU_ATTACHMENT_MAX_BYTES
    if upload is None:
        raise ValidationError({"file": "请选择要上传的文件"})
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            {"file": f"文件太大：{upload.size / 1048576:.1f} MB，上限 {limit / 1048576:.0f} MB"},
            code="too_large",
        )
    if not upload.size:
        raise ValidationError({"file": "文件是空的，请重新选择"})
    with transaction.atomic():
        meeting = _meeting_for_update(meeting)
        _require_manage(actor, meeting)
        _check_open(meeting)
        mime = _sniff(upload)
        name = os.path.basename(upload.name)[:200]
        attachment = Attachment(
            meeting=meeting, name=name, content_type=mime, size=upload.size, uploaded_by=actor
        )
        attachment.file.save(name, upload, save=False)
        try:
            attachment.full_clean()
            attachment.save()
        except Exception:
            attachment.file.delete(save=False)  # nothing half-written: no orphan file either
            raise
    return attachment


def _missing_record_fields(meeting: Meeting, mt: MeetingType) -> dict[str, str]:
    errors: dict[str, str] = {}
    if meeting.actual_start is None or meeting.actual_end is None:
        errors["actual_start"] = "请先填写实际开始和结束时间"
    for name in mt.record_fields:
        if name == "discussion":
            if not DiscussionEntry.objects.filter(meeting=meeting).exists():
                errors["discussion"] = "党课后应组织讨论交流：请先记录课后讨论"
            continue
        value = getattr(meeting, name)
        filled = _plain_text(value) if name == "minutes" else str(value or "").strip()
        if not filled:
            label = Meeting._meta.get_field(name).verbose_name
            errors[name] = f"确认前请填写“{label}”"
    return errors


def record_confirm(*, actor, meeting: Meeting, now: datetime | None = None) -> Meeting:
    """Confirm and lock the record: every due attendee gets exactly one outcome, every absentee
    (excused or not) a make-up with its deadline; compliance is refreshed at once."""
    now = _now(now)
    with transaction.atomic():
        meeting = _meeting_for_update(meeting)
        _require_manage(actor, meeting)
        _check_open(meeting)
        mt = _type_of(meeting)
        errors = _missing_record_fields(meeting, mt)
        if errors:
            raise ValidationError(errors, code="incomplete")
        attendances = _drop_not_due(meeting, list(Attendance.objects.filter(meeting=meeting)))
        excused = _excusing_leaves(meeting)
        changed = []
        for att in attendances:
            if not att.outcome or (
                att.outcome == Outcome.ON_LEAVE and att.member_id not in excused
            ):
                att.outcome = Outcome.ON_LEAVE if att.member_id in excused else Outcome.ABSENT
                changed.append(att)
        Attendance.objects.bulk_update(changed, ["outcome"])
        due = meeting_day(meeting) + timedelta(days=makeup_days(meeting.org))
        # A make-up already on file (entered before the confirmation) is kept, not doubled.
        existing = set(
            Makeup.objects.filter(attendance__meeting=meeting).values_list(
                "attendance_id", flat=True
            )
        )
        Makeup.objects.bulk_create(
            [
                Makeup(attendance=att, member_id=att.member_id, due_date=due)
                for att in attendances
                if att.outcome in MISSED and att.pk not in existing
            ]
        )
        meeting.status = MeetingStatus.CONFIRMED
        meeting.confirmed_by = actor
        meeting.confirmed_at = now
        meeting.save(update_fields=["status", "confirmed_by", "confirmed_at", "updated_at"])
        compliance_services.refresh_for_meeting(meeting)
    return meeting


# --- amendments -------------------------------------------------------------------------------


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return str(value)


def _as_datetime(field: str, value: Any) -> datetime:
    if isinstance(value, datetime):
        return _aware(value)
    parsed = parse_datetime(str(value or "").strip())
    if parsed is None:
        raise ValidationError({"value": "请填写正确的时间，例如 2026-10-09T14:30"})
    return _aware(parsed)


def _amend_attendance(meeting: Meeting, field: str, value: Any) -> tuple[str, str]:
    try:
        member_id = int(field[len(ATTENDANCE_FIELD_PREFIX) :])
    except ValueError:
        raise ValidationError({"field": "请指明要更正出勤的党员"}) from None
    att = (
        Attendance.objects.select_for_update()
        .select_related("member")
        .filter(meeting=meeting, member_id=member_id)
        .first()
    )
    if att is None:
        raise ValidationError({"field": "该党员不在本次会议的应到人员名单中"})
    value = str(value or "")
    if value not in Outcome.values:
        raise ValidationError({"value": "请选择出勤情况：出席、迟到、早退、请假或缺席"})
    _check_on_leave(meeting, {member_id: value}, {member_id: att.member.name})
    old = att.outcome
    if old == value:
        return old, value
    att.outcome = value
    att.save(update_fields=["outcome"])
    makeup = Makeup.objects.filter(attendance=att).first()
    if value in MISSED and makeup is None:
        due = meeting_day(meeting) + timedelta(days=makeup_days(meeting.org))
        Makeup.objects.create(attendance=att, member_id=member_id, due_date=due)
    elif value in ATTENDED and makeup is not None and not makeup.is_done:
        makeup.delete()
    return old, value


def amend(
    *, actor, meeting: Meeting, field: str, value: Any, reason: str, now: datetime | None = None
) -> Amendment:
    """Change a confirmed record: the old value, who, when and why are kept as history.

    `field` is a meeting field (AMENDABLE_FIELDS) or "attendance:<member id>" for an outcome.
    """
    now = _now(now)
    with transaction.atomic():
        meeting = _meeting_for_update(meeting)
        _require_manage(actor, meeting)
        reason = _text_required(reason, "reason", "修改已确认的记录必须说明原因")
        if not meeting.is_locked:
            raise ValidationError({"meeting": "记录尚未确认，可直接修改，无需提交补正"})
        since = None  # the day the meeting was held before this amendment, if it moves
        if field.startswith(ATTENDANCE_FIELD_PREFIX):
            old, new = _amend_attendance(meeting, field, value)
        elif field in AMENDABLE_FIELDS:
            old_value = getattr(meeting, field)
            if field in ("actual_start", "actual_end"):
                value = _as_datetime(field, value)
            elif field == "minutes":
                value = sanitize_minutes(str(value or ""))
            else:
                value = str(value or "").strip()
            if field == "content_category":
                _check_category(_type_of(meeting), value)
            if field == "topic" and not value:
                raise ValidationError({"value": "会议主题不能为空"})
            old_day = meeting_day(meeting)
            setattr(meeting, field, value)
            if field in ("actual_start", "actual_end"):
                _check_times(meeting.actual_start, meeting.actual_end, "actual")
            meeting.full_clean()
            meeting.save()
            if meeting_day(meeting) != old_day:
                since = old_day
                # Make-up deadlines count from the day the meeting was really held.
                Makeup.objects.filter(
                    attendance__meeting=meeting, confirmed_at__isnull=True
                ).update(due_date=meeting_day(meeting) + timedelta(days=makeup_days(meeting.org)))
            old, new = _as_text(old_value), _as_text(value)
        else:
            raise ValidationError({"field": f"“{field}”不能补正"})
        if old == new:
            raise ValidationError({"value": "新值与原值相同，无需补正"})
        amendment = Amendment(
            meeting=meeting,
            field=field,
            old_value=old,
            new_value=new,
            reason=reason,
            by=actor,
            at=now,
        )
        amendment.full_clean()
        amendment.save()
        compliance_services.refresh_for_meeting(meeting, since=since)
    return amendment


# --- make-ups ---------------------------------------------------------------------------------


def _check_makeup_content(
    makeup: Makeup, method: str, reflection: str, later_meeting: Meeting | None
) -> None:
    if method not in MakeupMethod.values:
        raise ValidationError(
            {"method": "请选择补课方式：学习记录和材料并撰写心得，或参加后续场次"}
        )
    if method == MakeupMethod.STUDY and not (reflection or "").strip():
        raise ValidationError({"reflection": "请填写学习心得"})
    if method == MakeupMethod.LATER_SESSION:
        original = makeup.attendance.meeting
        if later_meeting is None:
            raise ValidationError({"later_meeting": "请选择参加的后续场次"})
        if later_meeting.meeting_type != original.meeting_type:
            raise ValidationError(
                {"later_meeting": f"补课须参加同类会议（{_type_of(original).name}）的后续场次"}
            )
        if later_meeting.pk == original.pk or (
            later_meeting.actual_start or later_meeting.planned_start
        ) <= (original.actual_start or original.planned_start):
            raise ValidationError({"later_meeting": "请选择原会议之后召开的场次"})
        attended = Attendance.objects.filter(
            Q(signed_in_at__isnull=False) | Q(outcome__in=ATTENDED),
            meeting=later_meeting,
            member_id=makeup.member_id,
        ).exists()
        if not attended:
            raise ValidationError({"later_meeting": "该场次没有您的签到或出席记录"})


def makeup_submit(
    *,
    actor,
    makeup: Makeup,
    method: str,
    reflection: str = "",
    later_meeting: Meeting | None = None,
    now: datetime | None = None,
) -> Makeup:
    """The member reports how they made up the missed session; the secretary then confirms."""
    with transaction.atomic():
        makeup = (
            Makeup.objects.select_for_update()
            .select_related("attendance__meeting__org", "member")
            .get(pk=makeup.pk)
        )
        own = _own_member(actor)
        if actor is not None and (own is None or own.pk != makeup.member_id):
            if can(actor, Action.VIEW, makeup):
                raise PermissionDenied("只有本人可以提交补课内容；书记可直接确认补课完成")
            raise Http404
        if makeup.is_done:
            raise ValidationError({"makeup": "补课已确认完成，不能再修改"})
        _check_makeup_content(makeup, method, reflection, later_meeting)
        makeup.method = method
        makeup.reflection = (reflection or "").strip()
        makeup.later_meeting = later_meeting if method == MakeupMethod.LATER_SESSION else None
        makeup.submitted_at = _now(now)
        makeup.full_clean()
        makeup.save()
    return makeup


def makeup_complete(
    *,
    actor,
    makeup: Makeup,
    method: str | None = None,
    reflection: str = "",
    later_meeting: Meeting | None = None,
    now: datetime | None = None,
) -> Makeup:
    """A committee member confirms the make-up. For a member without a phone the secretary may
    give the method here instead of waiting for a submission."""
    now = _now(now)
    with transaction.atomic():
        makeup = (
            Makeup.objects.select_for_update()
            .select_related("attendance__meeting__org", "member")
            .get(pk=makeup.pk)
        )
        _require(actor, Action.MANAGE_ORGLIFE, makeup, "只有支部委员会成员可以确认补课")
        if makeup.is_done:
            raise ValidationError({"makeup": "补课已确认完成"})
        if method is not None:
            _check_makeup_content(makeup, method, reflection, later_meeting)
            makeup.method = method
            makeup.reflection = (reflection or "").strip()
            makeup.later_meeting = later_meeting if method == MakeupMethod.LATER_SESSION else None
            if makeup.submitted_at is None:  # entered by the committee member for the member
                makeup.recorded_by = actor
            makeup.submitted_at = makeup.submitted_at or now
        elif makeup.submitted_at is None:
            raise ValidationError({"makeup": "党员尚未提交补课内容；可在此注明补课方式后直接确认"})
        makeup.confirmed_by = actor
        makeup.confirmed_at = now
        makeup.full_clean()
        makeup.save()
    return makeup
