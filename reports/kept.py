"""Figures of a month that is over, worked out once and kept in the shared cache until the
month changes.

The dearest parts of a month's report grow with the city, not with the page: the median days
to resolve sorts every resolution of the month, the hot spots rank every problem month of the
year. A past month still changes, rarely: the night's grouping finds that an older case
starts a problem, and a case's months are re-worked whenever a figure's input is saved
(rollups.refresh), which may reach back. Every change to a past month's rows replaces the
month's token (MonthToken) in the change's own transaction (`replace`), so a value kept under
the tokens it was read at is exact for as long as it is found, on the primary and on a replica
alike (each reads the tokens that go with its rows).

A month is kept only once it has been over for SETTLE: a change written while the month was
still open replaces no token (the open month changes with every move; its token would be the
busiest row of the city), and SETTLE bounds how long such a change's transaction may take to
commit. A month gets its row when it is frozen on the 1st (`settle`), and every past month
when figures are loaded in bulk; a month with no row is worked out every time. (A missing row
is no token: a row written in a transaction that was rolled back leaves none, and a value kept
under "none" would outlive what it was read from.)
"""

import contextvars
import hashlib
import secrets
from contextlib import contextmanager
from datetime import date, timedelta

from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone

from .models import MonthToken
from .periods import month_period

SETTLE = timedelta(hours=1)
KEEP_SECONDS = 7 * 86400
_MISSING = object()


def _this_month():
    return timezone.localdate().replace(day=1)


def _settled(month) -> bool:
    return timezone.now() >= month_period(month).end + SETTLE


# The tokens a page read once for all it keeps (`reading`): (database, months read, found).
_page = contextvars.ContextVar("kept_page", default=None)


def _read(months, using) -> dict:
    rows = MonthToken.objects.using(using).filter(month__in=months)
    return dict(rows.values_list("month", "token"))


def _tokens(months, using, fresh=False) -> tuple | None:
    page = _page.get()
    if not fresh and page is not None and page[0] == using and set(months) <= page[1]:
        found = page[2]
    else:
        found = _read(months, using)
    if any(month not in found for month in months):
        return None
    return tuple(found[month] for month in months)


@contextmanager
def reading(months):
    """Within: every figure kept for some of `months` takes their tokens as read here, in one
    query for the page rather than one per figure (none when the newest is the open month:
    nothing of it is kept)."""
    if max(months) >= _this_month():
        yield
        return
    using = MonthToken.objects.all().db
    reset = _page.set((using, set(months), _read(months, using)))
    try:
        yield
    finally:
        _page.reset(reset)


def kept(name: str, months: list, key, compute, using: str | None = None):
    """`compute()`'s value for `months` (first days) and `key`: kept while the months' tokens
    stay, worked out every time for a month not yet settled. `key` must name everything else
    the value depends on (the query's SQL and parameters); the value holds no words, so it
    serves every language."""
    if max(months) >= _this_month():
        return compute()  # the open month: never kept, and no token to read
    # (A past month's tokens are read first, settled or not, so its page runs the same
    # queries at any hour; a page reads them once for all its figures: `reading`.)
    using = using or MonthToken.objects.all().db  # the replica, in a view read from it
    before = _tokens(months, using)
    if before is None or not all(_settled(month) for month in months):
        return compute()
    database = connections[using].settings_dict["NAME"]  # two databases may share a cache
    digest = hashlib.sha256(repr((name, database, months, before, key)).encode()).hexdigest()
    cache_key = f"kept:{name}:{digest}"
    value = cache.get(cache_key, _MISSING)
    if value is not _MISSING:
        return value
    value = compute()
    # A change committed while the value was worked out replaced a token: keep nothing then.
    if _tokens(months, using, fresh=True) == before:
        cache.set(cache_key, value, KEEP_SECONDS)
    return value


def keeper(months):
    """`keep(name, key, compute)` for a selector that reads `months` (recurring/selectors.py):
    what it works out is kept as the months' figures are, until their problems change."""
    return lambda name, key, compute: kept(name, months, key, compute)


# The open month's problems: unlike its cases, which move all day, its problem months change
# only with the night's grouping, a split or a dismissal, each of which replaces this token in
# its own transaction (`problem_months_changed`). A figure read from the problems' months alone
# (the hot spots, 每月一题) is kept for the open month under it, as a past month's is.
OPEN_MONTHS_PROBLEMS = date(1, 1, 1)


def problems_keeper(months):
    """`keeper` for a selector that reads only the problems' months: the open month among
    `months` is kept under the problems' token (OPEN_MONTHS_PROBLEMS) rather than never."""
    this_month = _this_month()
    tokens = [month for month in months if month < this_month]
    if len(tokens) < len(months):
        tokens.append(OPEN_MONTHS_PROBLEMS)
    return lambda name, key, compute: kept(name, tokens, key, compute)


def replace(months) -> list[tuple[str, list]]:
    """The statements that give each past month of `months` a new token (creating its row):
    run in the transaction of the change, after it. None for the open month (see above)."""
    past = sorted({month for month in months if month < _this_month()})
    return [_new_tokens(past)] if past else []


def _new_tokens(months) -> tuple[str, list]:
    """The statement that gives each of `months` (first days) one new token, creating rows."""
    token = secrets.token_hex(8)
    table = connection.ops.quote_name(MonthToken._meta.db_table)
    marks = ", ".join(["(%s, %s)"] * len(months))
    sql = (
        f"INSERT INTO {table} (month, token) VALUES {marks} "
        "ON CONFLICT (month) DO UPDATE SET token = excluded.token"
    )
    return sql, [value for month in months for value in (month, token)]


def replace_all(first_month) -> None:
    """After figures are worked out anew in bulk: every month a new token, and every past month
    from `first_month` (the earliest with figures; None when none) its row."""
    _renew_all()
    settle(
        [OPEN_MONTHS_PROBLEMS, *(past_months(first_month, _this_month()) if first_month else [])]
    )


def past_months(first, this_month) -> list:
    """The first days from `first` to the month before `this_month`."""
    months = []
    while first < this_month:
        months.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return months


def settle(months) -> None:
    """Rows for past months that have none: the freeze on the 1st settles the month just over,
    which can then be kept from an hour after it ended."""
    MonthToken.objects.bulk_create(
        [MonthToken(month=month, token=secrets.token_hex(8)) for month in months],
        ignore_conflicts=True,
    )


def problem_months_changed(sender, months, **kwargs) -> None:
    """The night's grouping, a split or a dismissal changed the problems' months: the past
    ones get new tokens, and so does the open month's problems (OPEN_MONTHS_PROBLEMS)."""
    with connection.cursor() as cursor:
        for sql, params in replace(months):
            cursor.execute(sql, params)
        if max(months) >= _this_month():
            cursor.execute(*_new_tokens([OPEN_MONTHS_PROBLEMS]))


def categories_renamed(sender, instance, created, raw=False, **kwargs) -> None:
    """A kept ranking of 每月一题 holds the categories' stored names: a category saved again
    gives every month a new token (a few times a year; a new one is in no ranking yet)."""
    if not raw and not created:
        _renew_all()


def _renew_all() -> None:
    """Every month a new token: nothing kept before is read again."""
    MonthToken.objects.update(token=secrets.token_hex(8))
