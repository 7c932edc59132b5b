"""Reminder planning: each planner turns stored facts and `now` into notice drafts.

Planners are set-based (a fixed number of queries whatever the number of branches or members)
and idempotent (a draft's key names the fact, so planning again creates nothing new). They say
what to do and link to the page where it is done; one notice per fact — a member with three
overdue make-ups gets one message listing them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from zhibu.members.models import CommitteePosition, Election, Member, MemberStatus
from zhibu.notify.models import Reason
from zhibu.notify.services import Draft, notice_key, notices_publish
from zhibu.orglife.meeting_types import MEETING_TYPES
from zhibu.orglife.models import Attendance, LeaveRequest, LeaveStatus, Makeup, MeetingStatus
from zhibu.orgs import parameters
from zhibu.orgs.models import Grant, GrantRole, Organization
from zhibu.orgs.parameters import PARAMETERS
from zhibu.orgs.permissions import ROLE_ACTIONS, Action
from zhibu.orgs.selectors import parameters_for

AT_RISK_DAYS_BEFORE_END = 5
ESCALATION_GRACE_DAYS = 7
MAKEUP_SOON_DAYS = 3

# Roles that lead a branch day to day and so receive its reminders (from the permission table).
LEADER_ROLES = [
    r
    for r, acts in ROLE_ACTIONS.items()
    if Action.APPROVE_LEAVE in acts and r not in ("org_admin", "party_group_leader")
]
APPROVER_ROLES = [
    r for r, acts in ROLE_ACTIONS.items() if Action.APPROVE_LEAVE in acts and r != "org_admin"
]


def page(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _week(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}W{iso.week:02d}"


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%m月%d日 %H:%M")


def position_holders(org_ids: set[int], roles: list[str], today: date) -> dict[int, set[int]]:
    """org id -> user ids of members currently holding one of `roles` there (one query)."""
    rows = (
        CommitteePosition.objects.filter(
            org_id__in=org_ids, role__in=roles, start__lte=today, member__user__isnull=False
        )
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .values_list("org_id", "member__user_id")
    )
    holders: dict[int, set[int]] = defaultdict(set)
    for org_id, user_id in rows:
        holders[org_id].add(user_id)
    return holders


def org_admins(org_ids: set[int]) -> dict[int, set[int]]:
    """org id -> user ids holding an org_admin grant on exactly that organization."""
    holders: dict[int, set[int]] = defaultdict(set)
    rows = Grant.objects.filter(org_id__in=org_ids, role=GrantRole.ORG_ADMIN).values_list(
        "org_id", "user_id"
    )
    for org_id, user_id in rows:
        holders[org_id].add(user_id)
    return holders


def rule_name(rule_id: str) -> str:
    from zhibu.compliance.rules import all_rules

    rule = all_rules().get(rule_id)
    return rule.name_zh if rule else rule_id


def _place(row: dict) -> str:
    return row["meeting__place"] or "（地点待定）"


def meeting_notices(now: datetime) -> list[Draft]:
    """Notice of a scheduled meeting to each due attendee and to the branch's group chats."""
    rows = Attendance.objects.filter(
        meeting__status=MeetingStatus.PLANNED,
        meeting__notice_sent_at__isnull=False,
        meeting__planned_start__gt=now,
    ).values(
        "meeting_id",
        "meeting__org_id",
        "meeting__meeting_type",
        "meeting__topic",
        "meeting__place",
        "meeting__planned_start",
        "member__user_id",
    )
    drafts: list[Draft] = []
    seen_meetings: set[int] = set()
    for r in rows:
        kind = MEETING_TYPES[r["meeting__meeting_type"]].name
        title = f"会议通知：{kind}「{r['meeting__topic']}」"
        body = (
            f"{_local(r['meeting__planned_start'])} 在{_place(r)}召开{kind}。"
            "不能参加请在会前提交请假申请。"
        )
        url = page("orglife:meeting", r["meeting_id"])
        subject = f"meeting:{r['meeting_id']}"
        if r["member__user_id"]:
            drafts.append(
                Draft(
                    notice_key(f"u{r['member__user_id']}", Reason.MEETING_NOTICE, subject),
                    r["meeting__org_id"],
                    Reason.MEETING_NOTICE,
                    title,
                    body,
                    url,
                    recipient_id=r["member__user_id"],
                )
            )
        if r["meeting_id"] not in seen_meetings:
            seen_meetings.add(r["meeting_id"])
            drafts.append(
                Draft(
                    notice_key(f"o{r['meeting__org_id']}", Reason.MEETING_NOTICE, subject),
                    r["meeting__org_id"],
                    Reason.MEETING_NOTICE,
                    title,
                    body,
                    url,
                )
            )
    return drafts


