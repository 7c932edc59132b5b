"""The home page: what to do today, per role, each item linking to where it is done.

It lives here, in the app that composes all the others (notify is last in the dependency
order), and only reads their selectors. A secretary sees the coming meetings and whether they
are ready, leave to approve, make-ups to confirm, reports to read and the branch's red and
yellow items with their next step; a member their notices, next meetings and make-ups; an
overseer the branches that need attention. The query count does not grow with the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhibu.compliance import selectors as compliance
from zhibu.compliance.lights import Light
from zhibu.core.templatetags.zhibu import day
from zhibu.members.models import CommitteeRole
from zhibu.notify import selectors as notify
from zhibu.orglife import selectors as orglife
from zhibu.orglife.models import Meeting, MeetingStatus
from zhibu.orgs.models import GrantRole
from zhibu.orgs.permissions import Action, has_any, user_scope, visible_to
from zhibu.orgs.selectors import org_list, org_scope_roots
from zhibu.reports import selectors as reports

ROLE_LABELS = {
    **dict(GrantRole.choices),
    **dict(CommitteeRole.choices),
    "member": gettext_lazy("党员"),
}
UPCOMING_DAYS = 14  # how far ahead the home page looks for meetings to prepare or attend
ATTENTION_ROWS = 6


@dataclass
class Todo:
    """One thing to do: what, where, and how urgent (red, yellow or plain)."""

    text: str
    url: str
    tone: str = ""
    hint: str = ""


def my_roles(user) -> list[dict]:
    """The user's roles grouped by organization, read off the permission scope (one query)."""
    entries = user_scope(user).entries
    orgs = {
        o.pk: o
        for o in org_list(user=user)
        .filter(pk__in={e.org_id for e in entries})
        .only("pk", "name", "kind", "path")
    }
    grouped: dict[int, dict] = {}
    for entry in entries:
        org = orgs.get(entry.org_id)
        if org is None:
            continue
        row = grouped.setdefault(org.pk, {"org": org, "roles": []})
        label = ROLE_LABELS.get(entry.role, entry.role)
        if label not in row["roles"]:
            row["roles"].append(label)
    return sorted(grouped.values(), key=lambda r: r["org"].path)


def _meeting_todo(m: Meeting) -> Todo:
    url = reverse("orglife:meeting", args=[m.pk])
    when = timezone.localtime(m.planned_start)
    text = _("%(day)s %(time)s %(org)s %(type)s：%(topic)s") % {
        "day": day(when),
        "time": f"{when:%H:%M}",
        "org": m.org.name,
        "type": m.get_meeting_type_display(),
        "topic": m.topic,
    }
    missing = []
    if not m.notice_sent_at:
        missing.append(_("未发通知"))
    if not m.agenda.strip():
        missing.append(_("未填议程"))
    hint = "、".join(missing) if missing else _("通知已发，议程已定")
    return Todo(text=text, url=url, tone="yellow" if missing else "", hint=hint)


def secretary_todo(user, now, *, overseer: bool = False) -> dict[str, list[Todo]]:
    """What a branch's committee has to do: prepare, decide, confirm, read, put right. An
    overseer (who may also run every branch below) gets the counts, not every branch's
    meetings and items: those are on the oversight dashboard."""
    today = timezone.localdate(now)
    meetings = (
        visible_to(user, Action.MANAGE_ORGLIFE, Meeting.objects.select_related("org"))
        .filter(
            status=MeetingStatus.PLANNED,
            planned_start__gte=now,
            planned_start__lt=now + timedelta(days=UPCOMING_DAYS),
        )
        .order_by("planned_start", "pk")[:8]
    )
    decide: list[Todo] = []
    if has_any(user, Action.APPROVE_LEAVE):
        n = orglife.leave_inbox(user=user).count()
        if n:
            decide.append(
                Todo(_("%(n)s 条请假待审批") % {"n": n}, reverse("orglife:leave_inbox"), "yellow")
            )
    counts = orglife.makeup_counts(user=user, today=today)
    if counts["submitted"]:
        decide.append(
            Todo(
                _("%(n)s 项补课已提交，待确认") % {"n": counts["submitted"]},
                reverse("orglife:makeups") + "?state=submitted",
                "yellow",
            )
        )
    if counts["overdue"]:
        decide.append(
            Todo(
                _("%(n)s 项补课已逾期") % {"n": counts["overdue"]},
                reverse("orglife:makeups") + "?state=overdue",
                "red",
            )
        )
    n = reports.reports_to_review(user=user).count()
    if n:
        decide.append(Todo(_("%(n)s 份思想汇报待审阅") % {"n": n}, reverse("reports:list")))
    if overseer:
        return {"meetings": [], "decide": decide, "attention": []}
    attention = []
    for o in compliance.attention(user=user, action=Action.MANAGE_ORGLIFE, today=today)[
        :ATTENTION_ROWS
    ]:
        attention.append(
            Todo(
                text=f"{o.org.name}：{compliance.rule_name(o.rule_id)}",
                url=reverse("compliance:branch", args=[o.org_id]),
                tone="red" if o.light == Light.RED else "yellow",
                hint=compliance.obligation_next_step(o, today) or o.explanation,
            )
        )
    return {
        "meetings": [_meeting_todo(m) for m in meetings],
        "decide": decide,
        "attention": attention,
    }


