"""How long /login/ takes while slow uploads hold the server, for each way of serving.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/slow_clients.py

Each row starts gunicorn on a loopback port (production's config/gunicorn.conf.py, with the
row's overrides), opens N uploads that announce a 1 MB photo (within the limit) and send a
byte every half second, or N that announce 200 MB (refused from their header), then times five
GET /login/ (a timeout counts as the timeout). Not part of `make test`; tests/test_slow_clients.py
checks the production row.
"""

import contextlib
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.serve import gunicorn  # noqa: E402

TIMEOUT = 15.0
ROWS = [
    ("sync, 2 workers (before)", ["-k", "sync", "--threads", "1"], "crawl", 2),
    ("sync, 2 workers (before)", ["-k", "sync", "--threads", "1"], "huge", 2),
    ("gthread 2 × 16 (config)", [], "crawl", 2),
    ("gthread 2 × 16 (config)", [], "crawl", 12),
    ("gthread 2 × 16 (config)", [], "crawl", 24),
    ("gthread 2 × 16 (config)", [], "crawl", 40),
    ("gthread 2 × 16 (config)", [], "huge", 40),
]


def upload(port, length):
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(
        (
            "POST /r/p/nowhere/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Cookie: csrftoken={'a' * 32}\r\n"
            "Content-Type: multipart/form-data; boundary=slow\r\n"
            f"Content-Length: {length}\r\n\r\n--slow\r\n"
        ).encode()
    )
    return conn


def login_seconds(port):
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as conn:
            conn.sendall(b"GET /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            if not conn.recv(64).split(b"\r\n")[0].endswith(b"200 OK"):
                return None
    except TimeoutError:
        return TIMEOUT
    return time.monotonic() - started


def measure(options, kind, count, port):
    with gunicorn(port, *options, settings="config.settings.test", ready_within=15):
        login_seconds(port)  # the workers have booted
        length = 1024 * 1024 if kind == "crawl" else 200 * 1024 * 1024
        conns = [upload(port, length) for _ in range(count)]
        stop = threading.Event()

        def trickle():
            while not stop.wait(0.5):
                for conn in conns:
                    with contextlib.suppress(OSError):
                        conn.sendall(b"x")

        threading.Thread(target=trickle, daemon=True).start()
        time.sleep(1)
        timings = [login_seconds(port) for _ in range(5)]
        stop.set()
        for conn in conns:
            conn.close()
        return timings


def main():
    print("| server | slow uploads | /login/ (5 tries, s) |")
    print("|---|---|---|")
    for n, (name, options, kind, count) in enumerate(ROWS):
        timings = measure(options, kind, count, 8790 + n)
        what = f"{count} × {'1 MB crawling' if kind == 'crawl' else '200 MB (413)'}"
        shown = ", ".join("fail" if t is None else f"{t:.2f}" for t in timings)
        print(f"| {name} | {what} | {shown} |", flush=True)


if __name__ == "__main__":
    main()
