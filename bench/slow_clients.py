"""How long /login/ takes while slow uploads hold the server, for each way of serving.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/slow_clients.py

Each row starts gunicorn on a loopback port (production's config/gunicorn.conf.py, with the
row's overrides), opens N uploads that announce a 1 MB photo (within the limit) and send a
byte every half second, or N that announce 200 MB (refused from their header), then times five
GET /login/ (a timeout counts as the timeout). The nginx rows put config/nginx-youjie.conf in
front (an nginx binary from PATH or $NGINX). Not part of `make test`;
tests/test_slow_clients.py checks the gthread row.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.serve import ROOT, gunicorn, wait_for_port  # noqa: E402

TIMEOUT = 15.0
SYNC = ["-k", "sync", "--threads", "1"]  # gunicorn's default worker, as before the config
# (name, gunicorn options, behind nginx, uploads: "crawl" 1 MB a byte at a time or "huge" 200 MB,
# how many)
ROWS = [
    ("sync, 2 workers (before)", SYNC, False, "crawl", 2),
    ("sync, 2 workers (before)", SYNC, False, "huge", 2),
    ("gthread 2 × 16 (config)", [], False, "crawl", 2),
    ("gthread 2 × 16 (config)", [], False, "crawl", 12),
    ("gthread 2 × 16 (config)", [], False, "crawl", 24),
    ("gthread 2 × 16 (config)", [], False, "crawl", 40),
    ("gthread 2 × 16 (config)", [], False, "huge", 40),
    ("nginx → sync, 2 workers", SYNC, True, "crawl", 40),
    ("nginx → gthread 2 × 16 (config)", [], True, "crawl", 100),
    ("nginx → gthread 2 × 16 (config)", [], True, "huge", 100),
]
NGINX = os.environ.get("NGINX") or shutil.which("nginx")


@contextmanager
def nginx(port, upstream_port):
    """nginx on 127.0.0.1:`port` with config/nginx-youjie.conf in front of `upstream_port`."""
    home = Path(tempfile.mkdtemp(prefix="youjie-nginx-"))
    home.chmod(0o777)  # nginx's workers (user nobody) write request bodies under it
    conf = home / "nginx.conf"
    conf.write_text(
        f"""pid {home}/nginx.pid; daemon off; worker_processes 1;
error_log {home}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {home}/body; proxy_temp_path {home}/proxy;
  fastcgi_temp_path {home}/fastcgi; uwsgi_temp_path {home}/uwsgi; scgi_temp_path {home}/scgi;
  upstream youjie {{ server 127.0.0.1:{upstream_port}; }}
  server {{ listen 127.0.0.1:{port}; include {ROOT}/config/nginx-youjie.conf; }}
}}
"""
    )
    server = subprocess.Popen([NGINX, "-p", str(home), "-c", str(conf), "-e", str(home / "e.log")])
    try:
        wait_for_port(port, 10)
        yield
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(home, ignore_errors=True)


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


def measure(options, behind_nginx, kind, count, port):
    with gunicorn(port, *options, settings="config.settings.test", ready_within=15):
        login_seconds(port)  # the workers have booted
        if not behind_nginx:
            return slow_uploads_and_logins(port, kind, count)
        with nginx(port + 100, port):
            return slow_uploads_and_logins(port + 100, kind, count)


def slow_uploads_and_logins(port, kind, count):
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
    for n, (name, options, behind_nginx, kind, count) in enumerate(ROWS):
        if behind_nginx and not NGINX:
            print(f"| {name} | skipped: no nginx (apt-get install nginx, or NGINX=path) | |")
            continue
        timings = measure(options, behind_nginx, kind, count, 8790 + n)
        what = f"{count} × {'1 MB crawling' if kind == 'crawl' else '200 MB (413)'}"
        shown = ", ".join("fail" if t is None else f"{t:.2f}" for t in timings)
        print(f"| {name} | {what} | {shown} |", flush=True)


if __name__ == "__main__":
    main()
