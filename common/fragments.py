"""Page fragments rendered once and kept in each process's memory, for as long as the data they
show has not changed.

The case list's filter panel offers every grid and community of the user's places (110 grids
in a street): rendering it cost more than the rest of the page. It is the same for everyone
with the same places, language and chosen filters, and its data (places, categories) changes
a few times a year.

Each kind of data has a version: a random token in the shared cache (Redis), replaced whenever
a row of its models is saved or deleted, at once and again when the transaction commits (a
request between the two could otherwise keep what it read before the commit). A fragment is
kept under the version it was rendered at, so a change made in any process is seen by every
process's next request. Tokens also expire after VERSION_SECONDS: without Redis they live in
each process's memory (common/cache.py), and a change made in another process is then seen
within that time.
"""

import secrets
import threading
import time
from collections import OrderedDict

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from . import drafts

MAX_FRAGMENTS = 512  # per process; a user's places × languages × chosen filters
VERSION_SECONDS = 60  # a fragment is rendered again at least this often

_lock = threading.Lock()
_fragments: OrderedDict = OrderedDict()


def _version_key(name: str) -> str:
    return f"fragments:version:{name}"


def version(name: str) -> str:
    """The current version of `name`'s data: one read from the shared cache."""
    token = cache.get(_version_key(name))
    if token is None:
        cache.add(_version_key(name), secrets.token_hex(8), timeout=VERSION_SECONDS)
        token = cache.get(_version_key(name))
    # Still none: the cache keeps nothing; the clock's minute is the version.
    return token or f"t{int(time.monotonic() // VERSION_SECONDS)}"


def changed(name: str) -> None:
    """`name`'s data changed: every fragment made from it is rendered again."""
    cache.set(_version_key(name), secrets.token_hex(8), timeout=VERSION_SECONDS)


def watch(name: str, *models, unless=None) -> None:
    """Saving or deleting a row of `models` changes `name`'s version, now and at commit;
    `unless(**signal_kwargs)` names saves that change nothing shown."""

    def receiver(sender, **kwargs):
        if unless is not None and unless(**kwargs):
            return
        changed(name)
        transaction.on_commit(lambda: changed(name))

    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(receiver, sender=model, weak=False, dispatch_uid=f"{name}:{model}")


def cached(name: str, key: tuple, render) -> str:
    """The fragment for `key` at the current version of `name`'s data; `render()` makes it
    when this process has none. A page drawn with what someone typed before a switch
    (common/drafts.py) draws its fragments anew, and keeps none of them: they are that
    person's."""
    if drafts.current() is not None:
        return render()
    full_key = (name, version(name), *key)
    with _lock:
        fragment = _fragments.get(full_key)
        if fragment is not None:
            _fragments.move_to_end(full_key)
            return fragment
    fragment = render()
    with _lock:
        _fragments[full_key] = fragment
        while len(_fragments) > MAX_FRAGMENTS:
            _fragments.popitem(last=False)
    return fragment


def forget() -> None:
    """Drop every kept fragment (tests)."""
    with _lock:
        _fragments.clear()
