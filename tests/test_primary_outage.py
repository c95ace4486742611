"""While no primary answers (a failover), pages are read whole from the replica and changes
wait for the new primary (common/replicas.py, PrimaryOutageMiddleware).

The "replica" alias of the test settings is a second connection to the test database, so a
page served "from the replica" here finds the same rows; what is tested is where each query
goes and when a page is run again. `make cluster` kills a real primary under load.
"""

import pytest
from django.core.signals import got_request_exception
from django.db import OperationalError, connections
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common import replicas

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def outage_reads(settings):
    settings.PRIMARY_OUTAGE_READS = True
    replicas.primary_health.forget()
    yield
    replicas.primary_health.forget()


class Page:
    """A view behind the middleware: the first call may die on the primary, as a page does
    when its connection breaks; each call records whether every read went to the replica."""

    def __init__(self, fail_first=False, wrote=False, at_commit=False):
        self.calls = []
        self.fail_first, self.wrote, self.at_commit = fail_first, wrote, at_commit

    def __call__(self, request):
        self.calls.append(replicas.reading_everything_from_replica())
        if self.fail_first and len(self.calls) == 1:
            if self.wrote:  # an INSERT or UPDATE had been sent
                replicas._wrote_rows.set(True)

            def commit():
                raise OperationalError("server closed the connection unexpectedly")

            try:
                if self.at_commit:
                    commit()
                raise OperationalError("terminating connection due to administrator command")
            except OperationalError:  # what Django's handler does with a view's exception
                got_request_exception.send(sender=None, request=request)
            return HttpResponse(status=500)
        return HttpResponse("ok")


def test_a_page_that_meets_a_dead_primary_is_read_again_from_the_replica(monkeypatch):
    monkeypatch.setattr(replicas, "_primary_answers", lambda: False)
    page = Page(fail_first=True)
    response = replicas.PrimaryOutageMiddleware(page)(RequestFactory().get("/cases/"))
    assert response.status_code == 200
    assert page.calls == [False, True]
    # The next pages go to the replica at once, without waiting on the dead primary first.
    later = Page()
    replicas.PrimaryOutageMiddleware(later)(RequestFactory().get("/cases/"))
    assert later.calls == [True]


def test_a_connection_cut_by_a_switchover_is_run_again_on_the_new_primary(monkeypatch):
    monkeypatch.setattr(replicas, "_primary_answers", lambda: True)
    page = Page(fail_first=True)
    response = replicas.PrimaryOutageMiddleware(page)(RequestFactory().get("/cases/"))
    assert response.status_code == 200
    assert page.calls == [False, False]


def test_with_the_primary_there_a_page_runs_once_on_it():
    page = Page()
    response = replicas.PrimaryOutageMiddleware(page)(RequestFactory().get("/cases/"))
    assert response.status_code == 200
    assert page.calls == [False]


def test_a_failed_page_whose_primary_is_fine_is_not_run_again():
    """Only a broken connection is worth a second run: a bug's 500 stays a 500."""
    page = Page()
    page_500 = lambda request: HttpResponse(status=500)  # noqa: E731
    response = replicas.PrimaryOutageMiddleware(page_500)(RequestFactory().get("/cases/"))
    assert response.status_code == 500
    assert page.calls == []


def test_a_change_waits_for_the_new_primary(monkeypatch):
    answers = iter([False, False, False, True])
    monkeypatch.setattr(replicas, "_primary_answers", lambda: next(answers))
    monkeypatch.setattr(replicas.time, "sleep", lambda seconds: None)
    page = Page()
    response = replicas.PrimaryOutageMiddleware(page)(RequestFactory().post("/cases/new/"))
    assert response.status_code == 200
    assert page.calls == [False]  # written on the primary, once it answered
    assert next(answers, "all asked") == "all asked"


@pytest.mark.parametrize(
    "failure", [{"wrote": True}, {"at_commit": True}], ids=["after a write", "at the commit"]
)
def test_a_change_that_may_have_been_committed_is_not_run_again(monkeypatch, failure):
    """A POST whose connection broke after it sent a write, or while committing, may have
    been committed: only the browser sends it again (the case form with its submission id)."""
    monkeypatch.setattr(replicas, "_primary_answers", lambda: True)
    page = Page(fail_first=True, **failure)
    response = replicas.PrimaryOutageMiddleware(page)(RequestFactory().post("/cases/new/"))
    assert response.status_code == 500
    assert page.calls == [False]


def test_a_change_that_broke_before_it_wrote_waits_and_runs_again(monkeypatch):
    """Only reads had been sent (a switchover's shutdown ended the session while the move
    checked the case): nothing was written, so running it again is safe."""
    monkeypatch.setattr(replicas, "_primary_answers", lambda: True)
    page = Page(fail_first=True)
    response = replicas.PrimaryOutageMiddleware(page)(RequestFactory().post("/cases/new/"))
    assert response.status_code == 200
    assert page.calls == [False, False]


