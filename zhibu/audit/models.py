"""The audit log: append-only rows, each carrying a SHA-256 hash chained to the row before.

Rows are only ever inserted by `services.record` (and removed, oldest first, by the retention
prune, which keeps the chain verifiable from the first remaining row). Editing or deleting a row
anywhere else breaks the chain, and `services.verify_chain` says where.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出登录")
    GRANT_CREATE = "grant_create", _("授权")
    GRANT_REVOKE = "grant_revoke", _("撤销授权")
    MEMBER_CREATE = "member_create", _("新增党员")
    MEMBER_EDIT = "member_edit", _("修改党员信息")
    MEMBER_END = "member_end", _("党员出党/减少")
    MEMBER_TRANSFER = "member_transfer", _("组织关系转接")
    ROSTER_IMPORT = "roster_import", _("导入名册")
    ROSTER_EXPORT = "roster_export", _("导出名册")
    PERSONAL_VIEW = "personal_view", _("查看未脱敏个人信息")
    ORG_CREATE = "org_create", _("新建组织")
    ORG_MOVE = "org_move", _("调整组织隶属")
    ORG_DISSOLVE = "org_dissolve", _("撤销组织")
    AUDIT_EXPORT = "audit_export", _("导出审计日志")


class AuditEvent(models.Model):
    """One recorded action. Never updated; see the module docstring."""

    scope_path = "org_path"

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    # Kept as text too: the chain must not change when an account is renamed or removed.
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=32, choices=AuditAction.choices)
    target_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_label = models.CharField(_("对象"), max_length=200, blank=True)
    org_path = models.CharField(_("组织"), max_length=255, blank=True, db_index=True)
    address = models.CharField(_("来源地址"), max_length=64, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"

    def get_scope_path(self) -> str:
        return self.org_path


class AuditHead(models.Model):
    """A single row holding the chain's end. Writers update it first, which takes the write
    lock on every database, so two transactions never chain onto the same row."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="")
    # The last row removed by the retention prune: where verification starts.
    pruned_seq = models.PositiveBigIntegerField(default=0)
    pruned_hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"#{self.seq}"