def member_todo(user, now) -> list[Todo]:
    """What a member has to do: read notices, attend (or ask for leave), make up."""
    items: list[Todo] = []
    unread = notify.unread_count(user=user)
    if unread:
        items.append(Todo(_("%(n)s 条新消息") % {"n": unread}, reverse("notify:inbox"), "yellow"))
    upcoming = (
        orglife.my_meetings(user=user, now=now)
        .filter(
            meeting__status=MeetingStatus.PLANNED,
            meeting__planned_end__gte=now,
            meeting__planned_start__lt=now + timedelta(days=UPCOMING_DAYS),
        )
        .filter(Q(meeting__notice_sent_at__isnull=False) | Q(signed_in_at__isnull=False))[:3]
    )
    for att in upcoming:
        m = att.meeting
        when = timezone.localtime(m.planned_start)
        hint = (
            _("已签到")
            if att.signed_in_at
            else _("请假：%(s)s") % {"s": att.leave.get_status_display()}
            if att.leave
            else _("会前可请假，到会后扫码或输入签到码签到")
        )
        items.append(
            Todo(
                _("%(day)s %(time)s %(type)s：%(topic)s")
                % {
                    "day": day(when),
                    "time": f"{when:%H:%M}",
                    "type": m.get_meeting_type_display(),
                    "topic": m.topic,
                },
                reverse("orglife:meeting", args=[m.pk]),
                hint=hint,
            )
        )
    member_id = user_scope(user).member_id
    mine = orglife.makeup_list(user=user, state="open").filter(member_id=member_id)[:3]
    today = timezone.localdate(now)
    for mk in mine:
        overdue = mk.due_date < today
        items.append(
            Todo(
                _("补课：%(topic)s") % {"topic": mk.attendance.meeting.topic},
                reverse("orglife:my_meetings"),
                "red" if overdue else "yellow",
                _("已逾期，请尽快完成")
                if overdue
                else _("请在 %(d)s 前完成") % {"d": day(mk.due_date)},
            )
        )
    return items


def oversight_todo(user, now) -> list[Todo]:
    """For an organization administrator: how many branches need attention, and where."""
    today = timezone.localdate(now)
    rows = compliance.attention(user=user, action=Action.OVERSEE, today=today)
    red = rows.filter(light=Light.RED).values("org_id").distinct().count()
    yellow = (
        rows.filter(light=Light.YELLOW)
        .exclude(org_id__in=rows.filter(light=Light.RED).values("org_id"))
        .values("org_id")
        .distinct()
        .count()
    )
    items = []
    if red:
        items.append(
            Todo(_("%(n)s 个组织有未达标事项") % {"n": red}, reverse("compliance:index"), "red")
        )
    if yellow:
        items.append(
            Todo(
                _("%(n)s 个组织有需关注事项") % {"n": yellow},
                reverse("compliance:index"),
                "yellow",
            )
        )
    return items


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = user_scope(user)
    now = timezone.now()
    manage = has_any(user, Action.MANAGE_ORGLIFE)
    overseer = has_any(user, Action.OVERSEE)
    context = {
        "roles": my_roles(user),
        "roots": list(org_scope_roots(user=user)[:50]),
        "my_member_id": scope.member_id,
        "can_change": has_any(user, Action.CHANGE),
        "secretary": secretary_todo(user, now, overseer=overseer) if manage else None,
        "mine": member_todo(user, now) if scope.member_id else [],
        "oversee": oversight_todo(user, now) if overseer else [],
    }
    return render(request, "core/home.html", context)
