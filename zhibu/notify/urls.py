from django.urls import path

from zhibu.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.unread_badge, name="badge"),
    path("read/", views.mark_read, name="read"),
    path("settings/", views.preferences, name="preferences"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("failed/", views.failed, name="failed"),
    path("failed/<int:pk>/retry/", views.retry, name="retry"),
]
