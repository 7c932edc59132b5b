from django.urls import path

from zhibu.compliance import views

app_name = "compliance"
urlpatterns = [
    path("", views.index, name="index"),
    path("org/<int:pk>/", views.dashboard, name="dashboard"),
    path("org/<int:pk>/export.xlsx", views.dashboard_export, name="export"),
    path("org/<int:pk>/rule/<slug:rule_id>/", views.rule_detail, name="rule"),
    path("branch/<int:pk>/", views.branch, name="branch"),
    path("member/<int:pk>/", views.member, name="member"),
    path("mine/", views.mine, name="mine"),
]
