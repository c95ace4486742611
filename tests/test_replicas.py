"""Reports, lists and exports read from the hot standby; a user who just changed something
reads from the primary; a standby that is down costs nothing but a slower read.

The "replica" alias of the test settings is a test mirror: a second connection to the test
database. A replica that runs behind is a real one here: that connection holds a REPEATABLE
READ snapshot taken before the change, so it keeps answering with the old rows, as a standby
that has not replayed the change yet would.
"""

import socket
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, State
from common import replicas
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def replica_reads(settings):
    settings.REPLICA_READS = True
    replicas.forget_failures()
    yield
    replicas.forget_failures()


def later(days=2):
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def queries_on(alias, client, url):
    with CaptureQueriesContext(connections[alias]) as captured:
        response = client.get(url)
    return response, len(captured)


@pytest.fixture
def behind():
    """The replica stops replaying here: it answers with the rows as they are now."""
    replica = connections["replica"]
    replica.ensure_connection()
    replica.set_autocommit(False)
    with replica.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT count(*) FROM cases_case")  # the snapshot is taken here
    yield
    replica.rollback()
    replica.set_autocommit(True)


@pytest.fixture
def dead_replica():
    """The replica's address is a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    replica = connections["replica"]
    replica.close()
    kept = replica.settings_dict
    replica.settings_dict = {**kept, "PORT": port}
    yield
    replica.close()
    replica.settings_dict = kept


def test_lists_reports_and_exports_read_from_the_replica_and_the_case_page_does_not(
    places, personas, login
):
    case = CaseFactory(grid=places.cg1, description="楼道灯不亮了")
    client = login(personas.street_staff)
    for url in (
        reverse("cases:list"),
        reverse("reports:report"),
        reverse("cases:export", args=["csv"]),
        reverse("reports:export", args=["csv"]),
        reverse("meetings:list"),
    ):
        response, on_replica = queries_on("replica", client, url)
        assert response.status_code == 200, url
        assert on_replica > 0, f"{url} read nothing from the replica"
    response, on_replica = queries_on("replica", client, reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200 and on_replica == 0
    assert "楼道灯不亮了" in client.get(reverse("cases:list")).content.decode()


def test_without_a_replica_everything_reads_from_the_primary(places, personas, login, settings):
    settings.REPLICA_READS = False
    CaseFactory(grid=places.cg1)
    response, on_replica = queries_on("replica", login(personas.street_staff), "/cases/")
    assert response.status_code == 200 and on_replica == 0


def test_the_officer_who_accepted_a_case_sees_it_accepted_while_the_replica_is_behind(
    places, personas, client, behind
):
    case = CaseFactory(grid=places.cg1, description="单元门禁坏了")
    # Created after the snapshot: the lagging replica does not have it yet. Its officer does.
    accepted = f"{reverse('cases:list')}?state=accepted"
    client.force_login(personas.officer_chunguang)
    response = client.post(
        reverse("cases:move", args=[case.pk, "accept"]),
        {"accept-owner": personas.officer_chunguang.pk, "accept-response_deadline": later()},
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED
    assert replicas.COOKIE in response.cookies  # reads follow the write

    response, on_replica = queries_on("replica", client, accepted)
    assert on_replica == 0
    assert "单元门禁坏了" in response.content.decode()

    # Street staff changed nothing: they read the replica, which has not caught up yet.
    other = client_for(personas.street_staff)
    response, on_replica = queries_on("replica", other, accepted)
    assert on_replica > 0
    assert "单元门禁坏了" not in response.content.decode()


def test_reads_go_back_to_the_replica_when_the_window_after_a_change_is_over(
    places, personas, client, settings
):
    settings.READ_YOUR_WRITES_SECONDS = 30
    case = CaseFactory(grid=places.cg1)
    client.force_login(personas.officer_chunguang)
    client.post(
        reverse("cases:move", args=[case.pk, "accept"]),
        {"accept-owner": personas.officer_chunguang.pk, "accept-response_deadline": later()},
    )
    _, on_replica = queries_on("replica", client, reverse("cases:list"))
    assert on_replica == 0
    with time_machine.travel(time.time() + 31, tick=False):
        _, on_replica = queries_on("replica", client, reverse("cases:list"))
    assert on_replica > 0


def test_a_refused_move_changes_nothing_and_keeps_reads_on_the_replica(places, personas, client):
    case = CaseFactory(grid=places.cg1)
    client.force_login(personas.officer_chunguang)
    response = client.post(reverse("cases:move", args=[case.pk, "accept"]), {})  # no owner
    assert response.status_code == 400
    assert replicas.COOKIE not in response.cookies
    _, on_replica = queries_on("replica", client, reverse("cases:list"))
    assert on_replica > 0


def test_a_forged_cookie_does_not_pin_reads_to_the_primary(places, personas, client):
    client.force_login(personas.street_staff)
    client.cookies[replicas.COOKIE] = str(int(time.time()))  # unsigned
    _, on_replica = queries_on("replica", client, reverse("cases:list"))
    assert on_replica > 0


def test_a_replica_that_is_down_costs_a_read_from_the_primary_not_an_error(
    places, personas, login, dead_replica, caplog
):
    CaseFactory(grid=places.cg1, description="垃圾桶满了没人清")
    client = login(personas.street_staff)
    page = client.get(reverse("cases:list"))
    assert page.status_code == 200 and "垃圾桶满了没人清" in page.content.decode()
    assert "replica database does not answer" in caplog.text
    # The verdict is kept: the next pages do not try the dead replica again.
    started = time.monotonic()
    for url in (reverse("reports:report"), reverse("cases:export", args=["xlsx"])):
        assert client.get(url).status_code == 200
    assert replicas.health.down_until > time.monotonic()
    assert time.monotonic() - started < 5


def test_a_replica_connection_cut_during_a_page_is_read_again_from_the_primary(
    places, personas, login, caplog
):
    CaseFactory(grid=places.cg1, description="井盖松了")
    client = login(personas.street_staff)
    assert client.get(reverse("cases:list")).status_code == 200  # the replica is connected
    replica = connections["replica"]
    with connections["default"].cursor() as cursor:  # the standby restarts under us
        cursor.execute("SELECT pg_terminate_backend(%s)", [replica.connection.info.backend_pid])
    page = client.get(reverse("cases:list"))
    assert page.status_code == 200 and "井盖松了" in page.content.decode()
    assert "read again from the primary" in caplog.text
    _, on_replica = queries_on("replica", client, reverse("cases:list"))
    assert on_replica > 0  # the replica is up again: the next page reads from it


def test_report_pages_say_as_of_when_the_replica_runs_behind(
    places, personas, login, monkeypatch, settings
):
    """A real standby answers these two statements with its replay time and position; the
    mirror is not a standby, so they are replaced here by the answers of one that replayed up
    to five minutes ago and is 1 MB behind."""
    CaseFactory(grid=places.cg1)
    client = login(personas.street_staff)
    page = client.get(reverse("reports:report")).content.decode()
    assert 'data-testid="replica-as-of"' not in page  # the mirror is no standby: no lag

    # The replay time is the app's clock less five minutes, written into the statement: the
    # page must show exactly it, whatever minute the test runs in (tests/clock.py).
    replayed = timezone.localtime(timezone.now() - timedelta(minutes=5))
    monkeypatch.setattr(
        replicas,
        "REPLAYED_SQL",
        f"SELECT '{replayed.isoformat()}'::timestamptz, pg_current_wal_lsn()::text",
    )
    monkeypatch.setattr(replicas, "BEHIND_SQL", "SELECT 1048576 WHERE %s IS NOT NULL")
    page = client.get(reverse("reports:report")).content.decode()
    assert 'data-testid="replica-as-of"' in page
    assert replayed.strftime("%Y-%m-%d %H:%M") in page
    export = client.get(reverse("reports:export", args=["csv"])).content.decode("utf-8-sig")
    assert replayed.strftime("%Y-%m-%d %H:%M") in export

    settings.REPLICA_LAG_SHOWN_SECONDS = 600  # five minutes behind is within this threshold
    page = client.get(reverse("reports:report")).content.decode()
    assert 'data-testid="replica-as-of"' not in page


def client_for(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other
