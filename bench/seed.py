"""A city for the benchmark: 100 streets shaped like the demo street, and N cases with their
history, tasks, meetings and access log rows in proportion, written with PostgreSQL COPY.

The last street has two partners (interop): a residents' app with an API key, which brought
1,000 of that street's cases and every later online case there (Open311 `GET requests` answers
its 1,000 newest), and the 12345 hotline, whose signed orders the benchmark posts.

Growing is incremental: seeding 100,000 on top of 10,000 adds 90,000.
"""

import random
import secrets
import time
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from common.bulk import copy_rows
from reports.rollups import rebuild

STREETS = 100
COMMUNITIES_PER_STREET = 8
GRIDS_PER_COMMUNITY = [14, 14, 14, 14, 14, 14, 13, 13]  # 110, as the demo street
BUILDINGS_PER_GRID = 5
UNITS_PER_BUILDING = 4  # 1838 per street in the demo; 2200 here, close enough
DELIBERATED = 0.07
STATES = [
    ("verified", 80),
    ("resolved", 4),
    ("in_progress", 4),
    ("accepted", 2),
    ("submitted", 3),
    ("declined", 5),
    ("proposed", 1),
    ("decided", 1),
]
TEXTS = [
    "楼道灯坏了，晚上上下楼看不见",
    "暖气不热，家里只有十几度",
    "下水道堵了，污水返到一楼",
    "水龙头滴滴答答响了一夜，厨房漏水",
    "楼下垃圾桶满了没人清运",
    "小区健身器材坏了",
    "单元门禁坏了，陌生人随便进",
    "楼顶漏雨，顶层住户家里发霉",
    "楼上装修噪音太大",
    "电动车在楼道里充电，担心起火",
    "消防通道被私家车占用",
    "独居老人行动不便，买菜困难",
]
CHANNELS = ["online", "visit", "phone", "wechat_group", "walk_in"]
# Each community's estate: building names repeat across a street's communities, and the
# hotline's address matching needs each "estate + building" to name one building.
ESTATES = ["春光", "和平", "幸福", "阳光", "建设", "新华", "东风", "友谊"]
# The benchmark's partners, in the last street: their key and secret are known to measure.py.
API_KEY_PREFIX = "benchkey"
API_KEY = f"yj_{API_KEY_PREFIX}_bench-open311-key-not-secret-0000000000000"
HOTLINE_SECRET = "bench-hotline-secret-not-secret-" + "0" * 32
OPEN311_BLOCK = 1000  # cases the app brought at the first seeding: a full Open311 answer
# Access log rows per case (phone numbers seen, searches, exports): half a row per case.
ACCESS_EVENTS_PER_CASE = 0.5
ACCESS_KINDS = [("phone_viewed", 85), ("phone_search", 10), ("case_export", 5)]


def _code(case_id):
    """A tracking code made from the id (unique by construction) in the real codes' alphabet."""
    from cases.models import TRACKING_ALPHABET

    digits = []
    for _ in range(8):
        case_id, digit = divmod(case_id, len(TRACKING_ALPHABET))
        digits.append(TRACKING_ALPHABET[digit])
    return "YJ" + "".join(reversed(digits))


def _next_id(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        return cursor.fetchone()[0]


def _reset_sequences(*tables):
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )


def city_exists():
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM grids_street")
        return cursor.fetchone()[0] >= STREETS