def meeting_reminders(now: datetime) -> list[Draft]:
    """A reminder the day before, to due attendees who have not asked for leave."""
    rows = (
        Attendance.objects.filter(
            meeting__status=MeetingStatus.PLANNED,
            meeting__planned_start__gt=now,
            meeting__planned_start__lte=now + timedelta(hours=24),
            member__user__isnull=False,
        )
        .exclude(member__leave_requests__meeting=F("meeting"))
        .values(
            "meeting_id",
            "meeting__org_id",
            "meeting__meeting_type",
            "meeting__topic",
            "meeting__place",
            "meeting__planned_start",
            "member__user_id",
        )
    )
    drafts = []
    for r in rows:
        kind = MEETING_TYPES[r["meeting__meeting_type"]].name
        drafts.append(
            Draft(
                notice_key(
                    f"u{r['member__user_id']}",
                    Reason.MEETING_REMINDER,
                    f"meeting:{r['meeting_id']}",
                ),
                r["meeting__org_id"],
                Reason.MEETING_REMINDER,
                f"明天开会：{kind}「{r['meeting__topic']}」",
                f"{_local(r['meeting__planned_start'])} 在{_place(r)}。"
                "请准时参加；不能参加请先请假。",
                page("orglife:meeting", r["meeting_id"]),
                recipient_id=r["member__user_id"],
            )
        )
    return drafts


def leave_pending(now: datetime) -> list[Draft]:
    """Each pending leave request, to those who may decide it, while it can still excuse."""
    leaves = list(
        LeaveRequest.objects.filter(status=LeaveStatus.PENDING, meeting__planned_start__gt=now)
        .select_related("meeting__org", "member")
        .only(
            "pk",
            "reason",
            "member__name",
            "meeting__topic",
            "meeting__planned_start",
            "meeting__org__path",
            "meeting__org_id",
        )
    )
    org_ids = {a for leave in leaves for a in leave.meeting.org.ancestor_ids}
    holders = position_holders(org_ids, APPROVER_ROLES, timezone.localdate(now))
    drafts = []
    for leave in leaves:
        approvers = set().union(*(holders.get(a, set()) for a in leave.meeting.org.ancestor_ids))
        for user_id in approvers:
            drafts.append(
                Draft(
                    notice_key(f"u{user_id}", Reason.LEAVE_PENDING, f"leave:{leave.pk}"),
                    leave.meeting.org_id,
                    Reason.LEAVE_PENDING,
                    f"请假待审批：{leave.member.name}",
                    f"{leave.member.name} 申请不参加「{leave.meeting.topic}」"
                    f"（{_local(leave.meeting.planned_start)}），事由：{leave.reason}。"
                    "请在会议开始前审批，会后批准不能作为请假。",
                    page("orglife:leave_inbox"),
                    recipient_id=user_id,
                )
            )
    return drafts


