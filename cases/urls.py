from django.urls import path

from . import offline, views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("new/places/", views.place_picker, name="place_picker"),
    path("new/similar/", views.similar_cases, name="similar"),
    path("bulk/", views.case_bulk, name="bulk"),
    path("offline/", offline.queue_page, name="offline"),
    path("offline/places.json", offline.places, name="offline_places"),
    path("offline/cases/", offline.send_case, name="offline_send_case"),
    path("offline/visits/<int:pk>/", offline.send_visit, name="offline_send_visit"),
    path("export.<str:file_format>", views.case_export, name="export"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/moves/<str:move>/", views.case_move, name="move"),
    path("<int:pk>/phone/", views.case_phone, name="phone"),
    path("<int:pk>/anonymise/", views.case_anonymise, name="anonymise"),
    path("<int:pk>/photos/<int:photo_pk>/", views.case_photo, name="photo"),
    path("<int:pk>/tasks/", views.task_add, name="task_add"),
    path("<int:pk>/tasks/<int:task_pk>/<str:status>/", views.task_close, name="task_close"),
    path("<int:pk>/escalate/", views.case_escalate, name="escalate"),
    path(
        "<int:pk>/escalations/<int:escalation_pk>/answer/",
        views.escalation_answer,
        name="escalation_answer",
    ),
    path("<int:pk>/duplicate/", views.case_link_duplicate, name="link_duplicate"),
]
