"""The partners' URLs: Open311 at /open311/v2/, the hotline webhook, the schema and its page."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.urls import path, register_converter
from drf_spectacular.views import SpectacularAPIView

from common.bodylimit import accepts_upload

from . import api_docs, open311, webhook


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(FormatConverter, "fmt")


def _photos_bytes():
    return open311.MAX_PHOTOS * settings.CASE_PHOTO_MAX_BYTES


requests_view = accepts_upload(_photos_bytes)(open311.Requests.as_view())

open311_patterns = [
    path("discovery", open311.Discovery.as_view(), name="discovery"),
    path("discovery.<fmt:format>", open311.Discovery.as_view()),
    path("services", open311.Services.as_view(), name="services"),
    path("services.<fmt:format>", open311.Services.as_view()),
    path("services/<str:service_code>.<fmt:format>", open311.ServiceDefinition.as_view()),
    path("services/<str:service_code>", open311.ServiceDefinition.as_view(), name="service"),
    path("requests", requests_view, name="requests"),
    path("requests.<fmt:format>", requests_view),
    path("requests/<str:service_request_id>.<fmt:format>", open311.RequestDetail.as_view()),
    path("requests/<str:service_request_id>", open311.RequestDetail.as_view(), name="request"),
]

api_patterns = [
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", api_docs.api_docs, name="docs"),
    path("hotline/<int:partner_id>/", webhook.hotline_webhook, name="hotline_webhook"),
]
