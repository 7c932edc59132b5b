from django.urls import path

from zhibu.orgs import grant_views, views, views_parameters

app_name = "orgs"
urlpatterns = [
    path("", views.org_tree, name="tree"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/children/", views.org_children, name="children"),
    path("<int:pk>/parameters/", views_parameters.org_parameter_set, name="parameter_set"),
    path("grants/", grant_views.grant_page, name="grants"),
    path("grants/<int:pk>/revoke/", grant_views.grant_revoke, name="grant_revoke"),
]
