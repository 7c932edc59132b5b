from django.urls import path

from zhibu.orgs import grant_views, import_views, views, views_parameters

app_name = "orgs"
urlpatterns = [
    path("", views.org_tree, name="tree"),
    path("new/", views.org_create_view, name="create-top"),
    path("import/", import_views.org_import_view, name="import"),
    path("import/template.xlsx", import_views.org_template_view, name="import-template"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/children/", views.org_children, name="children"),
    path("<int:pk>/parameters/", views_parameters.org_parameter_set, name="parameter_set"),
    path("grants/", grant_views.grant_page, name="grants"),
    path("grants/<int:pk>/revoke/", grant_views.grant_revoke, name="grant_revoke"),
    path("<int:pk>/new/", views.org_create_view, name="create"),
    path("<int:pk>/edit/", views.org_edit_view, name="edit"),
    path("<int:pk>/move/", views.org_move_view, name="move"),
    path("<int:pk>/dissolve/", views.org_dissolve_view, name="dissolve"),
    path("<int:pk>/history/", views.org_history_view, name="history"),
]
