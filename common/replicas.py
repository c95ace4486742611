"""Reads of reports, lists and exports from a hot standby; everything else on the primary.

DATABASE_REPLICA_URL configures the alias "replica" (config/settings/base.py). The router below
sends a read there only while a view marked `@reads_from_replica` runs, and only when:

- REPLICA_READS is on (it is when a replica is configured);
- the user has not changed anything in the last READ_YOUR_WRITES_SECONDS: a successful unsafe
  request, or any write through the case or meeting workflow (each records a history row,
  `note_write`), sets a signed cookie (`ReadYourWritesMiddleware`) that keeps the user's reads
  on the primary, whichever web node serves the next request, so nobody sees their own change
  missing. (Bookkeeping that a read leaves behind, such as an export's access-log row, does not.)
- the replica answers: when it cannot be reached, reads go to the primary and the replica is
  left alone for REPLICA_RETRY_SECONDS (a verdict kept per process: it is about this node's
  connection, and no other node needs it).

Writes always go to the primary, as do sessions (a login must be seen by the next page).
Report pages say "as of <the replica's time>" when it lags (`replica_as_of`).

While no primary answers (it died and Patroni has not yet promoted the synchronous standby,
or a planned switchover is between the two), `PrimaryOutageMiddleware` keeps the city reading:

- a GET or HEAD that meets the dead primary is run again with every read on the replica (the
  user, the roles, the case), and so is every page for the next PRIMARY_RETRY_SECONDS, without
  trying the primary first (a verdict kept per process, like the replica's);
- a request that changes something waits up to PRIMARY_WAIT_SECONDS for a primary to answer
  before it runs, so a form sent during a failover or switchover is saved by the new primary
  instead of failing. One in flight when the primary died fails: the browser sends it again,
  and the case form's submission id makes that send log the case once (cases/intake.py).
"""

import logging
import sys
import threading
import time
import traceback
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.core import signing
from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction
from django.utils import timezone

log = logging.getLogger("youjie.replicas")

ALIAS = "replica"
COOKIE = "youjie_wrote"
COOKIE_SALT = "youjie.replicas.read-your-writes"
ALWAYS_PRIMARY_APPS = {"sessions"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Set while a marked view runs and the replica may serve its reads.
_on_replica: ContextVar[bool] = ContextVar("youjie_on_replica", default=False)
# Set while the primary does not answer: every read, sessions' included, goes to the replica.
_all_on_replica: ContextVar[bool] = ContextVar("youjie_all_on_replica", default=False)
# Set once a change may have committed rows on the primary (_record_writes).
_wrote_rows: ContextVar[bool] = ContextVar("youjie_wrote_rows", default=False)
# Set when the current request changed something (the cookie is then sent with the response).
_wrote: ContextVar[bool] = ContextVar("youjie_wrote", default=False)


def configured() -> bool:
    return settings.REPLICA_READS and ALIAS in settings.DATABASES


class ReplicaRouter:
    """Reads inside `reads_from_replica` go to the replica; all else to the primary."""

    def db_for_read(self, model, **hints):
        if _all_on_replica.get():
            return ALIAS
        if _on_replica.get() and model._meta.app_label not in ALWAYS_PRIMARY_APPS:
            return ALIAS
        return "default"

    def db_for_write(self, model, **hints):
        # Explicitly the primary: an object read from the replica is saved to the primary.
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases are the same database (one a copy of the other).
        if {obj1._state.db, obj2._state.db} <= {"default", ALIAS}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The standby replays the primary's changes; nothing is migrated on it.
        return db != ALIAS


# The replica's health, per process ---------------------------------------------------------
class _Health:
    def __init__(self):
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.last_warning = 0.0

    def forget(self):
        with self.lock:
            self.down_until = 0.0


health = _Health()


def forget_failures():
    """Try the replica again at once (tests)."""
    health.forget()


def _mark_down(error):
    now = time.monotonic()
    with health.lock:
        health.down_until = now + settings.REPLICA_RETRY_SECONDS
        warn = now - health.last_warning >= 60 or not health.last_warning
        if warn:
            health.last_warning = now
    if warn:
        log.warning(
            "The replica database does not answer (%s): reports and lists read from the "
            "primary; trying the replica again every %s s.",
            error.__class__.__name__,
            settings.REPLICA_RETRY_SECONDS,
        )


def replica_available() -> bool:
    """Whether the replica answers now (connecting if needed); a failure is remembered."""
    if time.monotonic() < health.down_until:
        return False
    try:
        connections[ALIAS].ensure_connection()
    except DatabaseError as error:
        _close_quietly()
        _mark_down(error)
        return False
    return True


def _close_quietly():
    with suppress(DatabaseError):
        connections[ALIAS].close()


# Read-your-writes --------------------------------------------------------------------------
def note_write():
    """The current request (or task) changed something: its user reads from the primary."""
    _wrote.set(True)


def recently_wrote(request) -> bool:
    try:
        request.get_signed_cookie(
            COOKIE, salt=COOKIE_SALT, max_age=settings.READ_YOUR_WRITES_SECONDS
        )
    except (KeyError, signing.BadSignature):
        return False
    return True


class ReadYourWritesMiddleware:
    """After a change, a signed cookie keeps the user's reads on the primary for a while.

    The cookie (not this node's memory) carries it, so it holds on every web node."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _wrote.set(False)
        try:
            response = self.get_response(request)
            changed = _wrote.get() or (
                request.method in UNSAFE_METHODS and response.status_code < 400
            )
        finally:
            _wrote.reset(token)
        if changed and configured():
            response.set_signed_cookie(
                COOKIE,
                str(int(time.time())),
                salt=COOKIE_SALT,
                max_age=settings.READ_YOUR_WRITES_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


# Marking views -----------------------------------------------------------------------------
def reads_from_replica(view):
    """Mark a view whose reads may come from the replica (reports, lists, exports).

    If the replica's connection fails during the view (the standby restarted, the connection
    was cut), the view runs again on the primary: these views read, and what they record (an
    access-log row) is written to the primary either way. An error of the primary's is the
    view's own and is raised as usual."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if (
            not configured()
            or request.method not in ("GET", "HEAD")
            or recently_wrote(request)
            or not replica_available()
        ):
            return view(request, *args, **kwargs)
        token = _on_replica.set(True)
        try:
            return view(request, *args, **kwargs)
        except DatabaseError as error:
            if not connections[ALIAS].errors_occurred:
                raise  # not the replica's failure
            if replica_available_now():
                log.warning(
                    "A read from the replica failed (%r); read again from the primary.", error
                )
            else:
                _mark_down(error)
        finally:
            _on_replica.reset(token)
        return view(request, *args, **kwargs)

    wrapper.reads_from_replica = True
    return wrapper


