from django.urls import path

from . import switches, views

app_name = "residents"
urlpatterns = [
    path("", views.start, name="start"),
    path("c/<int:community_id>/", views.choose_building, name="community"),
    path("b/<str:code>/", views.choose_unit, name="building"),
    path("p/<str:code>/", views.request_at_place, name="place"),
    path("sent/", views.submitted, name="submitted"),
    path("status/", views.status, name="status"),
    path("status/case/", views.case_status, name="case_status"),
    path("status/rate/", views.rate, name="rate"),
    path("status/rated/", views.rated, name="rated"),
    path("switch/", switches.switch, name="switch"),
    # The large-text switch's first address, kept for pages a phone holds from before.
    path("text-size/", switches.switch, name="text_size"),
    path("qr/<str:kind>/<int:pk>/", views.qr_sheet, name="qr_sheet"),
]
