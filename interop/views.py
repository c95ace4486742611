"""The integration page for street staff: partners and keys, the hotline's inbox, the status
messages sent to partners (dead letters with their error and a button to send them again),
and the calls made with each key. Anyone else gets a 404."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.capabilities import Capability
from cases.models import Case
from cases.workflow import MoveRefused
from common.forms import errors_said
from outbox.queue import send_again

from . import hotline, keys, messages_out, open311_filing, status_out
from .forms import ExtensionForm, KeyForm, PartnerForm, PlaceOrderForm
from .models import ApiCall, ApiKey, InboxOrder, Partner


def _street_staff(request):
    """The scope of the streets whose partners this user manages; a 404 for anyone else."""
    scope = request.scope.granting(Capability.MANAGE_PARTNERS)
    if not scope.has_any_place:
        raise Http404
    return scope


def _page(request, partner_form=None, key_forms=None, new_key=None, new_secret=None, status=200):
    scope = _street_staff(request)
    partners = scope.narrow(Partner.objects.select_related("street")).prefetch_related("keys")
    return render(
        request,
        "interop/integration.html",
        {
            "partners": partners,
            "partner_form": partner_form or PartnerForm(scope=scope),
            "key_form": KeyForm(),
            "new_key": new_key,
            "new_secret": new_secret,
            "inbox": scope.narrow(InboxOrder.objects.filter(case__isnull=True)).select_related(
                "partner"
            ),
            "outbox": messages_out.to_partners(scope.narrow(Partner.objects.all())),
            "calls": scope.narrow(ApiCall.objects.select_related("key", "partner"))[:50],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def integration(request):
    scope = _street_staff(request)
    if request.method != "POST":
        return _page(request)
    form = PartnerForm(request.POST, scope=scope)
    if not form.is_valid():
        return _page(request, partner_form=form, status=400)
    data = form.cleaned_data
    if Partner.objects.filter(street=data["street"], name=data["name"]).exists():
        form.add_error("name", _("This street already has a partner with this name."))
        return _page(request, partner_form=form, status=400)
    partner = keys.create_partner(
        request.user, data["street"], data["name"], data["kind"], data["outbound_url"]
    )
    # The hotline's signing secret is shown this once: it goes to the city's platform.
    secret = (partner, partner.webhook_secret) if partner.webhook_secret else None
    return _page(request, new_secret=secret)


@require_POST
def key_create(request, partner_id):
    scope = _street_staff(request)
    partner = scope.get(Partner, pk=partner_id)
    form = KeyForm(request.POST)
    if not form.is_valid():
        messages.error(request, errors_said(form, _("Give the key a name.")))
        return redirect("interop:integration")
    key, raw = keys.issue_key(request.user, partner, form.cleaned_data["name"])
    return _page(request, new_key=(key, raw))


@require_POST
def key_revoke(request, key_id):
    scope = _street_staff(request)
    key = scope.get(ApiKey.objects.select_related("partner"), pk=key_id)
    keys.revoke(key)
    messages.success(request, _("The key is revoked: calls with it are refused from now on."))
    return redirect("interop:integration")


@require_POST
def outbox_retry(request, message_id):
    scope = _street_staff(request)
    message = messages_out.one_to(scope.narrow(Partner.objects.all()), message_id)
    if send_again(message):
        messages.success(request, _("The message will be sent again."))
    return redirect("interop:integration")


@require_http_methods(["GET", "POST"])
def inbox_place(request, order_id):
    """Staff choose the grid (and category) of a hotline order or an app's request that the
    street could not place."""
    scope = _street_staff(request)
    order = scope.get(InboxOrder.objects.select_related("partner"), pk=order_id, case__isnull=True)
    from_app = order.payload.get("source") == "open311"
    initial = {"category": order.payload.get("category_id")} if from_app else None
    form = PlaceOrderForm(request.POST or None, scope=scope, initial=initial)
    context = {"order": order, "form": form, "payload": order.payload, "from_app": from_app}
    if request.method != "POST":
        return render(request, "interop/inbox_place.html", context)
    if not form.is_valid():
        return render(request, "interop/inbox_place.html", context, status=400)
    grid, category = form.cleaned_data["grid"], form.cleaned_data["category"]
    with transaction.atomic():
        locked = InboxOrder.objects.select_for_update().get(pk=order.pk)
        if locked.case_id is not None:
            raise Http404
        if from_app:  # a residents' app's request: it keeps the code the app was given
            case = open311_filing.place_waiting(locked, grid, category, request.user)
        else:
            parsed = hotline.order_from_payload(order.payload)
            place = {"grid": grid, "building": None, "unit": None}
            case = hotline.take_order(order.partner, parsed, place, category, request.user)
        locked.case = case
        locked.save(update_fields=["case"])
    return redirect("cases:detail", case.pk)


@require_POST
def extension_request(request, case_id):
    request.scope.get(Case, pk=case_id)  # outside the user's places: 404
    form = ExtensionForm(request.POST)
    if not form.is_valid():  # said at the top of the case page, above the hotline's panel
        messages.error(request, errors_said(form, _("Give the reason and a new deadline.")))
        return redirect("cases:detail", case_id)
    try:
        status_out.request_extension(
            request.scope,
            request.user,
            case_id,
            form.cleaned_data["reason"],
            form.cleaned_data["new_deadline"],
        )
    except MoveRefused as refused:
        messages.error(request, " ".join(map(str, refused.errors.values())) or str(refused))
    else:
        messages.success(request, _("The extension request is on its way to the hotline."))
    return redirect("cases:detail", case_id)