def replica_available_now() -> bool:
    """After an error: is the replica still there? (a fresh connection, no remembered verdict)"""
    _close_quietly()
    try:
        connections[ALIAS].ensure_connection()
    except DatabaseError:
        _close_quietly()
        return False
    return True


def reading_from_replica() -> bool:
    return _on_replica.get()


@contextmanager
def on_primary():
    """Reads inside this block go to the primary, even in a marked view."""
    token = _on_replica.set(False)
    try:
        yield
    finally:
        _on_replica.reset(token)


# Lag -----------------------------------------------------------------------------------------
# On a standby: the commit time of the last transaction it replayed, and how far it replayed.
# On a primary both are absent (no row).
REPLAYED_SQL = (
    "SELECT pg_last_xact_replay_timestamp(), pg_last_wal_replay_lsn()::text "
    "WHERE pg_is_in_recovery()"
)
# On the primary: how many bytes of WAL the standby has still to replay.
BEHIND_SQL = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)"


def replica_as_of():
    """The replica's time when it lags by more than REPLICA_LAG_SHOWN_SECONDS, else None.

    Only while reading from the replica. A replica that has replayed everything the primary
    wrote is caught up however old its last transaction is (an idle primary writes nothing);
    one that is behind is as of the commit time of the last transaction it replayed."""
    if not reading_from_replica() or connections[ALIAS].vendor != "postgresql":
        return None
    try:
        with connections[ALIAS].cursor() as cursor:
            cursor.execute(REPLAYED_SQL)
            row = cursor.fetchone()
        if row is None or row[0] is None or row[1] is None:
            return None  # not a standby, or one that has replayed nothing yet
        replayed_at, replayed_lsn = row
        with connections["default"].cursor() as cursor:
            cursor.execute(BEHIND_SQL, [replayed_lsn])
            (behind,) = cursor.fetchone()
    except DatabaseError:
        return None
    if behind is None or behind <= 0:
        return None
    if (timezone.now() - replayed_at).total_seconds() <= settings.REPLICA_LAG_SHOWN_SECONDS:
        return None
    return replayed_at


# The primary's outage, per process ---------------------------------------------------------
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The errors of a connection that broke or could not be made (not a constraint, not a bug).
CONNECTION_ERRORS = (OperationalError, InterfaceError)
primary_health = _Health()


def _primary_marked_down() -> bool:
    return time.monotonic() < primary_health.down_until


def _mark_primary_down(error):
    now = time.monotonic()
    with primary_health.lock:
        primary_health.down_until = now + settings.PRIMARY_RETRY_SECONDS
        warn = now - primary_health.last_warning >= 60 or not primary_health.last_warning
        if warn:
            primary_health.last_warning = now
    if warn:
        log.warning(
            "The primary database does not answer (%s): pages read from the replica and "
            "changes wait for a primary; trying the primary again every %s s.",
            error,
            settings.PRIMARY_RETRY_SECONDS,
        )


def _primary_answers() -> bool:
    """A fresh look at the primary: its kept connection if it still works, else a new one."""
    connection = connections["default"]
    try:
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        connection.ensure_connection()
        if not connection.is_usable():
            raise OperationalError("the primary's connection is not usable")
    except DatabaseError:
        with suppress(DatabaseError):
            connection.close()
        return False
    with primary_health.lock:
        primary_health.down_until = 0.0
    return True


# Statements that change no row: a request that sent only these changed nothing.
READ_ONLY_SQL = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET", "SHOW")
# Where a commit is sent: a connection that broke there may have committed.
COMMIT_FUNCTIONS = {"commit", "_commit"}


