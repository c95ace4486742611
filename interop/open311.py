"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Residents' apps file and follow requests with a partner key. Filing runs the checks of the
residents' own form (place, category, text, photos, phone, the per-phone daily limit) and
saves through `cases.intake.save_new_case`. Answers never carry the resident's name or
phone. Photos: multipart `media` files (cleaned like the form's); a `media_url` is kept as a
link and returned as it is, never fetched by the server.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from cases.intake import save_new_case
from cases.models import Case, Category, Channel, State, Urgency
from cases.photos import clean_photo
from common.phones import normalise_phone, phone_digits, validate_phone
from common.ratelimit import allow
from common.text import has_refused_characters
from grids.models import Building, Community, Grid, Unit, building_label, grid_label, unit_label
from residents import public

from . import places
from .api import LoggedApiView, PublicApiView
from .models import ExternalRef, Source
from .xml import Open311XmlRenderer

SPEC = "http://wiki.open311.org/GeoReport_v2"
CLOSED = (State.RESOLVED, State.VERIFIED, State.DECLINED)
MAX_RESULTS = 1000
MAX_PHOTOS = 3


class Open311Error(APIException):
    status_code = 400


def _refuse(description, code=400):
    error = Open311Error(description)
    error.status_code = code
    raise error


class Open311View:
    renderer_classes = [JSONRenderer, Open311XmlRenderer]

    def handle_exception(self, exc):
        """Errors as the specification writes them: a list of {code, description}."""
        response = super().handle_exception(exc)
        detail = getattr(exc, "detail", None)
        if isinstance(detail, dict):
            text = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in detail.items())
        elif isinstance(detail, list):
            text = " ".join(map(str, detail))
        else:
            text = str(detail or exc)
        response.data = [{"code": response.status_code, "description": text}]
        return response


class Discovery(Open311View, PublicApiView):
    xml_names = ("discovery", "endpoint")

    @extend_schema(
        summary="Open311 discovery", operation_id="open311_discovery", responses={200: dict}
    )
    def get(self, request, format=None):
        base = request.build_absolute_uri("/open311/v2/")
        return Response(
            {
                "changeset": "2026-11-27T00:00:00Z",
                "contact": _("Your street office"),
                "key_service": _("Street staff issue keys on the integration page."),
                "endpoints": [
                    {
                        "specification": SPEC,
                        "url": base,
                        "changeset": "2026-11-27T00:00:00Z",
                        "type": "production",
                        "formats": ["application/json", "text/xml"],
                    }
                ],
            }
        )


def _service(category) -> dict:
    return {
        "service_code": str(category.pk),
        "service_name": category.name,
        "description": category.name,
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": _("Residents' requests"),
    }


class ServiceSerializer(serializers.Serializer):
    service_code = serializers.CharField()
    service_name = serializers.CharField()
    description = serializers.CharField()
    metadata = serializers.BooleanField()
    type = serializers.CharField()
    keywords = serializers.CharField()
    group = serializers.CharField()


class Services(Open311View, PublicApiView):
    xml_names = ("services", "service")

    @extend_schema(
        summary="Service list",
        operation_id="open311_services",
        responses={200: ServiceSerializer(many=True)},
    )
    def get(self, request, format=None):
        return Response([_service(c) for c in Category.objects.filter(is_active=True)])


class ServiceDefinition(Open311View, PublicApiView):
    xml_names = ("service_definition", "attribute")

    @extend_schema(
        summary="Service definition (its attributes)",
        operation_id="open311_service_definition",
        responses={200: dict},
    )
    def get(self, request, service_code, format=None):
        category = _category(service_code)
        if category is None:
            _refuse(_("Unknown service_code."), 404)
        return Response(
            {
                "service_code": str(category.pk),
                "attributes": [
                    {
                        "variable": True,
                        "code": "urgency",
                        "datatype": "singlevaluelist",
                        "required": False,
                        "datatype_description": "",
                        "order": 1,
                        "description": _("How urgent is it?"),
                        "values": [{"key": k, "name": str(v)} for k, v in Urgency.choices],
                    }
                ],
            }
        )


