"""The app's URLs plus one that fails, to see the 500 page a user would get."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns


@login_not_required
def boom(request):
    raise RuntimeError("a deliberate failure")


urlpatterns = [path("boom/", boom), *app_urlpatterns]
