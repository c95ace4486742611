from django.urls import path

from . import views

app_name = "grids"
urlpatterns = [
    path("streets/<int:pk>/", views.street_detail, name="street"),
    path("communities/<int:pk>/", views.community_detail, name="community"),
    path("grids/<int:pk>/", views.grid_detail, name="grid"),
    path("buildings/<int:pk>/", views.building_detail, name="building"),
    path("import/", views.import_upload, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_batch, name="import_batch"),
    path("import/<int:pk>/apply/", views.import_apply, name="import_apply"),
]
