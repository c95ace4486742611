"""The residents' pages (no login) and the staff's QR sheets (through the scope)."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import Case
from cases.photos import photos_upload_bytes
from common.bodylimit import accepts_upload
from common.ordering import naturally
from common.phones import phone_digits
from common.ratelimit import allow, client_address, hit, hits
from grids.models import Building, Community, Grid, Unit

from . import public, qr
from .forms import LookupForm, RatingForm, RequestForm

HOUR, DAY = 3600, 86400


def _public(view):
    return login_not_required(view)


@_public
@require_GET
def start(request):
    """No QR code at hand: choose the community first, then the estate, building and unit."""
    communities = naturally(
        Community.objects.select_related("street"), key=lambda c: f"{c.street.name} {c.name}"
    )
    return render(request, "residents/start.html", {"communities": communities})


@_public
@require_GET
def choose_building(request, community_id):
    """The community's estates (小区); with `?estate=` chosen, that estate's buildings.

    Plain links, one short list per page: it works on any phone, with or without JavaScript.
    A community of one estate goes straight to its buildings. `?estate=` (empty) names the
    buildings that belong to no estate.
    """
    community = get_object_or_404(Community, pk=community_id)
    buildings = Building.objects.filter(grid__community=community)
    estates = naturally(set(buildings.values_list("estate", flat=True)))
    estate = request.GET.get("estate")
    if estate is None and len(estates) == 1:
        estate = estates[0]
    context = {"community": community, "estates": estates, "estate": estate}
    if estate is None:
        return render(request, "residents/choose_estate.html", context)
    if estate not in estates:
        raise Http404
    context["buildings"] = naturally(buildings.filter(estate=estate), key=lambda b: b.name)
    context["single_estate"] = len(estates) == 1
    return render(request, "residents/choose_building.html", context)


@_public
@require_GET
def choose_unit(request, code):
    """A building's units, each leading to the request form; or the building as a whole."""
    building = get_object_or_404(
        Building.objects.select_related("grid__community"), public_code=code
    )
    units = naturally(building.units.all(), key=lambda u: u.name)
    if not units:
        return redirect("residents:place", building.public_code)
    return render(request, "residents/choose_unit.html", {"building": building, "units": units})


@_public
@require_http_methods(["GET", "POST"])
@accepts_upload(photos_upload_bytes(RequestForm))
def request_at_place(request, code):
    """The QR link of a unit or a building (or the last step of choosing): the place is set."""
    place = (
        Unit.objects.select_related("building__grid__community").filter(public_code=code).first()
        or Building.objects.select_related("grid__community").filter(public_code=code).first()
    )
    if place is None:
        return render(request, "residents/unknown_place.html", status=404)
    return _request_page(request, place=place)


SUBMITTED_KEY = "resident_submitted_code"


def _request_page(request, place):
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, place=place)
    else:  # what was typed before a switch (larger text, language) fills it again (drafts)
        form = RequestForm(place=place)
    context = {"form": form, "place": place, "switch_form": "request-form"}
    if request.method != "POST":
        return render(request, "residents/request.html", context)
    if form.is_bot:
        context["refused"] = _("The request could not be sent.")
        return render(request, "residents/request.html", context, status=400)
    if not form.is_valid():
        return render(request, "residents/request.html", context, status=400)
    # Only requests that would be saved count: a resident's own typing mistakes must not use
    # up the allowance of everyone behind the same connection.
    if not allow(
        f"submit:ip:{client_address(request)}",
        settings.RESIDENT_SUBMISSIONS_PER_ADDRESS_PER_HOUR,
        HOUR,
    ):
        context["refused"] = _(
            "Too many requests from this connection. "
            "Please try again in an hour, or call your community."
        )
        return render(request, "residents/request.html", context, status=429)
    # Counted on the digits: 0472-5123456, +86 0472 5123456 and full-width digits are one phone.
    phone = phone_digits(form.cleaned_data["resident_phone"])
    if not allow(f"submit:phone:{phone}", settings.RESIDENT_SUBMISSIONS_PER_PHONE_PER_DAY, DAY):
        context["refused"] = _(
            "This phone has sent several requests today. Please call your community."
        )
        return render(request, "residents/request.html", context, status=429)
    case = public.submit(form, place)
    # Post, then redirect: reloading the page that gives the tracking code sends nothing again.
    request.session[SUBMITTED_KEY] = case.tracking_code
    return redirect("residents:submitted")


@_public
@require_GET
def submitted(request):
    """The tracking code of the request this browser has just sent."""
    code = request.session.get(SUBMITTED_KEY)
    case = Case.objects.filter(tracking_code=code).first() if code else None
    if case is None:
        return redirect("residents:start")
    return render(request, "residents/submitted.html", {"case": case})