def seed_city():
    """Streets, communities, grids, buildings, units, unit leaders, accounts and roles."""
    if city_exists():
        return
    started = time.monotonic()
    password = make_password("youjie-demo-2026")
    now = timezone.now()
    street_id, community_id, grid_id = (
        _next_id(t) for t in ("grids_street", "grids_community", "grids_grid")
    )
    building_id, unit_id, contact_id = (
        _next_id(t) for t in ("grids_building", "grids_unit", "grids_contact")
    )
    user_id, role_id = _next_id("auth_user"), _next_id("accounts_role")
    streets, communities, grids, buildings, units, contacts, users, roles = ([] for _ in range(8))
    for s in range(STREETS):
        sid = street_id + s
        streets.append((sid, f"城区{s + 1:03d}街道", "", 1, 7))
        users.append(
            (user_id, password, None, False, f"street{s + 1:03d}", "", "", "", True, True, now)
        )
        roles.append((role_id, user_id, "street_staff", sid, None, None))
        user_id, role_id = user_id + 1, role_id + 1
        for c in range(COMMUNITIES_PER_STREET):
            cid = community_id
            community_id += 1
            communities.append((cid, sid, f"第{c + 1}社区"))
            users.append(
                (
                    user_id,
                    password,
                    None,
                    False,
                    f"officer{s + 1:03d}.{c + 1}",
                    "",
                    "",
                    "",
                    False,
                    True,
                    now,
                )
            )
            roles.append((role_id, user_id, "community_officer", sid, cid, None))
            user_id, role_id = user_id + 1, role_id + 1
            for g in range(GRIDS_PER_COMMUNITY[c]):
                gid = grid_id
                grid_id += 1
                grids.append((gid, cid, f"第{g + 1}网格", ""))
                users.append(
                    (
                        user_id,
                        password,
                        None,
                        False,
                        f"grid{s + 1:03d}.{c + 1}.{g + 1:02d}",
                        "",
                        "",
                        "",
                        False,
                        True,
                        now,
                    )
                )
                roles.append((role_id, user_id, "grid_worker", sid, cid, gid))
                user_id, role_id = user_id + 1, role_id + 1
                for b in range(BUILDINGS_PER_GRID):
                    bid = building_id
                    building_id += 1
                    buildings.append(
                        (
                            bid,
                            gid,
                            f"{ESTATES[c]}小区",
                            f"{g * 5 + b + 1}号楼",
                            secrets.token_urlsafe(6),
                        )
                    )
                    for u in range(UNITS_PER_BUILDING):
                        uid = unit_id
                        unit_id += 1
                        units.append((uid, bid, f"{u + 1}单元", secrets.token_urlsafe(6)))
                        contacts.append(
                            (
                                contact_id,
                                "unit_leader",
                                f"单元长{uid}",
                                f"138{uid:08d}",
                                "",
                                False,
                                sid,
                                cid,
                                gid,
                                uid,
                            )
                        )
                        contact_id += 1
    copy_rows(
        "grids_street",
        ["id", "name", "district", "response_working_days", "follow_up_working_days"],
        streets,
    )
    copy_rows("grids_community", ["id", "street_id", "name"], communities)
    copy_rows("grids_grid", ["id", "community_id", "name", "party_group_name"], grids)
    copy_rows("grids_building", ["id", "grid_id", "estate", "name", "public_code"], buildings)
    copy_rows("grids_unit", ["id", "building_id", "name", "public_code"], units)
    copy_rows(
        "grids_contact",
        [
            "id",
            "kind",
            "name",
            "phone",
            "organisation",
            "is_leader",
            "street_id",
            "community_id",
            "grid_id",
            "unit_id",
        ],
        contacts,
    )
    copy_rows(
        "auth_user",
        [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ],
        users,
    )
    copy_rows(
        "accounts_role", ["id", "user_id", "kind", "street_id", "community_id", "grid_id"], roles
    )
    _reset_sequences(
        "grids_street",
        "grids_community",
        "grids_grid",
        "grids_building",
        "grids_unit",
        "grids_contact",
        "auth_user",
        "accounts_role",
    )
    from django.contrib.auth.models import User

    User.objects.filter(username="benchadmin").exists() or User.objects.create_superuser(
        "benchadmin", "", "youjie-demo-2026"
    )
    seed_partners()
    print(
        f"city: {len(streets)} streets, {len(grids)} grids, {len(units)} units, "
        f"{len(users)} accounts in {time.monotonic() - started:.1f} s"
    )


