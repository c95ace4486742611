"""Outside input is checked once, before any view, session or query sees it.

Two kinds of request are refused here, whatever page they are sent to:

- **Characters PostgreSQL cannot store.** A NUL byte (U+0000) in a text value makes psycopg
  refuse the query, and an unpaired surrogate (U+D800-U+DFFF, which JSON can spell `\\ud800`)
  cannot be encoded at all: either one, reaching a lookup, was a 500. They are refused in the
  path (`/r/b/%00/`), every query parameter, every header (an API key, a session cookie), every
  form field's name, file name and (for programs: Open311 and the API) value, and every string
  and key of a JSON body, with a 400 that says where (a program is told which parameter; a
  person whose page address holds one is told the address is wrong, and led back). A NUL in
  what a person typed into a page's form is not refused here: a 400 page would throw the typed
  text away. It becomes ASCII's SUBSTITUTE (U+001A), which PostgreSQL stores and every form
  field refuses as a control character, so the form comes back with its text and a message on
  the field (common/text.py).
- **Bodies no parser should be asked to read.** JSON nested deeper than `JSON_MAX_DEPTH` (the
  parser recurses: 5,000 brackets overflowed the stack), with more than `MAX_VALUES` values in
  all, or larger than `JSON_MAX_BYTES`; a form with more than Django's
  DATA_UPLOAD_MAX_NUMBER_FIELDS fields or DATA_UPLOAD_MAX_NUMBER_FILES files; a multipart body
  that cannot be read. Each gets a 400 (413 for size) naming the limit.

The answer speaks the caller's language: Open311's error list under /open311/, the hotline's
`{"error": ...}` under /api/, a short page everywhere else. Text that is merely unwelcome
(control characters, direction marks) is a form field's business (common/text.py): there the
form says which field, and the user can fix it.
"""

import json
import re
from itertools import accumulate

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from common.bodylimit import REFUSAL_HEADERS, refusal_page
from common.middleware import chosen_language

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
NUL, SUBSTITUTE = "\x00", "\x1a"
JSON_MAX_DEPTH = 20
JSON_MAX_BYTES = 1024 * 1024
# Values in a JSON body, all levels together: as many as a form may have fields.
MAX_VALUES = 1000
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# Where the callers are programs that read errors as data (interop/api_urls.py).
OPEN311_PATHS = "/open311/"
JSON_ERROR_PATHS = "/api/"

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]")

IN_PATH = _("The address contains a NUL byte or a character that cannot be stored.")
IN_QUERY = _(
    "The query parameter “%(name)s” contains a NUL byte or a character that cannot be stored."
)
IN_HEADER = _("The header %(name)s contains a NUL byte or a character that cannot be stored.")
IN_FIELD = _("The form field “%(name)s” contains a NUL byte or a character that cannot be stored.")
IN_JSON = _("The JSON body contains a NUL byte or a character that cannot be stored.")
JSON_TOO_DEEP = _("The JSON body is nested deeper than %(depth)s levels.")
JSON_TOO_MANY = _("The JSON body has more than %(count)s values.")
JSON_TOO_LARGE = _("The JSON body is larger than %(kb)s KB.")
TOO_MANY_FIELDS = _("The request has more than %(count)s fields.")
TOO_MANY_FILES = _("The request has more than %(count)s files.")
FORM_TOO_LARGE = _("The form's fields are too large.")
FORM_UNREADABLE = _("The form could not be read.")


class Refusal(Exception):
    def __init__(self, status: int, message, **params):
        super().__init__(message)
        self.status, self.message, self.params = status, message, params


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            check(request)
        except Refusal as refused:
            return answer(request, refused)
        return self.get_response(request)


def check(request) -> None:
    """Raise Refusal for the first part of the request that may not go further."""
    if UNSTORABLE.search(request.path_info):
        raise Refusal(400, IN_PATH)
    for name, value in request.META.items():
        if (name.startswith("HTTP_") or name == "CONTENT_TYPE") and _unstorable(value):
            raise Refusal(400, IN_HEADER, name=_header_name(name))
    try:
        # A program reads which parameter; a person reads that the address is wrong (a name
        # such as "q" says nothing to them) and is led back by the page.
        in_query = IN_QUERY if _sent_by_a_program(request) else IN_PATH
        _check_pairs(request.GET.lists(), in_query)
    except TooManyFieldsSent:
        raise Refusal(400, TOO_MANY_FIELDS, count=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS) from None
    content_type = request.content_type or ""
    if content_type in FORM_TYPES and request.method not in ("GET", "HEAD"):
        _check_form(request)
    elif content_type == "application/json" or content_type.endswith("+json"):
        _check_json(request)