@_public
@require_http_methods(["GET", "POST"])
def status(request):
    """The lookup: tracking code and the phone's last four digits, rate-limited.

    Wrong answers are counted per code and address: a stranger who keeps guessing locks out
    only their own address, never the owner. When wrong answers to one code pile up from many
    addresses, that code asks for the whole phone number: its owner can still look it up, while
    guessing eleven digits is hopeless.
    """
    if request.method == "POST":
        form = LookupForm(request.POST)
    else:
        form = LookupForm(initial={"tracking_code": request.GET.get("code", "")})
    context = {"form": form, "switch_form": "lookup-form"}
    if request.method != "POST":
        return render(request, "residents/status.html", context)
    address = client_address(request)
    if not allow(f"lookup:ip:{address}", settings.RESIDENT_LOOKUPS_PER_ADDRESS_PER_10_MINUTES, 600):
        context["refused"] = _("Too many lookups. Please try again in ten minutes.")
        return render(request, "residents/status.html", context, status=429)
    if not form.is_valid():
        return render(request, "residents/status.html", context, status=400)
    code, phone = form.cleaned_data["tracking_code"], form.cleaned_data["phone_last4"]
    wrong_here, wrong_anywhere = f"lookup:wrong:{code}:{address}", f"lookup:wrong:{code}"
    if hits(wrong_here) >= settings.RESIDENT_WRONG_LOOKUPS_PER_CODE_AND_ADDRESS_PER_HOUR:
        context["refused"] = _(
            "Too many wrong tries for this tracking code. Please try again in an hour, "
            "or call your community."
        )
        return render(request, "residents/status.html", context, status=429)
    many_wrong = hits(wrong_anywhere) >= settings.RESIDENT_WRONG_LOOKUPS_PER_CODE_PER_HOUR
    if many_wrong and len(phone) == 4:
        context["refused"] = _(
            "This tracking code has had many wrong tries. "
            "Please enter your whole phone number instead of its last 4 digits."
        )
        return render(request, "residents/status.html", context, status=429)
    case = public.find(code, phone)
    if case is None:
        hit(wrong_here, HOUR)
        hit(wrong_anywhere, HOUR)
        context["not_found"] = True
        return render(request, "residents/status.html", context, status=404)
    request.session[LOOKED_UP_KEY] = case.pk  # the one case this visitor may see and rate
    # Post, then redirect: the answer is a page the switches and a reload can ask for again.
    return redirect("residents:case_status")


LOOKED_UP_KEY = "resident_case"


def _looked_up(request):
    # An anonymised request is no one's to look up any more, from a lookup made before too.
    looked_up = request.session.get(LOOKED_UP_KEY) or 0
    return Case.objects.filter(pk=looked_up, anonymised_at__isnull=True).first()


def _expired(request, status):
    context = {"form": LookupForm(), "expired": True, "switch_form": "lookup-form"}
    return render(request, "residents/status.html", context, status=status)


@_public
@require_GET
def case_status(request):
    """The request this browser has looked up: its stages, and the rating when it is due."""
    case = _looked_up(request)
    if case is None:
        return _expired(request, status=200)
    return _status_page(request, case)


def _status_page(request, case, rating_form=None, status=200):
    may_rate = public.may_rate(case)
    if may_rate and rating_form is None:
        rating_form = RatingForm()
    return render(
        request,
        "residents/case_status.html",
        {
            "case": case,
            "stages": public.stages_with_decision(case),
            "coming": public.coming_meeting(case),
            "rating_form": rating_form if may_rate else None,
            "rating": getattr(case, "rating", None) if not may_rate else None,
            "switch_form": "rating-form" if may_rate else None,
            # A switch on a refused rating goes back to the case's page, not to this POST.
            "switch_next": reverse("residents:case_status"),
        },
        status=status,
    )


@_public
@require_POST
def rate(request):
    case = _looked_up(request)
    if case is None:
        return _expired(request, status=403)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _status_page(request, case, rating_form=form, status=400)
    if public.rate(case, form.cleaned_data) is None:
        return _status_page(request, case, status=409)
    return redirect("residents:rated")


@_public
@require_GET
def rated(request):
    """Thanks for the rating of the request this browser looked up (a page to come back to)."""
    case = _looked_up(request)
    if case is None or getattr(case, "rating", None) is None:
        return redirect("residents:status")
    return render(request, "residents/rated.html", {"case": case})


# Staff: a printable sheet of labelled QR codes for a grid or a building ------------------
@require_GET
def qr_sheet(request, kind, pk):
    scope = request.scope
    if kind == "grid":
        grid = scope.get(Grid.objects.select_related("community"), pk=pk)
        buildings = naturally(
            scope.narrow(Building.objects.filter(grid=grid)).prefetch_related("units")
        )
        title = f"{grid.community.name} · {grid.name}"
    elif kind == "building":
        building = scope.get(Building.objects.select_related("grid__community"), pk=pk)
        buildings = [building]
        title = f"{building.grid.community.name} · {building}"
    else:
        raise Http404
    labels = []
    for building in buildings:
        labels.append({"name": str(building), "url": qr.request_url(building)})
        for unit in naturally(building.units.all(), key=lambda u: u.name):
            labels.append({"name": f"{building} {unit.name}", "url": qr.request_url(unit)})
    for label in labels:
        label["svg"] = qr.svg(label["url"])
    return render(request, "residents/qr_sheet.html", {"title": title, "labels": labels})
