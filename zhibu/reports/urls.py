from django.urls import path

from zhibu.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_edit, name="new"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/edit/", views.report_edit, name="edit"),
    path("work/", views.work_reports, name="work"),
    path("review/", views.review_list, name="reviews"),
    path("review/<int:pk>/", views.review_detail, name="review"),
    path("olm/<int:meeting_pk>/", views.olm_cycle, name="olm"),
    path("member/<int:pk>/", views.member_file, name="member-file"),
]
