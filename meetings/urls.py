from django.urls import path

from . import views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("calendar/", views.meeting_calendar, name="calendar"),
    path("counts/", views.meeting_stats, name="stats"),
    path("new/", views.meeting_new, name="new"),
    path("emergency/<int:case_pk>/", views.emergency, name="emergency"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("<int:pk>/items/<int:item_pk>/notice/", views.notice, name="notice"),
    path("<int:pk>/items/<int:item_pk>/<str:action>/", views.item_action, name="item_action"),
    path("<int:pk>/<str:action>/", views.meeting_action, name="action"),
]
