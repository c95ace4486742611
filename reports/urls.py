from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report, name="report"),
    path("cases/", views.report_cases, name="cases"),
    path("export.<str:file_format>", views.report_export, name="export"),
]
