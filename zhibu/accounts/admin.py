"""Django admin for the superuser's support work: accounts and login lockouts. Everyday work
never needs it.

API tokens are never listed: a token is a password for the API, and the superuser who could
read a secretary's token could read private thought reports as that secretary, against the
privacy design. DRF's authtoken app registers an admin that lists every key, so it is taken
off here; tokens are issued with `zhibu create-token`. Groups are not used: rights live in
orgs.permissions.

django-axes' lists (访问尝试: deleting a row unlocks that account or address) are kept without
their date drill-down, which needs time-zone tables that MySQL/MariaDB servers often lack.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import TokenProxy

from zhibu.accounts.models import User

admin.site.site_header = _("zhibu 系统管理")
admin.site.site_title = _("zhibu 系统管理")
admin.site.index_title = _("系统维护（日常工作请使用业务页面）")
# axes names its app "Axes" with no translation; the admin's app list shows this instead.
apps.get_app_config("axes").verbose_name = _("登录防护")
admin.site.unregister(TokenProxy)
admin.site.unregister(Group)


@admin.display(description=_("状态"))
def _attempt_status(self, obj: AccessAttempt) -> str:
    return AccessAttemptAdmin.status(self, obj)


for model, base, extra in (
    (AccessAttempt, AccessAttemptAdmin, {"status": _attempt_status}),
    (AccessLog, AccessLogAdmin, {}),
    (AccessFailureLog, AccessFailureLogAdmin, {}),
):
    admin.site.unregister(model)
    admin.site.register(model, type(base.__name__, (base,), {"date_hierarchy": None, **extra}))


def _at(moment) -> str:
    return localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


# axes' rows name themselves in English ("Attempted Access: …"), which the admin shows as
# page titles and breadcrumbs; these say the same in the active language.
AccessAttempt.__str__ = lambda self: _("访问尝试 {at}").format(at=_at(self.attempt_time))
AccessLog.__str__ = lambda self: _("{user} 的访问记录 {at}").format(
    user=self.username, at=_at(self.attempt_time)
)
AccessFailureLog.__str__ = lambda self: _("{user} 登录失败 {at}").format(
    user=self.username, at=_at(self.attempt_time)
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "phone", "first_name", "last_name", "is_active", "is_superuser")
    list_filter = ("is_active", "is_superuser", "is_staff")
    search_fields = ("username", "phone", "first_name", "last_name", "email")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("first_name", "last_name", "phone", "email")}),
        (_("状态"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "phone", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")
