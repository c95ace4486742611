from django.urls import path

from . import place_views

urlpatterns = [
    path("streets/<int:pk>/", place_views.street_detail, name="street"),
    path("communities/<int:pk>/", place_views.community_detail, name="community"),
    path("grids/<int:pk>/", place_views.grid_detail, name="grid"),
    path("buildings/<int:pk>/", place_views.building_detail, name="building"),
]