def _category(code):
    code = str(code or "").strip()
    if not code.isdigit() or len(code) > 9:
        return None
    return Category.objects.filter(pk=int(code), is_active=True).first()


class RequestSerializer(serializers.Serializer):
    """One service request as Open311 shows it: no resident's name or phone."""

    service_request_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["open", "closed"])
    status_notes = serializers.CharField()
    service_name = serializers.CharField()
    service_code = serializers.CharField()
    description = serializers.CharField()
    agency_responsible = serializers.CharField()
    service_notice = serializers.CharField()
    requested_datetime = serializers.DateTimeField()
    updated_datetime = serializers.DateTimeField()
    expected_datetime = serializers.DateTimeField(allow_null=True)
    address = serializers.CharField()
    address_id = serializers.CharField()
    zipcode = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    long = serializers.FloatField(allow_null=True)
    media_url = serializers.CharField()


class NewRequestSerializer(serializers.Serializer):
    service_code = serializers.CharField(max_length=9)
    description = serializers.CharField(max_length=2000)
    address_id = serializers.CharField(max_length=12, required=False)
    address_string = serializers.CharField(max_length=200, required=False)
    first_name = serializers.CharField(max_length=25, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=25, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20)
    media_url = serializers.URLField(max_length=500, required=False)
    lat = serializers.FloatField(required=False)
    long = serializers.FloatField(required=False)
    email = serializers.CharField(max_length=200, required=False)
    device_id = serializers.CharField(max_length=100, required=False)
    account_id = serializers.CharField(max_length=100, required=False)


def status_notes(created_at, stage_rows) -> str:
    """The explanation in residents' words: the resolution's, or the stage reached."""
    stages = public.stages_of(created_at, stage_rows)
    last = stages[-1]
    explanation = next((s.get("explanation") for s in reversed(stages) if s.get("explanation")), "")
    return str(explanation or last["label"])


def as_open311(case: dict, names: dict, stage_rows) -> dict:
    """One request as Open311 shows it, from the values of `_shown` and the names of its
    category and places."""
    updated = max(case["updated_at"], case["created_at"])
    community = names["communities"][case["community_id"]]
    if case["unit_id"]:
        place, code = names["units"][case["unit_id"]]
    elif case["building_id"]:
        place, code = names["buildings"][case["building_id"]]
    else:
        place, code = grid_label(community, names["grids"][case["grid_id"]]), ""
    closed = case["state"] in CLOSED
    return {
        "service_request_id": case["tracking_code"],
        "status": "closed" if closed else "open",
        "status_notes": status_notes(case["created_at"], stage_rows),
        "service_name": names["categories"][case["category_id"]],
        "service_code": str(case["category_id"]),
        "description": case["description"],
        "agency_responsible": community,
        "service_notice": "",
        "requested_datetime": case["created_at"].isoformat(),
        "updated_datetime": updated.isoformat(),
        "expected_datetime": case["response_deadline"].isoformat()
        if case["response_deadline"] and not closed
        else None,
        "address": f"{community} {place}",
        "address_id": code,
        "zipcode": "",
        "lat": None,
        "long": None,
        "media_url": case["external__media_url"] or "",
    }


def _visible_cases(request):
    return request.scope.narrow(
        Case.objects.select_related("category", "community", "unit", "building", "grid")
    ).select_related("external")


# What `as_open311` reads of a case: its own columns; names come by id (`_names`).
SHOWN = (
    "pk",
    "tracking_code",
    "state",
    "description",
    "created_at",
    "updated_at",
    "response_deadline",
    "category_id",
    "community_id",
    "grid_id",
    "building_id",
    "unit_id",
    "external__media_url",
)


def _shown(cases, limit) -> list:
    """The first `limit` cases as Open311 shows them: their columns joined to the partner's
    reference only, then their names by id and their history, in a few small queries.
    (Loaded with every place joined in, PostgreSQL took 21 ms to plan the query, and 1,000
    rows made 8,000 model instances.)"""
    cases = list(cases.values(*SHOWN)[:limit])
    rows = public.stage_rows([case["pk"] for case in cases])
    names = _names(cases)
    return [as_open311(case, names, rows[case["pk"]]) for case in cases]


