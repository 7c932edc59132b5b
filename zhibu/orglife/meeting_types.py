"""Meeting types as data, in one place.

Each type says who is due to attend, which procedure steps and record fields it requires,
whether it counts toward party-day time and which content categories it may carry. Services,
pages, the API and the compliance engine all read these definitions; nothing else hard-codes
a meeting type's behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingTypeCode(models.TextChoices):
    GENERAL_MEETING = "general_meeting", _("支部党员大会")
    COMMITTEE_MEETING = "committee_meeting", _("支委会")
    PARTY_GROUP_MEETING = "party_group_meeting", _("党小组会")
    PARTY_LECTURE = "party_lecture", _("党课")
    PARTY_DAY = "party_day", _("主题党日")
    ORG_LIFE_MEETING = "org_life_meeting", _("组织生活会")
    DEMOCRATIC_LIFE_MEETING = "democratic_life_meeting", _("民主生活会")
    DEMOCRATIC_REVIEW = "democratic_review", _("民主评议党员")
    HEART_TALK = "heart_talk", _("谈心谈话")


class ContentCategory(models.TextChoices):
    POLITICAL_STUDY = "political_study", _("政治学习")
    ORG_LIFE = "org_life", _("组织生活")
    PARTY_WORK = "party_work", _("党务工作")
    VOLUNTEERING = "volunteering", _("志愿服务")
    # Recordable so that misuse can be flagged; never counted as party time.
    BUSINESS = "business", _("业务工作")
    ADMINISTRATIVE = "administrative", _("行政事务")
    ENTERTAINMENT = "entertainment", _("文体娱乐")


PARTY_CONTENT = frozenset(
    {
        ContentCategory.POLITICAL_STUDY,
        ContentCategory.ORG_LIFE,
        ContentCategory.PARTY_WORK,
        ContentCategory.VOLUNTEERING,
    }
)


class Attendees(models.TextChoices):
    """Who is due to attend; snapshotted from the roster when a meeting is scheduled."""

    WHOLE_BRANCH = "whole_branch", _("全体党员")
    COMMITTEE = "committee", _("支部委员")
    PARTY_GROUP = "party_group", _("本党小组党员")
    LEADERSHIP = "leadership", _("领导班子成员")
    PAIR = "pair", _("谈话双方")


@dataclass(frozen=True)
class Step:
    code: str
    name: str


@dataclass(frozen=True)
class MeetingType:
    code: str
    name: str
    attendees: str
    steps: tuple[Step, ...] = ()
    record_fields: tuple[str, ...] = ()  # Meeting fields that must be filled before confirming
    counts_party_day: bool = False
    categories: tuple[str, ...] = field(default_factory=lambda: tuple(ContentCategory.values))
    org_kinds: tuple[str, ...] = ("branch",)  # where such a meeting is held
    register_attendance: bool = True
    verb: str = "召开"  # how explanations say it is done: 召开支委会, 开展主题党日, 上党课


S = Step
OLM_STEPS = (
    S("theme", "确定主题"),
    S("pre_study", "会前学习"),
    S("heart_talk", "谈心谈话"),
    S("solicit", "征求意见"),
    S("self_check", "查摆问题、撰写发言提纲"),
    S("criticism", "开展批评和自我批评"),
    S("rectify", "制定整改清单"),
    S("report", "向上级报告"),
)

MEETING_TYPES: dict[str, MeetingType] = {
    t.code: t
    for t in (
        MeetingType(
            MeetingTypeCode.GENERAL_MEETING,
            "支部党员大会",
            Attendees.WHOLE_BRANCH,
            record_fields=("topic", "minutes"),
        ),
        MeetingType(
            MeetingTypeCode.COMMITTEE_MEETING,
            "支委会",
            Attendees.COMMITTEE,
            record_fields=("topic", "minutes"),
        ),
        MeetingType(
            MeetingTypeCode.PARTY_GROUP_MEETING,
            "党小组会",
            Attendees.PARTY_GROUP,
            record_fields=("topic", "minutes"),
            org_kinds=("party_group",),
        ),
        MeetingType(
            MeetingTypeCode.PARTY_LECTURE,
            "党课",
            Attendees.WHOLE_BRANCH,
            steps=(S("lecture", "讲授党课"), S("discussion", "课后讨论交流")),
            record_fields=("topic", "lecturer", "materials", "discussion"),
            verb="上",
        ),
        MeetingType(
            MeetingTypeCode.PARTY_DAY,
            "主题党日",
            Attendees.WHOLE_BRANCH,
            steps=(S("theme", "确定主题和内容"), S("follow_up", "会后跟进落实")),
            record_fields=("topic", "content_category", "minutes"),
            counts_party_day=True,
            verb="开展",
        ),
        MeetingType(
            MeetingTypeCode.ORG_LIFE_MEETING,
            "组织生活会",
            Attendees.WHOLE_BRANCH,
            steps=OLM_STEPS,
            record_fields=("topic", "minutes"),
        ),
        MeetingType(
            MeetingTypeCode.DEMOCRATIC_LIFE_MEETING,
            "民主生活会",
            Attendees.LEADERSHIP,
            steps=(
                S("theme", "确定主题"),
                S("solicit", "征求意见"),
                S("heart_talk", "谈心交心"),
                S("self_check", "撰写对照检查材料"),
                S("criticism", "开展批评和自我批评"),
                S("measures", "制定改进措施"),
                S("report", "报告和通报"),
            ),
            record_fields=("topic", "minutes"),
            # Held by leadership teams (党委、党组、工委 领导班子), never by an ordinary branch,
            # whose members meet in the 组织生活会 instead.
            org_kinds=("base_party_committee", "organs_work_committee"),
        ),
        MeetingType(
            MeetingTypeCode.DEMOCRATIC_REVIEW,
            "民主评议党员",
            Attendees.WHOLE_BRANCH,
            steps=(
                S("self_assessment", "个人自评"),
                S("peer_assessment", "党员互评"),
                S("democratic_poll", "民主测评"),
                S("committee_proposal", "支委会提出评定意见"),
                S("assembly_decision", "党员大会审议"),
            ),
            record_fields=("topic", "minutes"),
            verb="组织",
        ),
        MeetingType(
            MeetingTypeCode.HEART_TALK,
            "谈心谈话",
            Attendees.PAIR,
            record_fields=("topic",),
            register_attendance=False,
            verb="开展",
        ),
    )
}


def meeting_type(code: str) -> MeetingType:
    return MEETING_TYPES[code]
