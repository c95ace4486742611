"""Slow clients cannot starve the server: gunicorn with production's config
(config/gunicorn.conf.py) keeps answering /login/ while uploads crawl in and oversize ones are
refused unread.

A real gunicorn on a loopback port, against the test database; killed at the end."""

import select
import socket
import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from bench.serve import gunicorn
from tests.processes import free_port

pytestmark = pytest.mark.django_db  # the test database exists: gunicorn serves from it
# Uploads within the limit, sent a byte at a time: each holds a thread; more than one worker has.
CRAWLING = 24
HUGE = 4  # uploads announcing 200 MB: refused from their header


def upload_headers(length):
    return (
        "POST /r/p/nowhere/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        # A CSRF cookie: the CSRF check then reads the body for its token, and waits for it.
        f"Cookie: csrftoken={'a' * 32}\r\n"
        "Content-Type: multipart/form-data; boundary=slow\r\n"
        f"Content-Length: {length}\r\n\r\n--slow\r\n"
    ).encode()


def get_login(port, timeout):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(b"GET /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        status = conn.recv(64).split(b"\r\n")[0]
    return status, time.monotonic() - started


@pytest.fixture
def server():
    port = free_port()
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {"DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL, "DEBUG": "false"}
    with gunicorn(port, env=env, settings="config.settings.test", ready_within=15):
        status, _took = get_login(port, timeout=20)  # the workers have booted
        assert status.endswith(b"200 OK")
        yield port


def test_login_answers_while_uploads_crawl_in(server):
    stop = threading.Event()
    crawling = [socket.create_connection(("127.0.0.1", server)) for _ in range(CRAWLING)]
    for conn in crawling:
        conn.sendall(upload_headers(1024 * 1024))  # 1 MB: a photo, within the limit

    def trickle():
        while not stop.wait(0.5):
            for conn in crawling:
                conn.sendall(b"x")

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        time.sleep(1)
        # Each is still being read by a thread: no answer yet.
        answered, _writable, _errors = select.select(crawling, [], [], 0)
        assert answered == []
        huge = []
        for _ in range(HUGE):
            conn = socket.create_connection(("127.0.0.1", server), timeout=5)
            conn.sendall(upload_headers(200 * 1024 * 1024))
            huge.append(conn)
        for conn in huge:
            assert conn.recv(64).startswith(b"HTTP/1.1 413"), "refused from its header"
            conn.close()  # as a browser does once answered
        timings = []
        for _ in range(5):
            status, took = get_login(server, timeout=10)
            assert status.endswith(b"200 OK")
            timings.append(took)
        print(
            f"/login/ with {CRAWLING} crawling uploads: " + ", ".join(f"{t:.3f}" for t in timings)
        )
        assert max(timings) < 2
    finally:
        stop.set()
        trickler.join()
        for conn in crawling:
            conn.close()
