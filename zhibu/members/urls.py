from django.urls import path

from zhibu.members import committee_views, roster_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("committee/<int:pk>/", committee_views.committee_page, name="committee"),
    path(
        "committee/<int:pk>/assign/", committee_views.position_assign_view, name="position-assign"
    ),
    path(
        "committee/<int:pk>/positions/<int:position_pk>/end/",
        committee_views.position_end_view,
        name="position-end",
    ),
    path("committee/<int:pk>/elections/", committee_views.election_view, name="election"),
    path("roster/import/", roster_views.roster_import, name="roster-import"),
    path("roster/template.xlsx", roster_views.roster_template, name="roster-template"),
    path("roster/export.xlsx", roster_views.roster_export, name="roster-export"),
]
