"""The fault drill of `make cluster`: load through HAProxy while parts of the cluster fail.

Run by bin/cluster/run.sh after bin/cluster/up.sh, with bin/cluster/env.sh's environment.

Clients log in like a browser (the login form, its CSRF token, the session cookie) and work
through HAProxy: grid workers list, open and log cases; officers list, open and accept the
cases logged in their community; street staff list, open cases and read the report. A logged
case whose form fails is sent again with the same submission id, as the case form does.

Phases, each with the load running throughout:

    steady               no fault
    web node killed      SIGKILL to web1's gunicorn, restarted 10 s later
    Redis master killed  SIGKILL to the master; Sentinel promotes the replica; the old master
                         is started again and must come back as a replica
    worker killed        SIGKILL to worker1 (its pool too), restarted 10 s later
    primary killed       SIGKILL to the PostgreSQL primary and its Patroni at once (a machine
                         dying); Patroni promotes the synchronous standby; the old primary's
                         Patroni is started again once the new primary takes writes and must
                         come back as a standby by itself (pg_rewind)
    switchover           `patronictl switchover` to the synchronous standby (a planned move,
                         for an upgrade); the old primary must follow the new one

Every street's acceptance time is set to 0 working days first, so each case logged comes due
at the next reminder scan (every REMINDER_SCAN_SECONDS): reminders come due all through the
drill. Afterwards the load stops and the drill waits for the reminders to go out, then counts:

    reminders   every reminder the rules say is due has its notification (none lost); every
                email delivery of the drill's notifications went out once: the drill's mail
                server is a directory (config/settings/cluster.py), one file per message, so a
                message written twice is seen (none twice)
    cases       every case a client was told was logged is in the primary, under its
                submission id, once; every submission id at most once (none doubled); the
                standbys have all of them (through HAProxy's replica port)

Every request is counted by method: a GET that failed is a page a user saw fail; a POST that
failed is sent again by the client (a case form with the same submission id, as a phone does).

Writes .run/cluster/report.json and report.md, prints the Markdown, and exits 1 when a case
or a reminder was lost or doubled.
"""

import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
RUN = ROOT / ".run" / "cluster"
HAPROXY = int(os.environ["CLUSTER_HAPROXY_PORT"])
WEB_NODES = {f"web{n}": int(p) for n, p in enumerate(os.environ["CLUSTER_WEB_PORTS"].split(), 1)}
REDIS_PORTS = [int(p) for p in os.environ["CLUSTER_REDIS_PORTS"].split()]
PATRONI = {f"pg{n}": int(p) for n, p in enumerate(os.environ["CLUSTER_PATRONI_PORTS"].split(), 1)}
SENTINELS = [int(a.rsplit(":", 1)[1]) for a in os.environ["REDIS_SENTINELS"].split(",")]
MASTER = os.environ.get("REDIS_SENTINEL_MASTER", "youjie")
CLIENTS = int(os.environ.get("CLUSTER_CLIENTS", "8"))
PHASE_SECONDS = float(os.environ.get("CLUSTER_PHASE_SECONDS", "30"))
FAULT_AT = 5.0  # seconds into a fault phase
AFTER = 5.0  # seconds of load at least after a fault is over
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_URL = re.compile(r"^/cases/(\d+)/$")
T0 = time.monotonic()


def now():
    """Seconds since the drill started."""
    return time.monotonic() - T0


def node(action, name):
    subprocess.run(["bin/cluster/node.sh", action, name], cwd=ROOT, check=True)


# The clients ------------------------------------------------------------------------------
class Client:
    """One user's browser: cookies, a kept-alive connection to HAProxy, and what they do."""

    def __init__(self, username, kind, log):
        self.username = username
        self.kind = kind
        self.log = log  # shared list of (start, seconds, action, status, node, method)
        self.cookies = {}
        self.conn = None
        self.case_ids = []

    def request(self, method, path, action, body=None):
        headers = {
            "Host": "127.0.0.1",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{HAPROXY}{path}"
        started = now()
        status, location, page, served_by = 0, "", b"", ""
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", HAPROXY, timeout=30)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                page = response.read()
                status = response.status
                location = response.getheader("Location", "")
                served_by = response.getheader("X-Served-By", "")
                for cookie in response.msg.get_all("Set-Cookie") or []:
                    name, _, rest = cookie.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
                break
            except (OSError, http.client.HTTPException):
                # A kept-alive connection HAProxy closed meanwhile: one new connection.
                self.conn = None
                if attempt == 2:
                    status = 0
        self.log.append((started, now() - started, action, status, served_by, method))
        return status, location, page.decode(errors="ignore")

    def login(self, password):
        _status, _loc, page = self.request("GET", "/login/", "login")
        token = CSRF.search(page)
        body = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": self.username,
                "password": password,
                "next": "/",
            }
        )
        status, _loc, _page = self.request("POST", "/login/", "login", body)
        if status != 302:
            raise SystemExit(f"{self.username} could not log in through HAProxy ({status})")