def compliance_risks(now: datetime) -> list[Draft]:
    """At-risk branch obligations shortly before their period ends, to the branch leaders;
    still not met a grace period after the end, to the administrators one level up."""
    from zhibu.compliance.models import Obligation
    from zhibu.compliance.verdicts import Status

    today = timezone.localdate(now)
    soon = list(
        Obligation.objects.filter(
            member__isnull=True,
            status=Status.AT_RISK,
            period_last__gte=today,
            period_last__lte=today + timedelta(days=AT_RISK_DAYS_BEFORE_END),
        ).select_related("org")
    )
    member_soon = list(
        Obligation.objects.filter(
            member__isnull=False,
            member__user__isnull=False,
            status=Status.AT_RISK,
            period_last__gte=today,
            period_last__lte=today + timedelta(days=AT_RISK_DAYS_BEFORE_END),
        ).select_related("member")
    )
    overdue = list(
        Obligation.objects.filter(
            member__isnull=True,
            status=Status.NOT_MET,
            period_last__lt=today - timedelta(days=ESCALATION_GRACE_DAYS),
            period_last__gte=today - timedelta(days=ESCALATION_GRACE_DAYS + 31),
        ).select_related("org")
    )
    leaders = position_holders({o.org_id for o in soon}, LEADER_ROLES, today)
    parents = {o.org.parent_id for o in overdue if o.org.parent_id}
    admins = org_admins(parents)
    drafts = []
    for ob in soon:
        days_left = (ob.period_last - today).days
        for user_id in leaders.get(ob.org_id, ()):
            drafts.append(
                Draft(
                    notice_key(f"u{user_id}", Reason.AT_RISK, f"obligation:{ob.pk}", ob.period_key),
                    ob.org_id,
                    Reason.AT_RISK,
                    f"{ob.org.name} · {rule_name(ob.rule_id)}：{ob.period_key} 有未达标风险"
                    f"（剩余 {days_left} 天）",
                    ob.explanation,
                    page("compliance:branch", ob.org_id),
                    recipient_id=user_id,
                )
            )
        drafts.append(
            Draft(
                notice_key(f"o{ob.org_id}", Reason.AT_RISK, f"obligation:{ob.pk}", ob.period_key),
                ob.org_id,
                Reason.AT_RISK,
                f"{ob.org.name}：{ob.period_key} 有未达标风险（剩余 {days_left} 天）",
                ob.explanation,
                page("compliance:branch", ob.org_id),
            )
        )
    for ob in member_soon:
        # A member's own obligation (a quarterly report, say): reminded before it is missed.
        reason = Reason.REPORT_DUE if ob.family == "reports" else Reason.AT_RISK
        days_left = (ob.period_last - today).days
        drafts.append(
            Draft(
                notice_key(f"u{ob.member.user_id}", reason, f"obligation:{ob.pk}", ob.period_key),
                ob.org_id,
                reason,
                f"提醒：{ob.period_key} 还有事项未完成（剩余 {days_left} 天）",
                ob.explanation,
                page("reports:new") if reason == Reason.REPORT_DUE else "",
                recipient_id=ob.member.user_id,
            )
        )
    for ob in overdue:
        for user_id in admins.get(ob.org.parent_id, ()):
            drafts.append(
                Draft(
                    notice_key(
                        f"u{user_id}", Reason.ESCALATION, f"obligation:{ob.pk}", ob.period_key
                    ),
                    ob.org_id,
                    Reason.ESCALATION,
                    f"下级组织未达标：{ob.org.name} · {rule_name(ob.rule_id)}（{ob.period_key}）",
                    ob.explanation,
                    page("compliance:branch", ob.org_id),
                    recipient_id=user_id,
                )
            )
    return drafts


def makeups_due(now: datetime) -> list[Draft]:
    """One weekly message per member listing all their make-ups due soon or overdue."""
    today = timezone.localdate(now)
    rows = (
        Makeup.objects.filter(
            confirmed_at__isnull=True,
            due_date__lte=today + timedelta(days=MAKEUP_SOON_DAYS),
            member__user__isnull=False,
        )
        .order_by("due_date")
        .values(
            "member_id",
            "member__user_id",
            "member__branch_id",
            "due_date",
            "attendance__meeting__topic",
        )
    )
    per_member: dict[int, list[dict]] = defaultdict(list)
    for r in rows:
        per_member[r["member_id"]].append(r)
    drafts = []
    week = _week(today)
    for member_id, items in per_member.items():
        overdue = [i for i in items if i["due_date"] < today]
        lines = [
            f"· 「{i['attendance__meeting__topic']}」 期限 {i['due_date']:%m月%d日}"
            + ("（已逾期）" if i["due_date"] < today else "")
            for i in items
        ]
        title = f"您有 {len(items)} 项补课待完成" + (
            f"，其中 {len(overdue)} 项已逾期" if overdue else ""
        )
        drafts.append(
            Draft(
                notice_key(
                    f"u{items[0]['member__user_id']}",
                    Reason.MAKEUP_DUE,
                    f"member:{member_id}",
                    week,
                ),
                items[0]["member__branch_id"],
                Reason.MAKEUP_DUE,
                title,
                "请学习会议记录和材料并提交学习心得：\n" + "\n".join(lines),
                page("orglife:my_meetings"),
                recipient_id=items[0]["member__user_id"],
            )
        )
    return drafts


def _probation_end(join_date: date) -> date:
    try:
        return join_date.replace(year=join_date.year + 1)
    except ValueError:  # 29 February
        return join_date + timedelta(days=365)