def _names(cases) -> dict:
    """The names of these cases' categories and places, and their places' public codes."""

    def ids(key, where=lambda case: True):
        return {case[key] for case in cases if where(case)} - {None}

    units = {
        pk: (unit_label(building_label(estate, building), name), code)
        for pk, name, code, estate, building in Unit.objects.filter(
            pk__in=ids("unit_id")
        ).values_list("pk", "name", "public_code", "building__estate", "building__name")
    }
    buildings = {
        pk: (building_label(estate, name), code)
        for pk, estate, name, code in Building.objects.filter(
            pk__in=ids("building_id", lambda case: not case["unit_id"])
        ).values_list("pk", "estate", "name", "public_code")
    }
    grids = dict(
        Grid.objects.filter(
            pk__in=ids("grid_id", lambda case: not case["building_id"])
        ).values_list("pk", "name")
    )
    return {
        "categories": dict(
            Category.objects.filter(pk__in=ids("category_id")).values_list("pk", "name")
        ),
        "communities": dict(
            Community.objects.filter(pk__in=ids("community_id")).values_list("pk", "name")
        ),
        "grids": grids,
        "buildings": buildings,
        "units": units,
    }


class Requests(Open311View, LoggedApiView):
    xml_names = ("service_requests", "request")

    @extend_schema(
        summary="Service requests filed with this key",
        operation_id="open311_requests_list",
        parameters=[
            OpenApiParameter("service_request_id", str, description="comma list"),
            OpenApiParameter("service_code", str),
            OpenApiParameter("status", str, enum=["open", "closed"]),
            OpenApiParameter("start_date", str, description="ISO 8601"),
            OpenApiParameter("end_date", str, description="ISO 8601"),
        ],
        responses={200: RequestSerializer(many=True)},
    )
    def get(self, request, format=None):
        cases = _visible_cases(request)
        params = request.query_params
        ids = [i.strip().upper() for i in params.get("service_request_id", "").split(",")]
        ids = [i for i in ids if i]
        if len(ids) > MAX_RESULTS or any(len(i) > 12 for i in ids):
            _refuse(_("service_request_id: at most 1000 ids of 12 characters."))
        if ids:
            cases = cases.filter(tracking_code__in=ids)
        if params.get("service_code"):
            codes = [c for c in params["service_code"].split(",") if c.strip()]
            if not all(c.strip().isdigit() and len(c.strip()) < 10 for c in codes):
                _refuse(_("service_code: unknown code."))
            cases = cases.filter(category_id__in=[int(c) for c in codes])
        state = params.get("status")
        if state:
            wanted = set(state.split(","))
            if not wanted <= {"open", "closed"}:
                _refuse(_("status: open or closed."))
            if wanted == {"open"}:
                cases = cases.exclude(state__in=CLOSED)
            elif wanted == {"closed"}:
                cases = cases.filter(state__in=CLOSED)
        for name, lookup in (("start_date", "gte"), ("end_date", "lte")):
            if params.get(name):
                moment = _datetime(params[name])
                if moment is None:
                    _refuse(_("%(name)s: an ISO 8601 date and time.") % {"name": name})
                cases = cases.filter(**{f"created_at__{lookup}": moment})
        return Response(_shown(cases.order_by("-created_at", "-id"), MAX_RESULTS))

    @extend_schema(
        summary="File a service request",
        operation_id="open311_requests_create",
        request=NewRequestSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={201: dict},
    )
    def post(self, request, format=None):
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 64 or has_refused_characters(key):
            _refuse(_("Idempotency-Key: at most 64 printable characters."))
        partner = request.auth.partner
        if key:
            earlier = _visible_cases(request).filter(external__external_id=key).first()
            if earlier is not None:
                return Response(_filed(earlier), status=status.HTTP_200_OK)
        data = NewRequestSerializer(data=_fields(request.data))
        if not data.is_valid():
            _refuse(_describe(data.errors))
        values = data.validated_data
        case = _new_case(request, values)
        photos = _photos(request)
        if not allow(
            f"submit:phone:{phone_digits(case.resident_phone)}",
            settings.RESIDENT_SUBMISSIONS_PER_PHONE_PER_DAY,
            86400,
        ):
            _refuse(_("This phone has sent several requests today."), 429)
        try:
            with transaction.atomic():
                save_new_case(case, photos, user=partner.service_user)
                ExternalRef.objects.create(
                    case=case,
                    partner=partner,
                    source=Source.OPEN311,
                    external_id=key or case.tracking_code,
                    media_url=values.get("media_url", ""),
                )
        except IntegrityError:  # the same key sent twice at once: the first one's case
            earlier = _visible_cases(request).filter(external__external_id=key).first()
            if not key or earlier is None:
                raise
            return Response(_filed(earlier), status=status.HTTP_200_OK)
        return Response(_filed(case), status=status.HTTP_201_CREATED)


