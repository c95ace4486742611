from django.urls import path

from . import views

app_name = "residents"
urlpatterns = [
    path("", views.start, name="start"),
    path("c/<int:community_id>/", views.choose_building, name="community"),
    path("b/<str:code>/", views.choose_unit, name="building"),
    path("p/<str:code>/", views.request_at_place, name="place"),
    path("sent/", views.submitted, name="submitted"),
    path("status/", views.status, name="status"),
    path("status/rate/", views.rate, name="rate"),
    path("text-size/", views.text_size, name="text_size"),
    path("qr/<str:kind>/<int:pk>/", views.qr_sheet, name="qr_sheet"),
]
