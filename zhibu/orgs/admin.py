"""Django admin for the superuser: organizations, grants and the change history.

Organizations are changed through orgs.services here too, so paths stay right and every
change is in the history; new organizations, moves and dissolutions are made on the pages.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zhibu.orgs import services
from zhibu.orgs.models import Grant, Organization, OrgEvent


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "category", "parent", "is_active", "dissolved_on")
    list_filter = ("kind", "category", "is_active")
    search_fields = ("name",)
    list_select_related = ("parent",)
    fields = (
        "name",
        "kind",
        "category",
        "parent",
        "founded_on",
        "fixed_party_day",
        "is_active",
        "dissolved_on",
        "path",
        "depth",
    )
    readonly_fields = ("kind", "parent", "is_active", "dissolved_on", "path", "depth")
    show_full_result_count = False  # no COUNT(*) over a province's tree on every page

    def has_add_permission(self, request) -> bool:
        return False  # set up on the organization pages (orgs:create), which keep the path

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # never deleted: dissolve on the organization page

    def save_model(self, request, obj, form, change) -> None:
        fields = {f: form.cleaned_data[f] for f in form.changed_data if f in services.UPDATABLE}
        original = Organization.objects.get(pk=obj.pk)
        services.org_update(actor=request.user, org=original, note=_("系统管理后台"), **fields)


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("user", "org", "role", "personal_data", "reports", "granted_at")
    list_filter = ("role", "personal_data", "reports")
    search_fields = ("user__username", "user__phone", "user__first_name", "org__name")
    list_select_related = ("user", "org")
    raw_id_fields = ("user", "org")
    readonly_fields = ("granted_at",)

    @admin.display(description=_("授权时间"), ordering="created_at")
    def granted_at(self, obj: Grant):
        return obj.created_at


@admin.register(OrgEvent)
class OrgEventAdmin(admin.ModelAdmin):
    list_display = ("org", "kind", "actor", "created_at", "note")
    list_filter = ("kind",)
    search_fields = ("org__name", "note", "actor__username")
    list_select_related = ("org", "actor")
    fields = ("org", "kind", "changes_shown", "note", "actor", "created_at")
    readonly_fields = fields

    @admin.display(description=_("变更内容"))
    def changes_shown(self, obj: OrgEvent) -> str:
        """Field labels and old → new values, as the history page shows them (not raw JSON)."""
        return "；".join(
            f"{label}：{before} → {after}" if before != "" else f"{label}：{after}"
            for label, before, after in obj.rows
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # history is append-only
