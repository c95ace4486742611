from django.urls import path

from . import views

# The browse pages of places join this app's places to accounts' roles, so they live in the
# workbench app; config/urls.py puts both lists under the one "grids" namespace.
urlpatterns = [
    path("import/", views.import_upload, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_batch, name="import_batch"),
    path("import/<int:pk>/apply/", views.import_apply, name="import_apply"),
]