def _note_connection_failure(sender, request=None, **kwargs):
    """A page that failed because a database connection broke is marked, so that
    PrimaryOutageMiddleware can run it again (got_request_exception is sent inside the
    handler's `except`, so the error is the one being handled). For a change, whether it can
    have written anything is noted too (`_record_writes` and the place of the failure)."""
    error = sys.exception()
    if request is not None and isinstance(error, CONNECTION_ERRORS):
        request.youjie_connection_failure = error
        frames = traceback.extract_tb(error.__traceback__)
        at_commit = any(frame.name in COMMIT_FUNCTIONS for frame in frames)
        request.youjie_nothing_written = not _wrote_rows.get() and not at_commit


def _record_writes(execute, sql, params, many, context):
    """An execute wrapper on the primary: notes a change that may have been committed.

    Outside a transaction a statement commits as it runs: once sent it may be committed,
    whatever the client hears, so it is noted before it is sent. Inside one (an atomic block,
    as every move and every form's save is) nothing is kept before the COMMIT, so the change
    is noted when the transaction commits. A connection that breaks before then leaves nothing
    behind (the server rolls back the transaction of a session that ends); one that breaks
    during the COMMIT is known by where it failed (COMMIT_FUNCTIONS)."""
    if not sql.lstrip().upper().startswith(READ_ONLY_SQL):
        connection = context["connection"]
        if not connection.in_atomic_block:
            _wrote_rows.set(True)
        elif not any(hook is _note_committed for _ids, hook, _robust in connection.run_on_commit):
            transaction.on_commit(_note_committed, using=connection.alias)
    return execute(sql, params, many, context)


def _note_committed():
    _wrote_rows.set(True)


got_request_exception.connect(_note_connection_failure, dispatch_uid="youjie.replicas.failure")


def _failover_possible() -> bool:
    return ALIAS in settings.DATABASES and settings.PRIMARY_OUTAGE_READS


def _drop_broken_connections():
    """Before a page runs again: a connection that failed is closed, so the run makes a new
    one (to the new primary, or to a replica HAProxy still has)."""
    for alias in ("default", ALIAS):
        with suppress(DatabaseError):
            connections[alias].close_if_unusable_or_obsolete()


class PrimaryOutageMiddleware:
    """Pages from the replica, and changes that wait, while no primary answers (above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _failover_possible():
            return self.get_response(request)
        if request.method not in SAFE_METHODS:
            return self._change(request)
        if _primary_marked_down():
            return self._from_replica(request)
        response = self._run(request)
        failure = request.youjie_connection_failure
        if failure is None:
            return response
        _drop_broken_connections()
        if _primary_answers():  # a connection the switchover cut: the new primary is there
            log.warning(
                "%s %s: its connection broke (%s); run again.",
                request.method,
                request.path,
                failure.__class__.__name__,
            )
            return self._run(request)
        _mark_primary_down(failure)
        return self._from_replica(request)

    def _run(self, request):
        request.youjie_connection_failure = None
        request.youjie_nothing_written = False
        return self.get_response(request)

    def _from_replica(self, request):
        """The page with every read on the replica; once more if the replica's connection
        broke too (HAProxy cuts the connections of a standby that is being promoted)."""
        token = _all_on_replica.set(True)
        try:
            response = self._run(request)
            failure = request.youjie_connection_failure
            if failure is not None:
                _drop_broken_connections()
                log.warning(
                    "%s %s on the replica: its connection broke (%s); run again.",
                    request.method,
                    request.path,
                    failure.__class__.__name__,
                )
                response = self._run(request)
        finally:
            _all_on_replica.reset(token)
        return response

    def _change(self, request):
        """A change waits for a primary. If its connection broke before anything it wrote
        could have been committed (a switchover's fast shutdown ends the sessions of the old
        primary, rolling back their open transactions; a connection that could not be made),
        nothing was written: it waits and runs once more. One that broke after a commit, or
        while committing, may have been written, and is left to the browser to send again
        (with the case form's submission id)."""
        self._wait_for_primary()
        response = self._run_recording_writes(request)
        failure = request.youjie_connection_failure
        if failure is not None and request.youjie_nothing_written:
            log.warning(
                "%s %s: its connection broke before anything it wrote was committed (%s); "
                "wait, and run again.",
                request.method,
                request.path,
                failure.__class__.__name__,
            )
            _drop_broken_connections()
            self._wait_for_primary()
            response = self._run_recording_writes(request)
        return response

    def _run_recording_writes(self, request):
        token = _wrote_rows.set(False)
        try:
            with connections["default"].execute_wrapper(_record_writes):
                return self._run(request)
        finally:
            _wrote_rows.reset(token)

    def _wait_for_primary(self):
        if not _primary_marked_down() and _primary_answers():
            return
        deadline = time.monotonic() + settings.PRIMARY_WAIT_SECONDS
        while time.monotonic() < deadline:
            if _primary_answers():
                return
            time.sleep(0.5)


def reading_everything_from_replica() -> bool:
    return _all_on_replica.get()
