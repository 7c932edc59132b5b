from django.urls import path

from zhibu.members import account_views, committee_views, roster_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("<int:pk>/status/", views.member_status, name="status"),
    path("new/", views.member_new, name="new"),
    path("<int:pk>/password-reset/", account_views.account_reset, name="account-reset"),
    path("accounts/", account_views.account_list, name="accounts"),
    path("accounts/slips/", account_views.account_slips, name="account-slips"),
    path("accounts/slips.xlsx", account_views.account_slips_xlsx, name="account-slips-xlsx"),
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
