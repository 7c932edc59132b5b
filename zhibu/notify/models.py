"""Notices (one per fact) and their deliveries (one per channel), claimed by the worker.

A notice's `key` is (audience, reason, subject, period): planners may run any number of
times and still create each notice once. A delivery is unique per (notice, channel, target),
so the delivery key is (recipient, channel, reason, subject, period).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhibu.orgs.models import Organization


class Reason(models.TextChoices):
    MEETING_NOTICE = "meeting_notice", _("会议通知")
    MEETING_REMINDER = "meeting_reminder", _("会前提醒")
    LEAVE_PENDING = "leave_pending", _("待审批的请假")
    AT_RISK = "at_risk", _("达标风险提醒")
    ESCALATION = "escalation", _("下级组织未达标")
    # No longer planned (DOMAIN.md gives no source for a branch silence rule; a silent
    # branch shows in its obligations); kept so past notices keep their label.
    SILENT_BRANCH = "silent_branch", _("长期未开展组织生活")
    MAKEUP_DUE = "makeup_due", _("补课提醒")
    REPORT_DUE = "report_due", _("思想汇报提醒")
    PROBATION_ENDING = "probation_ending", _("预备期即将届满")
    TERM_ENDING = "term_ending", _("委员会任期即将届满")
    POLITICAL_BIRTHDAY = "political_birthday", _("政治生日")
    WEEKLY_DIGEST = "weekly_digest", _("每周摘要")


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内消息")
    EMAIL = "email", _("电子邮件")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    FEISHU = "feishu", _("飞书群机器人")


WEBHOOK_CHANNELS = (Channel.WECOM, Channel.DINGTALK, Channel.FEISHU)


class Notice(models.Model):
    """Something a person (or an organization's group chat) should know and act on."""

    key = models.CharField(max_length=200, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="notices")
    reason = models.CharField(_("类型"), max_length=32, choices=Reason.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    url = models.CharField(_("链接"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    scope_path = "org__path"

    class Meta:
        verbose_name = _("消息")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title

    def get_scope_path(self) -> str:
        return self.org.path


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    notice = models.ForeignKey(
        Notice, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    target = models.CharField(_("接收地址"), max_length=300)  # email address or endpoint id
    status = models.CharField(
        _("状态"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次发送时间"))
    claimed_until = models.DateTimeField(_("处理锁定至"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最近一次错误"), blank=True, default="")

    scope_path = "notice__org__path"

    class Meta:
        verbose_name = _("投递")
        verbose_name_plural = _("投递")
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel", "target"], name="delivery_unique"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.target}（{self.get_status_display()}）"

    def get_scope_path(self) -> str:
        return self.notice.org.path


class WebhookEndpoint(models.Model):
    """A group-chat robot of an organization (WeCom, DingTalk or Feishu)."""

    org = models.ForeignKey(
        Organization, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="webhooks"
    )
    channel = models.CharField(
        _("平台"), max_length=16, choices=[(c.value, c.label) for c in WEBHOOK_CHANNELS]
    )
    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True, default="")
    reasons = models.JSONField(_("推送的提醒类型"), default=list, blank=True)  # empty = all
    enabled = models.BooleanField(_("启用"), default=True)

    scope_path = "org__path"

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")

    def __str__(self) -> str:
        return f"{self.org} · {self.name}"

    def get_scope_path(self) -> str:
        return self.org.path


class Preference(models.Model):
    """A person's choices: channels per reason switched off, and quiet hours."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preference"
    )
    # {"makeup_due": ["email"], ...}: channels switched OFF per reason; absent = on.
    muted = models.JSONField(default=dict, blank=True)
    quiet_start = models.PositiveSmallIntegerField(_("免打扰开始（时）"), null=True, blank=True)
    quiet_end = models.PositiveSmallIntegerField(_("免打扰结束（时）"), null=True, blank=True)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"

    def allows(self, reason: str, channel: str) -> bool:
        return channel not in self.muted.get(reason, [])
