"""Personas by role and place, and a check that the real services are there.

Two streets: 万青路街道 (春光社区 with grids 1 and 2, 富南社区 with grid 1) and 友谊街道.
Each persona is named by role and place; `other_*` objects sit outside a persona's places
and carry marker names that must never show up on that persona's pages.
"""

import os
from types import SimpleNamespace

import psycopg
import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import translation
from hypothesis import Phase
from hypothesis import settings as hypothesis_settings

from accounts.models import RoleKind
from grids.models import Building, Community, Contact, Grid, Street, Unit

from .clock import INSTANTS, instant
from .factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    StreetFactory,
    UnitFactory,
    UnitLeaderFactory,
    make_people,
)

# A failing property test reports its failing example at once: Hypothesis shrinks for up to
# five minutes and takes a time limit's exception for one more failure to shrink. `make fuzz`
# shrinks (HYPOTHESIS_PROFILE=full).
hypothesis_settings.register_profile(
    "suite", phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
)
hypothesis_settings.register_profile("full")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

# The database the settings name; pytest-django renames it to a test database only when a
# chosen test uses one (`make drills` chooses none), and this name may not exist on the server.
CONFIGURED_DATABASE = settings.DATABASES["default"]["NAME"]

# Time limits: a test past its limit fails with its stack, and the suite goes on. A unit test
# gets the default of [tool.pytest.ini_options] (timeout); these kinds get more.
# Taking the guide's pictures (`make docs`, tests/browser/shots.py) redraws each pictured screen
# on a phone and on a desktop: the stories get longer then.
TIME_LIMITS = {"browser": 300 if os.environ.get("DOCS_SCREENSHOTS") else 120, "live": 300}


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        metavar="INSTANT",
        help="start every test at this instant (a name in tests/clock.py, or ISO 8601 with an "
        "offset); the clock then ticks",
    )


def pytest_configure(config):
    chosen = config.getoption("--clock")
    if chosen:
        try:
            instant(chosen)
        except ValueError as error:
            raise pytest.UsageError(f"--clock: {error}; names: {', '.join(INSTANTS)}") from None


def pytest_itemcollected(item):
    # Marked as each test is collected: pytest-xdist reads the groups in its own
    # pytest_collection_modifyitems, which may run before any of ours.
    kind = _kind(item)
    if kind and not item.get_closest_marker("timeout"):
        item.add_marker(pytest.mark.timeout(TIME_LIMITS[kind]))
    # Under `make test` (pytest-xdist, --dist loadgroup) a file's tests stay in one process,
    # as its fixtures expect; the live tests share one process, as they time workers and
    # brokers they start and stop; the files that open many connections share one too.
    item.add_marker(pytest.mark.xdist_group(_group(item, kind)))


def pytest_collection_modifyitems(config, items):
    # Without pytest-xdist: the browser and live tests first. Under `make test` pytest-xdist
    # sends the groups with the most tests first (this order breaks its ties), so the files
    # of one long test come last, beside each other. Sending the live group and the browser
    # files first instead was slower (434 s against 396 s): side by side, the processes the
    # live tests start and Chromium took a fifth more CPU.
    items.sort(key=lambda item: SCHEDULED_FIRST.index(_kind(item)))


SCHEDULED_FIRST = ["browser", "live", None]
# Files that open many database connections at once (fifty people pressing 接单; gunicorn's
# 2 × 16 threads): never side by side, or the two together pass PostgreSQL's 100.
MANY_CONNECTIONS = {"test_races.py", "test_slow_clients.py"}


# Files whose tests are long and independent (a share of the URLs each, a role each): each
# test may run in its own process, rather than the whole file in one at the end of the run.
SPREAD = {"test_fuzz.py", "test_link_crawl.py"}


def _group(item, kind) -> str:
    if kind == "live":
        return "live"
    if item.path.name in SPREAD:
        return item.nodeid
    return "many-connections" if item.path.name in MANY_CONNECTIONS else item.path.name


def _kind(item):
    return next((kind for kind in TIME_LIMITS if item.get_closest_marker(kind)), None)


