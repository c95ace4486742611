from django.urls import path

from . import views

app_name = "interop"
urlpatterns = [
    path("", views.integration, name="integration"),
    path("partners/<int:partner_id>/keys/", views.key_create, name="key_create"),
    path("keys/<int:key_id>/revoke/", views.key_revoke, name="key_revoke"),
    path("outbox/<int:message_id>/retry/", views.outbox_retry, name="outbox_retry"),
    path("inbox/<int:order_id>/", views.inbox_place, name="inbox_place"),
    path("cases/<int:case_id>/extension/", views.extension_request, name="extension_request"),
]