def _unstorable(value) -> bool:
    return isinstance(value, str) and UNSTORABLE.search(value) is not None


def _header_name(meta_name: str) -> str:
    return meta_name.removeprefix("HTTP_").replace("_", "-").title()


def _check_pairs(pairs, message) -> None:
    for name, values in pairs:
        if _unstorable(name) or any(_unstorable(value) for value in values):
            raise Refusal(400, message, name=UNSTORABLE.sub("?", name)[:50])


def _check_form(request) -> None:
    try:
        fields, files = request.POST, request.FILES
    except TooManyFieldsSent:
        raise Refusal(400, TOO_MANY_FIELDS, count=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS) from None
    except TooManyFilesSent:
        raise Refusal(400, TOO_MANY_FILES, count=settings.DATA_UPLOAD_MAX_NUMBER_FILES) from None
    except RequestDataTooBig:
        raise Refusal(413, FORM_TOO_LARGE) from None
    except MultiPartParserError:
        raise Refusal(400, FORM_UNREADABLE) from None
    _check_pairs(((name, [f.name for f in group]) for name, group in files.lists()), IN_FIELD)
    if _sent_by_a_program(request):
        _check_pairs(fields.lists(), IN_FIELD)
        return
    _check_pairs(((name, []) for name in fields), IN_FIELD)
    if any(NUL in value for _name, values in fields.lists() for value in values):
        request.POST = _with_nul_substituted(fields)


def _sent_by_a_program(request) -> bool:
    return request.path_info.startswith((OPEN311_PATHS, JSON_ERROR_PATHS))


def _with_nul_substituted(fields):
    """The form's fields with each NUL made SUBSTITUTE (lone surrogates cannot come from a form:
    Django decodes form bytes with replacement)."""
    substituted = fields.copy()
    for name, values in fields.lists():
        substituted.setlist(name, [value.replace(NUL, SUBSTITUTE) for value in values])
    substituted._mutable = False
    return substituted


def _check_json(request) -> None:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    # The length was checked to be a number (common/bodylimit.py); judged before reading.
    if int(declared) > JSON_MAX_BYTES:
        raise Refusal(413, JSON_TOO_LARGE, kb=JSON_MAX_BYTES // 1024)
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return  # not JSON at all: the view's own parser says so
    if json_depth(text) > JSON_MAX_DEPTH:
        raise Refusal(400, JSON_TOO_DEEP, depth=JSON_MAX_DEPTH)
    try:
        data = json.loads(text)
    except ValueError:
        return  # malformed: the view's own parser says so
    check_json_value(data)


def json_depth(text: str) -> int:
    """How deep the brackets of a JSON text go, read without recursing (the parser would)."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    steps = (1 if bracket in "[{" else -1 for bracket in brackets)
    return max(accumulate(steps, initial=0))


def check_json_value(data) -> None:
    """Raise Refusal when parsed JSON holds too many values or an unstorable string."""
    pending, seen = [data], 0
    while pending:
        value = pending.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise Refusal(400, JSON_TOO_MANY, count=MAX_VALUES)
        if isinstance(value, dict):
            if any(_unstorable(key) for key in value):
                raise Refusal(400, IN_JSON)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif _unstorable(value):
            raise Refusal(400, IN_JSON)


def answer(request, refused: Refusal):
    with translation.override(chosen_language(request)):
        text = str(refused.message) % refused.params if refused.params else str(refused.message)
    if request.path_info.startswith(OPEN311_PATHS):
        # The specification's error list (JSON whatever the suffix: the body is all we know).
        return JsonResponse(
            [{"code": refused.status, "description": text}],
            status=refused.status,
            safe=False,
            headers=REFUSAL_HEADERS,
            json_dumps_params={"ensure_ascii": False},
        )
    if request.path_info.startswith(JSON_ERROR_PATHS):
        return JsonResponse(
            {"error": text},
            status=refused.status,
            headers=REFUSAL_HEADERS,
            json_dumps_params={"ensure_ascii": False},
        )
    return refusal_page(request, refused.status, text)
