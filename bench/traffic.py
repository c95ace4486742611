"""What the load scenarios share (bench/load.py, bench/morning.py): a browser on loopback that
keeps its cookies, the logging form as a grid worker fills it, clients driven in threads for a
while, and percentiles."""

import http.client
import random
import re
import threading
import time
import uuid
from html.parser import HTMLParser

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/cases/(\d+)/"')
COOKIE = re.compile(r"(?:^|,\s*)([A-Za-z0-9_.-]+)=([^;,]*)")


class Browser:
    """One browser: its cookies (the session, the CSRF token, the messages) and one connection
    to the app on 127.0.0.1:`port`. `headers` go with every request (e.g. X-Forwarded-For)."""

    def __init__(self, port, cookies=None, headers=None):
        self.port = port
        self.cookies = dict(cookies or {})
        self.headers = dict(headers or {})
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, Location, body); status 0 when no answer came, after one retry on a new
        connection (the server may close a kept-alive one)."""
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items() if v)
        headers = {"Host": "127.0.0.1", **self.headers, **(headers or {})}
        if cookie:
            headers["Cookie"] = cookie
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                for header, value in response.getheaders():
                    if header.lower() == "set-cookie":
                        name, content = COOKIE.match(value).groups()
                        deleted = "max-age=0" in value.lower() or "1970" in value
                        self.cookies[name] = "" if deleted else content
                return response.status, response.getheader("Location", ""), response.read()
            except (OSError, http.client.HTTPException):
                self.conn = None  # the server closed a kept-alive connection: open a new one
                if attempt == 2:
                    return 0, "", b""
        return 0, "", b""


def csrf_token(page: bytes) -> str | None:
    found = CSRF.search(page.decode(errors="ignore"))
    return found.group(1) if found else None


class _FormReader(HTMLParser):
    """The form with a given id: its action, its fields' values, each select's options."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.select = form_id, False, None
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside, self.action = True, attrs.get("action") or ""
        elif not self.inside or not attrs.get("name") and tag != "option":
            return
        elif tag == "input" and attrs.get("type") not in ("file", "submit", "button"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self.fields[attrs["name"]] = ""
        elif tag == "select":
            self.select = attrs["name"]
            self.fields[self.select] = []
        elif tag == "option" and self.select:
            self.fields[self.select].append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


def form_fields(page: bytes, form_id: str):
    """(action, fields) of the page's form with this id, or None when the page has none; a
    select's field holds the list of its options' values."""
    reader = _FormReader(form_id)
    reader.feed(page.decode(errors="ignore"))
    return None if reader.action is None else (reader.action, reader.fields)


def log_case_fields(token, place, category):
    """The logging form (/cases/new/) as a grid worker fills it: (submission id, fields)."""
    grid, building, unit = place
    submission = str(uuid.uuid4())
    return submission, {
        "csrfmiddlewaretoken": token,
        "submission": submission,
        "grid": grid,
        "building": building,
        "unit": unit,
        "category": category,
        "description": "楼道灯坏了，晚上上下楼看不见（负载测试）",
        "resident_name": "王大妈",
        "resident_phone": "13912345678",
        "channel": "phone",
        "urgency": "routine",
    }


def lost_writes(confirmed):
    """Of the cases whose logging the app confirmed ((submission, id) pairs): how many ids and
    how many submissions are not in the database."""
    from cases.models import Case

    ids = {pk for _s, pk in confirmed}
    found = set(Case.objects.filter(pk__in=ids).values_list("pk", flat=True))
    by_submission = set(
        Case.objects.filter(submission_id__in=[s for s, _pk in confirmed]).values_list(
            "submission_id", flat=True
        )
    )
    return len(ids - found), len(confirmed) - len(by_submission)


def multipart(fields: dict) -> tuple[bytes, str]:
    """A form sent as multipart/form-data, as a page's form with a file field sends it."""
    boundary = f"----youjie-bench-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


def drive(people, seconds, step, during=None):
    """Every person in a thread of its own, calling `step(person)` until `seconds` are up; each
    step returns its samples (started, elapsed, action, status, ...). `during` runs in the
    middle (a fault). Returns (samples, seconds taken, what `during` returned)."""
    stop = time.monotonic() + seconds
    samples = []
    lock = threading.Lock()

    def run(person):
        while time.monotonic() < stop:
            taken = step(person)
            with lock:
                samples.extend(taken)

    threads = [threading.Thread(target=run, args=(p,)) for p in people]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    fault = {}
    if during:
        time.sleep(seconds / 2)
        fault = during()
    for thread in threads:
        thread.join()
    return samples, time.monotonic() - began, fault


def percentile(sorted_values, fraction):
    """The nearest-rank percentile of values already sorted (None when there are none)."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * fraction // 1))  # ceil(n × fraction), at least 1
    return sorted_values[int(rank) - 1]


def pause(mean_seconds):
    """A person's pause between pages: uniform around the mean (±50%), none for 0."""
    if mean_seconds > 0:
        time.sleep(random.uniform(0.5, 1.5) * mean_seconds)