def _fields(data) -> dict:
    """Plain values of the form or JSON body; attribute[urgency] is read apart."""
    if hasattr(data, "getlist"):
        return {k: data.get(k) for k in data if k != "media"}
    if not isinstance(data, dict):
        _refuse(_("The body must be a form or a JSON object."))
    return data


def _describe(errors) -> str:
    return "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in errors.items())


def _new_case(request, values) -> Case:
    category = _category(values["service_code"])
    if category is None:
        _refuse(_("service_code: unknown code."))
    place = None
    if values.get("address_id"):
        place = places.by_code(request.scope, values["address_id"])
    elif values.get("address_string"):
        place = places.by_words(request.scope, values["address_string"])
    else:
        _refuse(_("Give address_id (a building's or unit's code) or address_string."))
    if place is None:
        _refuse(_("address: the place is not one of this street's buildings or units."))
    name = " ".join(
        part.strip() for part in (values.get("last_name"), values.get("first_name")) if part
    ).strip()
    phone = normalise_phone(values["phone"])
    texts = {"description": values["description"], "name": name}
    for field, text in texts.items():
        if has_refused_characters(text):
            _refuse(_("%(field)s: control characters are not accepted.") % {"field": field})
    if not values["description"].strip():
        _refuse(_("description: this field is required."))
    if not name:
        _refuse(_("first_name or last_name: the resident's name is required."))
    try:
        validate_phone(phone)
    except Exception:  # ValidationError: the message names the field
        _refuse(_("phone: not a valid phone number."))
    urgency = _attribute(request.data, "urgency") or Urgency.ROUTINE
    if urgency not in Urgency.values:
        _refuse(_("attribute[urgency]: routine or urgent."))
    return Case(
        **places.case_place(place),
        category=category,
        description=values["description"],
        resident_name=name[:50],
        resident_phone=phone,
        channel=Channel.ONLINE,
        urgency=urgency,
    )


def _attribute(data, code):
    value = data.get(f"attribute[{code}]")
    if value is None and isinstance(data.get("attribute"), dict):
        value = data["attribute"].get(code)
    return value if isinstance(value, str) else None


def _photos(request):
    files = request.FILES.getlist("media") if hasattr(request, "FILES") else []
    if len(files) > MAX_PHOTOS:
        _refuse(_("media: at most %(n)s photos.") % {"n": MAX_PHOTOS})
    cleaned = []
    for upload in files:
        try:
            cleaned.append(clean_photo(upload))
        except Exception as error:  # forms.ValidationError: its message names the photo
            messages = getattr(error, "messages", [str(error)])
            _refuse("media: " + " ".join(messages))
    return cleaned


def _filed(case) -> list:
    return [{"service_request_id": case.tracking_code, "service_notice": "", "account_id": None}]


def _datetime(value):
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class RequestDetail(Open311View, LoggedApiView):
    xml_names = ("service_requests", "request")

    @extend_schema(
        summary="One service request",
        operation_id="open311_request",
        responses={200: RequestSerializer(many=True)},
    )
    def get(self, request, service_request_id, format=None):
        code = service_request_id.strip().upper()
        shown = _shown(_visible_cases(request).filter(Q(tracking_code=code)), 1)
        if not shown:
            _refuse(_("No such request filed with this key."), 404)
        return Response(shown)
