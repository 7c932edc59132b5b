"""The home page's address, named core:home as every template and LOGIN_REDIRECT_URL know it."""

from django.urls import path

from zhibu.notify import home

app_name = "core"
urlpatterns = [
    path("", home.home, name="home"),
]
