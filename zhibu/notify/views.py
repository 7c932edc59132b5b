from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhibu.notify import selectors, services
from zhibu.notify.forms import WebhookForm
from zhibu.notify.models import Channel, Delivery, Reason
from zhibu.orgs.permissions import Action, get_or_404, has_any

EXTERNAL_CHANNELS = [(Channel.EMAIL, Channel.EMAIL.label)]


@login_required
def inbox(request):
    page = Paginator(selectors.inbox(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page})


@login_required
def unread_badge(request):
    """Loaded by htmx after the page, so no page pays a query for the header badge."""
    count = selectors.unread_count(user=request.user)
    return render(request, "notify/_badge.html", {"count": count})


@login_required
@require_POST
def mark_read(request):
    ids = request.POST.getlist("notice")
    notice_ids = [int(i) for i in ids if i.isdigit()] or None
    services.notice_mark_read(actor=request.user, notice_ids=notice_ids)
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("notify:inbox")


@login_required
def preferences(request):
    pref = selectors.preference_of(user=request.user)
    errors = {}
    if request.method == "POST":
        muted = {
            reason: [c for c, _label in EXTERNAL_CHANNELS if not request.POST.get(f"{reason}:{c}")]
            for reason in Reason.values
        }

        def hour(name):
            value = request.POST.get(name, "").strip()
            return int(value) if value.isdigit() else None

        try:
            services.preference_save(
                actor=request.user,
                muted=muted,
                quiet_start=hour("quiet_start"),
                quiet_end=hour("quiet_end"),
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("消息设置已保存"))
            return redirect("notify:preferences")
    rows = [
        {
            "reason": reason,
            "label": label,
            "channels": [(c, clabel, pref.allows(reason, c)) for c, clabel in EXTERNAL_CHANNELS],
        }
        for reason, label in Reason.choices
    ]
    return render(
        request,
        "notify/preferences.html",
        {
            "rows": rows,
            "pref": pref,
            "errors": errors,
            "can_manage_webhooks": has_any(request.user, Action.CHANGE),
        },
    )


@login_required
def webhooks(request):
    if not has_any(request.user, Action.CHANGE):
        raise Http404
    form = WebhookForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_save(actor=request.user, endpoint=form.save(commit=False))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("群机器人已保存"))
            return redirect("notify:webhooks")
    return render(
        request,
        "notify/webhooks.html",
        {"form": form, "endpoints": selectors.webhook_list(user=request.user)},
    )


@login_required
def failed(request):
    if not has_any(request.user, Action.CHANGE):
        raise Http404
    page = Paginator(selectors.failed_deliveries(user=request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "notify/failed.html", {"page": page})


@login_required
@require_POST
def retry(request, pk):
    deliveries = Delivery.objects.select_related("notice__org")
    delivery = get_or_404(request.user, Action.CHANGE, deliveries, pk=pk)
    try:
        services.delivery_retry(actor=request.user, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已重新排队发送"))
    return redirect("notify:failed")
