"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Anyone may read (discovery, services, requests): see `open311_reads` for what a read shows
to whom. Residents' apps file requests with a partner key: see `open311_filing` for the
location, the anonymous request and the street's inbox. Answers follow the specification:
JSON (`application/json; charset=utf-8`) or, with `.xml`, XML; errors as a list of
{code, description}; a missing or bad key 403, an unknown service 404. What each operation
can answer is written in the OpenAPI schema (`interop/schema.py`).
"""

import math
import re
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from cases.models import Category, Urgency
from cases.photos import clean_photo
from common.text import has_refused_characters

from . import open311_filing as filing
from . import open311_reads as reads
from . import schema as docs
from .api import PartnerApiView, Utf8JSONRenderer
from .xml import Open311XmlRenderer

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_PHOTOS = 3
PARAMETER_LENGTHS = {"jurisdiction_id": 100, "start_date": 40, "end_date": 40}
MAX_DESCRIPTION = 4000  # the specification's limit
IDEMPOTENCY_KEY = re.compile(r"[!-~]{0,64}")  # printable ASCII, no spaces
CODE_LIST = re.compile(r"[A-Za-z0-9]{1,12}(,[A-Za-z0-9]{1,12})*")
SERVICE_LIST = re.compile(r"[0-9]{1,9}(,[0-9]{1,9})*")
STATUS_LIST = re.compile(r"(open|closed)(,(open|closed))*")
# RFC 3339, as the specification's w3 note writes it: the offset is required.
W3_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


class Open311Error(APIException):
    status_code = 400


def _refuse(description, code=400):
    error = Open311Error(description)
    error.status_code = code
    raise error


class Open311View(PartnerApiView):
    renderer_classes = [Utf8JSONRenderer, Open311XmlRenderer]

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


def _params(request, *names) -> dict:
    """The named query parameters, each given at most once; an empty one counts as absent,
    as the specification's "optional arguments" say."""
    found = {}
    for name in names:
        values = request.query_params.getlist(name)
        if len(values) > 1:
            _refuse(
                _("%(name)s: give it once; several values go comma-separated.") % {"name": name}
            )
        value = values[0] if values else ""
        too_long = len(value) > PARAMETER_LENGTHS.get(name, 13 * reads.MAX_RESULTS)
        if too_long or has_refused_characters(value):
            _refuse(_("%(name)s: not a value this parameter takes.") % {"name": name})
        if value:
            found[name] = value
    return found


def _partner(request):
    key = getattr(request._request, "api_key", None)
    return key.partner if key is not None else None