class GridWorker(Client):
    def __init__(self, username, log, units, categories, community_id, queues, confirmed):
        super().__init__(username, "grid worker", log)
        self.units, self.categories = units, categories
        self.community_id, self.queues, self.confirmed = community_id, queues, confirmed

    def step(self):
        action = random.choices(["list", "case", "create"], [40, 30, 30])[0]
        if action == "create":
            return self.create()
        if action == "case" and self.case_ids:
            return self.request("GET", f"/cases/{random.choice(self.case_ids)}/", "case")
        return self.request("GET", "/cases/", "list")

    def create(self):
        """Log a case; a failed send is sent again, with the same submission id, up to 4 times."""
        submission = str(uuid.uuid4())
        self.confirmed["sent"].add(submission)
        for _attempt in range(4):
            status, _loc, page = self.request("GET", "/cases/new/", "create")
            token = CSRF.search(page) if status == 200 else None
            if token:
                grid, building, unit = random.choice(self.units)
                body = urlencode(
                    {
                        "csrfmiddlewaretoken": token.group(1),
                        "submission": submission,
                        "grid": grid,
                        "building": building,
                        "unit": unit,
                        "category": random.choice(self.categories),
                        "description": f"楼道灯坏了，晚上看不见（演练 {submission[:8]}）",
                        "resident_name": "王大妈",
                        "resident_phone": "13912345678",
                        "channel": "phone",
                        "urgency": "routine",
                    }
                )
                status, location, _page = self.request("POST", "/cases/new/", "create", body)
                found = CASE_URL.match(location) if status == 302 else None
                if found:
                    case_id = int(found.group(1))
                    self.confirmed["cases"].append((submission, case_id))
                    self.case_ids.append(case_id)
                    self.queues[self.community_id].append(case_id)
                    return
            time.sleep(1)


class Officer(Client):
    def __init__(self, username, log, user_id, community_id, queues, confirmed):
        super().__init__(username, "officer", log)
        self.user_id, self.community_id = user_id, community_id
        self.queues, self.confirmed = queues, confirmed

    def step(self):
        action = random.choices(["list", "case", "accept"], [40, 30, 30])[0]
        queue = self.queues[self.community_id]
        if action == "accept" and queue:
            return self.accept(queue.pop(0))
        if action == "case" and self.case_ids:
            return self.request("GET", f"/cases/{random.choice(self.case_ids)}/", "case")
        return self.request("GET", "/cases/", "list")

    def accept(self, case_id):
        """Accept a case; a send that got no answer is sent again once, a second later. The
        move is made once whatever happens: an accept that went through the first time is
        refused the second (the case is no longer waiting), which changes nothing."""
        for _attempt in range(2):
            status, _loc, page = self.request("GET", f"/cases/{case_id}/", "accept")
            token = CSRF.search(page) if status == 200 else None
            if not token:
                return
            deadline = datetime.now() + timedelta(days=3)  # the box shows local time, as here
            body = urlencode(
                {
                    "csrfmiddlewaretoken": token.group(1),
                    "accept-owner": self.user_id,
                    "accept-response_deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
                    "accept-note": "",
                }
            )
            status, _loc, _page = self.request(
                "POST", f"/cases/{case_id}/moves/accept/", "accept", body
            )
            if status == 302:
                self.confirmed["accepted"].append(case_id)
            if status and status < 500:
                return
            time.sleep(1)


class StreetStaff(Client):
    def __init__(self, username, log):
        super().__init__(username, "street staff", log)

    def step(self):
        action = random.choices(["list", "case", "report"], [50, 30, 20])[0]
        if action == "report":
            return self.request("GET", "/reports/", "report")
        if action == "case" and self.case_ids:
            return self.request("GET", f"/cases/{random.choice(self.case_ids)}/", "case")
        return self.request("GET", "/cases/", "list")


