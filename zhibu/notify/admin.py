"""Django admin for the superuser: group-chat robots and deliveries (support work)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhibu.notify import services
from zhibu.notify.models import Delivery, DeliveryStatus, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "org", "channel", "enabled")
    list_filter = ("channel", "enabled")
    search_fields = ("name", "org__name")
    list_select_related = ("org",)
    raw_id_fields = ("org",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("notice", "channel", "target", "status", "attempts", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("target", "notice__title", "notice__org__name")
    list_select_related = ("notice",)
    readonly_fields = (
        "notice",
        "channel",
        "target",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "sent_at",
        "last_error",
    )
    actions = ["retry"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("重发所选的发送失败消息"))
    def retry(self, request, queryset) -> None:
        done = 0
        for delivery in queryset.filter(status=DeliveryStatus.FAILED):
            try:
                services.delivery_retry(actor=request.user, delivery=delivery)
            except ValidationError:
                continue
            done += 1
        self.message_user(request, _("已重新排队 %(n)d 条消息") % {"n": done}, messages.SUCCESS)
