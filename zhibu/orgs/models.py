from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhibu.core.models import TimeStampedModel

# A path is the chain of ancestor ids, each zero-padded to SEGMENT digits, e.g. the org 42
# under 7 has path "00000000070000000042". Digits only, so every collation orders paths the
# same way and "everything under X" is one index range scan on every database.
SEGMENT = 10


def path_segment(pk: int) -> str:
    return str(pk).zfill(SEGMENT)


def path_upper_bound(path: str) -> str:
    """The smallest digit string of the same length greater than every path under `path`."""
    return str(int(path) + 1).zfill(len(path))


def subtree_q(path: str, field: str = "path") -> Q:
    """Rows whose `field` lies in the subtree rooted at `path` (the root included)."""
    return Q(**{f"{field}__gte": path, f"{field}__lt": path_upper_bound(path)})


class OrgKind(models.TextChoices):
    BASE_PARTY_COMMITTEE = "base_party_committee", _("党委")
    ORGANS_WORK_COMMITTEE = "organs_work_committee", _("党工委/机关工委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    PARTY_GROUP = "party_group", _("党小组")


class OrgCategory(models.TextChoices):
    ORGAN = "organ", _("机关")
    ENTERPRISE = "enterprise", _("企业")
    VILLAGE = "village", _("农村")
    COMMUNITY = "community", _("社区")
    SCHOOL = "school", _("学校")
    OTHER = "other", _("其他")


class OrganizationQuerySet(models.QuerySet):
    def subtree(self, org: Organization) -> OrganizationQuerySet:
        return self.filter(subtree_q(org.path))

    def branches(self) -> OrganizationQuerySet:
        return self.filter(kind=OrgKind.BRANCH)


class Organization(TimeStampedModel):
    """A party organization: 党委, 党工委, 党总支, 党支部 or 党小组."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=32, choices=OrgKind.choices)
    category = models.CharField(
        _("单位类别"), max_length=16, choices=OrgCategory.choices, default=OrgCategory.ORGAN
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("层级路径"), max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("层级深度"), default=0, editable=False)
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    fixed_party_day = models.PositiveSmallIntegerField(
        _("每月固定党日"), null=True, blank=True, help_text=_("每月第几天（1–28）")
    )
    # Per-organization settings for the subtree: parameters of organizational life
    # (orgs.parameters, set through orgs.services.parameter_set, e.g. {"makeup_days": 10})
    # and "compliance_profiles". Resolved nearest-ancestor-first.
    settings = models.JSONField(_("设置"), default=dict, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    dissolved_on = models.DateField(_("撤销日期"), null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    scope_path = "path"

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def get_scope_path(self) -> str:
        return self.path

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this organization, read off the path (no query)."""
        return [int(self.path[i : i + SEGMENT]) for i in range(0, len(self.path), SEGMENT)]

    def is_within(self, other: Organization) -> bool:
        return self.path.startswith(other.path)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("orgs:detail", args=[self.pk])


class GrantRole(models.TextChoices):
    ORG_ADMIN = "org_admin", _("组织管理员")
    ORG_VIEWER = "org_viewer", _("组织查看员")


class Grant(TimeStampedModel):
    """An explicit right over an organization subtree, given to an account.

    Branch committee rights are not grants: they follow from the member's current committee
    position (members.CommitteePosition), so the roster is the single record of who is secretary.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="grants",
    )
    org = models.ForeignKey(
        Organization, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(_("角色"), max_length=32, choices=GrantRole.choices)
    personal_data = models.BooleanField(_("可查看身份证号和手机号"), default=True)
    reports = models.BooleanField(
        _("可阅读思想汇报"),
        default=False,
        help_text=_("思想汇报只对本人、支部书记和培养联系人可见，除非授权明确包含"),
    )

    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_path = "org__path"

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = _("授权")
        constraints = [models.UniqueConstraint(fields=["user", "org", "role"], name="grant_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.org}"

    def get_scope_path(self) -> str:
        return self.org.path


class ParameterChange(models.Model):
    """One change of an organization's parameter of organizational life (orgs.parameters):
    who set what, when and why. The current value lives in Organization.settings; these rows
    are its history and give the reason shown next to it."""

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="parameter_changes"
    )
    key = models.CharField(_("参数"), max_length=64)
    value = models.JSONField(_("设置值"), null=True, blank=True)  # None: the setting was removed
    previous = models.JSONField(_("原设置值"), null=True, blank=True)
    inherited = models.JSONField(_("上级有效值"), null=True, blank=True)
    loosens = models.BooleanField(_("放宽要求"), default=False)
    reason = models.CharField(_("理由"), max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_path = "org__path"

    class Meta:
        verbose_name = _("参数变更")
        verbose_name_plural = _("参数变更")
        indexes = [models.Index(fields=["org", "key", "-created_at"], name="paramchange_org_key")]

    def __str__(self) -> str:
        return f"{self.org_id}:{self.key}={self.value}"

    def get_scope_path(self) -> str:
        return self.org.path


class OrgEventKind(models.TextChoices):
    CREATED = "created", _("成立")
    RENAMED = "renamed", _("更名")
    MOVED = "moved", _("调整隶属关系")
    CHANGED = "changed", _("修改信息")
    MEMBERS_TRANSFERRED = "members_transferred", _("党员整体转接")
    DISSOLVED = "dissolved", _("撤销")
    IMPORTED = "imported", _("导入")


# How the fields named in OrgEvent.changes are shown.
EVENT_FIELDS = {
    "name": _("名称"),
    "kind": _("类型"),
    "category": _("单位类别"),
    "parent": _("上级组织"),
    "founded_on": _("成立日期"),
    "fixed_party_day": _("每月固定党日"),
    "dissolved_on": _("撤销日期"),
    "members": _("在册党员"),
    "transfer_to": _("转入支部"),
    "transfer_from": _("转出组织"),
}


class OrgEvent(models.Model):
    """One change to an organization, kept as history (who, when, what was before and after).

    Written by the services in the same transaction as the change; never edited.
    `changes` maps a field to [before, after] as shown to people (names, labels, dates).
    """

    org = models.ForeignKey(
        Organization, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("变更类型"), max_length=32, choices=OrgEventKind.choices)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_path = "org__path"

    class Meta:
        verbose_name = _("组织变更记录")
        verbose_name_plural = _("组织变更记录")
        ordering = ["org_id", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.org} {self.get_kind_display()}"

    @property
    def rows(self) -> list[tuple[str, object, object]]:
        """(label, before, after) for each changed field, in a fixed order."""
        order = list(EVENT_FIELDS)
        keys = sorted(self.changes, key=lambda k: order.index(k) if k in order else len(order))
        return [
            (str(EVENT_FIELDS.get(k, k)), *(list(self.changes[k]) + ["", ""])[:2]) for k in keys
        ]

    def get_scope_path(self) -> str:
        return self.org.path
