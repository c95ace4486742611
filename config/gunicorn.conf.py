"""gunicorn for production and the benchmark: `gunicorn -c config/gunicorn.conf.py`.

Threaded workers (gthread): a client that sends its request slowly holds one thread, not a whole
worker. With the defaults, 2 processes × 16 threads, up to 31 uploads can crawl in at once while
the next request is still served (each worker takes only as many connections as it has
threads). Oversize bodies never get that far: the app refuses them from their Content-Length
(common/bodylimit.py).

What gunicorn alone cannot stop: more slow clients than threads, and clients that keep their
connection open after the answer (gunicorn waits up to 2 s for each to close, in the worker's
main loop). Production runs behind nginx (config/nginx-youjie.conf), which reads every request
whole before passing it on and closes its connections at once: measured with 100 crawling
uploads, /login/ still answers in 0.3 s (see bench/slow_clients.py and the README).

Every value can be changed from the environment (GUNICORN_*) or on the command line, which wins
over this file.
"""

import os
import shutil
import tempfile


def _int(name, default):
    return int(os.environ.get(name, default))


wsgi_app = "config.wsgi"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", 2)
# Each thread may hold a database connection: workers × threads stays under PostgreSQL's
# max_connections (100 by default), with room for Celery and the admin's shell.
threads = _int("GUNICORN_THREADS", 16)
# A worker takes no more connections than it has threads. Otherwise a worker whose threads all
# wait on slow uploads keeps accepting, and the next request queues behind them while the other
# worker idles (measured: 24 slow uploads on 2 × 16 made /login/ time out). Full workers leave
# new connections in the kernel's queue for a worker with a free thread. (This also turns off
# keep-alive between the client, or nginx, and gunicorn: a new loopback connection costs
# microseconds.)
worker_connections = threads
keepalive = 0
# A worker whose main loop stops answering for this long is restarted (a request running in a
# thread does not count: gthread keeps beating while its threads work).
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)  # for requests in flight at a restart
# Recycle workers now and then, so a slow leak in any library cannot grow without end.
max_requests = 5000
max_requests_jitter = 500
# The request line and headers: the app's longest URL (a filtered case list) fits in 4 KB.
limit_request_line = 4094
limit_request_fields = 60
limit_request_field_size = 8190
# nginx on the same host sets X-Forwarded-Proto; gunicorn believes it only from here.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

# /metrics (monitoring/metrics.py) adds up the request counts of every worker process: each writes
# its figures to files in PROMETHEUS_MULTIPROC_DIR, which prometheus-client reads at a scrape.
# It must be set before a worker imports prometheus_client, so here, in the master. A folder
# of this server's own, emptied when it starts: figures of an earlier run would be added in.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="youjie-metrics-")


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