def test_a_change_is_noted_when_it_may_have_been_committed():
    """Outside a transaction a statement commits as it runs, so it is noted before it is sent;
    inside one, at the COMMIT; a transaction rolled back leaves nothing noted."""
    from django.db import transaction

    from cases.models import Category

    token = replicas._wrote_rows.set(False)
    try:
        with connections["default"].execute_wrapper(replicas._record_writes):
            with transaction.atomic():
                list(Category.objects.select_for_update().all())
                Category.objects.filter(pk=0).update(name="x")
                assert replicas._wrote_rows.get() is False  # not yet committed
                transaction.set_rollback(True)
            assert replicas._wrote_rows.get() is False  # rolled back
            with transaction.atomic():
                Category.objects.filter(pk=0).update(name="x")
            assert replicas._wrote_rows.get() is True  # committed
            replicas._wrote_rows.set(False)
            Category.objects.filter(pk=0).update(name="x")
            assert replicas._wrote_rows.get() is True  # committed as it ran
    finally:
        replicas._wrote_rows.reset(token)


class WritingChange:
    """A POST that saves a category and whose connection breaks, the first time, at the
    statement after the save: inside the save's transaction, after it committed, or after a
    save made outside any transaction (which commits as it runs)."""

    def __init__(self, where):
        self.where, self.calls = where, 0

    def __call__(self, request):
        from django.db import transaction

        from cases.models import Category

        self.calls += 1
        name = f"sw-{self.where.split()[-1]}-{self.calls}"  # a category's name is short

        def cut(execute, sql, params, many, context):
            raise OperationalError("terminating connection due to administrator command")

        try:
            if self.where == "autocommit":
                Category.objects.create(name=name)
            with transaction.atomic():
                if self.where != "autocommit":
                    Category.objects.create(name=name)
                if self.calls == 1 and self.where == "in the transaction":
                    with connections["default"].execute_wrapper(cut):
                        Category.objects.count()
            if self.calls == 1 and self.where != "in the transaction":
                with connections["default"].execute_wrapper(cut):
                    Category.objects.count()
        except OperationalError:  # what Django's handler does with a view's exception
            got_request_exception.send(sender=None, request=request)
            return HttpResponse(status=500)
        return HttpResponse("ok")


@pytest.mark.parametrize(
    ("where", "status", "saved"),
    [
        ("in the transaction", 200, ["sw-transaction-2"]),
        ("after the commit", 500, ["sw-commit-1"]),
        ("autocommit", 500, ["sw-autocommit-1"]),
    ],
)
def test_a_change_cut_before_its_commit_runs_again_and_one_after_does_not(
    monkeypatch, where, status, saved
):
    """A switchover's fast shutdown ends the old primary's sessions: a move cut inside its
    transaction was rolled back by the server and runs again on the new primary, so the user
    sees it done; one cut after a commit may be half done and is not run again."""
    from cases.models import Category

    monkeypatch.setattr(replicas, "_primary_answers", lambda: True)
    change = WritingChange(where)
    response = replicas.PrimaryOutageMiddleware(change)(RequestFactory().post("/cases/new/"))
    assert response.status_code == status
    assert change.calls == (2 if status == 200 else 1)
    names = Category.objects.filter(name__startswith="sw-").values_list("name", flat=True)
    assert sorted(names) == saved


def test_while_the_primary_is_down_a_logged_in_page_reads_nothing_from_it(client, personas):
    client.force_login(personas.worker_cg1)
    replicas._mark_primary_down(OperationalError("the primary is gone"))
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.get(reverse("cases:list"))
    assert response.status_code == 200
    assert primary.captured_queries == []
    assert len(replica.captured_queries) > 0


def test_while_the_primary_is_down_the_report_reads_nothing_from_it(client, personas):
    """The report's medians too (a query of its own, on the replica like the rest)."""
    client.force_login(personas.street_staff)
    replicas._mark_primary_down(OperationalError("the primary is gone"))
    with CaptureQueriesContext(connections["default"]) as primary:
        response = client.get(reverse("reports:report"))
    assert response.status_code == 200
    assert primary.captured_queries == []


def test_the_router_sends_every_read_to_the_replica_during_an_outage():
    from django.contrib.sessions.models import Session

    from cases.models import Case

    router = replicas.ReplicaRouter()
    assert router.db_for_read(Session) == "default"
    token = replicas._all_on_replica.set(True)
    try:
        assert router.db_for_read(Session) == "replica"
        assert router.db_for_read(Case) == "replica"
        assert router.db_for_write(Case) == "default"
    finally:
        replicas._all_on_replica.reset(token)


def test_production_keeps_sessions_in_signed_cookies(client, personas, settings):
    """No server holds a session: losing the primary or Redis logs nobody out."""
    from django.contrib.sessions.models import Session

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    response = client.post(
        reverse("login"), {"username": "worker_cg1", "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("cases:list")).status_code == 200
    assert Session.objects.count() == 0
    client.post(reverse("logout"))
    assert client.get(reverse("cases:list")).status_code == 302