def probation_ending(now: datetime) -> list[Draft]:
    """Probationary members whose year ends within their branch's `probation_notice_days`
    (or ended as many days ago without conversion): to the member and the branch leaders."""
    today = timezone.localdate(now)
    longest = int(PARAMETERS["probation_notice_days"].maximum)
    candidates = list(
        Member.objects.filter(
            is_active=True,
            status=MemberStatus.PROBATIONARY,
            join_date__lte=today - timedelta(days=365 - longest),
            join_date__gt=today - timedelta(days=366 + longest),
        ).only("pk", "name", "join_date", "branch_id", "user_id")
    )
    branches = Organization.objects.filter(pk__in={m.branch_id for m in candidates})
    lead = {
        pk: int(resolved["probation_notice_days"].value)
        for pk, resolved in parameters_for(branches.only("id", "path", "settings")).items()
    }
    members = [
        m
        for m in candidates
        if abs((_probation_end(m.join_date) - today).days) <= lead[m.branch_id]
    ]
    leaders = position_holders({m.branch_id for m in members}, LEADER_ROLES, today)
    drafts = []
    for m in members:
        ends = _probation_end(m.join_date)
        title = f"{m.name} 的预备期将于 {ends:%Y年%m月%d日} 届满"
        body = "请及时提交转正申请，支部按程序讨论其转正事宜（党章第七条）。"
        for user_id in leaders.get(m.branch_id, set()) | ({m.user_id} if m.user_id else set()):
            drafts.append(
                Draft(
                    notice_key(f"u{user_id}", Reason.PROBATION_ENDING, f"member:{m.pk}", str(ends)),
                    m.branch_id,
                    Reason.PROBATION_ENDING,
                    title,
                    body,
                    page("members:detail", m.pk),
                    recipient_id=user_id,
                )
            )
    return drafts


def terms_ending(now: datetime) -> list[Draft]:
    """Branches whose committee term ends within the year's warning window, or has ended
    without a new election: to the branch's leaders and the administrators one level up.

    One query over the elections that can still be current (the longest term back), the
    latest per organization deciding; a new election ends the reminders."""
    today = timezone.localdate(now)
    warn = int(parameters.default("warn_days_year"))
    longest = int(parameters.PARAMETERS["term_years"].maximum)
    rows = (
        Election.objects.filter(
            org__is_active=True, held_on__gte=date(today.year - longest - 2, 1, 1)
        )
        .order_by("org_id", "held_on", "pk")
        .select_related("org")
        .only("pk", "org_id", "held_on", "term_years", "org__name", "org__parent_id")
    )
    latest: dict[int, Election] = {}
    for election in rows:
        latest[election.org_id] = election  # ordered by day: the last one wins
    due = [e for e in latest.values() if (e.term_ends_on - today).days <= warn]
    if not due:
        return []
    leaders = position_holders({e.org_id for e in due}, LEADER_ROLES, today)
    admins = org_admins({e.org.parent_id for e in due if e.org.parent_id})
    drafts = []
    for e in due:
        ends = e.term_ends_on
        if ends < today:
            title = f"{e.org.name} 委员会任期已于 {ends:%Y年%m月%d日} 届满，尚未换届"
        else:
            title = f"{e.org.name} 委员会任期将于 {ends:%Y年%m月%d日} 届满"
        body = (
            "请按期进行换届选举；延期或提前换届须报上级党组织批准。选举后请在“委员会与换届”页登记。"
        )
        users = leaders.get(e.org_id, set()) | admins.get(e.org.parent_id, set())
        for user_id in users:
            drafts.append(
                Draft(
                    notice_key(f"u{user_id}", Reason.TERM_ENDING, f"org:{e.org_id}", str(ends)),
                    e.org_id,
                    Reason.TERM_ENDING,
                    title,
                    body,
                    page("members:committee", e.org_id),
                    recipient_id=user_id,
                )
            )
    return drafts


def political_birthdays(now: datetime) -> list[Draft]:
    today = timezone.localdate(now)
    members = (
        Member.objects.filter(
            is_active=True,
            user__isnull=False,
            join_date__month=today.month,
            join_date__day=today.day,
        )
        .exclude(join_date=today)
        .only("pk", "name", "join_date", "branch_id", "user_id")
    )
    return [
        Draft(
            notice_key(
                f"u{m.user_id}", Reason.POLITICAL_BIRTHDAY, f"member:{m.pk}", str(today.year)
            ),
            m.branch_id,
            Reason.POLITICAL_BIRTHDAY,
            f"政治生日快乐：入党 {today.year - m.join_date.year} 周年",
            f"{m.name}同志，{m.join_date:%Y年%m月%d日}是您的入党纪念日。不忘初心，牢记使命。",
            recipient_id=m.user_id,
        )
        for m in members
    ]


