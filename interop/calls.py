"""The log of calls to the API and the hotline webhook, and who pays for them.

A call a partner's key or signature vouches for is the partner's: it counts against its
allowance (`API_CALLS_PER_KEY_PER_MINUTE`) and is kept for ever in `ApiCall` (append-only).
Any other call could come from anyone, so it never touches a partner's allowance or its log:
it is an `UnidentifiedCall`, which forgets. Each write removes what is older than
`UNIDENTIFIED_CALLS_KEEP_DAYS` or beyond the newest `UNIDENTIFIED_CALLS_KEEP_ROWS`, and a
nightly task removes the old ones even when nothing is written.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from common.ratelimit import client_address

from .models import ApiCall, UnidentifiedCall


def log_partner_call(request, partner, key, status: int) -> None:
    ApiCall.objects.create(
        key=key,
        partner=partner,
        method=request.method[:8],
        path=request.path[:300],
        status=status,
        address=client_address(request)[:50],
    )


def log_unidentified_call(request, status: int) -> None:
    call = UnidentifiedCall.objects.create(
        method=request.method[:8],
        path=request.path[:300],
        status=status,
        address=client_address(request)[:50],
    )
    beyond_the_newest = Q(pk__lte=call.pk - settings.UNIDENTIFIED_CALLS_KEEP_ROWS)
    UnidentifiedCall.objects.filter(beyond_the_newest | _too_old()).delete()


def remove_old_unidentified_calls() -> int:
    removed, _by_model = UnidentifiedCall.objects.filter(_too_old()).delete()
    return removed


def _too_old() -> Q:
    return Q(at__lt=timezone.now() - timedelta(days=settings.UNIDENTIFIED_CALLS_KEEP_DAYS))