class Discovery(Open311View):
    xml_names = ("discovery", "endpoint")

    @extend_schema(**docs.DISCOVERY)
    def get(self, request, format=None):
        _params(request, "jurisdiction_id")
        base = request.build_absolute_uri("/open311/v2/")
        return Response(
            {
                "changeset": "2026-12-06T00:00:00Z",
                "contact": _("Your street office"),
                "key_service": _("Street staff issue keys on the integration page."),
                "endpoints": [
                    {
                        "specification": SPEC,
                        "url": base,
                        "changeset": "2026-12-06T00:00:00Z",
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


class Services(Open311View):
    xml_names = ("services", "service")

    @extend_schema(**docs.SERVICES)
    def get(self, request, format=None):
        _params(request, "jurisdiction_id")
        return Response([_service(c) for c in Category.objects.filter(is_active=True)])


class ServiceDefinition(Open311View):
    xml_names = ("service_definition", "attribute")

    @extend_schema(**docs.SERVICE_DEFINITION)
    def get(self, request, service_code, format=None):
        _params(request, "jurisdiction_id")
        category = filing.category_of(service_code)
        if category is None:
            _refuse(_("service_code: no such service; GET services lists them."), 404)
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


class FiniteFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class NewRequestSerializer(serializers.Serializer):
    service_code = serializers.CharField(max_length=9)
    description = serializers.CharField(max_length=MAX_DESCRIPTION)
    address_id = serializers.CharField(max_length=12, required=False)
    address_string = serializers.CharField(max_length=200, required=False)
    lat = FiniteFloatField(required=False, min_value=-90, max_value=90)
    long = FiniteFloatField(required=False, min_value=-180, max_value=180)
    first_name = serializers.CharField(max_length=25, required=False)
    last_name = serializers.CharField(max_length=25, required=False)
    phone = serializers.CharField(max_length=20, required=False)
    media_url = serializers.URLField(max_length=500, required=False)
    # Taken and not kept: we never store a resident's e-mail or device.
    email = serializers.CharField(max_length=200, required=False)
    device_id = serializers.CharField(max_length=100, required=False)
    account_id = serializers.CharField(max_length=100, required=False)
    # One endpoint serves many streets; the key says which street a request is for.
    jurisdiction_id = serializers.CharField(max_length=100, required=False)


def _fields(data) -> dict:
    """The known fields of the form or JSON body; empty values count as absent (the
    specification's optional arguments); others are ignored, as Open311 servers do."""
    known = NewRequestSerializer().fields
    if hasattr(data, "getlist"):
        plain = {}
        for name in data:
            if name not in known:  # unknown fields, attribute[...] and media are read apart
                continue
            values = data.getlist(name)
            if len(values) > 1:
                _refuse(_("%(name)s: give it once.") % {"name": name})
            plain[name] = values[0]
    elif isinstance(data, dict):
        plain = {k: v for k, v in data.items() if k in known}
        # A form has no null and no numbers; in JSON, a field is what the schema says (lat and
        # long numbers, the rest strings) or left out, never quietly converted.
        for name, value in plain.items():
            wanted = (int, float) if name in ("lat", "long") else (str,)
            if not isinstance(value, wanted) or isinstance(value, bool):
                _refuse(_("%(name)s: a value, or leave the field out.") % {"name": name})
    else:
        _refuse(_("The body must be a form or a JSON object."))
    for name, value in plain.items():
        if has_refused_characters(value):
            _refuse(_("%(field)s: control characters are not accepted.") % {"field": name})
    return {k: v for k, v in plain.items() if v not in ("", None)}


def _describe(errors) -> str:
    return "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in errors.items())


def _urgency(data) -> str:
    """attribute[urgency] of a form, or {"attribute": {"urgency": ...}} in JSON."""
    if hasattr(data, "getlist"):
        value = data.get("attribute[urgency]") or None
    else:
        attributes = data.get("attribute", {})
        if not isinstance(attributes, dict):
            _refuse(_("attribute: an object of the service's attributes."))
        value = attributes.get("urgency", Urgency.ROUTINE)
        if value is None:  # JSON says what it means: null is not one of the two
            _refuse(_("attribute[urgency]: routine or urgent."))
    if value is None:
        return Urgency.ROUTINE
    if value not in Urgency.values:
        _refuse(_("attribute[urgency]: routine or urgent."))
    return value


def _photos(request):
    # A photo comes as a file part: `media` sent as a text field is a client's mistake, said
    # back rather than dropped (the request would otherwise be filed without its photo).
    if hasattr(request, "POST") and "media" in request.POST:
        _refuse(_("media: a photo file (JPEG, PNG or WebP), sent as a file, not as text."))
    files = request.FILES.getlist("media") if hasattr(request, "FILES") else []
    if len(files) > MAX_PHOTOS:
        _refuse(
            ngettext("media: at most %(n)s photo.", "media: at most %(n)s photos.", MAX_PHOTOS)
            % {"n": MAX_PHOTOS}
        )
    cleaned = []
    for upload in files:
        try:
            cleaned.append(clean_photo(upload))
        except Exception as error:  # forms.ValidationError: its message names the photo
            messages = getattr(error, "messages", [str(error)])
            _refuse("media: " + " ".join(messages))
    return cleaned


def _moment(name, value):
    if not W3_DATETIME.fullmatch(value):
        _refuse(
            _("%(name)s: a date and time with its offset, e.g. 2026-11-27T08:00:00+08:00.")
            % {"name": name}
        )
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        _refuse(_("%(name)s: not a date and time that exists.") % {"name": name})


class Requests(Open311View):
    xml_names = ("service_requests", "request")

    @extend_schema(**docs.REQUESTS_LIST)
    def get(self, request, format=None):
        params = _params(
            request,
            "service_request_id",
            "service_code",
            "status",
            "start_date",
            "end_date",
            "jurisdiction_id",
        )
        partner = _partner(request)
        for name, shape in (
            ("service_request_id", CODE_LIST),
            ("service_code", SERVICE_LIST),
            ("status", STATUS_LIST),
        ):
            if name in params and not shape.fullmatch(params[name]):
                _refuse(_("%(name)s: not a value this parameter takes.") % {"name": name})
        cases = reads.requests_seen_by(partner)
        waiting = reads.waiting(partner)
        if "service_request_id" in params:
            # It overrides every other filter, as the specification says.
            ids = {i.upper() for i in params["service_request_id"].split(",")}
            if len(ids) > reads.MAX_RESULTS:
                _refuse(_("service_request_id: at most 1000 codes."))
            cases = cases.filter(tracking_code__in=ids)
            waiting = [w for w in waiting if w["service_request_id"] in ids]
        else:
            if "service_code" in params:
                codes = {int(c) for c in params["service_code"].split(",")}
                cases = cases.filter(category_id__in=codes)
                waiting = [w for w in waiting if int(w["service_code"]) in codes]
            wanted = set(params.get("status", "open,closed").split(","))
            if wanted == {"open"}:
                cases = cases.exclude(state__in=reads.CLOSED)
            elif wanted == {"closed"}:
                cases = cases.filter(state__in=reads.CLOSED)
                waiting = []
            start = _moment("start_date", params["start_date"]) if "start_date" in params else None
            end = _moment("end_date", params["end_date"]) if "end_date" in params else None
            try:
                since, until = reads.window(start, end)
            except ValueError:
                _refuse(_("end_date: it comes before start_date."))
            cases = reads.in_window(cases, since, until)
            waiting = reads.waiting_in_window(waiting, since, until)
        listed = cases.order_by("-created_at", "-id")
        return Response(waiting + reads.shown(listed, reads.MAX_RESULTS - len(waiting), partner))

    @extend_schema(**docs.REQUESTS_CREATE)
    def post(self, request, format=None):
        key = request.headers.get("Idempotency-Key", "")
        if not IDEMPOTENCY_KEY.fullmatch(key):
            _refuse(_("Idempotency-Key: at most 64 printable characters."))
        partner = request.auth.partner
        found = filing.earlier(partner, key)
        if found is not None:
            return Response(_filed(found), status=status.HTTP_200_OK)
        body_key = request.data.get("api_key", "") if hasattr(request.data, "get") else ""
        if not isinstance(body_key, str) or has_refused_characters(body_key):
            # Refused as every text field is, even when the header's key is the one used.
            _refuse(_("%(field)s: control characters are not accepted.") % {"field": "api_key"})
        data = NewRequestSerializer(data=_fields(request.data))
        if not data.is_valid():
            _refuse(_describe(data.errors))
        urgency = _urgency(request.data)
        photos = _photos(request)
        try:
            filed = filing.file(request.scope, partner, data.validated_data, urgency, photos, key)
        except filing.Refused as refused:
            _refuse(str(refused), refused.status)
        answer = status.HTTP_201_CREATED if filed.created else status.HTTP_200_OK
        return Response(_filed(filed), status=answer)


def _filed(filed) -> list:
    return [{"service_request_id": filed.code, "service_notice": filed.notice, "account_id": None}]


class RequestDetail(Open311View):
    xml_names = ("service_requests", "request")

    @extend_schema(**docs.REQUEST_DETAIL)
    def get(self, request, service_request_id, format=None):
        _params(request, "jurisdiction_id")
        code = service_request_id.upper()
        shown = reads.one(code, _partner(request)) if CODE_LIST.fullmatch(code) else []
        if not shown or "," in code:
            _refuse(_("No request has this code."), 404)
        return Response(shown)
