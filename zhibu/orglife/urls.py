from django.urls import path

from zhibu.orglife import views

app_name = "orglife"
urlpatterns = [
    path("", views.index, name="index"),
    path("orgs/<int:org_pk>/", views.org_calendar, name="calendar"),
    path("orgs/<int:org_pk>/schedule/", views.meeting_schedule, name="schedule"),
    path("orgs/<int:org_pk>/plans/", views.plan_page, name="plans"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/notify/", views.meeting_notify, name="meeting_notify"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("meetings/<int:pk>/roster/<int:member_pk>/", views.roster_tick, name="roster_tick"),
    path("meetings/<int:pk>/attendance/all/", views.attendance_all, name="attendance_all"),
    path(
        "meetings/<int:pk>/attendance/<int:member_pk>/",
        views.attendance_mark,
        name="attendance_mark",
    ),
    path("meetings/<int:pk>/leave/", views.leave_request, name="leave_request"),
    path("meetings/<int:pk>/leave/file/", views.leave_file, name="leave_file"),
    path("members/<int:pk>/history/", views.member_history, name="member_history"),
    path("meetings/<int:pk>/code/", views.signin_code, name="signin_code"),
    path("meetings/<int:pk>/record/", views.meeting_record, name="meeting_record"),
    path("meetings/<int:pk>/steps/", views.step_record, name="step_record"),
    path("meetings/<int:pk>/discussion/", views.discussion_add, name="discussion_add"),
    path("meetings/<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("meetings/<int:pk>/confirm/", views.record_confirm, name="record_confirm"),
    path("meetings/<int:pk>/amend/", views.meeting_amend, name="meeting_amend"),
    path("meetings/<int:pk>/screen/", views.signin_screen, name="signin_screen"),
    path("meetings/<int:pk>/screen/live/", views.signin_screen_live, name="signin_screen_live"),
    # The address in the QR code (orglife.signin.signin_url); the token is in ?t=.
    path("meetings/<int:pk>/sign-in/", views.meeting_signin, name="meeting_signin"),
    path("meetings/<int:pk>/sheet/", views.signin_sheet, name="signin_sheet"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("my/", views.my_meetings, name="my_meetings"),
    path("leave/", views.leave_inbox, name="leave_inbox"),
    path("leave/<int:pk>/decide/", views.leave_decide, name="leave_decide"),
    path("makeups/", views.makeup_list, name="makeups"),
    path("makeups/<int:pk>/submit/", views.makeup_submit, name="makeup_submit"),
    path("makeups/<int:pk>/complete/", views.makeup_complete, name="makeup_complete"),
]