def weekly_digest(now: datetime) -> list[Draft]:
    """On Mondays, each organization administrator gets the week's picture of their subtree."""
    from django.db.models import Count

    from zhibu.compliance.models import Obligation
    from zhibu.compliance.verdicts import Status
    from zhibu.orgs.models import subtree_q

    today = timezone.localdate(now)
    if today.weekday() != 0:
        return []
    grants = list(Grant.objects.filter(role=GrantRole.ORG_ADMIN).select_related("org"))
    drafts = []
    # One query per administrator grant (there are few), not per branch.
    for grant in grants:
        counts = dict(
            Obligation.objects.filter(
                subtree_q(grant.org.path, "org__path"),
                member__isnull=True,
                period_last__gte=today - timedelta(days=7),
            )
            .values_list("status")
            .annotate(n=Count("pk"))
        )
        body = (
            f"未达标 {counts.get(Status.NOT_MET, 0)} 项，"
            f"有风险 {counts.get(Status.AT_RISK, 0)} 项，"
            f"达标 {counts.get(Status.MET, 0)} 项。"
        )
        drafts.append(
            Draft(
                notice_key(
                    f"u{grant.user_id}", Reason.WEEKLY_DIGEST, f"org:{grant.org_id}", _week(today)
                ),
                grant.org_id,
                Reason.WEEKLY_DIGEST,
                f"{grant.org.name} 本周组织生活概况",
                body,
                page("compliance:dashboard", grant.org_id),
                recipient_id=grant.user_id,
            )
        )
    return drafts


def consume_status_changes(now: datetime) -> int:
    """Consume the compliance outbox: a rule that just became not met is told to whom it
    concerns (the member, or the branch leaders). Keys name the change, so consuming a row
    twice (two workers) still makes one notice."""
    from zhibu.compliance.models import StatusChange
    from zhibu.compliance.verdicts import Status

    changes = list(
        StatusChange.objects.filter(processed_at__isnull=True)
        .select_related("obligation__org", "obligation__member")
        .order_by("at")[:1000]
    )
    today = timezone.localdate(now)
    obligations = [c.obligation for c in changes if c.new_status == Status.NOT_MET]
    leaders = position_holders(
        {o.org_id for o in obligations if o.member_id is None}, LEADER_ROLES, today
    )
    drafts = []
    for change in changes:
        ob = change.obligation
        if change.new_status != Status.NOT_MET:
            continue
        if ob.member_id is not None:
            recipients = {ob.member.user_id} if ob.member.user_id else set()
            url = page("orglife:my_meetings")
        else:
            recipients = leaders.get(ob.org_id, set())
            url = page("compliance:branch", ob.org_id)
        who = ob.org.name if ob.member_id is None else ob.member.name
        who = f"{who} · {rule_name(ob.rule_id)}"
        for user_id in recipients:
            drafts.append(
                Draft(
                    notice_key(f"u{user_id}", Reason.AT_RISK, f"change:{change.pk}"),
                    ob.org_id,
                    Reason.AT_RISK,
                    f"未达标：{who}（{ob.period_key}）",
                    ob.explanation,
                    url,
                    recipient_id=user_id,
                )
            )
    created = notices_publish(drafts, now=now)
    # Marked only after publishing: a crash in between re-reads the rows, and their keys
    # make the second publish a no-op.
    if changes:
        StatusChange.objects.filter(pk__in=[c.pk for c in changes]).update(processed_at=now)
    return created


PLANNERS = [
    meeting_notices,
    meeting_reminders,
    leave_pending,
    compliance_risks,
    makeups_due,
    probation_ending,
    terms_ending,
    political_birthdays,
    weekly_digest,
]


def plan_all(now: datetime | None = None) -> list[Draft]:
    now = now or timezone.now()
    drafts: list[Draft] = []
    for planner in PLANNERS:
        drafts.extend(planner(now))
    return drafts


def run_planners(now: datetime | None = None) -> int:
    """Plan every reminder due at `now` and publish it; returns the number of new notices."""
    now = now or timezone.now()
    return notices_publish(plan_all(now), now=now) + consume_status_changes(now)