# Any number, the same in every run: the advisory lock's key on the server's `postgres` database.
MANY_CONNECTIONS_LOCK = 17_1001


@pytest.fixture(autouse=True)
def _one_many_connections_test_per_server(request):
    """Two runs of the suite on one PostgreSQL server (two clones, or a clone and the calendar)
    take turns at the tests that open many connections: side by side, two of them passed the
    server's 100 connections and fifty 接单 saw "too many clients" (a busy proof run did)."""
    if _group(request.node, _kind(request.node)) != "many-connections":
        yield
        return
    server = settings.DATABASES["default"]
    with psycopg.connect(
        host=server["HOST"] or None,
        port=server["PORT"] or None,
        user=server["USER"] or None,
        password=server["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", [MANY_CONNECTIONS_LOCK])
        yield


def pytest_generate_tests(metafunc):
    """A test marked `calendar` runs once at each of the calendar's edges (tests/clock.py),
    unless --clock already puts the whole run at one of them."""
    if metafunc.definition.get_closest_marker("calendar") and not metafunc.config.getoption(
        "--clock"
    ):
        metafunc.parametrize(
            "calendar_instant", list(INSTANTS.values()), ids=list(INSTANTS), indirect=True
        )


@pytest.fixture
def calendar_instant(request):
    """The instant a `calendar` test runs at; None for the others."""
    return getattr(request, "param", None)


@pytest.fixture(autouse=True)
def clock(request, calendar_instant):
    """Every test starts at --clock's instant, or its `calendar` instant; else at the real time.
    The clock ticks from there. Declared before the other autouse fixtures, which read it."""
    chosen = request.config.getoption("--clock")
    pinned = request.node.get_closest_marker("pinned")
    if pinned:  # a test written around fixed dates keeps its own day at every instant
        start = instant(pinned.args[0])
    else:
        start = calendar_instant or (instant(chosen) if chosen else None)
    if start is None:
        yield None
        return
    with time_machine.travel(start, tick=True):
        yield start


@pytest.fixture(scope="session", autouse=True)
def real_services(django_db_setup, django_db_blocker):
    """The suite runs on PostgreSQL and Redis; under CI a missing one is a failure."""
    problems = []
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            problems.append(f"database is {connection.vendor}, not PostgreSQL")
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        problems.append(f"Redis at {settings.REDIS_URL} is not reachable: {error}")
    if problems:
        message = "; ".join(problems)
        if os.environ.get("CI") == "true":
            pytest.exit(f"CI needs real services: {message}", returncode=1)
        pytest.exit(f"run the suite with `make test` (PostgreSQL and Redis): {message}", 1)
    yield
    # Before the test database is dropped: a connection left open (the replica alias, or one
    # of a thread a test started, such as the live server's) makes PostgreSQL wait 5 s for
    # it, then refuse to drop the database.
    from django.db import connections

    with django_db_blocker.unblock():
        test_database_made = connection.settings_dict["NAME"] != CONFIGURED_DATABASE
        if connection.vendor == "postgresql" and test_database_made:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
    connections.close_all()


@pytest.fixture(autouse=True)
def fresh_rate_limits(clock):
    """Rate-limit counters live in Redis; each test starts with none, and with Redis trusted."""
    from django.core.cache import cache

    from common.cache import forget_failures

    forget_failures()
    cache.clear()
    # Pages start as on a running site, where beat's reminder scan ran a moment ago: no banner
    # about stopped reminders, and no query for it (tests/test_healthz.py tests the banner).
    from django.utils import timezone

    from notifications.heartbeat import CACHE_KEY

    cache.set(CACHE_KEY, timezone.now(), 300)


@pytest.fixture(autouse=True)
def chinese_by_default():
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _starting_categories():
    """The categories the migrations add; a transactional test's flush removes them."""
    from importlib import import_module

    from cases.models import Category

    seeded = import_module("cases.migrations.0002_categories").CATEGORIES
    there = set(Category.objects.filter(name__in=seeded).values_list("name", flat=True))
    Category.objects.bulk_create(
        [
            Category(name=name, position=position)
            for position, name in enumerate(seeded)
            if name not in there
        ]
    )


def _place_tree():
    """Two streets, three communities, four grids, each with a building, a unit and its leader:
    one INSERT per table, since nearly every test starts here."""
    _starting_categories()
    street, other_street = Street.objects.bulk_create(
        StreetFactory.build(name=name) for name in ("万青路街道", "友谊街道")
    )
    chunguang, funan, youyi = Community.objects.bulk_create(
        CommunityFactory.build(street=in_street, name=name)
        for in_street, name in (
            (street, "春光社区"),
            (street, "富南社区"),
            (other_street, "友谊社区"),
        )
    )
    grids = Grid.objects.bulk_create(
        GridFactory.build(community=community, name=name)
        for community, name in (
            (chunguang, "春光第1网格"),
            (chunguang, "春光第2网格"),
            (funan, "富南第1网格"),
            (youyi, "友谊第1网格"),
        )
    )
    buildings = dict(
        zip(
            grids,
            Building.objects.bulk_create(
                BuildingFactory.build(grid=grid, estate=f"{grid.name}小区", name="1号楼")
                for grid in grids
            ),
            strict=True,
        )
    )
    units = Unit.objects.bulk_create(
        UnitFactory.build(building=building, name="1单元") for building in buildings.values()
    )
    leaders = dict(
        zip(
            grids,
            Contact.objects.bulk_create(
                UnitLeaderFactory.build(unit=unit, name=f"{grid.name}单元长")
                for grid, unit in zip(grids, units, strict=True)
            ),
            strict=True,
        )
    )
    cg1, cg2, fn1, yy1 = grids
    return SimpleNamespace(
        street=street,
        chunguang=chunguang,
        funan=funan,
        cg1=cg1,
        cg2=cg2,
        fn1=fn1,
        other_street=other_street,
        youyi=youyi,
        yy1=yy1,
        buildings=buildings,
        leaders=leaders,
    )


@pytest.fixture
def places(db):
    return _place_tree()


@pytest.fixture
def personas(places):
    people = make_people(
        street_staff=[(RoleKind.STREET_STAFF, places.street)],
        officer_chunguang=[(RoleKind.COMMUNITY_OFFICER, places.chunguang)],
        officer_funan=[(RoleKind.COMMUNITY_OFFICER, places.funan)],
        worker_cg1=[(RoleKind.GRID_WORKER, places.cg1)],
        worker_cg2=[(RoleKind.GRID_WORKER, places.cg2)],
        other_street_staff=[(RoleKind.STREET_STAFF, places.other_street)],
        no_role=[],
    )
    return SimpleNamespace(**people)


@pytest.fixture
def mixed(places):
    """People with two roles (DESIGN.md §14), each named by its roles and places. 富南社区's
    第1网格 (fn1) is where each of them holds no more than a grid worker's role, or nothing."""

    people = make_people(
        # A clerk of 友谊街道 who is the grid worker of 富南第1网格 at home.
        staff_there_worker_fn1=[
            (RoleKind.STREET_STAFF, places.other_street),
            (RoleKind.GRID_WORKER, places.fn1),
        ],
        # An officer of 春光社区 who is also the grid worker of 富南第1网格.
        officer_cg_worker_fn1=[
            (RoleKind.COMMUNITY_OFFICER, places.chunguang),
            (RoleKind.GRID_WORKER, places.fn1),
        ],
        # Outsiders to 富南社区 with two roles: staff of 友谊街道 and worker of 春光第1网格;
        # officer of 友谊社区 and worker of 春光第2网格.
        staff_there_worker_cg1=[
            (RoleKind.STREET_STAFF, places.other_street),
            (RoleKind.GRID_WORKER, places.cg1),
        ],
        officer_there_worker_cg2=[
            (RoleKind.COMMUNITY_OFFICER, places.youyi),
            (RoleKind.GRID_WORKER, places.cg2),
        ],
        staff_of_two_streets=[
            (RoleKind.STREET_STAFF, places.street),
            (RoleKind.STREET_STAFF, places.other_street),
        ],
    )
    return SimpleNamespace(**people)


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user
