from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhibu.core.models import TimeStampedModel
from zhibu.core.pinyin import name_initials, name_reading
from zhibu.members.validators import validate_id_number
from zhibu.orgs.models import Organization


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("研究生")
    BACHELOR = "bachelor", _("大学本科")
    JUNIOR_COLLEGE = "junior_college", _("大学专科")
    SECONDARY = "secondary", _("中专/高中")
    JUNIOR = "junior", _("初中及以下")


class MemberStatus(models.TextChoices):
    PROBATIONARY = "probationary_member", _("预备党员")
    FULL = "full_member", _("正式党员")


class MembershipEnd(models.TextChoices):
    """Why a member leaves the roster for good (党员减少)."""

    DEATH = "death", _("去世")
    SUSPENDED = "suspended", _("停止党籍")
    EXPELLED = "expelled", _("出党")
    TRANSFERRED_OUT = "transferred_out", _("组织关系转出本系统")


class Member(TimeStampedModel):
    """A party member on a branch's roster."""

    name = models.CharField(_("姓名"), max_length=50)
    # Derived from `name` (fill_pinyin): the list sorts by the reading and finds by initials in
    # the same one query, with no Python pass over the roster.
    name_pinyin = models.CharField(
        _("姓名拼音"), max_length=255, blank=True, default="", editable=False
    )
    name_initials = models.CharField(
        _("姓名拼音首字母"), max_length=50, blank=True, default="", editable=False
    )
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number = models.CharField(
        _("身份证号"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_id_number],
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True, default="")
    # 工号: how a unified identity platform may know the member (single sign-on links by it).
    employee_number = models.CharField(_("工号"), max_length=32, unique=True, null=True, blank=True)
    # Where personal reminders can reach the member outside the site (notify channels read them).
    email = models.EmailField(_("电子邮箱"), blank=True, default="")
    wecom_id = models.CharField(_("企业微信账号"), max_length=64, blank=True, default="")
    dingtalk_id = models.CharField(_("钉钉账号"), max_length=64, blank=True, default="")
    education = models.CharField(
        _("学历"), max_length=20, choices=Education.choices, blank=True, default=""
    )
    join_date = models.DateField(_("入党日期"))
    status = models.CharField(
        _("党员类别"), max_length=24, choices=MemberStatus.choices, default=MemberStatus.FULL
    )
    full_member_date = models.DateField(_("转正日期"), null=True, blank=True)
    is_leading_cadre = models.BooleanField(_("处级以上领导干部"), default=False)
    is_exempt = models.BooleanField(
        _("年老体弱免于硬性要求"),
        default=False,
        help_text=_("教育管理条例第二十三条：活动和学习不作硬性要求，送学上门"),
    )
    branch = models.ForeignKey(
        Organization,
        verbose_name=_("所在支部"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    party_group = models.ForeignKey(
        Organization,
        verbose_name=_("党小组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="group_members",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    is_active = models.BooleanField(_("在册"), default=True)
    # Set by members.services.member_end; the tenure closed the day before keeps the history.
    end_reason = models.CharField(
        _("减少原因"), max_length=24, choices=MembershipEnd.choices, blank=True, default=""
    )
    ended_on = models.DateField(_("减少日期"), null=True, blank=True)

    scope_path = "branch__path"
    scope_owner = "pk"

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["branch_id", "name", "pk"]
        indexes = [
            models.Index(fields=["branch", "is_active"]),
            models.Index(fields=["name_pinyin", "id"], name="members_mem_pinyin_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def fill_pinyin(self) -> None:
        """Keep the derived pinyin columns in step with the name."""
        self.name_pinyin = name_reading(self.name or "")[:255]
        self.name_initials = name_initials(self.name or "")[:50]

    def clean(self) -> None:
        # The roster import bulk-creates after full_clean, so the columns are filled here too.
        super().clean()
        self.fill_pinyin()

    def save(self, *args, **kwargs) -> None:
        self.fill_pinyin()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin", "name_initials"}
        super().save(*args, **kwargs)

    def get_scope_path(self) -> str:
        return self.branch.path

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("members:detail", args=[self.pk])


class BranchTenure(models.Model):
    """Which branch (and party group) a member belonged to from `start` to `end` (inclusive).

    Attendance obligations depend on the branch a member belonged to on the meeting date, so
    transfers close one tenure and open the next instead of overwriting `Member.branch`.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tenures")
    branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    party_group = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("结束日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")

    scope_path = "branch__path"
    scope_owner = "member"

    class Meta:
        ordering = ["member_id", "start"]
        indexes = [models.Index(fields=["branch", "start", "end"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="tenure_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}@{self.branch_id} {self.start}–{self.end or ''}"


class CommitteeRole(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("副书记")
    ORG_MEMBER = "org_member", _("组织委员")
    PROPAGANDA_MEMBER = "propaganda_member", _("宣传委员")
    DISCIPLINE_MEMBER = "discipline_member", _("纪检委员")
    COMMITTEE_MEMBER = "committee_member", _("委员")
    PARTY_GROUP_LEADER = "party_group_leader", _("党小组长")


class CommitteePosition(TimeStampedModel):
    """A post in a branch committee (or a party-group leader), with its term dates.

    Current positions are also what give an account its rights over the branch
    (see orgs.permissions).
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="positions")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="positions")
    role = models.CharField(_("职务"), max_length=32, choices=CommitteeRole.choices)
    start = models.DateField(_("任职日期"))
    end = models.DateField(_("离任日期"), null=True, blank=True)

    scope_path = "org__path"
    scope_owner = "member"

    class Meta:
        verbose_name = _("支委职务")
        verbose_name_plural = _("支委职务")
        ordering = ["org_id", "role", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="position_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.get_role_display()} {self.member}"


class Election(TimeStampedModel):
    """A branch's term election (换届选举) or the first election after it was set up.

    The term length is stored as it was when the committee was elected (the `term_years`
    parameter then in force, or the length the upper committee approved), so a later change
    of the parameter does not move the end of a running term.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="elections")
    held_on = models.DateField(_("选举日期"))
    term_years = models.PositiveSmallIntegerField(_("任期（年）"))
    note = models.CharField(_("说明"), max_length=300, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path = "org__path"

    class Meta:
        verbose_name = _("换届选举")
        verbose_name_plural = _("换届选举")
        ordering = ["org_id", "-held_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["org", "held_on"], name="election_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.held_on}"

    def get_scope_path(self) -> str:
        return self.org.path

    @property
    def term_ends_on(self):
        """The last day of the term: the day before the same date `term_years` later."""
        from datetime import date, timedelta

        try:
            same_day = self.held_on.replace(year=self.held_on.year + self.term_years)
        except ValueError:  # elected on 29 February
            same_day = date(self.held_on.year + self.term_years, 3, 1)
        return same_day - timedelta(days=1)
