from django.urls import path

from zhibu.members import roster_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("roster/import/", roster_views.roster_import, name="roster-import"),
    path("roster/template.xlsx", roster_views.roster_template, name="roster-template"),
    path("roster/export.xlsx", roster_views.roster_export, name="roster-export"),
]
