from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login. Authorization lives in orgs.permissions, never here."""

    phone = models.CharField(_("手机号"), max_length=20, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")

    def __str__(self) -> str:
        return self.get_full_name() or self.username
