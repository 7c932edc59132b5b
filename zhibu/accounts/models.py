from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login. Authorization lives in orgs.permissions, never here."""

    phone = models.CharField(_("手机号"), max_length=20, unique=True, null=True, blank=True)
    # Set when an initial or reset password was handed out; the next login must replace it.
    must_change_password = models.BooleanField(_("须修改初始密码"), default=False)

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")

    def __str__(self) -> str:
        return self.get_full_name() or self.username
