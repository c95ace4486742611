from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.access_log, name="log"),
    path("export.<str:file_format>", views.access_log_export, name="export"),
]
