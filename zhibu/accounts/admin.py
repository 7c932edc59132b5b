"""Django admin for the superuser's support work: accounts. Everyday work never needs it.

API tokens are not shown here (DRF registers them by default): tokens are managed with
`zhibu create-token`. Groups are not used: rights live in orgs.permissions.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import TokenProxy

from zhibu.accounts.models import User

admin.site.site_header = _("zhibu 系统管理")
admin.site.site_title = _("zhibu 系统管理")
admin.site.index_title = _("系统维护（日常工作请使用业务页面）")
admin.site.unregister(TokenProxy)
admin.site.unregister(Group)


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
