from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zhibu.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only, even for the superuser."""

    list_display = ("at", "actor_name", "action", "target_label", "address")
    list_filter = ("action",)
    exclude = ("target_type",)  # a model label ("orgs.organization"); shown by its name instead
    readonly_fields = ("target_kind",)

    @admin.display(description=_("对象类型"))
    def target_kind(self, obj: AuditEvent) -> str:
        if not obj.target_type:
            return "—"
        return str(apps.get_model(obj.target_type)._meta.verbose_name)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