def seed_partners():
    """The last street's residents' app (with the benchmark's API key) and 12345 hotline
    (with the benchmark's signing secret), made as the integration page makes them."""
    from django.contrib.auth.models import User

    from grids.models import Street
    from interop import keys
    from interop.models import ApiKey, Partner, PartnerKind

    street = Street.objects.order_by("-id").first()
    if Partner.objects.filter(street=street).exists():
        return
    admin = User.objects.get(username="benchadmin")
    app = keys.create_partner(admin, street, "街道小程序", PartnerKind.APP)
    ApiKey.objects.create(
        partner=app,
        name="benchmark",
        prefix=API_KEY_PREFIX,
        digest=keys.digest(API_KEY),
        created_by=admin,
    )
    hotline = keys.create_partner(admin, street, "市12345热线", PartnerKind.HOTLINE)
    hotline.webhook_secret = HOTLINE_SECRET
    hotline.save(update_fields=["webhook_secret"])


def case_count():
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM cases_case")
        return cursor.fetchone()[0]


def seed_cases(target: int, rng_seed=20251126):
    """Add cases (with history, tasks, meetings) until the database holds `target`."""
    have = case_count()
    if have >= target:
        return 0
    started = time.monotonic()
    rng = random.Random(rng_seed + have)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.id, b.id, g.id, g.community_id, c.street_id FROM grids_unit u "
            "JOIN grids_building b ON b.id = u.building_id JOIN grids_grid g ON g.id = b.grid_id "
            "JOIN grids_community c ON c.id = g.community_id"
        )
        places = cursor.fetchall()
        cursor.execute("SELECT grid_id, user_id FROM accounts_role WHERE kind = 'grid_worker'")
        workers = dict(cursor.fetchall())
        cursor.execute(
            "SELECT community_id, user_id FROM accounts_role WHERE kind = 'community_officer'"
        )
        officers = dict(cursor.fetchall())
        cursor.execute("SELECT id FROM cases_category ORDER BY position")
        categories = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT street_id, user_id FROM accounts_role WHERE kind = 'street_staff'")
        street_staff = dict(cursor.fetchall())
        # The benchmark's residents' app (seed_partners); a database seeded otherwise (the
        # demo street of bench/load.py) may have none: then no case is brought by an app.
        cursor.execute(
            "SELECT p.id, p.street_id FROM interop_partner p JOIN interop_apikey k "
            "ON k.partner_id = p.id WHERE p.kind = 'app' AND k.prefix = %s",
            [API_KEY_PREFIX],
        )
        app_partner, app_street = cursor.fetchone() or (None, None)
        cursor.execute(
            "SELECT COUNT(*) FROM interop_externalref WHERE partner_id = %s", [app_partner]
        )
        brought = cursor.fetchone()[0]
        block = 0 if brought or app_partner is None else min(OPEN311_BLOCK, target - have)
    app_places = [p for p in places if p[4] == app_street]
    now = timezone.now()
    case_id, event_id, task_id, ref_id, access_id = (
        _next_id(t)
        for t in (
            "cases_case",
            "cases_caseevent",
            "cases_task",
            "interop_externalref",
            "audit_accessevent",
        )
    )
    states = [s for s, _w in STATES]
    weights = [w for _s, w in STATES]
    access_kinds = [k for k, _w in ACCESS_KINDS]
    access_weights = [w for _k, w in ACCESS_KINDS]
    access_rng = random.Random(rng_seed + have + 1)  # apart, so the cases stay as they were
    cases, events, tasks, refs, accesses = [], [], [], [], []
    for i in range(target - have):
        from_app = i < block
        unit, building, grid, community, street = rng.choice(app_places if from_app else places)
        worker, officer = workers[grid], officers[community]
        created = now - timedelta(seconds=rng.randint(0, 365 * 86400))
        state = rng.choices(states, weights)[0]
        if (now - created).days < 3 and state not in ("submitted", "accepted"):
            state = "submitted"
        accept_by = created + timedelta(days=1)
        accepted = (
            created + timedelta(hours=rng.uniform(1, 30))
            if state != "submitted" and state != "declined"
            else None
        )
        deliberated = state in ("proposed", "decided") or (accepted and rng.random() < DELIBERATED)
        resolved = (
            accepted + timedelta(days=rng.uniform(1, 20))
            if state in ("resolved", "verified")
            else None
        )
        if resolved and resolved > now:
            resolved = now - timedelta(minutes=5)
        verified = resolved + timedelta(days=rng.uniform(3, 7)) if state == "verified" else None
        if verified and verified > now:
            verified = now - timedelta(minutes=1)
        outcome = (
            rng.choices(["resolved", "partly", "cannot", "not_needed"], [88, 6, 3, 3])[0]
            if resolved
            else ""
        )
        satisfaction = (
            rng.choices(["satisfied", "basically", "unsatisfied"], [85, 12, 3])[0]
            if verified
            else ""
        )
        deadline = (accepted + timedelta(days=7)) if accepted else accept_by
        phone = f"13{rng.randrange(10**9):09d}"
        category, text, channel = (rng.choice(c) for c in (categories, TEXTS, CHANNELS))
        if from_app:
            channel = "online"
        if street == app_street and channel == "online":  # the app brought it
            refs.append((ref_id, case_id, app_partner, "open311", _code(case_id), ""))
            ref_id += 1
        if access_rng.random() < ACCESS_EVENTS_PER_CASE:
            kind = access_rng.choices(access_kinds, access_weights)[0]
            seen = created + (now - created) * access_rng.random()
            if kind == "phone_viewed":
                row = (kind, officer, seen, street, case_id, "", None, "")
            elif kind == "phone_search":
                searcher = street_staff.get(street, officer)
                row = (kind, searcher, seen, street, None, phone, 1, "cases:list")
            else:
                count = access_rng.randint(10, 500)
                row = (
                    kind,
                    street_staff.get(street, officer),
                    seen,
                    street,
                    None,
                    "",
                    count,
                    "xlsx",
                )
            accesses.append((access_id, *row))
            access_id += 1
        cases.append(
            (
                case_id,
                _code(case_id),
                "居民",
                phone,
                street,
                community,
                grid,
                building,
                unit,
                category,
                text,
                channel,
                "routine",
                state,
                (officer if deliberated else worker) if accepted else None,
                deadline,
                worker,
                created,
                created,
                "方案" if deliberated else "",
                outcome,
                officer if resolved else None,
                satisfaction,
                accepted,
                resolved,
                resolved + timedelta(days=7) if resolved else None,
                accept_by,
            )
        )
        steps = [("log", "", "submitted", worker, created, {})]
        if state == "declined":
            steps.append(
                ("decline", "submitted", "declined", officer, created + timedelta(hours=5), {})
            )
        if accepted:
            steps.append(("accept", "submitted", "accepted", officer, accepted, {}))
            if deliberated:
                steps.append(
                    ("propose", "accepted", "proposed", officer, accepted + timedelta(hours=2), {})
                )
                if state != "proposed":
                    steps.append(
                        (
                            "deliberate",
                            "proposed",
                            "deliberating",
                            officer,
                            accepted + timedelta(days=5),
                            {},
                        )
                    )
                    steps.append(
                        (
                            "decide",
                            "deliberating",
                            "decided",
                            officer,
                            accepted + timedelta(days=5, hours=1),
                            {"plan": "方案"},
                        )
                    )
                    for title in ("维修", "巡查"):
                        tasks.append(
                            (
                                task_id,
                                case_id,
                                title,
                                officer,
                                None,
                                (accepted + timedelta(days=20)).date(),
                                "done" if resolved else "open",
                                "",
                                resolved,
                                officer,
                                accepted + timedelta(days=5),
                            )
                        )
                        task_id += 1
            elif state not in ("accepted",):
                steps.append(
                    (
                        "handle_directly",
                        "accepted",
                        "in_progress",
                        officer,
                        accepted + timedelta(hours=3),
                        {},
                    )
                )
        if resolved:
            steps.append(
                ("resolve", "in_progress", "resolved", officer, resolved, {"outcome": outcome})
            )
        if verified:
            steps.append(
                ("verify", "resolved", "verified", worker, verified, {"satisfaction": satisfaction})
            )
        for move, source, target_state, actor, at, details in steps:
            events.append(
                (event_id, case_id, move, source, target_state, actor, at, "", details)
                + (street, community, grid)
            )
            event_id += 1
        case_id += 1
    from psycopg.types.json import Jsonb

    copy_rows(
        "cases_case",
        [
            "id",
            "tracking_code",
            "resident_name",
            "resident_phone",
            "street_id",
            "community_id",
            "grid_id",
            "building_id",
            "unit_id",
            "category_id",
            "description",
            "channel",
            "urgency",
            "state",
            "owner_id",
            "response_deadline",
            "created_by_id",
            "created_at",
            "updated_at",
            "plan",
            "outcome",
            "resolved_by_id",
            "satisfaction",
            "accepted_at",
            "resolved_at",
            "follow_up_due",
            "accept_by",
        ],
        cases,
    )
    copy_rows(
        "cases_caseevent",
        [
            "id",
            "case_id",
            "move",
            "from_state",
            "to_state",
            "actor_id",
            "at",
            "note",
            "details",
            "street_id",
            "community_id",
            "grid_id",
        ],
        ((*e[:8], Jsonb(e[8]), *e[9:]) for e in events),
    )
    copy_rows(
        "cases_task",
        [
            "id",
            "case_id",
            "title",
            "owner_user_id",
            "owner_contact_id",
            "due_date",
            "status",
            "drop_reason",
            "closed_at",
            "created_by_id",
            "created_at",
        ],
        tasks,
    )
    copy_rows(
        "interop_externalref",
        ["id", "case_id", "partner_id", "source", "external_id", "media_url"],
        refs,
    )
    copy_rows(
        "audit_accessevent",
        ["id", "kind", "user_id", "at", "street_id", "case_id", "phone", "count", "detail"],
        accesses,
    )
    _reset_sequences(
        "cases_case", "cases_caseevent", "cases_task", "interop_externalref", "audit_accessevent"
    )
    seed_meetings()
    rolled = time.monotonic()
    rebuild()  # the report's monthly rollups: COPY went past the workflow that keeps them
    print(f"report rollups rebuilt in {time.monotonic() - rolled:.1f} s")
    with connection.cursor() as cursor:
        # As the peer's seed does, and as autovacuum would have by then: without it counts
        # read every row from the heap (no visibility map), and when autovacuum happens to
        # run during a measurement decides the figure (the street's count: 3.9 → 0.2 ms at
        # 100,000 cases).
        cursor.execute("VACUUM ANALYZE")
    added = target - have
    print(
        f"cases: +{added} ({len(events)} history rows, {len(tasks)} tasks, {len(refs)} brought "
        f"by the app, {len(accesses)} access log rows) in {time.monotonic() - started:.1f} s"
    )
    return added