def make_clients(count, log, queues, confirmed):
    """Grid workers in four communities, officers of three of them (the fourth's cases stay
    unaccepted, so their reminders are certain), and street staff: 4/3/1 of every 8."""
    from django.conf import settings

    from accounts.models import Role, RoleKind
    from cases.models import Case, Category
    from grids.models import Community, Unit

    categories = list(Category.objects.filter(is_active=True).values_list("pk", flat=True))
    communities = list(Community.objects.order_by("pk").values_list("pk", flat=True))[:4]
    plan = ["worker"] * 4 + ["officer"] * 3 + ["street"]
    clients = []
    for n in range(count):
        kind = plan[n % len(plan)]
        community = communities[n % len(plan) % 4] if kind != "street" else None
        if kind == "worker":
            role = (
                Role.objects.filter(kind=RoleKind.GRID_WORKER, community_id=community)
                .select_related("user")
                .order_by("pk")[n // len(plan)]
            )
            units = list(
                Unit.objects.filter(building__grid_id=role.grid_id).values_list(
                    "building__grid_id", "building_id", "pk"
                )[:200]
            )
            client = GridWorker(
                role.user.username, log, units, categories, community, queues, confirmed
            )
            cases = Case.objects.filter(grid_id=role.grid_id)
        elif kind == "officer":
            role = Role.objects.filter(
                kind=RoleKind.COMMUNITY_OFFICER, community_id=community
            ).select_related("user")[0]
            client = Officer(role.user.username, log, role.user_id, community, queues, confirmed)
            cases = Case.objects.filter(community_id=community)
        else:
            role = Role.objects.filter(kind=RoleKind.STREET_STAFF).select_related("user")[0]
            client = StreetStaff(role.user.username, log)
            cases = Case.objects.filter(street_id=role.street_id)
        client.case_ids = list(cases.order_by("-pk").values_list("pk", flat=True)[:300])
        client.login(settings.DEMO_PASSWORD)
        clients.append(client)
    return clients


# Watching the cluster -----------------------------------------------------------------------
def haproxy_status():
    """{server: UP/DOWN/...} of the web backend, and of the PostgreSQL primary's ("pg pgN"),
    from HAProxy's stats socket."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(2)
        sock.connect(str(RUN / "haproxy.sock"))
        sock.sendall(b"show stat\n")
        data = b"".join(iter(lambda: sock.recv(65536), b""))
    status = {}
    for line in data.decode().splitlines():
        fields = line.split(",")
        if len(fields) > 17 and fields[0] == "web" and fields[1] in WEB_NODES:
            status[fields[1]] = fields[17]
        if len(fields) > 17 and fields[0] == "postgres-primary" and fields[1] in PATRONI:
            status[f"pg {fields[1]}"] = fields[17]
    return status


def quick_redis(port, timeout):
    """A client that answers or fails within `timeout`, with no retries of its own."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(
        port=port,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


def sentinel_master():
    for port in SENTINELS:
        try:
            host, port_ = quick_redis(port, 1).execute_command(
                "SENTINEL", "get-master-addr-by-name", MASTER
            )
            return int(port_)
        except Exception:  # noqa: BLE001 - that sentinel is down: ask the next
            continue
    return None


def redis_role(port):
    try:
        info = quick_redis(port, 0.5).info("replication")
    except Exception:  # noqa: BLE001
        return "down"
    if info["role"] == "master":
        return "master"
    return f"replica ({'in sync' if info.get('master_link_status') == 'up' else 'syncing'})"


def healthz(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        return conn.getresponse().status
    except OSError:
        return 0


def patroni_members():
    """{pgN: (role, state)} as Patroni reports them (GET /cluster on the first node that
    answers): role leader, sync_standby or replica; a node whose key expired is absent."""
    for port in PATRONI.values():
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/cluster")
            members = json.loads(conn.getresponse().read())["members"]
        except (OSError, ValueError, KeyError, http.client.HTTPException):
            continue
        return {m["name"]: (m["role"], m["state"]) for m in members}
    return {}


def leader():
    return next((n for n, (role, _s) in patroni_members().items() if role == "leader"), None)


def primary_takes_writes():
    """A write through HAProxy's primary port, as the app makes it: a transaction with an
    id, committed (with synchronous_commit, once the synchronous standby has it)."""
    import psycopg

    try:
        with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=1) as conn:
            conn.execute("SET statement_timeout = '2s'")
            conn.execute("SELECT txid_current()")
        return True
    except psycopg.Error:
        return False


def streaming_from_primary(name):
    """Whether pgN streams from the current primary (pg_stat_replication there)."""
    import psycopg

    try:
        with psycopg.connect(os.environ["DATABASE_OWNER_URL"], connect_timeout=1) as conn:
            return bool(
                conn.execute(
                    "SELECT 1 FROM pg_stat_replication "
                    "WHERE application_name = %s AND state = 'streaming'",
                    [name],
                ).fetchone()
            )
    except psycopg.Error:
        return False


def rewinds(name):
    """How many times pgN's Patroni has run pg_rewind (its log)."""
    path = RUN / "logs" / f"{name}.log"
    text = path.read_text(errors="ignore") if path.exists() else ""
    return text.count("pg_rewind exit code=0")


def workers_ready():
    """How many times each worker has said "ready" in its log (a start, or a restart)."""
    counts = {}
    for name in ("worker1", "worker2"):
        path = RUN / "logs" / f"{name}.log"
        text = path.read_text(errors="ignore") if path.exists() else ""
        counts[name] = text.count(" ready.")
    return counts


class Watch:
    """Each probe polls in its own thread, twice a second (a slow probe, such as a /healthz
    waiting on a dead Redis, delays no other); every change of state is an event, timed when
    the probe that saw it had its answer."""

    def __init__(self):
        self.state, self.events, self.running = {}, [], True
        self.lock = threading.Lock()
        probes = {
            "haproxy": lambda: {f"haproxy {k}": v for k, v in haproxy_status().items()},
            "redis master": lambda: {"redis master": sentinel_master()},
            "redis roles": lambda: {f"redis :{p}": redis_role(p) for p in REDIS_PORTS},
            "patroni": lambda: {
                f"patroni {k}": " ".join(v) for k, v in sorted(patroni_members().items())
            },
            "workers": lambda: {f"{k} starts": v for k, v in workers_ready().items()},
        }
        for name, port in WEB_NODES.items():
            probes[name] = lambda name=name, port=port: {f"/healthz {name}": healthz(port)}
        for probe in probes.values():
            threading.Thread(target=self.run, args=(probe,), daemon=True).start()

    def run(self, probe):
        while self.running:
            try:
                seen = probe()
            except Exception as error:  # noqa: BLE001 - keep watching
                seen = {"watch": repr(error)[:80]}
            at = now()
            with self.lock:
                for key, value in seen.items():
                    if self.state.get(key) != value:
                        if key in self.state:
                            self.events.append((at, key, value))
                        self.state[key] = value
            time.sleep(0.5)

    def first(self, after, key, test):
        """The time of the first event after `after` for `key` whose value passes `test`."""
        with self.lock:
            events = sorted(self.events)
        return next((t for t, k, v in events if t >= after and k == key and test(v)), None)


# What each part costs ------------------------------------------------------------------------
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds():
    """{component: CPU seconds used so far} by each part of the cluster: every process of its
    tree, with what its finished children used (a gunicorn worker recycled, a PostgreSQL backend
    closed). On a shared machine, CPU per request is the figure that does not depend on what
    else is running."""
    parents, used = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry.name)
            parents[pid] = int(fields[1])  # then utime, stime, cutime, cstime at 11..14
            used[pid] = sum(int(f) for f in fields[11:15]) / TICK

    def tree(root):
        if root not in used:
            return 0.0
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            total += used.get(pid, 0.0)
            todo += [child for child, parent in parents.items() if parent == pid]
        return total

    def from_file(path):
        try:
            return int(Path(path).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def pids(*names):
        return [from_file(RUN / "pids" / f"{n}.pid") for n in names]

    groups = {
        "web nodes": pids("web1", "web2"),
        "Celery workers and beat": pids("worker1", "worker2", "beat"),
        # Which node is primary changes in the drill; the steady phase (the only one whose CPU
        # is counted) runs on the first primary, pg1.
        "PostgreSQL primary": [from_file(RUN / "pg" / "pg1" / "postmaster.pid")],
        "PostgreSQL standbys": [
            from_file(RUN / "pg" / n / "postmaster.pid") for n in ("pg2", "pg3")
        ],
        "Patroni (3 nodes)": pids("pg1", "pg2", "pg3"),
        "etcd (3 members)": pids("etcd1", "etcd2", "etcd3"),
        "Redis and sentinels": pids(
            *(f"redis-{p}" for p in REDIS_PORTS),
            *(f"sentinel-{a.rsplit(':', 1)[1]}" for a in os.environ["REDIS_SENTINELS"].split(",")),
        ),
        "HAProxy": pids("haproxy"),
        "load driver (the clients)": [os.getpid()],
    }
    return {name: sum(tree(pid) for pid in roots if pid) for name, roots in groups.items()}


def transactions():
    """{server: transactions so far} in the app's database, on the primary and a standby."""
    import psycopg

    counts = {}
    for name, variable in (("primary", "DATABASE_URL"), ("standby", "DATABASE_REPLICA_URL")):
        try:
            with psycopg.connect(os.environ[variable], connect_timeout=1, autocommit=True) as c:
                counts[name] = c.execute(
                    "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                    "WHERE datname = current_database()"
                ).fetchone()[0]
        except psycopg.Error:
            counts[name] = None
    return counts


def deliveries_sent(since_wall, until_wall):
    """Reminder e-mails and SMS the outbox sent in this window."""
    from outbox.models import Message, State

    return Message.objects.filter(
        source__startswith="notification:",
        state=State.SENT,
        sent_at__gte=since_wall,
        sent_at__lt=until_wall,
    ).count()


def reminder_messages(notifications):
    """The outbox's messages of these notifications (their e-mail and SMS)."""
    from outbox.models import Message

    sources = [f"notification:{pk}" for pk in notifications.values_list("pk", flat=True)]
    return Message.objects.filter(source__in=sources)


# The phases ---------------------------------------------------------------------------------
def kill_web_node(watch):
    killed = now()
    node("kill", "web1")
    time.sleep(10)
    node("start", "web1")
    restarted = now()
    back = wait_for(lambda: haproxy_status().get("web1") == "UP", 60)
    return {
        "fault_at": killed,
        "back_at": back,
        "back": "web1 restarted 10 s after the kill, and back in HAProxy's pool",
        "extra": {
            "HAProxy took web1 out after (s)": since(
                killed, watch.first(killed, "haproxy web1", lambda v: v.startswith("DOWN"))
            ),
            "web1 back in the pool after its restart (s)": since(restarted, back),
        },
    }


def kill_redis_master(watch):
    old = sentinel_master()
    killed = now()
    node("kill", f"redis-{old}")
    promoted = wait_for(lambda: sentinel_master() not in (None, old), 60)
    healthy = wait_for(lambda: all(healthz(p) == 200 for p in WEB_NODES.values()), 60)
    time.sleep(max(0, killed + 15 - now()))
    node("start", f"redis-{old}")
    restarted = now()
    demoted = wait_for(lambda: redis_role(old).startswith("replica"), 60)
    synced = wait_for(lambda: redis_role(old) == "replica (in sync)", 60)
    return {
        "fault_at": killed,
        "back_at": healthy,
        "back": "Sentinel promoted the replica; both nodes' /healthz 200 again",
        "extra": {
            "/healthz failing on the nodes from (s)": since(
                killed, watch.first(killed, "/healthz web1", lambda v: v != 200)
            ),
            "Sentinel promoted the replica after (s)": since(killed, promoted),
            "both /healthz 200 again after (s)": since(killed, healthy),
            "old master restarted 15 s after the kill; made a replica by Sentinel after (s)": (
                since(restarted, demoted)
            ),
            "in sync with the new master after (s)": since(restarted, synced),
            "now": f"old master :{old} {redis_role(old)}, master :{sentinel_master()}",
        },
    }


def kill_worker(watch):
    before = workers_ready()["worker1"]
    killed = now()
    node("kill", "worker1")
    time.sleep(10)
    node("start", "worker1")
    restarted = now()
    ready = wait_for(lambda: workers_ready()["worker1"] > before, 60)
    return {
        "fault_at": killed,
        "back_at": ready,
        "back": "worker1 restarted 10 s after the kill, and consuming ('ready' in its log)",
        "extra": {"worker1 ready after its restart (s)": since(restarted, ready)},
    }


def kill_primary(watch):
    old = leader()
    before = rewinds(old)
    killed = now()
    node("kill", old)  # Patroni and PostgreSQL, SIGKILL: the machine is gone
    writes = wait_for(lambda: leader() not in (None, old) and primary_takes_writes(), 90)
    new = leader()
    # The old machine comes back a little after (systemd would restart Patroni at once, but
    # then its leader key would not have expired yet and there would be no failover to see).
    time.sleep(max(0, (writes or now()) + 5 - now()))
    node("start", old)
    restarted = now()
    rejoined = wait_for(
        lambda: (
            patroni_members().get(old, ("", ""))[0] in ("replica", "sync_standby")
            and streaming_from_primary(old)
        ),
        180,
    )
    return {
        "fault_at": killed,
        "back_at": writes,
        "back": f"Patroni promoted {new}, which takes writes through HAProxy's primary port",
        "extra": {
            f"the primary {old} killed; a new primary took writes after (s)": since(killed, writes),
            "HAProxy's primary port on the new primary after (s)": since(
                killed, watch.first(killed, f"haproxy pg {new}", lambda v: v == "UP")
            ),
            f"{old} restarted; a standby streaming from {new} after (s)": since(
                restarted, rejoined
            ),
            f"{old} rewound with pg_rewind": rewinds(old) > before,
            "members now": watch_members(),
        },
    }


def switchover(watch):
    old = leader()
    members = patroni_members()
    candidate = next(n for n, (role, _s) in members.items() if role == "sync_standby")
    started = now()
    subprocess.run(
        [
            "patronictl",
            "-c",
            str(RUN / "patroni" / "pg1.yml"),
            "switchover",
            "--force",
            "--leader",
            old,
            "--candidate",
            candidate,
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    writes = wait_for(lambda: leader() == candidate and primary_takes_writes(), 60)
    rejoined = wait_for(
        lambda: (
            patroni_members().get(old, ("", ""))[0] in ("replica", "sync_standby")
            and streaming_from_primary(old)
        ),
        120,
    )
    return {
        "fault_at": started,
        "back_at": writes,
        "back": f"{candidate} primary and taking writes",
        "extra": {
            f"switchover {old} → {candidate}: the new primary took writes after (s)": since(
                started, writes
            ),
            f"{old} a standby streaming from {candidate} after (s)": since(started, rejoined),
            "members now": watch_members(),
        },
    }


def watch_members():
    return ", ".join(f"{k} {' '.join(v)}" for k, v in sorted(patroni_members().items()))


def wait_for(test, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if test():
            return now()
        time.sleep(0.2)
    return None


def since(start, end):
    return round(end - start, 1) if end is not None else None


def run_phase(name, clients, log, watch, fault=None):
    """The load for PHASE_SECONDS; with a fault, FAULT_AT seconds in, and the load goes on
    until at least AFTER seconds after the fault is over (the errors after recovery)."""
    from django.utils import timezone

    began, began_wall = now(), timezone.now()
    cpu_before, xacts_before = cpu_seconds(), transactions()
    first_sample = len(log)
    stop = threading.Event()

    def drive(client):
        while not stop.is_set():
            client.step()

    threads = [threading.Thread(target=drive, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    outcome = {}
    if fault:
        time.sleep(FAULT_AT)
        outcome = fault(watch)
    time.sleep(max(began + PHASE_SECONDS - now(), AFTER if fault else 0))
    stop.set()
    for thread in threads:
        thread.join()
    figures = summarise(name, log[first_sample:], began, now(), outcome)
    if not fault:  # with nothing killed, every process's CPU is counted whole
        cpu = {k: v - cpu_before[k] for k, v in cpu_seconds().items()}
        xacts = {k: v - xacts_before[k] for k, v in transactions().items() if v is not None}
        sent = deliveries_sent(began_wall, timezone.now())
        figures["costs"] = {
            "cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},
            "cpu_ms_per_request": {
                k: round(1000 * v / figures["requests"], 1)
                for k, v in cpu.items()
                if not k.startswith("Celery")
            },
            "reminder_emails_sent": sent,
            "worker_cpu_ms_per_email_sent (scans included)": (
                round(1000 * cpu["Celery workers and beat"] / sent, 1) if sent else None
            ),
            "database_transactions_per_second": {
                k: round(v / figures["seconds"], 1) for k, v in xacts.items()
            },
        }
    return figures


def is_error(sample):
    return sample[3] == 0 or sample[3] >= 500


def summarise(name, samples, began, ended, outcome):
    seconds = ended - began
    ok = sorted(s[1] * 1000 for s in samples if not is_error(s))
    errors = [s for s in samples if is_error(s)]
    per_node = Counter(s[4] or "none" for s in samples)
    figures = {
        "phase": name,
        "seconds": round(seconds, 1),
        "requests": len(samples),
        "requests_per_second": round(len(samples) / seconds, 1),
        "per_node": {k: per_node[k] for k in sorted(per_node)},
        "p50_ms": round(statistics.median(ok), 1) if ok else None,
        "p99_ms": round(ok[int(len(ok) * 0.99) - 1], 1) if ok else None,
        "errors": len(errors),
        # A failed GET is a page a user saw fail; a failed POST is sent again by the client.
        "errors_get": sum(1 for s in errors if s[5] == "GET"),
        "errors_post": sum(1 for s in errors if s[5] == "POST"),
        "errors_by_status": dict(Counter(str(s[3]) for s in errors)),
        "refused_4xx": sum(1 for s in samples if 400 <= s[3] < 500),
        "by_action": dict(Counter(s[2] for s in samples)),
    }
    if outcome:
        fault, back = outcome["fault_at"], outcome["back_at"] or ended
        # The service is back at the end of the last failed request after the fault.
        last_error = max((s[0] + s[1] for s in errors if s[0] + s[1] >= fault), default=None)
        figures["fault"] = {
            "errors_before_fault": sum(1 for s in errors if s[0] + s[1] < fault),
            "errors_during_fault": sum(1 for s in errors if fault <= s[0] + s[1] < back),
            "errors_after_recovery": sum(1 for s in errors if s[0] + s[1] >= back),
            "service_errors_ended_after_s": since(fault, last_error) if last_error else 0.0,
            "back": outcome["back"],
            "back_after_s": since(fault, outcome["back_at"]),
            **outcome["extra"],
        }
    return figures


# Counting what happened ---------------------------------------------------------------------
def settle(started_wall):
    """After the load: a scan that sees the last cases, then every message sent (or a limit).
    Returns how long that took."""
    from notifications.models import Notification
    from outbox.models import UNSENT

    began = time.monotonic()
    scan = float(os.environ.get("REMINDER_SCAN_SECONDS", "60"))
    # A message claimed by a worker that died waits out its lease, then the outbox's scan.
    lease = float(os.environ.get("OUTBOX_TIMEOUT_SECONDS", "10")) * 3 + 30
    outbox_scan = float(os.environ.get("OUTBOX_SCAN_SECONDS", "30"))
    time.sleep(2 * scan + 1)
    deadline = time.monotonic() + 3 * (lease + outbox_scan) + 60
    waiting = reminder_messages(Notification.objects.filter(created_at__gte=started_wall))
    while waiting.filter(state__in=UNSENT).exists() and time.monotonic() < deadline:
        time.sleep(1)
    return round(time.monotonic() - began, 1)


def count_reminders(started_wall):
    from django.utils import timezone

    from notifications.models import Notification
    from notifications.rules import due_reminders

    due = set()
    for reminder in due_reminders(timezone.now()):
        keys = [f"user:{u.pk}" for u in reminder.users]
        keys += [f"contact:{c.pk}" for c in reminder.contacts]
        due |= {(reminder.rule, reminder.object_key, reminder.due_at, k) for k in keys}
    stored = set(Notification.objects.values_list("rule", "object_key", "due_at", "recipient_key"))
    drill = Notification.objects.filter(created_at__gte=started_wall)
    deliveries = list(reminder_messages(drill))
    written = Counter()  # Message-ID (the message's idempotency key) → times the mail server got it
    for path in Path(os.environ["CLUSTER_MAIL_DIR"]).glob("*"):
        for found in re.finditer(r"<(notification-\d+-email)@", path.read_text(errors="ignore")):
            written[found.group(1)] += 1
    email = [d for d in deliveries if d.channel == "email"]
    return {
        "reminders_due_at_the_end": len(due),
        "due_without_a_notification (lost)": len(due - stored),
        "notifications_made_during_the_drill": drill.count(),
        "notifications_not_fanned_out": drill.filter(fanned_out=False).count(),
        "deliveries": len(deliveries),
        "deliveries_by_status": dict(Counter(d.state for d in deliveries)),
        "emails_expected": len(email),
        "emails_received_once": sum(1 for d in email if written[d.idempotency_key] == 1),
        "emails_missing (lost)": sum(1 for d in email if written[d.idempotency_key] == 0),
        "emails_received_more_than_once (twice)": sum(
            1 for d in email if written[d.idempotency_key] > 1
        ),
        "of_which_due_during_the_drill": sum(1 for k in due if k[2] >= started_wall),
    }


def count_cases(confirmed):
    import psycopg

    from cases.models import Case

    logged = dict(confirmed["cases"])
    rows = list(
        Case.objects.filter(submission_id__in=list(confirmed["sent"])).values_list(
            "submission_id", "pk", "state"
        )
    )
    by_submission = Counter(str(s) for s, _pk, _state in rows)
    ids = {str(s): pk for s, pk, _state in rows}
    states = {pk: state for _s, pk, state in rows}
    with psycopg.connect(os.environ["DATABASE_REPLICA_URL"]) as conn:
        deadline = time.monotonic() + 30
        while True:  # the standby replays what the primary has, within moments
            on_standby = conn.execute(
                "SELECT count(*) FROM cases_case WHERE id = ANY(%s)", [list(logged.values())]
            ).fetchone()[0]
            if on_standby == len(logged) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
            conn.rollback()
    return {
        "cases_confirmed_to_clients": len(logged),
        "cases_submitted (incl. unconfirmed sends)": len(confirmed["sent"]),
        "confirmed_but_missing_from_primary (lost)": sum(
            1 for s, pk in logged.items() if ids.get(s) != pk
        ),
        "submissions_stored_more_than_once (twice)": sum(
            1 for n in by_submission.values() if n > 1
        ),
        "stored_but_never_confirmed": len(set(ids) - set(logged)),
        "accepts_confirmed": len(confirmed["accepted"]),
        "accepts_missing": sum(1 for pk in confirmed["accepted"] if states.get(pk) == "submitted"),
        "confirmed_cases_on_the_standby": on_standby,
    }


# The report ---------------------------------------------------------------------------------
def markdown(report):
    lines = [
        f"# Cluster drill, {report['date']}",
        "",
        f"{report['machine']}. {report['clients']} clients through HAProxy, "
        f"{report['phase_seconds']:.0f} s per phase; a fault {FAULT_AT:.0f} s into its phase, "
        f"the load going on until at least {AFTER:.0f} s after it is over. Errors: no answer "
        "or a 5xx. Per node: requests a second each node answered (HAProxy's X-Served-By; "
        "webN-any: served while every node failed its health check, see haproxy.cfg).",
        "",
        "| phase | requests | req/s | per node (req/s) | p50 ms | p99 ms | errors "
        "| GET / POST errors | before / during / after the fault | errors ended after "
        "| back after |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in report["phases"]:
        fault = p.get("fault")
        nodes = ", ".join(f"{k} {v / p['seconds']:.1f}" for k, v in p["per_node"].items())
        if fault:
            split = (
                f"{fault['errors_before_fault']} / {fault['errors_during_fault']} / "
                f"{fault['errors_after_recovery']}"
            )
            ended = f"{fault['service_errors_ended_after_s']} s"
            back = f"{fault['back_after_s']} s" if fault["back_after_s"] is not None else "never"
        else:
            split = ended = back = "–"
        lines.append(
            f"| {p['phase']} | {p['requests']} | {p['requests_per_second']} | {nodes} "
            f"| {p['p50_ms']} | {p['p99_ms']} | {p['errors']} "
            f"| {p['errors_get']} / {p['errors_post']} | {split} | {ended} | {back} |"
        )
    lines += ["", "What came back, and when (seconds):", ""]
    for p in report["phases"]:
        if "fault" in p:
            skip = {"errors_before_fault", "errors_during_fault", "errors_after_recovery"}
            details = "; ".join(f"{k}: {v}" for k, v in p["fault"].items() if k not in skip)
            lines.append(f"- **{p['phase']}**: {details}")
    for p in report["phases"]:
        if "costs" in p:
            lines += [
                "",
                f"What the {p['phase']} phase cost (CPU, all processes of each part):",
                "",
            ]
            lines += [f"- {k}: {v}" for k, v in p["costs"].items()]
    for title, key in (("Reminders", "reminders"), ("Cases", "cases")):
        lines += ["", f"{title}:", ""]
        lines += [f"- {k}: {v}" for k, v in report[key].items()]
    lines += ["", f"**{report['verdict']}**", ""]
    return "\n".join(lines)


def main():
    import django

    django.setup()
    from django.db import connection, connections
    from django.utils import timezone

    from grids.models import Street

    started_wall = timezone.now()
    load_before = os.getloadavg()[0]
    # Every case logged from now on is due for acceptance at once: reminders all through.
    Street.objects.update(response_working_days=0)
    log, queues = [], defaultdict(list)
    confirmed = {"cases": [], "sent": set(), "accepted": []}
    clients = make_clients(CLIENTS, log, queues, confirmed)
    connection.close()
    watch = Watch()
    wait_for(lambda: "patroni pg1" in watch.state, 10)
    phases = [
        ("steady", None),
        ("web node killed", kill_web_node),
        ("Redis master killed", kill_redis_master),
        ("worker killed", kill_worker),
        ("primary killed", kill_primary),
        ("switchover", switchover),
    ]
    results = []
    for name, fault in phases:
        print(f"[{now():6.1f} s] phase: {name}", flush=True)
        results.append(run_phase(name, clients, log, watch, fault))
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    print(f"[{now():6.1f} s] load stopped; waiting for the last reminders to go out", flush=True)
    connections.close_all()  # the drill's own connection may be to a primary killed since
    settled = settle(started_wall)
    watch.running = False
    reminders = count_reminders(started_wall)
    reminders["waited_after_the_load_s"] = settled
    cases = count_cases(confirmed)
    lost = (
        reminders["due_without_a_notification (lost)"]
        + reminders["notifications_not_fanned_out"]
        + reminders["emails_missing (lost)"]
        + cases["confirmed_but_missing_from_primary (lost)"]
        + cases["accepts_missing"]
    )
    doubled = (
        reminders["emails_received_more_than_once (twice)"]
        + cases["submissions_stored_more_than_once (twice)"]
    )
    report = {
        "date": f"{timezone.localtime():%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})",
        "machine": (
            f"{os.cpu_count()} cores, load average {load_before:.1f} before the drill and "
            f"{os.getloadavg()[0]:.1f} after it (other work shares the machine)"
        ),
        "clients": CLIENTS,
        "phase_seconds": PHASE_SECONDS,
        "phases": results,
        "events": [(round(t, 1), k, v) for t, k, v in watch.events],
        "reminders": reminders,
        "cases": cases,
        "verdict": (
            "PASS: nothing lost, nothing doubled"
            if not lost and not doubled
            else f"FAIL: {lost} lost, {doubled} doubled"
        ),
    }
    (RUN / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    text = markdown(report)
    (RUN / "report.md").write_text(text)
    print(text)
    sys.exit(1 if lost or doubled else 0)


if __name__ == "__main__":
    main()