def seed_meetings():
    """Twelve monthly sessions per community, held; created once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM meetings_meeting")
        if cursor.fetchone()[0]:
            return
        cursor.execute("SELECT id, street_id FROM grids_community")
        communities = cursor.fetchall()
    today = timezone.localdate()
    rows, meeting_id = [], _next_id("meetings_meeting")
    for community, street in communities:
        month = today.replace(day=1)
        for _ in range(12):
            month = (month - timedelta(days=1)).replace(day=1)
            starts = timezone.make_aware(
                datetime.combine(month.replace(day=17), datetime.min.time().replace(hour=9))
            )
            rows.append(
                (
                    meeting_id,
                    street,
                    community,
                    "monthly",
                    month,
                    starts,
                    "room",
                    "",
                    None,
                    "closed",
                    "",
                    "纪要",
                    starts,
                    starts,
                    starts,
                    None,
                    starts,
                )
            )
            meeting_id += 1
    copy_rows(
        "meetings_meeting",
        [
            "id",
            "street_id",
            "community_id",
            "kind",
            "month",
            "starts_at",
            "venue_kind",
            "address",
            "host_id",
            "state",
            "cancel_reason",
            "minutes",
            "minutes_approved_at",
            "held_at",
            "closed_at",
            "created_by_id",
            "created_at",
        ],
        rows,
    )
    _reset_sequences("meetings_meeting")
